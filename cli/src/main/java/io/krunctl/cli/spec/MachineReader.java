package io.krunctl.cli.spec;

import static io.krunctl.cli.spec.NodeReader.describe;
import static io.krunctl.cli.spec.SpecRules.DECIMAL;
import static io.krunctl.cli.spec.SpecRules.HOST_LABEL;
import static io.krunctl.cli.spec.SpecRules.MAX_CPUS;
import static io.krunctl.cli.spec.SpecRules.MAX_HOSTNAME;

import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.VmConfig;
import java.nio.file.Path;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** The machine's fields of a spec: {@code cpus}, {@code memory}, {@code hostname} and {@code kernel}. */
final class MachineReader {
    private final NodeReader nodes;

    MachineReader(NodeReader nodes) {
        this.nodes = nodes;
    }

    /** {@code krunctl} and {@code debian} name the kernels krunctl provides; anything else is a file. */
    KernelChoice kernel(Node value) {
        String name = value instanceof ScalarNode scalar ? scalar.getValue() : "";
        if (name.equals("krunctl")) {
            return new KernelChoice.Own();
        }
        if (name.equals("debian")) {
            return new KernelChoice.Distribution();
        }
        Path image = nodes.hostFile(value, "kernel", "krunctl, debian or a host path to a kernel image");
        return image == null ? null : new KernelChoice.HostImage(image);
    }

    /** {@code cpus}, 1 when not given. */
    int cpus(NodeTuple field) {
        if (field == null) {
            return 1;
        }
        String expected = "an integer from 1 to " + MAX_CPUS;
        String v = nodes.scalar(field.getValueNode(), "cpus", expected);
        if (v == null) {
            return 1;
        }
        if (DECIMAL.matcher(v).matches()) {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_CPUS) {
                return n;
            }
        }
        nodes.error(field.getValueNode(), "cpus: expected " + expected + ", got " + describe(field.getValueNode()));
        return 1;
    }

    /** {@code memory} in bytes, 256 MiB when not given, 0 when invalid. */
    long memory(NodeTuple field) {
        if (field == null) {
            return 256 * VmConfig.MIB;
        }
        String v = nodes.scalar(field.getValueNode(), "memory", "a size like 256Mi, 1Gi or 512M");
        if (v == null) {
            return 0;
        }
        try {
            return MemorySize.parse(v);
        } catch (IllegalArgumentException e) {
            nodes.error(field.getValueNode(), "memory: " + e.getMessage());
            return 0;
        }
    }

    /** {@code hostname}, or null when not given or invalid. */
    String hostname(NodeTuple field) {
        if (field == null) {
            return null;
        }
        String expected = "a host name of letters, digits, '-' and '.' (labels of 1 to 63 characters,"
                + " at most 64 in all)";
        String v = nodes.scalar(field.getValueNode(), "hostname", expected);
        if (v == null) {
            return null;
        }
        boolean ok = !v.isEmpty() && v.length() <= MAX_HOSTNAME;
        if (ok) {
            for (String label : v.split("\\.", -1)) {
                ok &= HOST_LABEL.matcher(label).matches();
            }
        }
        if (!ok) {
            nodes.error(field.getValueNode(), "hostname: expected " + expected + ", got " + Text.quote(v));
            return null;
        }
        return v;
    }
}
