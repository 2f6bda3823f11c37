package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciException;
import io.krunctl.cli.oci.StartSignal;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl start ID}: the OCI runtime's start. */
@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "OCI runtime: boot the created container ID's VM and run its program; return once the VM is launched.",
            "Prints nothing and never reads stdin: the program's output goes where create's stdout and stderr went."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl start c1"})
final class StartCommand implements Callable<Integer> {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The container.")
    String id;

    @Override
    public Integer call() {
        return start(parent, id, spec.commandLine().getErr());
    }

    static int start(Main parent, String id, java.io.PrintWriter err) {
        try {
            ContainerStore.Container c = ContainerStore.ofCurrentUser().get(id);
            ContainerStore.Status status = c.status();
            if (status != ContainerStore.Status.CREATED) {
                throw new OciException("container " + id + " is " + status.json() + ", not created: only a created"
                        + " container can be started");
            }
            StartSignal.request(c.startSocket(), ANSWER_TIMEOUT);
            return ExitCodes.OK;
        } catch (OciException e) {
            return parent.ociFailure(err, e.getMessage());
        }
    }
}
