package io.krunctl.cli.spec;

import static io.krunctl.cli.spec.NodeReader.describe;
import static io.krunctl.cli.spec.NodeReader.isNull;
import static io.krunctl.cli.spec.SpecRules.ENV_NAME;

import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.Rlimit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The workload's fields of a spec: {@code process}, and {@code image}, whose configuration file
 * gives a process the spec's {@code process} fields complete or override. The merge follows
 * {@code docker run IMAGE ARGS}: the image's Entrypoint always runs, {@code process.args} replaces
 * its Cmd, {@code process.workdir} its WorkingDir, and {@code process.env} wins over its Env by
 * name. Both environments then reach the init the same way, which applies libkrun's rule to them
 * (HOME and TERM always set, any other name only if the kernel command line did not set it).
 */
final class ProcessReader {
    private static final List<String> PROCESS_KEYS = SpecModel.PROCESS.keys();
    private static final List<String> IMAGE_KEYS = SpecModel.IMAGE.keys();

    private final NodeReader nodes;
    private final DeviceReader devices;

    ProcessReader(NodeReader nodes, DeviceReader devices) {
        this.nodes = nodes;
        this.devices = devices;
    }

    /**
     * @param processField the {@code process} entry, or {@code null}
     * @param imageField   the {@code image} entry, or {@code null}
     * @param top          the spec's top-level mapping, where a missing {@code process} is reported
     * @return the workload, or {@code null} after recording an error
     */
    ProcessConfig process(NodeTuple processField, NodeTuple imageField, MappingNode top) {
        if (processField == null && imageField == null) {
            nodes.errorAt(top, "missing required key 'process'; it says what to run, e.g. 'process: {args:"
                    + " [/bin/sh]}', or give 'image: {config: PATH}' to run an image's own process");
            return null;
        }
        ImageConfig image = null;
        Node imageConfigNode = null;
        if (imageField != null) {
            imageConfigNode = imageConfigNode(imageField.getValueNode());
            image = imageConfigNode == null ? null : readImage(imageConfigNode);
        }
        Parts parts = processField == null ? new Parts() : readParts(processField.getValueNode(), imageField == null);
        if (parts == null || (imageField != null && image == null)) {
            return null;
        }
        List<String> args = new ArrayList<>(image == null ? List.of() : image.entrypoint());
        args.addAll(parts.args != null ? parts.args : image == null ? List.of() : image.cmd());
        if (args.isEmpty()) {
            nodes.error(imageConfigNode, "image.config: the image gives neither Entrypoint nor Cmd; say what to run"
                    + " with process.args");
            return null;
        }
        Map<String, String> env = new LinkedHashMap<>(image == null ? Map.of() : image.env());
        env.putAll(parts.env);
        String workdir = parts.workdir != null ? parts.workdir
                : image == null ? "/" : image.workingDir().orElse("/");
        return new ProcessConfig(args, env, workdir, parts.rlimits, Optional.empty(), parts.pid1);
    }

    /** What {@code process} gives; {@code args} and {@code workdir} are {@code null} when it does not. */
    private static final class Parts {
        List<String> args;
        Map<String, String> env = new LinkedHashMap<>();
        String workdir;
        List<Rlimit> rlimits = List.of();
        boolean pid1;
    }

    private Parts readParts(Node value, boolean argsRequired) {
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "process: expected a mapping with 'args' (and optionally 'env', 'workdir'), got "
                    + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, "process", PROCESS_KEYS);
        Parts parts = new Parts();
        boolean ok = true;

        NodeTuple argsField = argsRequired ? nodes.required(fields, "args", map, "process", "")
                : fields.get("args");
        if (argsField != null) {
            parts.args = new ArrayList<>();
            ok &= readArgs(argsField.getValueNode(), parts.args);
        } else {
            ok &= !argsRequired;
        }

        NodeTuple envField = fields.get("env");
        if (envField != null) {
            ok &= readEnv(envField.getValueNode(), parts.env);
        }

