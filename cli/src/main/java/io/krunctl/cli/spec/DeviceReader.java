package io.krunctl.cli.spec;

import static io.krunctl.cli.spec.SpecRules.FSTYPE;
import static io.krunctl.cli.spec.SpecRules.LIMIT;
import static io.krunctl.cli.spec.SpecRules.MAX_DISKS;
import static io.krunctl.cli.spec.SpecRules.MAX_NOFILE;
import static io.krunctl.cli.spec.SpecRules.MOUNT_FLAG_WORDS;
import static io.krunctl.cli.spec.SpecRules.MOUNT_OPTIONS;
import static io.krunctl.cli.spec.SpecRules.NETWORK_MODES;
import static io.krunctl.cli.spec.SpecRules.PORT_FORWARD;
import static io.krunctl.cli.spec.SpecRules.RLIMIT_NAMES;

import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.Rlimit;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the spec fields that become devices and limits of the guest: {@code root.disk},
 * {@code disks}, {@code network} and {@code process.rlimits}. It records its errors through the
 * same {@link NodeReader} as {@link SpecReader}, so they carry the same positions and sort the same way.
 *
 * <p>The values that travel on the guest kernel's command line (a block root's filesystem type and
 * options) are limited by {@link SpecRules} to characters that cannot split into more kernel parameters.
 */
final class DeviceReader {

