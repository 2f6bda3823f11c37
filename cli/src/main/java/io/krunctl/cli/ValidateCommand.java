package io.krunctl.cli;

import io.krunctl.cli.spec.Json;
import io.krunctl.cli.spec.SpecError;
import io.krunctl.cli.spec.SpecException;
import io.krunctl.cli.spec.SpecLoader;
import io.krunctl.cli.spec.SpecOverride;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code krunctl validate FILE...}: checks specs without running them and reports every error. */
@Command(
        name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Check spec files without running anything, and print every error of every file.",
            "Each error is one line, FILE:LINE:COLUMN: MESSAGE, in file order, on standard output; an"
                    + " error without a position (a file that cannot be read, a --set value) is FILE: MESSAGE."
                    + " Nothing is printed when every spec is valid. Host files the specs name are checked"
                    + " as 'run' would check them. When a file cannot be read, the exit code is 66 even if"
                    + " other files are invalid."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl validate specs/*.yaml",
            "  krunctl validate --format json app.yaml | jq -r '.[].message'",
            "  krunctl validate app.yaml --set memory=2Gi"
        })
final class ValidateCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format {
        text,
        json
    }

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The spec files to check.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "How to print errors: text (one line each) or json (an array of objects with file,"
                    + " line, column and message; line and column are null for an error without a position)."
                    + " Default: ${DEFAULT-VALUE}.")
    Format format = Format.text;

    @Option(names = "--set", paramLabel = "PATH=VALUE", converter = SpecOverrideConverter.class,
            description = "Check each spec with PATH set to VALUE, as 'run --set' would (see krunctl-run(1)).")
    List<SpecOverride> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        List<SpecError> errors = new ArrayList<>();
        boolean unreadable = false;
        for (Path file : files) {
            try {
                SpecLoader.load(file, overrides);
            } catch (SpecException e) {
                errors.addAll(e.errors());
                unreadable |= e.unreadable();
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            List<Object> list = new ArrayList<>();
            for (SpecError e : errors) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("file", e.file().toString());
                item.put("line", e.hasPosition() ? e.line() : null);
                item.put("column", e.hasPosition() ? e.column() : null);
                item.put("message", e.message());
                list.add(item);
            }
            out.print(Json.write(list));
        } else {
            for (SpecError e : errors) {
                out.println(e);
            }
        }
        out.flush();
        if (unreadable) {
            return ExitCodes.SPEC_UNREADABLE;
        }
        return errors.isEmpty() ? ExitCodes.OK : ExitCodes.SPEC_INVALID;
    }
}
