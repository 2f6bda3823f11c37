package io.krunctl.cli.oci;

import io.krunctl.cli.spec.MemorySize;
import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.guest.GuestEnvironment;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * From an OCI {@code config.json} to the VM that runs it: the mapping table of {@code krunctl-oci(7)}.
 * What a VM cannot honour is refused with one line naming the key; what a VM makes moot (the
 * namespaces, cgroups, capabilities, seccomp and masked paths that confine a container on a shared
 * kernel) is ignored, since the VM is the boundary.
 */
public final class BundleMapping {
    /** The annotation that sets the number of virtual CPUs. */
    public static final String CPUS_ANNOTATION = "krunctl.cpus";
    /** The annotation that sets the guest's memory, as the spec's {@code memory} (512Mi, 1Gi). */
    public static final String MEMORY_ANNOTATION = "krunctl.memory";
    static final int DEFAULT_CPUS = 1;
    static final long DEFAULT_MEMORY = 512 * VmConfig.MIB;
    /** The least memory a {@code --memory} limit gives the VM: the guest kernel and init need some. */
    static final long MIN_MEMORY = 128 * VmConfig.MIB;
    static final int MAX_CPUS = 64;

    private static final String RESOLV_CONF = GuestEnvironment.RESOLV_CONF;
    private static final Pattern HOSTNAME =
            Pattern.compile("(?=.{1,64}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern ENV = Pattern.compile("([^=]+)=(.*)", Pattern.DOTALL);
    private static final Pattern TMPFS_SIZE = Pattern.compile("size=([0-9]{1,18})([kKmMgG]?)");

    /**
     * The file systems a container runtime mounts on a shared kernel that the guest init already
     * provides in the VM (its own /proc, /sys, /dev, /dev/pts and /dev/shm), by destination.
     */
    private static final Map<String, Set<String>> PROVIDED_BY_THE_INIT = Map.of(
            "/proc", Set.of("proc"),
            "/sys", Set.of("sysfs"),
            "/dev", Set.of("tmpfs", "devtmpfs"),
            "/dev/pts", Set.of("devpts"),
            "/dev/shm", Set.of("bind", "tmpfs", "shm"),
            "/dev/mqueue", Set.of("mqueue"),
            "/sys/fs/cgroup", Set.of("cgroup", "cgroup2"));

    /** The device nodes every container gets; the guest's devtmpfs has its own. */
    private static final Set<String> STANDARD_DEVICES = Set.of("/dev/null", "/dev/zero", "/dev/full",
            "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx", "/dev/console", "/dev/fuse", "/dev/net/tun");

    /**
     * A container ready to be booted.
     *
     * @param vm       the VM
     * @param terminal whether the process wants a terminal ({@code process.terminal})
     */
    public record Container(VmConfig vm, boolean terminal) {}

    private BundleMapping() {}

    /**
     * Maps {@code config}, read from the bundle directory {@code bundle}, for the container {@code id}.
     *
     * @throws OciException naming the first key that cannot be honoured, and why
     */
    public static Container map(OciConfig config, Path bundle, String id) throws OciException {
        if (config.process() == null) {
            throw new OciException("config.json: process is missing; a container needs a program to run");
        }
        ProcessConfig process = process(config.process());
        RootConfig.Dir root = root(config.root(), bundle);
        List<VirtualFile> files = new ArrayList<>();
        List<MountConfig> mounts = new ArrayList<>();
        NetworkConfig network = network(config.linux());
        mounts(config.mounts(), files, mounts, network);
        devices(config.linux());
        if (config.hooks() != null && config.hooks().values().stream().anyMatch(BundleMapping::nonEmpty)) {
            throw new OciException("config.json: hooks are not supported: krunctl runs the container in a VM, where"
                    + " a host hook cannot reach it");
        }
        Map<String, String> annotations = config.annotations() == null ? Map.of() : config.annotations();
        String hostname = config.hostname() == null || config.hostname().isEmpty()
                ? id.substring(0, Math.min(12, id.length())) : config.hostname();
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new OciException("config.json: hostname \"" + hostname + "\" is not a host name (letters, digits,"
                    + " '-' and '.', at most 64 characters)");
        }
        try {
            VmConfig vm = VmConfig.builder(vmName(id), root, process)
                    .cpus(cpus(annotations, config.linux()))
                    .memoryBytes(memory(annotations, config.linux()))
                    .hostname(hostname)
                    .files(files)
                    .mounts(mounts)
                    .network(network)
                    .build();
            return new Container(vm, config.process().isTerminal());
        } catch (IllegalArgumentException e) {
            throw new OciException("config.json: " + e.getMessage());
        }
    }

