package io.krunctl.vmm.fsdev;

import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.InitChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.guest.GuestEnvironment;
import io.krunctl.vmm.guest.KrunConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the tree of virtual entries injected into the root device: the guest init, its config, the
 * mount points a NullFs root needs, and the spec's files with every missing parent directory.
 */
public final class RootEntries {
    /** Directories the init mounts kernel filesystems on; a NullFs root has nothing else to offer. */
    public static final List<String> MOUNT_POINTS = List.of("dev", "proc", "sys");
    private static final int DIR_MODE = 0755;

    private final Dir root = new Dir();

    /** The guest init's path: the kernel (or an initramfs's stage 0) runs it as PID 1. */
    public static final String INIT_PATH = "/init.krun";

    /** Where the init finds the guest agent it starts beside the workload. */
    public static final String AGENT_PATH = "/.krun_agent";

    /**
     * The root device's virtual entries for {@code config}: the init ({@code init}, one-shot; the
     * host file {@link VmConfig#init()} names, persistent so that a script's interpreter can open it;
     * or none when it is disabled and {@code files} give {@code /init.krun}), its configuration
     * (one-shot), the guest agent, the mount points the root lacks, the mount destinations, the
     * directories the guest environment needs, the spec's files and a generated
     * {@code resolv.conf}.
     *
     * @throws VmmException if a host file cannot be read or two entries collide
     */
    public static Map<String, VirtualEntry> of(VmConfig config, byte[] init, byte[] agent) throws VmmException {
        RootEntries entries = new RootEntries();
        try {
            switch (config.init()) {
                case InitChoice.Bundled b -> entries.file(INIT_PATH, init, 0755, true);
                // Not one-shot: a script's interpreter opens it again by name after the kernel's exec.
                case InitChoice.HostFile host -> entries.file(INIT_PATH, read(host.path(), "the init"), 0755, false);
                case InitChoice.Disabled d -> { }
            }
            // Not one-shot: the init opens it once, but a later look-up must not find a hole.
            entries.file(AGENT_PATH, agent, 0555, false);
            entries.file("/" + KrunConfigJson.FILE_NAME, KrunConfigJson.encode(config.process(), config.mounts(),
                    config.root() instanceof RootConfig.Dir d && d.readOnly()), 0444, true);
            for (String mountPoint : MOUNT_POINTS) {
                if (FsDevices.lacksDirectory(config.root(), mountPoint)) {
                    entries.directory("/" + mountPoint);
                }
            }
            // Mount points exist even on a read-only root; over a host directory that has them, a
            // virtual directory only carries its virtual children (AugmentFs grafts them).
            for (MountConfig mount : config.mounts()) {
                entries.directory(mount.destination());
            }
            for (String dir : GuestEnvironment.rootDirectories(config)) {
                entries.directory(dir);
            }
            for (VirtualFile file : config.files()) {
                entries.file(file.guestPath(), contentOf(file), file.mode(), file.oneShot());
            }
            Optional<VirtualFile> resolvConf = GuestEnvironment.resolvConf(config);
            if (resolvConf.isPresent()) {
                VirtualFile file = resolvConf.get();
                entries.file(file.guestPath(), contentOf(file), file.mode(), file.oneShot());
            }
        } catch (IllegalArgumentException e) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION, e.getMessage(), e);
        }
        return entries.build();
    }

    /**
     * The virtual entries of a virtio-fs mount's device: its {@code files}, at their paths inside the
     * shared directory, with every missing parent directory (the root device's builder, used for
     * another device's tree).
     *
     * @throws VmmException if a host file cannot be read or two entries collide
     */
    public static Map<String, VirtualEntry> ofMount(MountConfig.VirtioFs mount) throws VmmException {
        RootEntries entries = new RootEntries();
        try {
            for (VirtualFile file : mount.files()) {
                entries.file(mount.pathInShare(file), contentOf(file), file.mode(), file.oneShot());
            }
        } catch (IllegalArgumentException e) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION, e.getMessage(), e);
        }
        return entries.build();
    }

    private static byte[] contentOf(VirtualFile file) throws VmmException {
        return switch (file.content()) {
            case VirtualFile.Content.Inline inline -> inline.bytes();
            case VirtualFile.Content.HostFile host -> read(host.path(), file.guestPath());
        };
    }

    private static byte[] read(java.nio.file.Path path, String forWhat) throws VmmException {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION,
                    "cannot read " + path + " for " + forWhat + ": " + e.getMessage(), e);
        }
    }

    /** Adds a file at {@code absolutePath}, creating virtual parent directories as needed. */
    public RootEntries file(String absolutePath, byte[] data, int mode, boolean oneShot) {
        String[] parts = split(absolutePath);
        Dir dir = root;
        for (int i = 0; i < parts.length - 1; i++) {
            dir = dir.subdirectory(parts[i], absolutePath);
        }
        String leaf = parts[parts.length - 1];
        if (dir.children.containsKey(leaf)) {
            throw new IllegalArgumentException(absolutePath + " is given twice or is also a directory");
        }
        dir.children.put(leaf, VirtualEntry.file(data, mode, oneShot));
        return this;
    }

    /** Adds an empty directory at {@code absolutePath} (no error if it exists as a directory). */
    public RootEntries directory(String absolutePath) {
        Dir dir = root;
        for (String part : split(absolutePath)) {
            dir = dir.subdirectory(part, absolutePath);
        }
        return this;
    }

    /** The root's children, ready for {@code AugmentFs}. */
    public Map<String, VirtualEntry> build() {
        return root.toEntries();
    }

    private static String[] split(String absolutePath) {
        if (!absolutePath.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute path: " + absolutePath);
        }
        String[] parts = absolutePath.substring(1).split("/");
        for (String part : parts) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("not a normalized path: " + absolutePath);
            }
        }
        return parts;
    }

    /** A directory under construction: insertion-ordered children, either files or directories. */
    private static final class Dir {
        final Map<String, Object> children = new LinkedHashMap<>();

        Dir subdirectory(String name, String forPath) {
            Object existing = children.computeIfAbsent(name, n -> new Dir());
            if (existing instanceof Dir d) {
                return d;
            }
            throw new IllegalArgumentException(forPath + " needs " + name + " to be a directory, but it is a file");
        }

        Map<String, VirtualEntry> toEntries() {
            Map<String, VirtualEntry> out = new LinkedHashMap<>();
            children.forEach((name, child) -> out.put(name, child instanceof Dir d
                    ? VirtualEntry.directory(d.toEntries(), DIR_MODE)
                    : (VirtualEntry) child));
            return out;
        }
    }
}
