package io.krunctl.cli;

import io.krunctl.cli.spec.SpecSchema;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code krunctl schema}: prints the JSON Schema of the spec. */
@Command(
        name = "schema",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Print the JSON Schema (draft-07) of the spec on standard output.",
            "Editors use it to complete and check specs; with the YAML language server, start a spec with"
                    + " '# yaml-language-server: $schema=krunctl-spec.schema.json'. It is generated from the"
                    + " same model 'krunctl validate' enforces; checks a schema cannot express (host files,"
                    + " clashing paths, exact positions) are left to 'krunctl validate'."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl schema > krunctl-spec.schema.json"})
final class SchemaCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(SpecSchema.json());
        out.flush();
        return ExitCodes.OK;
    }
}
