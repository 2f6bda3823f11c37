package io.krunctl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciException;
import io.krunctl.vmm.state.ProcessIdentity;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl state ID}: the OCI runtime's state, as JSON on stdout. */
@Command(
        name = "state",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "OCI runtime: print the state of container ID as JSON: ociVersion, id, status (creating, created,"
                    + " running or stopped), pid (the container's process, 0 once stopped), bundle, rootfs, created"
                    + " and annotations.",
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl state c1"})
final class StateCommand implements Callable<Integer> {
    /** The runtime-spec version whose state and config.json krunctl speaks. */
    static final String OCI_VERSION = "1.0.2";
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The container.")
    String id;

    @Override
    public Integer call() throws Exception {
        return state(parent, id, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    static int state(Main parent, String id, java.io.PrintWriter out, java.io.PrintWriter err)
            throws java.io.IOException {
        ContainerStore.Container c;
        try {
            c = ContainerStore.ofCurrentUser().get(id);
        } catch (OciException e) {
            return parent.ociFailure(err, e.getMessage());
        }
        ContainerStore.Status status = c.status();
        ObjectNode o = JSON.createObjectNode().put("ociVersion", OCI_VERSION).put("id", c.id())
                .put("status", status.json())
                .put("pid", status == ContainerStore.Status.STOPPED ? 0
                        : c.supervisor().map(ProcessIdentity::pid).orElse(0L))
                .put("bundle", c.bundle().toString())
                .put("created", c.created().toString());
        ObjectNode annotations = o.putObject("annotations");
        c.annotations().forEach(annotations::put);
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
        out.flush();
        return ExitCodes.OK;
    }
}
