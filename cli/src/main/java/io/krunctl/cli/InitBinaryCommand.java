package io.krunctl.cli;

import io.krunctl.initblob.InitBlob;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code krunctl init-binary}: writes the bundled guest init (or agent) to a file. */
@Command(
        name = "init-binary",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Write krunctl's bundled guest init, the static binary every VM runs as /init.krun, to a file"
                    + " (mode 0755), so it can be wrapped or patched and given back with 'init: {source: FILE}'"
                    + " in a spec (see krunctl-spec(5)). With --agent, write the guest agent (/.krun_agent)"
                    + " instead.",
            "The binaries are the ones bundled at build time: KRUNCTL_INIT_BINARY_PATH and"
                    + " KRUNCTL_AGENT_BINARY_PATH, the developer overrides, do not change what is written."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl init-binary -o krun-init",
            "  krunctl init-binary --agent -o krun-agent",
            "  krunctl init-binary -o - | sha256sum"
        })
final class InitBinaryCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true,
            description = "Where to write the binary; - for standard output.")
    String output;

    @Option(names = "--agent", description = "Write the guest agent instead of the init.")
    boolean agent;

    @Option(names = {"-f", "--force"}, description = "Replace FILE if it exists.")
    boolean force;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        byte[] bytes = agent ? InitBlob.bundledAgent() : InitBlob.bundled();
        if (output.equals("-")) {
            // Raw bytes: the command's writer is for text.
            spec.commandLine().getOut().flush();
            OutputStream out = System.out;
            out.write(bytes);
            out.flush();
            return ExitCodes.OK;
        }
        PrintWriter err = spec.commandLine().getErr();
        Path target = Path.of(output);
        if (!force && Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            err.println("krunctl: " + output + " already exists; give --force to replace it");
            err.flush();
            return ExitCodes.CANT_CREATE;
        }
        Path dir = target.toAbsolutePath().getParent();
        Path temp = null;
        try {
            // A whole file or none: written beside the target, then renamed over it.
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.write(temp, bytes);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (force) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.move(temp, target);
            }
            temp = null;
        } catch (FileAlreadyExistsException e) {
            err.println("krunctl: " + output + " already exists; give --force to replace it");
            err.flush();
            return ExitCodes.CANT_CREATE;
        } catch (IOException | UnsupportedOperationException e) {
            err.println("krunctl: cannot write " + output + ": " + reason(e));
            err.flush();
            return ExitCodes.CANT_CREATE;
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
        return ExitCodes.OK;
    }

    private static String reason(Exception e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException n -> "No such file or directory";
            case java.nio.file.AccessDeniedException a -> "Permission denied";
            default -> e.getMessage();
        };
    }
}
