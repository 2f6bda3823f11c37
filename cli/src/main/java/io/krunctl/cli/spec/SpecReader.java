package io.krunctl.cli.spec;

import static io.krunctl.cli.spec.NodeReader.column;
import static io.krunctl.cli.spec.NodeReader.describe;
import static io.krunctl.cli.spec.NodeReader.isNull;
import static io.krunctl.cli.spec.NodeReader.key;
import static io.krunctl.cli.spec.NodeReader.keyText;
import static io.krunctl.cli.spec.NodeReader.line;
import static io.krunctl.cli.spec.NodeReader.place;
import static io.krunctl.cli.spec.SpecRules.AGENT_PATH;
import static io.krunctl.cli.spec.SpecRules.CONFIG_PATH;
import static io.krunctl.cli.spec.SpecRules.DEFAULT_MODE;
import static io.krunctl.cli.spec.SpecRules.ENV_NAME;
import static io.krunctl.cli.spec.SpecRules.INIT_PATH;
import static io.krunctl.cli.spec.SpecRules.NAME;
import static io.krunctl.cli.spec.SpecRules.OCTAL_MODE;

import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.config.InitChoice;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Walks the YAML node tree of one spec, checks every rule, collects every error with the position
 * of the key or value at fault, and builds the {@link VmConfig} when there is none.
 *
 * <p>Scalars are read by their text, never by YAML's implicit typing: {@code cpus: 2} and
 * {@code cpus: "2"} are the same, {@code mode: 0755} is the text {@code 0755}, and an environment
 * value {@code yes} stays {@code "yes"}. The only implicit type that counts is null (an empty
 * value, {@code ~} or {@code null}, unquoted), which no field accepts.
 */
final class SpecReader {

    static final String API_VERSION = SpecModel.API_VERSION;

    // The keys come from the one model that the schema and the manual are generated from.
    private static final List<String> TOP_KEYS = SpecModel.SPEC.keys();
    private static final List<String> ROOT_KEYS = SpecModel.ROOT.keys();
    private static final List<String> FILE_KEYS = SpecModel.FILE.keys();
    private static final List<String> MOUNT_KEYS = SpecModel.MOUNT.keys();
    private static final List<String> PROCESS_KEYS = SpecModel.PROCESS.keys();

    /** Keys that are valid one level down, for a "belongs in" hint when one is given at the top. */
    private static final Map<String, String> NESTED_HOME = nestedHome();

    private final Path file;
    private final NodeReader nodes;
    private final DeviceReader devices;
    private final MachineReader machine;
    private final ProcessReader processes;
    /** Whether {@code init.disabled} is true, so that {@code files} may (and must) give the init. */
    private boolean initDisabled;
    /** Whether an entry of {@code files} names {@code /init.krun}. */
    private boolean initFileGiven;

    /**
     * @param file    the spec file as the user named it, for error messages
     * @param baseDir the absolute folder host paths in the spec are relative to
     */
    SpecReader(Path file, Path baseDir) {
        this.file = file;
        this.nodes = new NodeReader(file, baseDir, NESTED_HOME);
        this.devices = new DeviceReader(nodes);
        this.machine = new MachineReader(nodes);
        this.processes = new ProcessReader(nodes, devices);
    }

    List<SpecError> errors() {
        return nodes.errors();
    }