    /** The VM's label: QEMU's process name, which ps shows. */
    static String vmName(String id) {
        return "oci-" + id.substring(0, Math.min(12, id.length()));
    }

    /** Maps an OCI {@code process} (config.json's, or an exec's process.json). */
    public static ProcessConfig process(OciConfig.Process p) throws OciException {
        if (p.args() == null || p.args().isEmpty()) {
            throw new OciException("process.args is empty; name the program to run");
        }
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entries = p.env() == null ? List.of() : p.env();
        for (int i = 0; i < entries.size(); i++) {
            Matcher m = ENV.matcher(entries.get(i));
            if (!m.matches()) {
                throw new OciException("process.env[" + i + "] \"" + entries.get(i) + "\" is not NAME=VALUE");
            }
            env.put(m.group(1), m.group(2));
        }
        String cwd = p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd();
        if (!cwd.startsWith("/")) {
            throw new OciException("process.cwd \"" + cwd + "\" is not an absolute path");
        }
        List<Rlimit> rlimits = new ArrayList<>();
        for (OciConfig.Rlimit r : p.rlimits() == null ? List.<OciConfig.Rlimit>of() : p.rlimits()) {
            rlimits.add(rlimit(r));
        }
        try {
            return new ProcessConfig(p.args(), env, cwd, rlimits, user(p.user()));
        } catch (IllegalArgumentException e) {
            throw new OciException("process: " + e.getMessage());
        }
    }

    private static Optional<ProcessConfig.User> user(OciConfig.User u) throws OciException {
        if (u == null) {
            return Optional.empty();
        }
        if (u.uid() == null || u.gid() == null) {
            throw new OciException("process.user: uid and gid are required");
        }
        try {
            return Optional.of(new ProcessConfig.User(u.uid(), u.gid(),
                    u.additionalGids() == null ? List.of() : u.additionalGids(),
                    u.umask() == null ? OptionalInt.empty() : OptionalInt.of(Math.toIntExact(u.umask()))));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new OciException("process.user: " + e.getMessage());
        }
    }

    private static Rlimit rlimit(OciConfig.Rlimit r) throws OciException {
        String type = r.type() == null ? "" : r.type();
        Rlimit.Resource resource;
        try {
            resource = Rlimit.Resource.valueOf(type.replaceFirst("^RLIMIT_", ""));
        } catch (IllegalArgumentException e) {
            throw new OciException("process.rlimits: unknown type \"" + type + "\"; expected RLIMIT_NOFILE and the like");
        }
        try {
            return new Rlimit(resource, unsigned64(r.soft(), type), unsigned64(r.hard(), type));
        } catch (IllegalArgumentException e) {
            throw new OciException("process.rlimits: " + e.getMessage());
        }
    }

    private static long unsigned64(BigInteger value, String type) throws OciException {
        if (value == null || value.signum() < 0 || value.bitLength() > 64) {
            throw new OciException("process.rlimits " + type + ": a limit must be 0 to 18446744073709551615");
        }
        return value.longValue();
    }