    private static final List<String> LIMIT_KEYS = List.of("soft", "hard");
    private static final BigInteger MAX_FINITE_LIMIT = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.TWO);

    private final NodeReader nodes;
    /** Every disk image given so far, by its real path, with where it was given. */
    private final Map<Path, Node> images = new HashMap<>();

    DeviceReader(NodeReader nodes) {
        this.nodes = nodes;
    }

    // ---- root.disk -----------------------------------------------------------------------------

    /** {@code root.disk}; {@code null} after recording an error. */
    RootConfig.BlockDevice rootDisk(NodeTuple kind) {
        Node value = kind.getValueNode();
        String where = "root.disk";
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, where + ": expected a mapping like {path: ./root.ext4}, got " + NodeReader.describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, SpecModel.ROOT_DISK.keys());
        boolean readOnly = false;
        boolean ok = true;
        NodeTuple readOnlyField = fields.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = nodes.bool(readOnlyField.getValueNode(), where + ".readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        NodeTuple pathField = nodes.required(fields, "path", map, where, "; name the image, e.g. 'path: ./root.ext4'");
        Path path = pathField == null ? null : image(pathField.getValueNode(), where + ".path", readOnly);
        ok &= path != null;

        Optional<String> fstype = Optional.empty();
        NodeTuple fstypeField = fields.get("fstype");
        if (fstypeField != null) {
            String expected = "a filesystem type like ext4, or auto";
            String v = nodes.scalar(fstypeField.getValueNode(), where + ".fstype", expected);
            if (v != null && FSTYPE.matcher(v).matches()) {
                fstype = v.equals("auto") ? Optional.empty() : Optional.of(v);
            } else {
                if (v != null) {
                    nodes.error(fstypeField.getValueNode(), where + ".fstype: expected " + expected + ", got "
                            + Text.quote(v));
                }
                ok = false;
            }
        }

        String options = "";
        NodeTuple optionsField = fields.get("options");
        if (optionsField != null) {
            String v = nodes.scalar(optionsField.getValueNode(), where + ".options", "mount options like \"noatime\"");
            String flag = v == null ? null
                    : Arrays.stream(v.split(",")).filter(MOUNT_FLAG_WORDS::contains).findFirst().orElse(null);
            if (flag != null) {
                nodes.error(optionsField.getValueNode(), where + ".options: " + Text.quote(flag) + " is a mount flag,"
                        + " which the guest init cannot pass (it gives the options to the filesystem as mount data);"
                        + " give filesystem options only, like commit=60 or errors=remount-ro");
                ok = false;
            } else if (v != null && MOUNT_OPTIONS.matcher(v).matches()) {
                options = v;
            } else {
                if (v != null) {
                    nodes.error(optionsField.getValueNode(), where + ".options: expected mount options like"
                            + " \"commit=60,errors=remount-ro\" of letters, digits and _ . , : = / + @ % - (they travel"
                            + " unquoted on the guest kernel's command line), got " + Text.quote(v));
                }
                ok = false;
            }
        }
        return ok ? new RootConfig.BlockDevice(new Disk(path, readOnly), fstype, options) : null;
    }

    // ---- disks ---------------------------------------------------------------------------------

    /** {@code disks}; {@code null} after recording an error. */
    List<Disk> disks(NodeTuple field) {
        List<Disk> out = new ArrayList<>();
        List<Node> items = nodes.items(field, "disks: expected a list of disk images like [{path: ./data.img}]");
        if (items == null) {
            return null;
        }
        if (items.size() > MAX_DISKS) {
            nodes.error(items.get(MAX_DISKS), "disks: at most " + MAX_DISKS + " images, got " + items.size());
            return null;
        }
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            Disk d = disk(items.get(i), "disks[" + i + "]");
            ok &= d != null;
            if (d != null) {
                out.add(d);
            }
        }
        return ok ? out : null;
    }

    private Disk disk(Node entry, String where) {
        if (!(entry instanceof MappingNode map)) {
            nodes.error(entry, where + ": expected a mapping like {path: ./data.img}, got " + NodeReader.describe(entry));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, SpecModel.DISKS.keys());
        boolean ok = true;
        boolean readOnly = false;
        NodeTuple readOnlyField = fields.get("readOnly");
        if (readOnlyField != null) {
            Boolean b = nodes.bool(readOnlyField.getValueNode(), where + ".readOnly");
            ok &= b != null;
            readOnly = Boolean.TRUE.equals(b);
        }
        NodeTuple pathField = nodes.required(fields, "path", map, where, "");
        Path path = pathField == null ? null : image(pathField.getValueNode(), where + ".path", readOnly);
        return ok && path != null ? new Disk(path, readOnly) : null;
    }

    /**
     * A disk image: a readable regular file, writable unless read-only, not given before.
     *
     * @return its absolute path, or {@code null} after recording an error
     */
    private Path image(Node value, String field, boolean readOnly) {
        Path path = nodes.hostFile(value, field, "a host path to a disk image");
        if (path == null) {
            return null;
        }
        if (!readOnly && !Files.isWritable(path)) {
            nodes.error(value, field + ": cannot write host file " + path
                    + ": Permission denied; add 'readOnly: true' to give the guest a read-only disk");
            return null;
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            real = path;
        }
        Node first = images.putIfAbsent(real, value);
        if (first != null) {
            nodes.error(value, field + ": the image " + path + " is already a disk (" + NodeReader.place(first)
                    + "); QEMU would refuse to open it twice");
            return null;
        }
        return path;
    }

    // ---- network -------------------------------------------------------------------------------

    /** {@code network}; {@code null} after recording an error. */
    NetworkConfig network(NodeTuple field) {
        if (field == null) {
            return NetworkConfig.none();
        }
        Node value = field.getValueNode();
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, "network: expected a mapping like {mode: user}, got " + NodeReader.describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, "network", SpecModel.NETWORK.keys());
        boolean ok = true;
        NetworkConfig.Mode mode = NetworkConfig.Mode.NONE;
        NodeTuple modeField = fields.get("mode");
        if (modeField != null) {
            String v = nodes.scalar(modeField.getValueNode(), "network.mode", "none or user");
            if (v != null && NETWORK_MODES.contains(v)) {
                mode = v.equals("user") ? NetworkConfig.Mode.USER : NetworkConfig.Mode.NONE;
            } else {
                if (v != null) {
                    String guess = Text.didYouMean(v, NETWORK_MODES);
                    nodes.error(modeField.getValueNode(), "network.mode: expected none or user, got "
                            + NodeReader.describe(modeField.getValueNode())
                            + (guess == null ? "" : "; did you mean '" + guess + "'?"));
                }
                ok = false;
            }
        }
        List<NetworkConfig.PortForward> ports = new ArrayList<>();
        NodeTuple portsField = fields.get("ports");
        if (portsField != null) {
            ok &= ports(portsField.getValueNode(), ports);
            if (ok && mode != NetworkConfig.Mode.USER && !ports.isEmpty()) {
                nodes.error(portsField.getKeyNode(), "network.ports: forwards need the user-mode network;"
                        + " add 'mode: user'");
                ok = false;
            }
        }
        return ok ? new NetworkConfig(mode, ports) : null;
    }

    private boolean ports(Node value, List<NetworkConfig.PortForward> out) {
        String expected = "a list of port forwards like [\"8080:80\"]";
        if (!(value instanceof SequenceNode list)) {
            nodes.error(value, "network.ports: expected " + expected + ", got " + NodeReader.describe(value));
            return false;
        }
        boolean ok = true;
        Map<Integer, Node> hostPorts = new LinkedHashMap<>();
        for (int i = 0; i < list.getValue().size(); i++) {
            Node item = list.getValue().get(i);
            String where = "network.ports[" + i + "]";
            String v = nodes.scalar(item, where, "a port forward like \"8080:80\"");
            if (v == null) {
                ok = false;
                continue;
            }
            NetworkConfig.PortForward p = portForward(v);
            if (p == null) {
                String hint = v.matches("[0-9]{1,5}") ? "; did you mean \"" + v + ":" + v + "\"?" : "";
                nodes.error(item, where + ": expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to 65535,"
                        + " optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got " + Text.quote(v) + hint);
                ok = false;
                continue;
            }
            Node first = hostPorts.putIfAbsent(p.hostPort(), item);
            if (first != null) {
                nodes.error(item, where + ": host port " + p.hostPort() + " is already forwarded ("
                        + NodeReader.place(first) + ")");
                ok = false;
                continue;
            }
            out.add(p);
        }
        return ok;
    }

    /** {@code [ADDRESS:]HOSTPORT:GUESTPORT}, or {@code null}. */
    static NetworkConfig.PortForward portForward(String text) {
        Matcher m = PORT_FORWARD.matcher(text);
        if (!m.matches()) {
            return null;
        }
        String address = m.group(1) == null ? NetworkConfig.LOOPBACK : m.group(1);
        int host = Integer.parseInt(m.group(2));
        int guest = Integer.parseInt(m.group(3));
        if (!NetworkConfig.PortForward.isIpv4(address) || host < 1 || host > 65535 || guest < 1 || guest > 65535) {
            return null;
        }
        return new NetworkConfig.PortForward(address, host, guest);
    }

    // ---- process.rlimits -----------------------------------------------------------------------

    /** {@code process.rlimits}; {@code null} after recording an error. */
    List<Rlimit> rlimits(Node value) {
        String where = "process.rlimits";
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, where + ": expected a mapping like {nofile: {soft: 1024, hard: 4096}}, got "
                    + NodeReader.describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, RLIMIT_NAMES);
        boolean ok = fields.size() == map.getValue().size();
        List<Rlimit> out = new ArrayList<>();
        for (Map.Entry<String, NodeTuple> e : fields.entrySet()) {
            Rlimit r = rlimit(Rlimit.Resource.valueOf(e.getKey().toUpperCase(java.util.Locale.ROOT)),
                    e.getValue().getValueNode(), where + "." + e.getKey());
            ok &= r != null;
            if (r != null) {
                out.add(r);
            }
        }
        return ok ? out : null;
    }

    private Rlimit rlimit(Rlimit.Resource resource, Node value, String where) {
        if (!(value instanceof MappingNode map)) {
            nodes.error(value, where + ": expected {soft: LIMIT, hard: LIMIT}, got " + NodeReader.describe(value));
            return null;
        }
        Map<String, NodeTuple> fields = nodes.fields(map, where, LIMIT_KEYS);
        NodeTuple softField = nodes.required(fields, "soft", map, where, "");
        NodeTuple hardField = nodes.required(fields, "hard", map, where, "");
        Long soft = softField == null ? null : limit(resource, softField.getValueNode(), where + ".soft");
        Long hard = hardField == null ? null : limit(resource, hardField.getValueNode(), where + ".hard");
        if (soft == null || hard == null || fields.size() != map.getValue().size()) {
            return null;
        }
        if (Long.compareUnsigned(soft, hard) > 0) {
            nodes.error(softField.getValueNode(), where + ": the soft limit " + text(soft)
                    + " is above the hard limit " + text(hard));
            return null;
        }
        return new Rlimit(resource, soft, hard);
    }

    /** A limit: a decimal number or {@code unlimited}; {@code null} after recording an error. */
    private Long limit(Rlimit.Resource resource, Node value, String where) {
        String expected = "a whole number or unlimited";
        String v = nodes.scalar(value, where, expected);
        if (v == null) {
            return null;
        }
        long limit;
        if (!LIMIT.matcher(v).matches() || (!v.equals("unlimited") && new BigInteger(v).compareTo(MAX_FINITE_LIMIT) > 0)) {
            nodes.error(value, where + ": expected " + expected + ", got " + NodeReader.describe(value));
            return null;
        }
        limit = v.equals("unlimited") ? Rlimit.UNLIMITED : Long.parseUnsignedLong(v);
        if (resource == Rlimit.Resource.NOFILE && Long.compareUnsigned(limit, MAX_NOFILE) > 0) {
            nodes.error(value, where + ": expected at most " + MAX_NOFILE + " (the guest kernel's fs.nr_open), got "
                    + NodeReader.describe(value));
            return null;
        }
        return limit;
    }

    private static String text(long limit) {
        return limit == Rlimit.UNLIMITED ? "unlimited" : Long.toUnsignedString(limit);
    }
}