    /** @return the configuration, or {@code null} when any error was recorded */
    VmConfig read(Node document) {
        if (document == null || isNull(document)) {
            nodes.errorAt(1, 1, "spec is empty; expected a mapping with at least 'apiVersion', 'root' and 'process'");
            return null;
        }
        if (!(document instanceof MappingNode top)) {
            nodes.error(document, "expected a mapping at the top level (name, root, process, ...), got " + describe(document));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(top, "", TOP_KEYS);

        NodeTuple apiVersion = nodes.required(fields, "apiVersion", top, "",
                "; start the spec with 'apiVersion: " + API_VERSION + "'");
        if (apiVersion != null) {
            readApiVersion(apiVersion.getValueNode());
        }

        String name = null;
        NodeTuple nameField = fields.get("name");
        if (nameField == null) {
            name = SpecRules.nameFromFile(file);
        } else {
            String expected = "a name of lowercase letters, digits and '-', starting with a letter or digit,"
                    + " at most 63 characters";
            String v = nodes.scalar(nameField.getValueNode(), "name", expected);
            if (v != null) {
                if (NAME.matcher(v).matches()) {
                    name = v;
                } else {
                    nodes.error(nameField.getValueNode(), "name: expected " + expected + ", got " + Text.quote(v));
                }
            }
        }

        int cpus = machine.cpus(fields.get("cpus"));
        long memory = machine.memory(fields.get("memory"));
        String hostname = machine.hostname(fields.get("hostname"));

        NodeTuple rootField = nodes.required(fields, "root", top, "", "; for an empty root write 'root: {nullfs: {}}'");
        RootConfig root = rootField == null ? null : readRoot(rootField.getValueNode());

        NodeTuple initField = fields.get("init");
        InitChoice init = initField == null ? new InitChoice.Bundled() : readInit(initField);
        initDisabled = init instanceof InitChoice.Disabled;

        List<VirtualFile> files = readFiles(fields.get("files"));
        if (initDisabled && !initFileGiven) {
            nodes.error(initField.getKeyNode(), "init.disabled: 'files' must then give the init: add an entry"
                    + " {path: " + INIT_PATH + ", source: ./my-init, mode: \"0755\"}");
        }
        List<MountConfig> mounts = readMounts(fields.get("mounts"), files);

        if (root instanceof RootConfig.BlockDevice && fields.get("files") != null) {
            nodes.error(fields.get("files").getKeyNode(), "files: not available with root.disk, whose image replaces the"
                    + " root device that carries them; put the files in the image");
        }
        List<io.krunctl.vmm.config.Disk> disks = devices.disks(fields.get("disks"));
        io.krunctl.vmm.config.NetworkConfig network = devices.network(fields.get("network"));

        ProcessConfig process = processes.process(fields.get("process"), fields.get("image"), top);

        KernelChoice kernel = new KernelChoice.Own();
        NodeTuple kernelField = fields.get("kernel");
        if (kernelField != null) {
            kernel = machine.kernel(kernelField.getValueNode());
        }

        if (!nodes.errors().isEmpty()) {
            return null;
        }
        return new VmConfig(name, cpus, memory, root, files, mounts, process, hostname == null ? name : hostname,
                kernel, disks, network, init);
    }

    private void readApiVersion(Node value) {
        String v = nodes.scalar(value, "apiVersion", Text.quote(API_VERSION));
        if (v == null || v.equals(API_VERSION)) {
            return;
        }
        String message = "apiVersion: expected " + Text.quote(API_VERSION) + ", got " + describe(value);
        String[] parts = v.split("/", -1);
        if (parts.length == 2 && parts[0].equals("krunctl") && parts[1].matches("v[0-9]+.*")) {
            message += "; this krunctl reads only " + API_VERSION + " specs";
        } else if (v.equalsIgnoreCase(API_VERSION) || v.equalsIgnoreCase("v1") || v.equals("1")) {
            message += "; did you mean " + Text.quote(API_VERSION) + "?";
        } else if (parts.length == 2) {
            message += "; this is not a krunctl spec, which starts with 'apiVersion: " + API_VERSION + "'";
        }
        nodes.error(value, message);
    }

    // ---- root ----------------------------------------------------------------------------------

    private RootConfig readRoot(Node value) {
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "root: expected a mapping like {nullfs: {}} or {dir: ./rootfs}, got " + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, "root", ROOT_KEYS);
        List<NodeTuple> given = fields.values().stream()
                .filter(t -> SpecModel.ROOT_KINDS.contains(key(t))).toList();
        if (given.isEmpty()) {
            // Unknown keys have been reported already, with a did-you-mean.
            if (fields.size() == map.getValue().size()) {
                nodes.error(value, "root: expected exactly one kind of root; write 'nullfs: {}', 'dir: PATH' or"
                        + " 'disk: {path: IMAGE}'");
            }
            return null;
        }
        if (given.size() > 1) {
            nodes.error(given.get(1).getKeyNode(), "root: expected exactly one kind, got both '"
                    + key(given.get(0)) + "' and '" + key(given.get(1)) + "'");
            return null;
        }
        NodeTuple kind = given.getFirst();
        boolean ok = true;
        for (NodeTuple t : fields.values()) {
            if (SpecModel.ROOT_DIR_SETTINGS.contains(key(t)) && !key(kind).equals("dir")) {
                nodes.error(t.getKeyNode(), "root." + key(t) + " applies to root.dir only, not to root." + key(kind));
                ok = false;
            }
        }
        RootConfig root = switch (key(kind)) {
            case "nullfs" -> readNullFs(kind);
            case "dir" -> readDirRoot(kind, fields);
            case "disk" -> devices.rootDisk(kind);
            default -> {
                nodes.error(kind.getKeyNode(), "root." + key(kind) + " is not supported yet; use root.nullfs or root.dir");
                yield null;
            }
        };
        return ok ? root : null;
    }