    private static RootConfig.Dir root(OciConfig.Root root, Path bundle) throws OciException {
        if (root == null || root.path() == null || root.path().isEmpty()) {
            throw new OciException("config.json: root.path is missing; a container needs a root directory");
        }
        Path path = bundle.resolve(root.path()).toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            throw new OciException("config.json: root.path " + path + " is not a directory");
        }
        return new RootConfig.Dir(path, root.readonly(), CachePolicy.AUTO);
    }

    private static void mounts(List<OciConfig.Mount> list, List<VirtualFile> files, List<MountConfig> mounts,
            NetworkConfig network) throws OciException {
        if (list == null) {
            return;
        }
        for (OciConfig.Mount m : list) {
            String destination = m.destination();
            if (destination == null || !destination.startsWith("/")) {
                throw new OciException("mounts: destination \"" + destination + "\" is not an absolute path");
            }
            String type = m.type() == null || m.type().isEmpty()
                    ? (m.optionList().contains("bind") || m.optionList().contains("rbind") ? "bind" : "")
                    : m.type();
            if (PROVIDED_BY_THE_INIT.getOrDefault(destination, Set.of()).contains(type)) {
                continue;
            }
            try {
                switch (type) {
                    case "bind" -> bind(m, files, mounts, network);
                    case "tmpfs" -> mounts.add(new MountConfig.Tmpfs(destination, tmpfsSize(m.optionList())));
                    default -> throw new OciException("mounts: " + destination + ": a mount of type \"" + type
                            + "\" cannot be made in a VM; krunctl mounts directories (bind) and tmpfs");
                }
            } catch (IllegalArgumentException e) {
                throw new OciException("mounts: " + destination + ": " + e.getMessage());
            }
        }
    }

    /**
     * A bound file becomes a read-only virtual file with the host file's bytes at boot (podman's
     * /etc/hosts, /etc/resolv.conf, /etc/hostname, /run/.containerenv); a bound directory becomes a
     * virtio-fs share of its own.
     */
    private static void bind(OciConfig.Mount m, List<VirtualFile> files, List<MountConfig> mounts,
            NetworkConfig network) throws OciException {
        Path source = Path.of(m.source() == null ? "" : m.source());
        if (!source.isAbsolute()) {
            throw new OciException("mounts: " + m.destination() + ": the bind source \"" + m.source()
                    + "\" is not an absolute path");
        }
        boolean readOnly = m.optionList().contains("ro");
        if (Files.isDirectory(source)) {
            mounts.add(new MountConfig.VirtioFs(source, m.destination(), readOnly, CachePolicy.AUTO));
        } else if (Files.isRegularFile(source) && m.destination().equals(RESOLV_CONF)
                && network.mode() == NetworkConfig.Mode.USER) {
            files.add(new VirtualFile(RESOLV_CONF, new VirtualFile.Content.Inline(resolvConf(source)), mode(source), false));
        } else if (Files.isRegularFile(source)) {
            files.add(new VirtualFile(m.destination(), new VirtualFile.Content.HostFile(source), mode(source), false));
        } else if (Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new OciException("mounts: " + m.destination() + ": " + source + " is neither a file nor a"
                    + " directory; devices and sockets cannot be shared with a VM");
        } else {
            throw new OciException("mounts: " + m.destination() + ": the bind source " + source + " does not exist");
        }
    }

    /**
     * The engine's resolv.conf with QEMU's DNS forwarder last: the engine's servers are asked first
     * (the user-mode network reaches them through the host), and the guest init, finding the server
     * its DHCP lease names already listed, leaves the read-only file alone.
     */
    private static byte[] resolvConf(Path source) throws OciException {
        try {
            String text = Files.readString(source);
            if (!text.isEmpty() && !text.endsWith("\n")) {
                text += "\n";
            }
            return (text + "nameserver " + GuestEnvironment.USER_NETWORK_DNS + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new OciException("mounts: cannot read " + source + ": " + e.getMessage());
        }
    }

    private static int mode(Path file) throws OciException {
        try {
            int mode = 0;
            for (PosixFilePermission p : Files.getPosixFilePermissions(file)) {
                mode |= 1 << (8 - p.ordinal());
            }
            return mode;
        } catch (java.io.IOException e) {
            throw new OciException("mounts: cannot read " + file + ": " + e.getMessage());
        }
    }

    /** {@code size=N[kmg]} among tmpfs options; the kernel's default (half the RAM) without one. */
    static OptionalLong tmpfsSize(List<String> options) {
        for (String option : options) {
            Matcher m = TMPFS_SIZE.matcher(option);
            if (m.matches()) {
                long shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "k" -> 10;
                    case "m" -> 20;
                    case "g" -> 30;
                    default -> 0;
                };
                return OptionalLong.of(Long.parseLong(m.group(1)) << shift);
            }
        }
        return OptionalLong.empty();
    }

    private static void devices(OciConfig.Linux linux) throws OciException {
        if (linux == null || linux.devices() == null) {
            return;
        }
        for (OciConfig.Device d : linux.devices()) {
            if (!STANDARD_DEVICES.contains(d.path())) {
                throw new OciException("linux.devices: " + d.path() + ": host devices cannot be passed into a VM"
                        + " (--device); attach disks with a krunctl spec instead");
            }
        }
    }

    private static int cpus(Map<String, String> annotations, OciConfig.Linux linux) throws OciException {
        String text = annotations.get(CPUS_ANNOTATION);
        if (text != null) {
            try {
                int n = Integer.parseInt(text.trim());
                if (n >= 1 && n <= MAX_CPUS) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // Reported below with the range.
            }
            throw new OciException("annotation " + CPUS_ANNOTATION + "=\"" + text + "\": expected a whole number"
                    + " from 1 to " + MAX_CPUS);
        }
        OciConfig.Cpu cpu = linux == null || linux.resources() == null ? null : linux.resources().cpu();
        if (cpu != null && cpu.quota() != null && cpu.period() != null && cpu.quota() > 0 && cpu.period() > 0) {
            return (int) Math.min(MAX_CPUS, Math.max(1, (cpu.quota() + cpu.period() - 1) / cpu.period()));
        }
        return DEFAULT_CPUS;
    }

    private static long memory(Map<String, String> annotations, OciConfig.Linux linux) throws OciException {
        String text = annotations.get(MEMORY_ANNOTATION);
        if (text != null) {
            try {
                return MemorySize.parse(text.trim(), MemorySize.MIN_BYTES);
            } catch (IllegalArgumentException e) {
                throw new OciException("annotation " + MEMORY_ANNOTATION + "=\"" + text + "\": " + e.getMessage());
            }
        }
        OciConfig.Memory memory = linux == null || linux.resources() == null ? null : linux.resources().memory();
        if (memory != null && memory.limit() != null && memory.limit() > 0) {
            long mib = (memory.limit() + VmConfig.MIB - 1) / VmConfig.MIB;
            return Math.max(MIN_MEMORY, mib * VmConfig.MIB);
        }
        return DEFAULT_MEMORY;
    }

    /**
     * A container in a network namespace of its own without a path ({@code --network none}) gets no
     * network; any other gets QEMU's user-mode network, which reaches out through the host.
     */
    private static NetworkConfig network(OciConfig.Linux linux) {
        if (linux != null && linux.namespaces() != null) {
            for (OciConfig.Namespace ns : linux.namespaces()) {
                if ("network".equals(ns.type()) && (ns.path() == null || ns.path().isEmpty())) {
                    return NetworkConfig.none();
                }
            }
        }
        return new NetworkConfig(NetworkConfig.Mode.USER, List.of());
    }

    private static boolean nonEmpty(Object hookList) {
        return hookList instanceof List<?> l && !l.isEmpty();
    }
}
