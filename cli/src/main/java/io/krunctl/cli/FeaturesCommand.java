package io.krunctl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krunctl.cli.oci.BundleMapping;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code krunctl features}: what the OCI runtime supports, in the runtime-spec's features.json shape. */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "OCI runtime: print what krunctl supports of config.json as JSON (runtime-spec features.md).")
final class FeaturesCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ObjectNode o = JSON.createObjectNode().put("ociVersionMin", "1.0.0").put("ociVersionMax", StateCommand.OCI_VERSION);
        o.putArray("hooks");
        List.of("bind", "rbind", "ro", "rw").forEach(o.putArray("mountOptions")::add);
        ObjectNode annotations = o.putObject("annotations");
        annotations.put("io.krunctl.vm", "true");
        annotations.put("io.krunctl.annotations.cpus", BundleMapping.CPUS_ANNOTATION);
        annotations.put("io.krunctl.annotations.memory", BundleMapping.MEMORY_ANNOTATION);
        var out = spec.commandLine().getOut();
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
        out.flush();
        return ExitCodes.OK;
    }
}
