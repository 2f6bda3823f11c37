package io.krunctl.cli.spec;

import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

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

    // Shared with SpecSchema, which writes the same rules as JSON Schema patterns.
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    static final int MAX_HOSTNAME = 64;
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern OCTAL_MODE = Pattern.compile("[0-7]{3,4}");
    static final Pattern DECIMAL = Pattern.compile("[0-9]{1,9}");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");

    static final int MAX_CPUS = 64;
    static final int DEFAULT_MODE = 0644;
    static final String INIT_PATH = "/init.krun";

    private final Path file;
    private final Path baseDir;
    private final List<SpecError> errors = new ArrayList<>();
    private final DeviceReader devices = new DeviceReader(this);

    /**
     * @param file    the spec file as the user named it, for error messages
     * @param baseDir the absolute folder host paths in the spec are relative to
     */
    SpecReader(Path file, Path baseDir) {
        this.file = file;
        this.baseDir = baseDir;
    }

    List<SpecError> errors() {
        return errors;
    }

    /** @return the configuration, or {@code null} when any error was recorded */
    VmConfig read(Node document) {
        if (document == null || isNull(document)) {
            errorAt(1, 1, "spec is empty; expected a mapping with at least 'name', 'root' and 'process'");
            return null;
        }
        if (!(document instanceof MappingNode top)) {
            error(document, "expected a mapping at the top level (name, root, process, ...), got " + describe(document));
            return null;
        }
        Map<String, NodeTuple> fields = fields(top, "", TOP_KEYS);

        NodeTuple apiVersion = required(fields, "apiVersion", top, "",
                "; start the spec with 'apiVersion: " + API_VERSION + "'");
        if (apiVersion != null) {
            readApiVersion(apiVersion.getValueNode());
        }

        String name = null;
        NodeTuple nameField = required(fields, "name", top, "", "");
        if (nameField != null) {
            String expected = "a name of lowercase letters, digits and '-', starting with a letter or digit,"
                    + " at most 63 characters";
            String v = scalar(nameField.getValueNode(), "name", expected);
            if (v != null) {
                if (NAME.matcher(v).matches()) {
                    name = v;
                } else {
                    error(nameField.getValueNode(), "name: expected " + expected + ", got " + Text.quote(v));
                }
            }
        }

        int cpus = readCpus(fields.get("cpus"));
        long memory = readMemory(fields.get("memory"));
        String hostname = readHostname(fields.get("hostname"));

        NodeTuple rootField = required(fields, "root", top, "", "; for an empty root write 'root: {nullfs: {}}'");
        RootConfig root = rootField == null ? null : readRoot(rootField.getValueNode());

        List<VirtualFile> files = readFiles(fields.get("files"));
        List<MountConfig> mounts = readMounts(fields.get("mounts"), files);

        if (root instanceof RootConfig.BlockDevice && fields.get("files") != null) {
            error(fields.get("files").getKeyNode(), "files: not available with root.disk, whose image replaces the"
                    + " root device that carries them; put the files in the image");
        }
        List<io.krunctl.vmm.config.Disk> disks = devices.disks(fields.get("disks"));
        io.krunctl.vmm.config.NetworkConfig network = devices.network(fields.get("network"));

        NodeTuple processField = required(fields, "process", top, "", "; it says what to run, e.g. 'process: {args: [/bin/sh]}'");
        ProcessConfig process = processField == null ? null : readProcess(processField.getValueNode());

        KernelChoice kernel = new KernelChoice.Own();
        NodeTuple kernelField = fields.get("kernel");
        if (kernelField != null) {
            kernel = readKernel(kernelField.getValueNode());
        }

        if (!errors.isEmpty()) {
            return null;
        }
        return new VmConfig(name, cpus, memory, root, files, mounts, process, hostname == null ? name : hostname,
                kernel, disks, network);
    }

    // ---- top-level scalars --------------------------------------------------------------------

    /** {@code krunctl} and {@code debian} name the kernels krunctl provides; anything else is a file. */
    private KernelChoice readKernel(Node value) {
        String name = value instanceof ScalarNode scalar ? scalar.getValue() : "";
        if (name.equals("krunctl")) {
            return new KernelChoice.Own();
        }
        if (name.equals("debian")) {
            return new KernelChoice.Distribution();
        }
        Path image = hostFile(value, "kernel", "krunctl, debian or a host path to a kernel image");
        return image == null ? null : new KernelChoice.HostImage(image);
    }

    private void readApiVersion(Node value) {
        String v = scalar(value, "apiVersion", Text.quote(API_VERSION));
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
        error(value, message);
    }

    private int readCpus(NodeTuple field) {
        if (field == null) {
            return 1;
        }
        String expected = "an integer from 1 to " + MAX_CPUS;
        String v = scalar(field.getValueNode(), "cpus", expected);
        if (v == null) {
            return 1;
        }
        if (DECIMAL.matcher(v).matches()) {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_CPUS) {
                return n;
            }
        }
        error(field.getValueNode(), "cpus: expected " + expected + ", got " + describe(field.getValueNode()));
        return 1;
    }

    private long readMemory(NodeTuple field) {
        if (field == null) {
            return 256 * VmConfig.MIB;
        }
        String v = scalar(field.getValueNode(), "memory", "a size like 256Mi, 1Gi or 512M");
        if (v == null) {
            return 0;
        }
        try {
            return MemorySize.parse(v);
        } catch (IllegalArgumentException e) {
            error(field.getValueNode(), "memory: " + e.getMessage());
            return 0;
        }
    }

    private String readHostname(NodeTuple field) {
        if (field == null) {
            return null;
        }
        String expected = "a host name of letters, digits, '-' and '.' (labels of 1 to 63 characters,"
                + " at most 64 in all)";
        String v = scalar(field.getValueNode(), "hostname", expected);
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
            error(field.getValueNode(), "hostname: expected " + expected + ", got " + Text.quote(v));
            return null;
        }
        return v;
    }

    // ---- root ----------------------------------------------------------------------------------

    private RootConfig readRoot(Node value) {
        if (!(value instanceof MappingNode map)) {
            error(value, "root: expected a mapping like {nullfs: {}} or {dir: ./rootfs}, got " + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = fields(map, "root", ROOT_KEYS);
        List<NodeTuple> given = fields.values().stream()
                .filter(t -> SpecModel.ROOT_KINDS.contains(key(t))).toList();
        if (given.isEmpty()) {
            // Unknown keys have been reported already, with a did-you-mean.
            if (fields.size() == map.getValue().size()) {
                error(value, "root: expected exactly one kind of root; write 'nullfs: {}', 'dir: PATH' or"
                        + " 'disk: {path: IMAGE}'");
            }
            return null;
        }
        if (given.size() > 1) {
            error(given.get(1).getKeyNode(), "root: expected exactly one kind, got both '"
                    + key(given.get(0)) + "' and '" + key(given.get(1)) + "'");
            return null;
        }
        NodeTuple kind = given.getFirst();
        boolean ok = true;
        for (NodeTuple t : fields.values()) {
            if (SpecModel.ROOT_DIR_SETTINGS.contains(key(t)) && !key(kind).equals("dir")) {
                error(t.getKeyNode(), "root." + key(t) + " applies to root.dir only, not to root." + key(kind));
                ok = false;
            }
        }
        RootConfig root = switch (key(kind)) {
            case "nullfs" -> readNullFs(kind);
            case "dir" -> readDirRoot(kind, fields);
            case "disk" -> devices.rootDisk(kind);
            default -> {
                error(kind.getKeyNode(), "root." + key(kind) + " is not supported yet; use root.nullfs or root.dir");
                yield null;
            }
        };
        return ok ? root : null;
    }

    private RootConfig readNullFs(NodeTuple kind) {
        Node settings = kind.getValueNode();
        if (!(settings instanceof MappingNode nullfs)) {
            error(settings, "root.nullfs: expected an empty mapping {}, got " + describe(settings));
            return null;
        }
        for (NodeTuple t : nullfs.getValue()) {
            error(t.getKeyNode(), "unknown key " + keyText(t.getKeyNode()) + " in root.nullfs; it takes no keys, write 'nullfs: {}'");
        }
        return new RootConfig.NullFs();
    }

    private RootConfig readDirRoot(NodeTuple kind, Map<String, NodeTuple> fields) {
        Path dir = hostDir(kind.getValueNode(), "root.dir", "a host directory like ./rootfs");
        boolean ok = dir != null;
        boolean readOnly = false;
        NodeTuple readOnlyField = fields.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = bool(readOnlyField.getValueNode(), "root.readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        CachePolicy cache = readCache(fields.get("cache"), "root.cache");
        ok &= cache != null;
        return ok ? new RootConfig.Dir(dir, readOnly, cache) : null;
    }

    /** A cache policy, {@code auto} when absent; {@code null} after recording an error. */
    private CachePolicy readCache(NodeTuple field, String where) {
        if (field == null) {
            return CachePolicy.AUTO;
        }
        String expected = "never, auto or always";
        String v = scalar(field.getValueNode(), where, expected);
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
        error(field.getValueNode(), guess == null ? message : message + "; did you mean '" + guess + "'?");
        return null;
    }

    private static final List<String> CACHE_POLICIES =
            java.util.Arrays.stream(CachePolicy.values()).map(CachePolicy::toString).toList();

    // ---- mounts --------------------------------------------------------------------------------

    private List<MountConfig> readMounts(NodeTuple field, List<VirtualFile> files) {
        List<MountConfig> out = new ArrayList<>();
        List<Node> items = items(field, "mounts: expected a list of mounts (each with 'type' and 'destination')");
        if (items == null) {
            return out;
        }
        Map<String, Node> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            MountConfig m = readMount(items.get(i), "mounts[" + i + "]", seen, files);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    private MountConfig readMount(Node entry, String where, Map<String, Node> seen, List<VirtualFile> files) {
        if (!(entry instanceof MappingNode map)) {
            error(entry, where + ": expected a mapping with 'type' and 'destination', got " + describe(entry));
            return null;
        }
        Map<String, NodeTuple> fields = fields(map, where, MOUNT_KEYS);
        boolean ok = true;

        String type = null;
        NodeTuple typeField = required(fields, "type", map, where, "; virtiofs or tmpfs");
        if (typeField == null) {
            ok = false;
        } else {
            String v = scalar(typeField.getValueNode(), where + ".type", "virtiofs or tmpfs");
            if (v != null && SpecModel.MOUNT_TYPES.contains(v)) {
                type = v;
            } else {
                if (v != null) {
                    String guess = Text.didYouMean(v, SpecModel.MOUNT_TYPES);
                    error(typeField.getValueNode(), where + ".type: expected virtiofs or tmpfs, got "
                            + describe(typeField.getValueNode()) + (guess == null ? "" : "; did you mean '" + guess + "'?"));
                }
                ok = false;
            }
        }

        String destination = null;
        NodeTuple destinationField = required(fields, "destination", map, where, "; where the guest sees the mount");
        if (destinationField == null) {
            ok = false;
        } else {
            Node node = destinationField.getValueNode();
            destination = guestPath(node, where + ".destination", true);
            if (destination == null) {
                ok = false;
            } else if (destination.equals("/")) {
                error(node, where + ".destination: cannot mount over \"/\"; the guest's root is set by 'root'");
                ok = false;
            } else if (seen.containsKey(destination)) {
                error(node, where + ".destination: duplicate destination " + Text.quote(destination)
                        + "; first given at " + place(seen.get(destination)));
                ok = false;
            } else {
                seen.put(destination, node);
                for (VirtualFile f : files) {
                    if (f.guestPath().equals(destination) || f.guestPath().startsWith(destination + "/")) {
                        error(node, where + ".destination: the mount would hide " + Text.quote(f.guestPath())
                                + " of 'files'; move the file or the mount");
                        ok = false;
                        break;
                    }
                    if (destination.startsWith(f.guestPath() + "/")) {
                        error(node, where + ".destination: " + Text.quote(destination) + " would be inside "
                                + Text.quote(f.guestPath()) + ", which is a file of 'files'");
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
                    error(t.getKeyNode(), where + "." + key(t) + " applies to " + only + " mounts only, not to " + type);
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
                String v = scalar(sizeField.getValueNode(), where + ".size", "a size like 64Mi or 1Gi");
                if (v == null) {
                    return null;
                }
                try {
                    size = java.util.OptionalLong.of(MemorySize.parse(v, VmConfig.MIB));
                } catch (IllegalArgumentException e) {
                    error(sizeField.getValueNode(), where + ".size: " + e.getMessage());
                    return null;
                }
            }
            return new MountConfig.Tmpfs(destination, size);
        }
        NodeTuple sourceField = fields.get("source");
        Path source = null;
        if (sourceField == null) {
            errorAt(map, where + ": missing required key 'source' of a virtiofs mount; name the host directory to share");
            ok = false;
        } else {
            source = hostDir(sourceField.getValueNode(), where + ".source", "a host directory like ./data");
            ok &= source != null;
        }
        boolean readOnly = false;
        NodeTuple readOnlyField = fields.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = bool(readOnlyField.getValueNode(), where + ".readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        CachePolicy cache = readCache(fields.get("cache"), where + ".cache");
        ok &= cache != null;
        return ok ? new MountConfig.VirtioFs(source, destination, readOnly, cache) : null;
    }

    // ---- files ---------------------------------------------------------------------------------

    private List<VirtualFile> readFiles(NodeTuple field) {
        List<VirtualFile> out = new ArrayList<>();
        List<Node> items = items(field, "files: expected a list of files (each with 'path' and 'content' or 'source')");
        if (items == null) {
            return out;
        }
        Map<String, Node> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            VirtualFile f = readFile(items.get(i), "files[" + i + "]", seen);
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }

    private VirtualFile readFile(Node entry, String where, Map<String, Node> seen) {
        if (!(entry instanceof MappingNode map)) {
            error(entry, where + ": expected a mapping with 'path' and 'content' or 'source', got " + describe(entry));
            return null;
        }
        Map<String, NodeTuple> fields = fields(map, where, FILE_KEYS);
        boolean ok = true;

        String path = null;
        NodeTuple pathField = required(fields, "path", map, where, "");
        if (pathField == null) {
            ok = false;
        } else {
            Node pathNode = pathField.getValueNode();
            path = guestPath(pathNode, where + ".path", false);
            if (path == null) {
                ok = false;
            } else if (path.equals(INIT_PATH)) {
                error(pathNode, where + ".path: " + INIT_PATH + " is reserved for krunctl's guest init");
                ok = false;
            } else {
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
            error(second.getKeyNode(), where + ": give either 'content' or 'source', not both");
            ok = false;
        } else if (content != null) {
            String text = scalar(content.getValueNode(), where + ".content", "the file's text as a string");
            if (text == null) {
                ok = false;
            } else {
                data = new VirtualFile.Content.Inline(text.getBytes(StandardCharsets.UTF_8));
            }
        } else if (source != null) {
            Path host = hostFile(source.getValueNode(), where + ".source", "a host file to copy");
            if (host == null) {
                ok = false;
            } else {
                data = new VirtualFile.Content.HostFile(host);
            }
        } else {
            error(map, where + ": missing 'content' or 'source'; give the file's text or a host file to copy");
            ok = false;
        }

        int mode = DEFAULT_MODE;
        NodeTuple modeField = fields.get("mode");
        if (modeField != null) {
            String expected = "an octal mode of 3 or 4 digits like \"0755\" or \"644\"";
            String v = scalar(modeField.getValueNode(), where + ".mode", expected);
            if (v != null && OCTAL_MODE.matcher(v).matches()) {
                mode = Integer.parseInt(v, 8);
            } else {
                if (v != null) {
                    error(modeField.getValueNode(), where + ".mode: expected " + expected + ", got " + Text.quote(v));
                }
                ok = false;
            }
        }

        boolean oneShot = false;
        NodeTuple oneShotField = fields.get("oneShot");
        if (oneShotField != null) {
            Boolean b = bool(oneShotField.getValueNode(), where + ".oneShot");
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
            error(at, where + ".path: duplicate path " + Text.quote(path) + "; first given at " + place(first));
            return false;
        }
        for (Map.Entry<String, Node> other : seen.entrySet()) {
            String o = other.getKey();
            if (path.startsWith(o + "/")) {
                error(at, where + ".path: " + Text.quote(path) + " would be inside " + Text.quote(o)
                        + ", which is a file (" + place(other.getValue()) + ")");
                return false;
            }
            if (o.startsWith(path + "/")) {
                error(at, where + ".path: " + Text.quote(path) + " is a file, but " + Text.quote(o)
                        + " (" + place(other.getValue()) + ") needs it to be a directory");
                return false;
            }
        }
        seen.put(path, at);
        return true;
    }

    // ---- process -------------------------------------------------------------------------------

    private ProcessConfig readProcess(Node value) {
        if (!(value instanceof MappingNode map)) {
            error(value, "process: expected a mapping with 'args' (and optionally 'env', 'workdir'), got " + describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = fields(map, "process", PROCESS_KEYS);
        boolean ok = true;

        List<String> args = new ArrayList<>();
        NodeTuple argsField = required(fields, "args", map, "process", "");
        if (argsField == null) {
            ok = false;
        } else {
            ok &= readArgs(argsField.getValueNode(), args);
        }

        Map<String, String> env = new LinkedHashMap<>();
        NodeTuple envField = fields.get("env");
        if (envField != null) {
            ok &= readEnv(envField.getValueNode(), env);
        }

        String workdir = "/";
        NodeTuple workdirField = fields.get("workdir");
        if (workdirField != null) {
            workdir = guestPath(workdirField.getValueNode(), "process.workdir", true);
            ok &= workdir != null;
        }

        List<io.krunctl.vmm.config.Rlimit> rlimits = List.of();
        NodeTuple rlimitsField = fields.get("rlimits");
        if (rlimitsField != null) {
            rlimits = devices.rlimits(rlimitsField.getValueNode());
            ok &= rlimits != null;
        }
        return ok ? new ProcessConfig(args, env, workdir, rlimits) : null;
    }

    private boolean readArgs(Node value, List<String> args) {
        String expected = "a non-empty list of strings like [/bin/sh, -c, \"echo hi\"]";
        if (!(value instanceof SequenceNode list)) {
            error(value, "process.args: expected " + expected + ", got " + describe(value));
            return false;
        }
        if (list.getValue().isEmpty()) {
            error(value, "process.args: expected " + expected + ", got an empty list; the first names the program");
            return false;
        }
        boolean ok = true;
        for (int i = 0; i < list.getValue().size(); i++) {
            Node item = list.getValue().get(i);
            String arg = scalar(item, "process.args[" + i + "]", "a string");
            if (arg == null) {
                ok = false;
            } else if (i == 0 && arg.isEmpty()) {
                error(item, "process.args[0]: expected the program to run, got an empty string");
                ok = false;
            } else if (arg.indexOf('\0') >= 0) {
                error(item, "process.args[" + i + "]: must not contain a NUL character");
                ok = false;
            } else {
                args.add(arg);
            }
        }
        return ok;
    }

    private boolean readEnv(Node value, Map<String, String> env) {
        if (!(value instanceof MappingNode map)) {
            error(value, "process.env: expected a mapping of variable names to values, like {LANG: C.UTF-8}, got "
                    + describe(value));
            return false;
        }
        boolean ok = true;
        for (Map.Entry<String, NodeTuple> e : entries(map, "process.env").entrySet()) {
            String name = e.getKey();
            NodeTuple t = e.getValue();
            if (!ENV_NAME.matcher(name).matches()) {
                error(t.getKeyNode(), "process.env: invalid variable name " + Text.quote(name)
                        + "; use letters, digits and '_', not starting with a digit");
                ok = false;
                continue;
            }
            Node v = t.getValueNode();
            if (v instanceof ScalarNode s && isNull(s)) {
                error(v, "process.env." + name + ": expected a string value, got " + describe(v)
                        + "; write " + name + ": \"\" for an empty value");
                ok = false;
                continue;
            }
            String text = scalar(v, "process.env." + name, "a string value");
            if (text == null) {
                ok = false;
            } else if (text.indexOf('\0') >= 0) {
                error(v, "process.env." + name + ": must not contain a NUL character");
                ok = false;
            } else {
                env.put(name, text);
            }
        }
        return ok;
    }

    // ---- shared value readers ------------------------------------------------------------------

    /**
     * An absolute, normalized guest path; {@code /} only when {@code allowRoot}.
     *
     * @return the path, or {@code null} after recording an error
     */
    private String guestPath(Node value, String field, boolean allowRoot) {
        String p = scalar(value, field, "an absolute path like \"/etc/motd\"");
        if (p == null) {
            return null;
        }
        String problem = null;
        if (p.isEmpty()) {
            problem = "expected an absolute path like \"/etc/motd\", got an empty string";
        } else if (p.indexOf('\0') >= 0) {
            problem = "must not contain a NUL character";
        } else if (!p.startsWith("/")) {
            problem = "expected an absolute path (starting with '/'), got " + Text.quote(p);
        } else if (p.equals("/") && !allowRoot) {
            problem = "expected the path of a file, got \"/\"";
        } else if (("/" + p + "/").contains("/../")) {
            problem = "must not contain '..', got " + Text.quote(p);
        } else if (!p.equals("/") && (p.endsWith("/") || (p + "/").contains("/./") || p.contains("//"))) {
            problem = "expected a normalized path, got " + Text.quote(p) + "; did you mean " + Text.quote(normalize(p)) + "?";
        }
        if (problem != null) {
            error(value, field + ": " + problem);
            return null;
        }
        return p;
    }

    private static String normalize(String p) {
        StringBuilder out = new StringBuilder();
        for (String part : p.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                out.append('/').append(part);
            }
        }
        return out.isEmpty() ? "/" : out.toString();
    }

    /**
     * A host path named relative to the spec's folder, resolved but not yet checked on disk.
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    private Path hostPath(Node value, String field, String expected) {
        String text = scalar(value, field, expected);
        if (text == null) {
            return null;
        }
        if (!text.isEmpty() && text.indexOf('\0') < 0) {
            try {
                return baseDir.resolve(text).normalize();
            } catch (InvalidPathException e) {
                // Reported below like any other unusable text.
            }
        }
        error(value, field + ": expected " + expected + ", got " + Text.quote(text));
        return null;
    }

    /**
     * A host file named relative to the spec's folder, which must be a readable regular file.
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    Path hostFile(Node value, String field, String expected) {
        Path resolved = hostPath(value, field, expected);
        if (resolved == null) {
            return null;
        }
        String reason = null;
        try {
            BasicFileAttributes attrs = Files.readAttributes(resolved, BasicFileAttributes.class);
            if (attrs.isDirectory()) {
                reason = "Is a directory";
            } else if (!attrs.isRegularFile()) {
                reason = "not a regular file";
            } else if (!Files.isReadable(resolved)) {
                reason = "Permission denied";
            }
        } catch (IOException e) {
            reason = ioReason(e);
        }
        if (reason != null) {
            error(value, field + ": cannot read host file " + resolved + ": " + reason);
            return null;
        }
        return resolved;
    }

    /**
     * A host directory named relative to the spec's folder (symbolic links followed).
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    private Path hostDir(Node value, String field, String expected) {
        Path resolved = hostPath(value, field, expected);
        if (resolved == null) {
            return null;
        }
        String reason = null;
        try {
            BasicFileAttributes attrs = Files.readAttributes(resolved, BasicFileAttributes.class);
            if (!attrs.isDirectory()) {
                reason = "Not a directory";
            } else if (!Files.isReadable(resolved) || !Files.isExecutable(resolved)) {
                reason = "Permission denied";
            }
        } catch (IOException e) {
            reason = ioReason(e);
        }
        if (reason != null) {
            error(value, field + ": cannot share host directory " + resolved + ": " + reason);
            return null;
        }
        return resolved;
    }

    /** The strerror-style reason of a failed file operation, without the file name. */
    static String ioReason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    Boolean bool(Node value, String field) {
        String v = scalar(value, field, "true or false");
        if (v == null) {
            return null;
        }
        switch (v) {
            case "true", "True", "TRUE" -> {
                return Boolean.TRUE;
            }
            case "false", "False", "FALSE" -> {
                return Boolean.FALSE;
            }
            default -> {
                error(value, field + ": expected true or false, got " + describe(value));
                return null;
            }
        }
    }

    /**
     * The text of a scalar that is not null.
     *
     * @return the text, or {@code null} after recording "FIELD: expected EXPECTED, got ..."
     */
    String scalar(Node value, String field, String expected) {
        if (value instanceof ScalarNode s && !isNull(s)) {
            String tag = s.getTag().getValue();
            if (!tag.startsWith(Tag.PREFIX) || s.getTag().equals(Tag.BINARY)) {
                String shown = tag.startsWith(Tag.PREFIX) ? "!!" + tag.substring(Tag.PREFIX.length()) : tag;
                error(value, field + ": YAML tag " + shown + " is not supported; write the value as plain text");
                return null;
            }
            return s.getValue();
        }
        error(value, field + ": expected " + expected + ", got " + describe(value));
        return null;
    }

    // ---- mappings ------------------------------------------------------------------------------

    /**
     * The known keys of a mapping, first occurrence each; records unknown keys (with a
     * did-you-mean), keys that are not plain scalars, and duplicates.
     *
     * @param where {@code ""} for the top level, else the dotted location such as {@code process}
     */
    Map<String, NodeTuple> fields(MappingNode map, String where, List<String> known) {
        Map<String, NodeTuple> all = entries(map, where);
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : all.entrySet()) {
            String k = e.getKey();
            if (known.contains(k)) {
                out.put(k, e.getValue());
                continue;
            }
            String in = where.isEmpty() ? " at top level" : " in " + where;
            String message = "unknown key '" + k + "'" + in;
            String home = where.isEmpty() ? NESTED_HOME.get(k) : null;
            String guess = Text.didYouMean(k, known);
            if (k.equals("<<")) {
                message += "; YAML merge keys are not supported";
            } else if (home != null) {
                message += "; it belongs in " + home;
            } else if (guess != null) {
                message += "; did you mean '" + guess + "'?";
            } else {
                message += "; valid keys are " + Text.keyList(known);
            }
            error(e.getValue().getKeyNode(), message);
        }
        return out;
    }

    /** Every key of a mapping by its text, first occurrence each; records bad and duplicate keys. */
    private Map<String, NodeTuple> entries(MappingNode map, String where) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        String in = where.isEmpty() ? " at top level" : " in " + where;
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks) || isNull(ks)) {
                error(k, "expected a plain key" + in + ", got " + describe(k));
                continue;
            }
            NodeTuple first = out.get(ks.getValue());
            if (first != null) {
                error(k, "duplicate key '" + ks.getValue() + "'" + in + "; first given at " + place(first.getKeyNode()));
                continue;
            }
            out.put(ks.getValue(), t);
        }
        return out;
    }

    /**
     * A required key, or {@code null} after recording its absence at the mapping's first key.
     *
     * @param where {@code ""} for the top level, else the location such as {@code process}
     * @param hint  appended to the message: {@code ""} or text starting with {@code "; "}
     */
    NodeTuple required(Map<String, NodeTuple> fields, String key, MappingNode map, String where, String hint) {
        NodeTuple t = fields.get(key);
        if (t == null) {
            errorAt(map, (where.isEmpty() ? "" : where + ": ") + "missing required key '" + key + "'" + hint);
        }
        return t;
    }

    private void errorAt(MappingNode map, String message) {
        if (map.getValue().isEmpty()) {
            error(map, message);
        } else {
            error(map.getValue().getFirst().getKeyNode(), message);
        }
    }

    // ---- nodes and errors ----------------------------------------------------------------------

    private static String key(NodeTuple t) {
        return ((ScalarNode) t.getKeyNode()).getValue();
    }

    private static String keyText(Node key) {
        return key instanceof ScalarNode s ? "'" + s.getValue() + "'" : describe(key);
    }

    static boolean isNull(Node n) {
        return n instanceof ScalarNode && Tag.NULL.equals(n.getTag());
    }

    /**
     * The entries of a list-valued field: none when the field is absent, {@code null} after
     * recording "{@code expected}, got ..." when its value is not a list.
     */
    List<Node> items(NodeTuple field, String expected) {
        if (field == null) {
            return List.of();
        }
        Node value = field.getValueNode();
        if (!(value instanceof SequenceNode list)) {
            error(value, expected + ", got " + describe(value));
            return null;
        }
        return list.getValue();
    }

    /** How a value is shown after "got": quoted text, a bare number, or what kind of node it is. */
    static String describe(Node n) {
        return switch (n) {
            case MappingNode m -> m.getValue().isEmpty() ? "an empty mapping" : "a mapping";
            case SequenceNode s -> s.getValue().isEmpty() ? "an empty list" : "a list";
            case ScalarNode s when isNull(s) -> s.getValue().isEmpty() ? "nothing" : "null";
            case ScalarNode s when s.isPlain() && NUMBER.matcher(s.getValue()).matches() -> s.getValue();
            case ScalarNode s -> Text.quote(s.getValue());
            default -> "a " + n.getNodeId();
        };
    }

    private static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    private static int column(Node n) {
        return n.getStartMark().getColumn() + 1;
    }

    void error(Node at, String message) {
        Mark m = at.getStartMark();
        String flag = SpecOverride.flagOf(m);
        if (flag != null) {
            // The value came from the command line: name the flag instead of a place in the file.
            errors.add(new SpecError(file, 0, 0, flag + ": " + message));
        } else {
            errorAt(m.getLine() + 1, m.getColumn() + 1, message);
        }
    }

    /** "line N" for a node of the file, or the flag that set it. */
    static String place(Node n) {
        String flag = SpecOverride.flagOf(n.getStartMark());
        return flag != null ? flag : "line " + line(n);
    }

    private void errorAt(int line, int column, String message) {
        errors.add(new SpecError(file, line, column, message));
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
        return Map.copyOf(home);
    }
}
