package io.krunctl.vmm.fsdev;

import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.ResourceLimits;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.FileSystem;
import io.krunctl.virtiofs.fs.GuestExitListener;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fs.PassthroughConfig;
import io.krunctl.virtiofs.fs.PassthroughFs;
import io.krunctl.virtiofs.fs.PassthroughFsRo;
import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.virtiofs.fuse.FuseServer;
import io.krunctl.virtiofs.vhostuser.RequestHandler;
import io.krunctl.virtiofs.vhostuser.VhostUserFsBackend;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.qemu.QemuCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Every virtio-fs device of one VM: the root device ({@link AugmentFs} over {@link NullFs},
 * {@link PassthroughFs} or {@link PassthroughFsRo}) and one device per virtio-fs mount (a passthrough,
 * under an {@link AugmentFs} of its own when the mount has virtual files), each with its
 * own {@link InodeAllocator}, {@link FuseServer} and vhost-user back-end on a socket of its own.
 *
 * <p>{@link #open} opens the filesystems, {@link #listen} starts serving them, and {@link #close()}
 * stops every back-end before it closes the filesystems' descriptors, so that no request still
 * running can use a descriptor after it is closed.
 */
public final class FsDevices implements AutoCloseable {
    /** The virtio-fs tag of the N-th virtio-fs mount: {@code krunctl-mnt0}, {@code krunctl-mnt1}... */
    public static final String MOUNT_TAG_PREFIX = "krunctl-mnt";

    private static final Logger LOG = LogManager.getLogger(FsDevices.class);

    /**
     * One virtio-fs mount's device as QEMU and the guest see it.
     *
     * @param mount  what the spec asked for
     * @param tag    the virtio-fs tag the guest mounts
     * @param socket the vhost-user socket QEMU connects to
     */
    public record Share(MountConfig.VirtioFs mount, String tag, Path socket) {
        public QemuCommand.VirtioFsShare qemu() {
            return new QemuCommand.VirtioFsShare(tag, socket);
        }
    }

    /** Device worker threads per device: one may block in a slow request while another serves. */
    private static final int WORKERS = 2;

    private final AutoCloseable rootInner;
    private final FuseServer root;
    private final List<Share> shares;
    /** The passthrough filesystem of each mount, whose descriptors {@link #close()} closes. */
    private final List<FileSystem> mountFileSystems;
    /** What each mount's device serves: its passthrough, or an {@link AugmentFs} over it. */
    private final List<FileSystem> mountsServed;
    private final List<VhostUserFsBackend> backends = new ArrayList<>();

    private FsDevices(AutoCloseable rootInner, FuseServer root, List<Share> shares, List<FileSystem> mounts,
            List<FileSystem> served) {
        this.rootInner = rootInner;
        this.root = root;
        this.shares = shares;
        this.mountFileSystems = mounts;
        this.mountsServed = served;
    }

    /** The tag of the {@code index}-th virtio-fs mount (tmpfs mounts are not counted). */
    public static String mountTag(int index) {
        return MOUNT_TAG_PREFIX + index;
    }

    /** The virtio-fs mounts of {@code config}, with their tags and sockets in {@code runtimeDir}. */
    public static List<Share> shares(VmConfig config, Path runtimeDir) {
        List<Share> out = new ArrayList<>();
        for (MountConfig m : config.mounts()) {
            if (m instanceof MountConfig.VirtioFs v) {
                int n = out.size();
                out.add(new Share(v, mountTag(n), runtimeDir.resolve("mnt" + n + ".sock")));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Whether the root has no directory {@code name} at its top, so that the root device must offer
     * a virtual one (always for a NullFs root; for a host directory, when it lacks that directory).
     */
    public static boolean lacksDirectory(RootConfig root, String name) {
        return switch (root) {
            case RootConfig.NullFs n -> true;
            case RootConfig.BlockDevice b -> true; // the root device is a NullFs until the init pivots
            case RootConfig.Dir d -> !Files.isDirectory(d.path().resolve(name), LinkOption.NOFOLLOW_LINKS);
        };
    }

    /**
     * Opens every filesystem: the root's inner one under {@link AugmentFs} with {@code rootEntries}
     * and {@code exitListener}, and a passthrough per virtio-fs mount. Raises this process's open-file
     * limit first: each passthrough holds a descriptor per inode the guest knows.
     *
     * @param shares the mounts' devices, as {@link #shares} planned them
     * @throws VmmException if a directory cannot be served
     */
    public static FsDevices open(VmConfig config, List<Share> shares, Map<String, VirtualEntry> rootEntries,
            GuestExitListener exitListener) throws VmmException {
        long limit = raiseOpenFileLimit();
        int passthroughs = shares.size() + (config.root() instanceof RootConfig.Dir ? 1 : 0);
        int budget = descriptorBudget(limit, passthroughs);
        InodeAllocator rootInodes = new InodeAllocator();
        FileSystem inner = switch (config.root()) {
            case RootConfig.NullFs n -> new NullFs();
            case RootConfig.BlockDevice b -> new NullFs(); // carries the init; the disk becomes /
            case RootConfig.Dir d -> passthrough(d.path(), d.readOnly(),
                    PassthroughConfig.of(d.cache()).withDeviceNodes(d.devices()).withMaxDescriptors(budget), rootInodes,
                    "the root directory");
        };
        List<FileSystem> mounts = new ArrayList<>();
        // What each mount's device serves: its passthrough, or virtual files over it.
        List<FileSystem> served = new ArrayList<>();
        try {
            for (Share s : shares) {
                MountConfig.VirtioFs m = s.mount();
                InodeAllocator inodes = new InodeAllocator();
                FileSystem share = passthrough(m.source(), m.readOnly(),
                        PassthroughConfig.of(m.cache()).withDeviceNodes(m.devices()).withMaxDescriptors(budget), inodes,
                        "the directory for " + m.destination());
                mounts.add(share);
                served.add(m.files().isEmpty() ? share : AugmentFs.overMount(share, inodes, RootEntries.ofMount(m)));
            }
        } catch (VmmException e) {
            mounts.forEach(FsDevices::closeQuietly);
            closeQuietly(inner);
            throw e;
        }
        FuseServer root = new FuseServer(new AugmentFs(inner, rootInodes, rootEntries, exitListener));
        return new FsDevices(inner instanceof AutoCloseable c ? c : () -> {}, root, shares, List.copyOf(mounts),
                List.copyOf(served));
    }

    private static FileSystem passthrough(Path dir, boolean readOnly, PassthroughConfig config, InodeAllocator inodes,
            String what) throws VmmException {
        if (!Files.isDirectory(dir)) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION,
                    "cannot share " + dir + " as " + what + ": " + (Files.exists(dir) ? "not a directory"
                            : "No such file or directory"));
        }
        try {
            FileSystem fs = readOnly ? new PassthroughFsRo(dir, inodes, config) : new PassthroughFs(dir, inodes, config);
            LOG.debug("sharing {} as {} ({}, cache {}{})", dir, what, readOnly ? "read-only" : "read-write",
                    config.cache(), config.deviceNodes() ? ", device nodes" : "");
            return fs;
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION,
                    "cannot share " + dir + " as " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Descriptors kept for the process itself whatever the guests do: the JVM's jars and sockets,
     * each device's vhost-user socket, memory regions, and a kick, call and error eventfd per ring.
     */
    static final long RESERVED_DESCRIPTORS = 1024;
    /** The open-file limit assumed when the process cannot read its own: Linux's default soft one. */
    private static final long FALLBACK_OPEN_FILES = 1024;
    /** The least a share gets, however many there are. */
    static final int MIN_DESCRIPTORS_PER_SHARE = 64;

    /**
     * The descriptors each of {@code shares} passthrough filesystems may hold for its guest: an even
     * share of the open-file {@code limit} less {@link #RESERVED_DESCRIPTORS}, so that no guest can
     * starve the devices (its own, or another share's) of the descriptors they need to go on.
     */
    static int descriptorBudget(long limit, int shares) {
        if (limit == ResourceLimits.INFINITY) {
            return PassthroughConfig.UNBOUNDED;
        }
        long each = (limit - RESERVED_DESCRIPTORS) / Math.max(1, shares);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_DESCRIPTORS_PER_SHARE, each));
    }

    /** Raises the open-file limit to its hard limit, and answers it (the soft one if it cannot). */
    private static long raiseOpenFileLimit() {
        try {
            long limit = ResourceLimits.raiseOpenFilesToHardLimit();
            LOG.debug("open-file limit: {}", limit);
            return limit;
        } catch (NativeException e) {
            LOG.warn("cannot raise the open-file limit: {}", e.getMessage());
            try {
                return ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE).soft();
            } catch (NativeException again) {
                return FALLBACK_OPEN_FILES;
            }
        }
    }

    public List<Share> shares() {
        return shares;
    }

    /** The name users know the root device by in messages; a mount's is its destination. */
    public static final String ROOT_SHARE = "root";

    /**
     * Starts listening on the root device's socket and every mount's (QEMU connects when it
     * starts).
     *
     * @param onFatal      told if a device gives up; the VM is then stopped
     * @param onDisconnect told a device's name ({@link #ROOT_SHARE} or the mount's destination) and
     *                     why, when its connection ends without the device ending it: QEMU exiting,
     *                     or the connection lost under a running QEMU
     */
    public void listen(Path rootSocket, Consumer<Throwable> onFatal, BiConsumer<String, String> onDisconnect)
            throws IOException {
        listen(ROOT_SHARE, rootSocket, root, onFatal, onDisconnect);
        for (int i = 0; i < shares.size(); i++) {
            Share share = shares.get(i);
            listen(share.mount().destination(), share.socket(), new FuseServer(mountsServed.get(i)), onFatal,
                    onDisconnect);
        }
    }

    private void listen(String name, Path socket, FuseServer server, Consumer<Throwable> onFatal,
            BiConsumer<String, String> onDisconnect) throws IOException {
        VhostUserFsBackend backend = VhostUserFsBackend.listen(socket, RequestHandler.serving(server), WORKERS,
                onFatal);
        backends.add(backend);
        backend.disconnected().thenAccept(why -> onDisconnect.accept(name, why));
    }

    /** Stops every device, then closes every filesystem's descriptors. Idempotent. */
    @Override
    public void close() {
        backends.forEach(VhostUserFsBackend::close);
        backends.clear();
        mountFileSystems.forEach(FsDevices::closeQuietly);
        closeQuietly(rootInner);
    }

    private static void closeQuietly(Object fs) {
        if (fs instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("cannot close {}: {}", fs, e.getMessage());
            }
        }
    }
}