    private RootConfig readNullFs(NodeTuple kind) {
        Node settings = kind.getValueNode();
        if (!(settings instanceof MappingNode nullfs)) {
            nodes.error(settings, "root.nullfs: expected an empty mapping {}, got " + describe(settings));
            return null;
        }
        for (NodeTuple t : nullfs.getValue()) {
            nodes.error(t.getKeyNode(), "unknown key " + keyText(t.getKeyNode()) + " in root.nullfs; it takes no keys, write 'nullfs: {}'");
        }
        return new RootConfig.NullFs();
    }

    /**
     * {@code root.dir} in either form: {@code dir: PATH} with its settings beside it in {@code root}
     * ({@code fields}), or {@code dir: {path: PATH, ...}} with its settings inside, which then must
     * not also be given beside it.
     */
    private RootConfig readDirRoot(NodeTuple kind, Map<String, NodeTuple> fields) {
        if (!(kind.getValueNode() instanceof MappingNode map)) {
            Path dir = nodes.hostDir(kind.getValueNode(), "root.dir",
                    "a host directory like ./rootfs, or a mapping like {path: ./rootfs, readOnly: true}");
            return dirRoot(dir, fields, "root.");
        }
        boolean ok = true;
        for (String setting : SpecModel.ROOT_DIR_SETTINGS) {
            NodeTuple beside = fields.get(setting);
            if (beside != null) {
                nodes.error(beside.getKeyNode(), "root." + setting + ": root.dir is a mapping here, so give "
                        + setting + " inside it: dir: {path: ..., " + setting + ": ...}; settings beside 'dir'"
                        + " go with the short form dir: PATH only");
                ok = false;
            }
        }
        Map<String, NodeTuple> inside = nodes.fields(map, "root.dir", SpecModel.ROOT_DIR.keys());
        NodeTuple pathField = nodes.required(inside, "path", map, "root.dir", "; name the directory, e.g. 'path: ./rootfs'");
        Path dir = pathField == null ? null
                : nodes.hostDir(pathField.getValueNode(), "root.dir.path", "a host directory like ./rootfs");
        RootConfig root = dirRoot(dir, inside, "root.dir.");
        return ok ? root : null;
    }