        NodeTuple workdirField = fields.get("workdir");
        if (workdirField != null) {
            parts.workdir = nodes.guestPath(workdirField.getValueNode(), "process.workdir", true);
            ok &= parts.workdir != null;
        }

        NodeTuple rlimitsField = fields.get("rlimits");
        if (rlimitsField != null) {
            parts.rlimits = devices.rlimits(rlimitsField.getValueNode());
            ok &= parts.rlimits != null;
        }

        NodeTuple pid1Field = fields.get("pid1");
        if (pid1Field != null) {
            Boolean pid1 = nodes.bool(pid1Field.getValueNode(), "process.pid1");
            ok &= pid1 != null;
            parts.pid1 = Boolean.TRUE.equals(pid1);
        }
        return ok ? parts : null;
    }

    /** The value node of {@code image.config}, or {@code null} after recording an error. */
    private Node imageConfigNode(Node value) {
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "image: expected a mapping like {config: ./image/config.json}, got " + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, "image", IMAGE_KEYS);
        NodeTuple config = nodes.required(fields, "config", map, "image",
                "; it names the image's configuration file (JSON)");
        return config == null ? null : config.getValueNode();
    }

    /** The image's configuration; {@code null} after recording an error. */
    private ImageConfig readImage(Node configNode) {
        Path file = nodes.hostFile(configNode, "image.config", "host path of an OCI image configuration file (JSON)");
        if (file == null) {
            return null;
        }
        try {
            return ImageConfig.read(file);
        } catch (ImageConfig.Invalid e) {
            nodes.error(configNode, "image.config: " + e.getMessage());
            return null;
        }
    }

    private boolean readArgs(Node value, List<String> args) {
        String expected = "a non-empty list of strings like [/bin/sh, -c, \"echo hi\"]";
        if (!(value instanceof SequenceNode list)) {
            nodes.error(value, "process.args: expected " + expected + ", got " + describe(value));
            return false;
        }
        if (list.getValue().isEmpty()) {
            nodes.error(value, "process.args: expected " + expected + ", got an empty list; the first names the program");
            return false;
        }
        boolean ok = true;
        for (int i = 0; i < list.getValue().size(); i++) {
            Node item = list.getValue().get(i);
            String arg = nodes.scalar(item, "process.args[" + i + "]", "a string");
            if (arg == null) {
                ok = false;
            } else if (i == 0 && arg.isEmpty()) {
                nodes.error(item, "process.args[0]: expected the program to run, got an empty string");
                ok = false;
            } else if (arg.indexOf('\0') >= 0) {
                nodes.error(item, "process.args[" + i + "]: must not contain a NUL character");
                ok = false;
            } else {
                args.add(arg);
            }
        }
        return ok;
    }

    private boolean readEnv(Node value, Map<String, String> env) {
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "process.env: expected a mapping of variable names to values, like {LANG: C.UTF-8}, got "
                    + describe(value));
            return false;
        }
        boolean ok = true;
        for (Map.Entry<String, NodeTuple> e : nodes.entries(map, "process.env").entrySet()) {
            String name = e.getKey();
            NodeTuple t = e.getValue();
            if (!ENV_NAME.matcher(name).matches()) {
                nodes.error(t.getKeyNode(), "process.env: invalid variable name " + Text.quote(name)
                        + "; use letters, digits and '_', not starting with a digit");
                ok = false;
                continue;
            }
            Node v = t.getValueNode();
            if (v instanceof ScalarNode s && isNull(s)) {
                nodes.error(v, "process.env." + name + ": expected a string value, got " + describe(v)
                        + "; write " + name + ": \"\" for an empty value");
                ok = false;
                continue;
            }
            String text = nodes.scalar(v, "process.env." + name, "a string value");
            if (text == null) {
                ok = false;
            } else if (text.indexOf('\0') >= 0) {
                nodes.error(v, "process.env." + name + ": must not contain a NUL character");
                ok = false;
            } else {
                env.put(name, text);
            }
        }
        return ok;
    }
}