    /**
     * A dir root of {@code dir} (the directory, or {@code null} after an error) with the settings
     * in {@code settings}, each named {@code prefix + key} in errors; {@code null} after any error.
     */
    private RootConfig dirRoot(Path dir, Map<String, NodeTuple> settings, String prefix) {
        boolean ok = dir != null;
        boolean readOnly = false;
        NodeTuple readOnlyField = settings.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = nodes.bool(readOnlyField.getValueNode(), prefix + "readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        CachePolicy cache = readCache(settings.get("cache"), prefix + "cache");
        ok &= cache != null;
        Boolean devices = readDevices(settings.get("devices"), readOnly, prefix + "devices");
        ok &= devices != null;
        return ok ? new RootConfig.Dir(dir, readOnly, cache, devices) : null;
    }

    /**
     * A share's {@code devices}, {@code false} when absent; {@code null} after recording an error.
     * On a read-only share it is an error rather than ignored: the guest could create no node there,
     * so the spec's author meant something else, as with a setting given to the wrong kind of root.
     */
    private Boolean readDevices(NodeTuple field, boolean readOnly, String where) {
        if (field == null) {
            return Boolean.FALSE;
        }
        Boolean on = nodes.bool(field.getValueNode(), where);
        if (Boolean.TRUE.equals(on) && readOnly) {
            nodes.error(field.getKeyNode(), where + ": a read-only directory takes no device nodes; drop 'devices'"
                    + " or 'readOnly'");
            return null;
        }
        return on;
    }

    /** A cache policy, {@code auto} when absent; {@code null} after recording an error. */
    private CachePolicy readCache(NodeTuple field, String where) {
        if (field == null) {
            return CachePolicy.AUTO;
        }
        String expected = "never, auto or always";
        String v = nodes.scalar(field.getValueNode(), where, expected);
        if (v == null) {
            return null;
        }
        for (CachePolicy p : CachePolicy.values()) {
            if (p.toString().equals(v)) {
                return p;
            }
        }
        String message = where + ": expected " + expected + ", got " + describe(field.getValueNode());
        String guess = Text.didYouMean(v, CACHE_POLICIES);
        nodes.error(field.getValueNode(), guess == null ? message : message + "; did you mean '" + guess + "'?");
        return null;
    }

    private static final List<String> CACHE_POLICIES =
            java.util.Arrays.stream(CachePolicy.values()).map(CachePolicy::toString).toList();

    // ---- mounts --------------------------------------------------------------------------------

    private List<MountConfig> readMounts(NodeTuple field, List<VirtualFile> files) {
        List<MountConfig> out = new ArrayList<>();
        List<Node> items = nodes.items(field, "mounts: expected a list of mounts (each with 'type' and 'destination')");
        if (items == null) {
            return out;
        }
        Map<String, Node> seen = new HashMap<>();
        // Every virtual file so far, with where it was given: a mount must not hide one.
        Map<String, String> placed = new LinkedHashMap<>();
        files.forEach(f -> placed.put(f.guestPath(), "'files'"));
        for (int i = 0; i < items.size(); i++) {
            String where = "mounts[" + i + "]";
            MountConfig m = readMount(items.get(i), where, seen, placed);
            if (m instanceof MountConfig.VirtioFs v) {
                v.files().forEach(f -> placed.put(f.guestPath(), where + ".files"));
            }
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    private MountConfig readMount(Node entry, String where, Map<String, Node> seen, Map<String, String> placed) {
        if (!(entry instanceof MappingNode map)) {
            nodes.error(entry, where + ": expected a mapping with 'type' and 'destination', got " + describe(entry));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, MOUNT_KEYS);
        boolean ok = true;

        String type = null;
        NodeTuple typeField = nodes.required(fields, "type", map, where, "; virtiofs or tmpfs");
        if (typeField == null) {
            ok = false;
        } else {
            String v = nodes.scalar(typeField.getValueNode(), where + ".type", "virtiofs or tmpfs");
            if (v != null && SpecModel.MOUNT_TYPES.contains(v)) {
                type = v;
            } else {
                if (v != null) {
                    String guess = Text.didYouMean(v, SpecModel.MOUNT_TYPES);
                    nodes.error(typeField.getValueNode(), where + ".type: expected virtiofs or tmpfs, got "
                            + describe(typeField.getValueNode()) + (guess == null ? "" : "; did you mean '" + guess + "'?"));
                }
                ok = false;
            }
        }

        String destination = null;
        NodeTuple destinationField = nodes.required(fields, "destination", map, where, "; where the guest sees the mount");
        if (destinationField == null) {
            ok = false;
        } else {
            Node node = destinationField.getValueNode();
            destination = nodes.guestPath(node, where + ".destination", true);
            if (destination == null) {
                ok = false;
            } else if (destination.equals("/")) {
                nodes.error(node, where + ".destination: cannot mount over \"/\"; the guest's root is set by 'root'");
                ok = false;
            } else if (seen.containsKey(destination)) {
                nodes.error(node, where + ".destination: duplicate destination " + Text.quote(destination)
                        + "; first given at " + place(seen.get(destination)));
                ok = false;
            } else {
                seen.put(destination, node);
                for (Map.Entry<String, String> f : placed.entrySet()) {
                    String file = f.getKey();
                    if (file.equals(destination) || file.startsWith(destination + "/")) {
                        nodes.error(node, where + ".destination: the mount would hide " + Text.quote(file)
                                + " of " + f.getValue() + "; move the file or the mount");
                        ok = false;
                        break;
                    }
                    if (destination.startsWith(file + "/")) {
                        nodes.error(node, where + ".destination: " + Text.quote(destination) + " would be inside "
                                + Text.quote(file) + ", which is a file of " + f.getValue());
                        ok = false;
                        break;
                    }
                }
            }
        }

        if (type != null) {
            for (NodeTuple t : fields.values()) {
                String only = SpecModel.MOUNT_KEY_TYPE.get(key(t));
                if (only != null && !only.equals(type)) {
                    nodes.error(t.getKeyNode(), where + "." + key(t) + " applies to " + only + " mounts only, not to " + type);
                    ok = false;
                }
            }
        }
        if (!ok || type == null) {
            return null;
        }
        if (type.equals("tmpfs")) {
            java.util.OptionalLong size = java.util.OptionalLong.empty();
            NodeTuple sizeField = fields.get("size");
            if (sizeField != null) {
                String v = nodes.scalar(sizeField.getValueNode(), where + ".size", "a size like 64Mi or 1Gi");
                if (v == null) {
                    return null;
                }
                try {
                    size = java.util.OptionalLong.of(MemorySize.parse(v, VmConfig.MIB));
                } catch (IllegalArgumentException e) {
                    nodes.error(sizeField.getValueNode(), where + ".size: " + e.getMessage());
                    return null;
                }
            }
            return new MountConfig.Tmpfs(destination, size);
        }
        NodeTuple sourceField = fields.get("source");
        Path source = null;
        if (sourceField == null) {
            nodes.errorAt(map, where + ": missing required key 'source' of a virtiofs mount; name the host directory to share");
            ok = false;
        } else {
            source = nodes.hostDir(sourceField.getValueNode(), where + ".source", "a host directory like ./data");
            ok &= source != null;
        }
        boolean readOnly = false;
        NodeTuple readOnlyField = fields.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = nodes.bool(readOnlyField.getValueNode(), where + ".readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        CachePolicy cache = readCache(fields.get("cache"), where + ".cache");
        ok &= cache != null;
        Boolean devices = readDevices(fields.get("devices"), readOnly, where + ".devices");
        ok &= devices != null;
        NodeTuple filesField = fields.get("files");
        List<VirtualFile> files = filesField == null ? List.of() : readFiles(filesField, where + ".files", destination);
        return ok ? new MountConfig.VirtioFs(source, destination, readOnly, cache, devices, files) : null;
    }

    // ---- init ----------------------------------------------------------------------------------

    /** {@code init}: exactly one of {@code source} and {@code disabled: true}; {@code null} after an error. */
    private InitChoice readInit(NodeTuple field) {
        Node value = field.getValueNode();
        String expected = "a mapping with exactly one of 'source: PATH' and 'disabled: true'";
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "init: expected " + expected + ", got " + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, "init", SpecModel.INIT_KEYS);
        NodeTuple source = fields.get("source");
        NodeTuple disabled = fields.get("disabled");
        if (source != null && disabled != null) {
            NodeTuple second = line(source.getKeyNode()) > line(disabled.getKeyNode())
                    || (line(source.getKeyNode()) == line(disabled.getKeyNode())
                            && column(source.getKeyNode()) > column(disabled.getKeyNode()))
                    ? source : disabled;
            nodes.error(second.getKeyNode(), "init: give either 'source' or 'disabled', not both");
            return null;
        }
        if (source != null) {
            Path host = nodes.hostFile(source.getValueNode(), "init.source", "a host file to run as the init");
            return host == null ? null : new InitChoice.HostFile(host);
        }
        if (disabled != null) {
            Boolean b = nodes.bool(disabled.getValueNode(), "init.disabled");
            if (b == null) {
                return null;
            }
            if (!b) {
                nodes.error(disabled.getValueNode(), "init.disabled: expected true, got false; for krunctl's own"
                        + " init leave 'init' out");
                return null;
            }
            return new InitChoice.Disabled();
        }
        if (fields.size() == map.getValue().size()) {
            nodes.error(value, "init: expected " + expected + ", got " + describe(value));
        }
        return null;
    }

    // ---- files ---------------------------------------------------------------------------------

    private List<VirtualFile> readFiles(NodeTuple field) {
        return readFiles(field, "files", null);
    }

    /**
     * The entries of {@code field}, named {@code where} in errors: the root's files when
     * {@code mountDestination} is {@code null}, else the files of the virtiofs mount on it.
     */
    private List<VirtualFile> readFiles(NodeTuple field, String where, String mountDestination) {
        List<VirtualFile> out = new ArrayList<>();
        List<Node> items = nodes.items(field, where + ": expected a list of files (each with 'path' and 'content' or"
                + " 'source')");
        if (items == null) {
            return out;
        }
        Map<String, Node> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            VirtualFile f = readFile(items.get(i), where + "[" + i + "]", seen, mountDestination);
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }

    private VirtualFile readFile(Node entry, String where, Map<String, Node> seen, String mountDestination) {
        if (!(entry instanceof MappingNode map)) {
            nodes.error(entry, where + ": expected a mapping with 'path' and 'content' or 'source', got " + describe(entry));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, FILE_KEYS);
        boolean ok = true;

        String path = null;
        NodeTuple pathField = nodes.required(fields, "path", map, where, "");
        if (pathField == null) {
            ok = false;
        } else {
            Node pathNode = pathField.getValueNode();
            path = nodes.guestPath(pathNode, where + ".path", false);
            if (path == null) {
                ok = false;
            } else if (mountDestination != null) {
                if (!path.startsWith(mountDestination + "/")) {
                    nodes.error(pathNode, where + ".path: expected a path inside the mount's destination "
                            + Text.quote(mountDestination) + ", like " + mountDestination + "/app.conf; got "
                            + Text.quote(path));
                    ok = false;
                } else {
                    ok &= checkPathClash(path, pathNode, where, seen);
                }
            } else if (path.equals(INIT_PATH) && !initDisabled) {
                nodes.error(pathNode, where + ".path: " + INIT_PATH + " is reserved for krunctl's guest init;"
                        + " to give your own, set init: {disabled: true} (or init: {source: PATH} instead of this"
                        + " entry)");
                ok = false;
            } else if (path.equals(AGENT_PATH)) {
                nodes.error(pathNode, where + ".path: " + AGENT_PATH + " is reserved for krunctl's guest agent");
                ok = false;
            } else if (path.equals(CONFIG_PATH)) {
                nodes.error(pathNode, where + ".path: " + CONFIG_PATH + " is written by krunctl from 'process'"
                        + " (and 'mounts'); describe the workload there instead");
                ok = false;
            } else {
                initFileGiven |= path.equals(INIT_PATH);
                ok &= checkPathClash(path, pathNode, where, seen);
            }
        }

        NodeTuple content = fields.get("content");
        NodeTuple source = fields.get("source");
        VirtualFile.Content data = null;
        if (content != null && source != null) {
            NodeTuple second = line(content.getKeyNode()) > line(source.getKeyNode())
                    || (line(content.getKeyNode()) == line(source.getKeyNode())
                            && column(content.getKeyNode()) > column(source.getKeyNode()))
                    ? content : source;
            nodes.error(second.getKeyNode(), where + ": give either 'content' or 'source', not both");
            ok = false;
        } else if (content != null) {
            String text = nodes.scalar(content.getValueNode(), where + ".content", "the file's text as a string");
            if (text == null) {
                ok = false;
            } else {
                data = new VirtualFile.Content.Inline(text.getBytes(StandardCharsets.UTF_8));
            }
        } else if (source != null) {
            Path host = nodes.hostFile(source.getValueNode(), where + ".source", "a host file to copy");
            if (host == null) {
                ok = false;
            } else {
                data = new VirtualFile.Content.HostFile(host);
            }
        } else {
            nodes.error(map, where + ": missing 'content' or 'source'; give the file's text or a host file to copy");
            ok = false;
        }

        int mode = DEFAULT_MODE;
        NodeTuple modeField = fields.get("mode");
        if (modeField != null) {
            String expected = "an octal mode of 3 or 4 digits like \"0755\" or \"644\"";
            String v = nodes.scalar(modeField.getValueNode(), where + ".mode", expected);
            if (v != null && OCTAL_MODE.matcher(v).matches()) {
                mode = Integer.parseInt(v, 8);
            } else {
                if (v != null) {
                    nodes.error(modeField.getValueNode(), where + ".mode: expected " + expected + ", got " + Text.quote(v));
                }
                ok = false;
            }
        }

        if (INIT_PATH.equals(path) && initDisabled && (mode & 0111) == 0) {
            nodes.error(modeField == null ? pathField.getValueNode() : modeField.getValueNode(), where + ".mode: "
                    + INIT_PATH + " must be executable for the kernel to run it; give mode: \"0755\"");
            ok = false;
        }

        boolean oneShot = false;
        NodeTuple oneShotField = fields.get("oneShot");
        if (oneShotField != null) {
            Boolean b = nodes.bool(oneShotField.getValueNode(), where + ".oneShot");
            if (b == null) {
                ok = false;
            } else {
                oneShot = b;
            }
        }
        return ok ? new VirtualFile(path, data, mode, oneShot) : null;
    }

    /** Paths must be unique, and no file may sit below another file. */
    private boolean checkPathClash(String path, Node at, String where, Map<String, Node> seen) {
        Node first = seen.get(path);
        if (first != null) {
            nodes.error(at, where + ".path: duplicate path " + Text.quote(path) + "; first given at " + place(first));
            return false;
        }
        for (Map.Entry<String, Node> other : seen.entrySet()) {
            String o = other.getKey();
            if (path.startsWith(o + "/")) {
                nodes.error(at, where + ".path: " + Text.quote(path) + " would be inside " + Text.quote(o)
                        + ", which is a file (" + place(other.getValue()) + ")");
                return false;
            }
            if (o.startsWith(path + "/")) {
                nodes.error(at, where + ".path: " + Text.quote(path) + " is a file, but " + Text.quote(o)
                        + " (" + place(other.getValue()) + ") needs it to be a directory");
                return false;
            }
        }
        seen.put(path, at);
        return true;
    }

    private static Map<String, String> nestedHome() {
        Map<String, String> home = new HashMap<>();
        for (String k : PROCESS_KEYS) {
            home.put(k, "'process'");
        }
        for (String k : ROOT_KEYS) {
            home.put(k, "'root'");
        }
        for (String k : FILE_KEYS) {
            home.put(k, "an entry of 'files'");
        }
        for (String k : MOUNT_KEYS) {
            home.putIfAbsent(k, "an entry of 'mounts'");
        }
        for (String k : SpecModel.INIT_KEYS) {
            home.putIfAbsent(k, "'init'");
        }
        for (String k : SpecModel.IMAGE.keys()) {
            home.putIfAbsent(k, "'image'");
        }
        return Map.copyOf(home);
    }
}
