package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.ConfinedOpener.component;
import static io.krunctl.virtiofs.fs.HostCall.check;
import static io.krunctl.virtiofs.fs.HostCall.error;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.FileStructs;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Statx;
import io.krunctl.virtiofs.fs.DirectoryListing.OpenDirectory;
import io.krunctl.virtiofs.fs.HandleTable.OpenFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A host directory served to the guest: libkrun's {@code PassthroughFs}, with the whole FUSE surface
 * a Linux guest uses for ordinary work.
 *
 * <h2>Inodes and confinement</h2>
 * Every inode is an {@code O_PATH|O_NOFOLLOW} descriptor, identified by (device, inode number,
 * mount id) from {@code statx}, so hard links are one inode and mount points inside the tree are
 * crossed (each mount's files are distinct; with {@link PassthroughConfig#announceSubmounts()} the
 * guest sees them as submounts). Every name operation is an {@code *at} call relative to the parent
 * inode's descriptor with one path component, which never leads out of the tree
 * ({@link ConfinedOpener}). Nothing follows a symlink: a symlink inode is the link itself, READLINK
 * reads its text, and OPEN refuses it (ELOOP). Files are opened for I/O by reopening their inode
 * through {@code /proc/self/fd/N} ({@link FileOpener}), only ever for regular files and directories:
 * devices, FIFOs and sockets in the tree are never opened on the host (ENXIO), whatever a guest
 * sends. Renames and links take both ends as inode descriptors inside the tree, so nothing can be
 * moved or linked across its boundary. The guest may not create device nodes unless
 * {@link PassthroughConfig#deviceNodes()} allows it (see there).
 *
 * <h2>Ownership</h2>
 * The guest kernel checks permissions itself (virtio-fs mounts with {@code default_permissions}).
 * When this process's effective uid is root, files, directories, nodes and symlinks the guest creates
 * are created with the caller's uid and gid as the thread's filesystem ids, with the file-system
 * capabilities kept, so ownership (including set-group-id directories) is exactly what the kernel
 * gives that user, atomically, and the host never refuses what the guest allowed (see
 * {@link Credentials}). Without root, files belong to this process's user, as in libkrun.
 *
 * <h2>Extended attributes</h2>
 * The guest's {@code trusted.*} and {@code security.*} attributes are stored as
 * {@code user.krunctl.trusted.*} and {@code user.krunctl.security.*} on the host, the host's own
 * attributes of those namespaces are hidden from the guest, and the guest may not use names under
 * {@code user.krunctl.} itself ({@link XattrNames}): no guest can set an attribute the host kernel
 * acts on (an overlayfs marker, a SELinux label, a file capability), whoever krunctl runs as.
 *
 * <h2>What the guest does not get</h2>
 * <ul>
 *   <li>POSIX and BSD locks: GETLK/SETLK answer ENOSYS and the lock capabilities are not requested,
 *       so the guest kernel keeps locks local. Correct for everything inside the one guest (SQLite
 *       included); a lock does not exclude host processes.</li>
 *   <li>FLUSH answers ENOSYS: the guest stops sending it. With no host locks to drop, a close has
 *       nothing to do here.</li>
 *   <li>IOCTL answers ENOTTY ({@link AugmentFs} handles the exit-code ioctl before it gets here).</li>
 *   <li>{@code O_DIRECT} is dropped from opens (guest buffers need not meet its alignment).</li>
 * </ul>
 *
 * <p>{@code HANDLE_KILLPRIV_V2}: set-user-id and (with group execute) set-group-id bits are cleared
 * on writes, truncating opens and truncations the guest flags (those of callers without
 * {@code CAP_FSETID}); a chown by this root process clears them on the host by itself. The guest's
 * file capability is removed on the same requests and on flagged chowns: under its mapped name the
 * host kernel does not know it as one ({@link AttributeChanges#dropCapability}). Otherwise set-id
 * bits are kept as the guest sets them: run as root, this lets a guest root make a set-user-id
 * root file in the tree, which host users who can reach the tree could run unless its mount is
 * {@code nosuid}.
 *
 * <p>Thread-safe: any number of worker threads may call it. Call it from platform threads (see
 * {@link Credentials}). {@link #close()} releases every descriptor once the device has stopped.
 * Every inode and handle a request uses is held by a lease ({@link InodeTable#pin},
 * {@link HandleTable#pin}) for exactly the request.
 */
public final class PassthroughFs implements FileSystem, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(PassthroughFs.class);

    private static final int RENAME_FLAGS = FileCalls.RENAME_NOREPLACE | FileCalls.RENAME_EXCHANGE
            | FileCalls.RENAME_WHITEOUT;
    private static final int NEG_ENOENT = -Errno.ENOENT.code();
    private static final int NEG_EEXIST = -Errno.EEXIST.code();

    private final Path rootPath;
    private final PassthroughConfig config;
    private final InodeTable inodes;
    private final HandleTable handles;
    private final DirectoryListing directories;
    /** {@code O_PATH} descriptor of {@code /proc/self/fd}: inodes are reopened relative to it. */
    private final int procSelfFd;
    private final ConfinedOpener names;
    private final AttributeChanges attributes;
    private final FileOpener opener;
    private final Credentials creds = Credentials.ofProcess();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean submounts;
    /**
     * Directories are listed without an open handle: OPENDIR answers ENOSYS, which a kernel that
     * offered {@link InitFlags#NO_OPENDIR_SUPPORT} takes as "never send OPENDIR or RELEASEDIR
     * again", and each listing opens the directory for itself. Two round trips fewer per directory
     * the guest lists; in exchange the guest caches listings until the directory's attributes show
     * a change, so only while some caching is allowed.
     */
    private volatile boolean handlelessDirs;

    /**
     * Serves the directory {@code root} (a symlink given here is followed, once: it is the host
     * user's choice; nothing inside the tree is).
     *
     * @param inodes the device's allocator, shared with the {@link AugmentFs} above
     * @throws IOException if {@code root} cannot be opened as a directory or {@code /proc} is missing
     */
    public PassthroughFs(Path root, InodeAllocator inodes, PassthroughConfig config) throws IOException {
        this.rootPath = root.toAbsolutePath();
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(inodes, "inodes");
        int dirFlags = Fcntl.O_PATH | Fcntl.O_DIRECTORY | Fcntl.O_CLOEXEC;
        int proc;
        int rootFd;
        try (Arena arena = Arena.ofConfined()) {
            proc = FileCalls.openat(FileCalls.AT_FDCWD, arena.allocateFrom("/proc/self/fd"), dirFlags, 0);
            if (proc < 0) {
                throw new NativeException("open(/proc/self/fd)", -proc);
            }
            rootFd = FileCalls.openat(FileCalls.AT_FDCWD,
                    arena.allocateFrom(rootPath.toString(), StandardCharsets.UTF_8), dirFlags, 0);
            if (rootFd < 0) {
                FileCalls.close(proc);
                throw new NativeException("open(" + rootPath + ")", -rootFd);
            }
        }
        WorkerState w = WorkerState.current();
        int r = FileCalls.statx(rootFd, w.empty, StatxDecoder.FLAGS, StatxDecoder.MASK, w.statx);
        if (r < 0) {
            FileCalls.close(rootFd);
            FileCalls.close(proc);
            throw new NativeException("statx(" + rootPath + ")", -r);
        }
        this.procSelfFd = proc;
        DescriptorBudget budget = new DescriptorBudget(config.maxDescriptors());
        this.handles = new HandleTable(budget);
        this.inodes = new InodeTable(inodes, rootFd, StatxDecoder.key(w.statx), budget);
        this.directories = new DirectoryListing(handles, proc);
        this.names = ConfinedOpener.probe(w, rootFd);
        this.attributes = new AttributeChanges(proc);
        this.opener = new FileOpener(handles, proc, config.cache());
        LOG.debug("passthrough of {}: cache {}, openat2 {}, creates as the guest's user {}", rootPath,
                config.cache(), names.usesOpenat2(), creds.switchesIds());
    }

    /** The directory served. */
    public Path root() {
        return rootPath;
    }

    public PassthroughConfig config() {
        return config;
    }

    // ---- lifecycle ----

    @Override
    public long init(long capable) {
        submounts = config.announceSubmounts() && (capable & InitFlags.SUBMOUNTS) != 0;
        opener.writeback(config.writeback() && (capable & InitFlags.WRITEBACK_CACHE) != 0);
        long wanted = 0;
        if (config.cache() != CachePolicy.NEVER) {
            wanted |= InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO;
        }
        if (config.cache() == CachePolicy.ALWAYS) {
            wanted |= InitFlags.CACHE_SYMLINKS;
        }
        if (config.writeback()) {
            wanted |= InitFlags.WRITEBACK_CACHE;
        }
        handlelessDirs = config.cache() != CachePolicy.NEVER && (capable & InitFlags.NO_OPENDIR_SUPPORT) != 0;
        if (handlelessDirs) {
            wanted |= InitFlags.NO_OPENDIR_SUPPORT;
        }
        return wanted;
    }

    @Override
    public void destroy() {
        handles.removeAll();
        inodes.forgetAll();
    }

    /** Closes every descriptor. Only once no request runs any more (the device has stopped). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            handles.removeAll();
            inodes.closeAll();
            FileCalls.close(procSelfFd);
        }
    }

    // ---- names ----

    @Override
    public Entry lookup(Context ctx, long parent, Name name) throws FsException {
        try (var dir = inodes.pin(parent)) {
            WorkerState w = WorkerState.current();
            int fd = names.openPath(w, dir.fd(), component(w.name, name));
            if (fd == NEG_ENOENT && !config.negativeTimeout().isZero()) {
                // A negative entry: the guest remembers for a while that the name is absent.
                return new Entry(0, 0, Attr.NONE, config.negativeTimeout(), Duration.ZERO);
            }
            check(fd);
            return entryFor(w, dir, fd);
        }
    }

    @Override
    public void forget(long inode, long count) {
        inodes.forget(inode, count);
    }

    @Override
    public void batchForget(List<Forget> forgets) {
        for (Forget f : forgets) {
            inodes.forget(f.inode(), f.count());
        }
    }

    @Override
    public Entry mknod(Context ctx, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        int type = mode & Linux.S_IFMT;
        if ((type == Linux.S_IFCHR || type == Linux.S_IFBLK) && !config.deviceNodes()
                && !(type == Linux.S_IFCHR && rdev == 0)) {
            throw new FsException(Errno.EPERM);
        }
        try (var dir = inodes.pin(parent)) {
            WorkerState w = WorkerState.current();
            MemorySegment c = component(w.name, name);
            try (var _ = creds.as(ctx)) {
                check(FileCalls.mknodat(dir.fd(), c, mode, Integer.toUnsignedLong(rdev)));
            }
            return lookupCreated(w, dir, c);
        }
    }

    @Override
    public Entry mkdir(Context ctx, long parent, Name name, int mode, int umask) throws FsException {
        try (var dir = inodes.pin(parent)) {
            WorkerState w = WorkerState.current();
            MemorySegment c = component(w.name, name);
            try (var _ = creds.as(ctx)) {
                check(FileCalls.mkdirat(dir.fd(), c, mode & Linux.PERMISSION_BITS));
            }
            return lookupCreated(w, dir, c);
        }
    }

    @Override
    public Entry symlink(Context ctx, Name target, long parent, Name name) throws FsException {
        try (var dir = inodes.pin(parent)) {
            WorkerState w = WorkerState.current();
            MemorySegment c = component(w.name, name);
            if (target.isEmpty()) {
                throw new FsException(Errno.ENOENT);
            }
            MemorySegment text = WorkerState.cString(w.name2, target);
            try (var _ = creds.as(ctx)) {
                check(FileCalls.symlinkat(text, dir.fd(), c));
            }
            return lookupCreated(w, dir, c);
        }
    }

    @Override
    public Entry link(Context ctx, long inode, long newParent, Name newName) throws FsException {
        try (var source = inodes.pin(inode); var dir = inodes.pin(newParent)) {
            WorkerState w = WorkerState.current();
            MemorySegment c = component(w.name, newName);
            int r = FileCalls.linkat(source.fd(), w.empty, dir.fd(), c, FileCalls.AT_EMPTY_PATH);
            if (r == NEG_ENOENT && !creds.switchesIds()) {
                // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link names the same inode.
                r = FileCalls.linkat(FileCalls.AT_FDCWD, w.procPath(source.fd()), dir.fd(), c,
                        FileCalls.AT_SYMLINK_FOLLOW);
            }
            check(r);
            return lookupCreated(w, dir, c);
        }
    }

    @Override
    public void unlink(Context ctx, long parent, Name name) throws FsException {
        remove(parent, name, 0);
    }

    @Override
    public void rmdir(Context ctx, long parent, Name name) throws FsException {
        remove(parent, name, FileCalls.AT_REMOVEDIR);
    }

    private void remove(long parent, Name name, int flags) throws FsException {
        try (var dir = inodes.pin(parent)) {
            check(FileCalls.unlinkat(dir.fd(), component(WorkerState.current().name, name), flags));
        }
    }

    @Override
    public void rename(Context ctx, long oldParent, Name oldName, long newParent, Name newName, int flags)
            throws FsException {
        if ((flags & ~RENAME_FLAGS) != 0) {
            throw new FsException(Errno.EINVAL);
        }
        try (var from = inodes.pin(oldParent); var to = inodes.pin(newParent)) {
            WorkerState w = WorkerState.current();
            MemorySegment a = component(w.name, oldName);
            MemorySegment b = component(w.name2, newName);
            check(FileCalls.renameat2(from.fd(), a, to.fd(), b, flags));
        }
    }

    // ---- attributes ----

    @Override
    public AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        try (var in = inodes.pin(inode)) {
            WorkerState w = WorkerState.current();
            StatxDecoder.read(w, in.fd());
            return new AttrReply(StatxDecoder.attr(w.statx, 0), config.attrTimeout());
        }
    }

    @Override
    public AttrReply setattr(Context ctx, long inode, SetAttr changes) throws FsException {
        try (var in = inodes.pin(inode);
                var file = changes.has(SetAttr.HANDLE) ? handles.pin(changes.handle()) : null) {
            WorkerState w = WorkerState.current();
            attributes.apply(w, in, file, changes);
            return new AttrReply(StatxDecoder.attr(StatxDecoder.read(w, in.fd()), 0), config.attrTimeout());
        }
    }

    @Override
    public Name readlink(Context ctx, long inode) throws FsException {
        try (var in = inodes.pin(inode)) {
            if (!in.is(Linux.S_IFLNK)) {
                throw new FsException(Errno.EINVAL);
            }
            WorkerState w = WorkerState.current();
            long n = check(FileCalls.readlinkat(in.fd(), w.empty, w.name2));
            return Name.of(w.name2.asSlice(0, n).toArray(JAVA_BYTE));
        }
    }

    @Override
    public void access(Context ctx, long inode, int mask) throws FsException {
        try (var in = inodes.pin(inode)) {
            WorkerState w = WorkerState.current();
            StatxDecoder.read(w, in.fd());
            if (mask == Linux.F_OK || ctx.uid() == Context.INVALID_ID) {
                return;
            }
            int mode = Statx.mode(w.statx);
            if (ctx.uid() == 0) {
                // root may do anything but execute a file nobody may execute
                if ((mask & Linux.X_OK) != 0 && !in.is(Linux.S_IFDIR) && (mode & 0111) == 0) {
                    throw new FsException(Errno.EACCES);
                }
                return;
            }
            int bits;
            if (ctx.uid() == Statx.uid(w.statx)) {
                bits = mode >> 6;
            } else if (ctx.gid() == Statx.gid(w.statx)) {
                bits = mode >> 3;
            } else {
                bits = mode;
            }
            if ((mask & ~bits & 7) != 0) {
                throw new FsException(Errno.EACCES);
            }
        }
    }

    @Override
    public StatFs statfs(Context ctx, long inode) throws FsException {
        try (var in = inodes.pin(inode)) {
            MemorySegment s = WorkerState.current().statfs;
            check(FileCalls.fstatfs(in.fd(), s));
            return new StatFs(s.get(JAVA_LONG, FileStructs.F_BLOCKS), s.get(JAVA_LONG, FileStructs.F_BFREE),
                    s.get(JAVA_LONG, FileStructs.F_BAVAIL), s.get(JAVA_LONG, FileStructs.F_FILES),
                    s.get(JAVA_LONG, FileStructs.F_FFREE), (int) s.get(JAVA_LONG, FileStructs.F_BSIZE),
                    (int) s.get(JAVA_LONG, FileStructs.F_NAMELEN), (int) s.get(JAVA_LONG, FileStructs.F_FRSIZE));
        }
    }

    // ---- extended attributes (through /proc/self/fd/N, which names the inode without opening it) ----
    // The guest's trusted.* and security.* live under user.krunctl. on the host (XattrNames).

    @Override
    public void setxattr(Context ctx, long inode, Name name, byte[] value, int flags, int setxattrFlags)
            throws FsException {
        requireXattr();
        if (XattrNames.reserved(name)) {
            throw new FsException(Errno.EPERM);
        }
        if (value.length > WorkerState.XATTR_MAX) {
            throw new FsException(Errno.E2BIG);
        }
        try (var in = inodes.pin(inode)) {
            ExtendedAttributes.set(WorkerState.current(), in.fd(), XattrNames.toHost(name), value, flags);
        }
    }

    @Override
    public byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
        requireXattr();
        if (XattrNames.reserved(name)) {
            throw new FsException(Errno.ENODATA);
        }
        try (var in = inodes.pin(inode)) {
            return ExtendedAttributes.get(WorkerState.current(), in.fd(), XattrNames.toHost(name));
        }
    }

    @Override
    public List<Name> listxattr(Context ctx, long inode, int size) throws FsException {
        requireXattr();
        try (var in = inodes.pin(inode)) {
            List<Name> names = new ArrayList<>();
            for (Name host : ExtendedAttributes.list(WorkerState.current(), in.fd())) {
                Name guest = XattrNames.toGuest(host);
                if (guest != null) {
                    names.add(guest);
                }
            }
            return names;
        }
    }

    @Override
    public void removexattr(Context ctx, long inode, Name name) throws FsException {
        requireXattr();
        if (XattrNames.reserved(name)) {
            throw new FsException(Errno.EPERM);
        }
        try (var in = inodes.pin(inode)) {
            ExtendedAttributes.remove(WorkerState.current(), in.fd(), XattrNames.toHost(name));
        }
    }

    /** Without xattr support the guest gets ENOSYS once and answers EOPNOTSUPP itself from then on. */
    private void requireXattr() throws FsException {
        if (!config.xattr()) {
            throw new FsException(Errno.ENOSYS);
        }
    }

    // ---- files ----

    @Override
    public OpenResult open(Context ctx, long inode, int flags, boolean killSuidGid) throws FsException {
        try (var in = inodes.pin(inode)) {
            WorkerState w = WorkerState.current();
            OpenFile file = opener.reopen(w, in, flags);
            if (killSuidGid && (flags & Fcntl.O_TRUNC) != 0) {
                try {
                    attributes.killPrivileges(w, in, file.fd);
                } catch (FsException e) {
                    handles.remove(file.id);
                    throw e;
                }
            }
            return new OpenResult(file.id, opener.openedFlags(w, in, file.fd));
        }
    }

    @Override
    public Created create(Context ctx, long parent, Name name, int mode, int flags, int umask, boolean killSuidGid)
            throws FsException {
        try (var dir = inodes.pin(parent)) {
            WorkerState w = WorkerState.current();
            MemorySegment c = component(w.name, name);
            int hostFlags = opener.hostFlags(flags);
            int fd;
            try (var _ = creds.as(ctx)) {
                fd = names.openCreate(w, dir.fd(), c, hostFlags, mode & Linux.PERMISSION_BITS);
            }
            if (fd == NEG_EEXIST && (flags & Fcntl.O_EXCL) == 0) {
                return openExisting(w, dir, c, flags, killSuidGid);
            }
            check(fd);
            // The inode of exactly the file just made: its open descriptor's /proc link, as O_PATH.
            int pathFd = FileCalls.openat(procSelfFd, w.fdName(fd), Fcntl.O_PATH | Fcntl.O_CLOEXEC, 0);
            if (pathFd < 0) {
                FileCalls.close(fd);
                throw error(pathFd);
            }
            Entry entry;
            try {
                entry = entryFor(w, dir, pathFd);
            } catch (FsException e) {
                FileCalls.close(fd);
                throw e;
            }
            OpenFile file;
            try {
                file = handles.add(fd, hostFlags);
            } catch (FsException e) {
                // The guest never learns of the inode: it will not forget it either.
                inodes.forget(entry.inode(), 1);
                throw e;
            }
            return new Created(entry, new OpenResult(file.id, opener.createdFlags()));
        }
    }

    /** O_CREAT without O_EXCL found the name taken: open what is there, as OPEN would (never a device). */
    private Created openExisting(WorkerState w, InodeTable.Lease dir, MemorySegment c, int flags, boolean killSuidGid)
            throws FsException {
        int pathFd = names.openPath(w, dir.fd(), c);
        check(pathFd);
        Entry entry = entryFor(w, dir, pathFd);
        try (var in = inodes.pin(entry.inode())) {
            OpenFile file = opener.reopen(w, in, flags);
            if (killSuidGid && (flags & Fcntl.O_TRUNC) != 0) {
                attributes.killPrivileges(w, in, file.fd);
            }
            return new Created(entry, new OpenResult(file.id, opener.openedFlags(w, in, file.fd)));
        } catch (FsException e) {
            // The guest never gets this entry: give back the reference entryFor took for it.
            inodes.forget(entry.inode(), 1);
            throw e;
        }
    }

    @Override
    public int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination, int flags)
            throws FsException {
        try (var file = handles.pin(handle)) {
            return Math.toIntExact(VectoredIo.read(WorkerState.current(), file.fd(), destination, offset));
        }
    }

    @Override
    public int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source, int writeFlags,
            int flags) throws FsException {
        try (var file = handles.pin(handle)) {
            WorkerState w = WorkerState.current();
            if ((writeFlags & FsFlags.WRITE_KILL_SUIDGID) != 0) {
                attributes.killPrivileges(w, null, file.fd());
            }
            return Math.toIntExact(VectoredIo.write(w, file.fd(), source, offset));
        }
    }

    @Override
    public void flush(Context ctx, long inode, long handle, long lockOwner) throws FsException {
        throw new FsException(Errno.ENOSYS);
    }

    @Override
    public void fsync(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        try (var file = handles.pin(handle)) {
            sync(file.fd(), dataOnly);
        }
    }

    @Override
    public void fsyncdir(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        try (var dir = inodes.pin(inode); OpenDirectory open = directories.open(dir, handle)) {
            sync(open.fd(), dataOnly);
        }
    }

    private static void sync(int fd, boolean dataOnly) throws FsException {
        check(dataOnly ? FileCalls.fdatasync(fd) : FileCalls.fsync(fd));
    }

    @Override
    public void fallocate(Context ctx, long inode, long handle, int mode, long offset, long length)
            throws FsException {
        try (var file = handles.pin(handle)) {
            check(FileCalls.fallocate(file.fd(), mode, offset, length));
        }
    }

    @Override
    public void release(Context ctx, long inode, long handle, int flags, int releaseFlags, long lockOwner)
            throws FsException {
        handles.remove(handle);
    }

    @Override
    public long lseek(Context ctx, long inode, long handle, long offset, int whence) throws FsException {
        try (var file = handles.pin(handle)) {
            if ((file.flags() & Fcntl.O_DIRECTORY) != 0) {
                // A directory's position belongs to its listing.
                throw new FsException(Errno.EINVAL);
            }
            return check(FileCalls.lseek(file.fd(), offset, whence));
        }
    }

    @Override
    public long copyFileRange(Context ctx, long inodeIn, long handleIn, long offsetIn, long inodeOut,
            long handleOut, long offsetOut, long length, long flags) throws FsException {
        try (var in = handles.pin(handleIn); var out = handles.pin(handleOut)) {
            MemorySegment offsets = WorkerState.current().offsets;
            offsets.set(JAVA_LONG, 0, offsetIn);
            offsets.set(JAVA_LONG, 8, offsetOut);
            return check(FileCalls.copyFileRange(in.fd(), offsets.asSlice(0, 8), out.fd(), offsets.asSlice(8, 8),
                    length, (int) flags));
        }
    }

    @Override
    public IoctlResult ioctl(Context ctx, long inode, long handle, int flags, int cmd, long arg, byte[] input,
            int outputSize) throws FsException {
        throw new FsException(Errno.ENOTTY);
    }

    // ---- directories ----

    @Override
    public OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        try (var in = inodes.pin(inode)) {
            if (!in.is(Linux.S_IFDIR)) {
                throw new FsException(Errno.ENOTDIR);
            }
            if (handlelessDirs) {
                throw new FsException(Errno.ENOSYS);
            }
            return new OpenResult(directories.openHandle(in), opener.directoryFlags());
        }
    }

    @Override
    public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        try (var dir = inodes.pin(inode); OpenDirectory open = directories.open(dir, handle)) {
            open.list(offset, DirectoryListing.READDIR_BUFFER, (w, e) -> sink.add(e));
        }
    }

    @Override
    public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        try (var dir = inodes.pin(inode); OpenDirectory open = directories.open(dir, handle)) {
            open.list(offset, DirectoryListing.READDIRPLUS_BUFFER, (w, e) -> {
                if (!sink.fits(e.name())) {
                    return false;
                }
                Entry attributes = e.name().isDotOrDotDot() ? Entry.NONE : lookupListed(w, dir, e.name());
                boolean added = false;
                try {
                    added = sink.add(e, attributes);
                } finally {
                    if (!added && attributes.inode() != 0) {
                        // The guest never got this entry: give back the reference taken for it.
                        inodes.forget(attributes.inode(), 1);
                    }
                }
                return added;
            });
        }
    }

    /** A listed name's lookup for readdirplus; {@link Entry#NONE} if it vanished meanwhile. */
    private Entry lookupListed(WorkerState w, InodeTable.Lease dir, Name name) {
        try {
            int fd = names.openPath(w, dir.fd(), WorkerState.cString(w.name, name));
            return fd < 0 ? Entry.NONE : entryFor(w, dir, fd);
        } catch (FsException e) {
            return Entry.NONE;
        }
    }

    @Override
    public void releasedir(Context ctx, long inode, long handle, int flags) throws FsException {
        handles.remove(handle);
    }

    // ---- helpers ----

    /** The entry of the name the guest just created in {@code dir}. */
    private Entry lookupCreated(WorkerState w, InodeTable.Lease dir, MemorySegment c) throws FsException {
        int fd = names.openPath(w, dir.fd(), c);
        check(fd);
        return entryFor(w, dir, fd);
    }

    /** Registers {@code fd} (an O_PATH descriptor found in {@code parent}, now owned here) as an inode. */
    private Entry entryFor(WorkerState w, InodeTable.Lease parent, int fd) throws FsException {
        int r = FileCalls.statx(fd, w.empty, StatxDecoder.FLAGS, StatxDecoder.MASK, w.statx);
        if (r < 0) {
            FileCalls.close(fd);
            throw error(r);
        }
        int type = StatxDecoder.type(w.statx);
        InodeTable.Inode in = inodes.found(fd, type, StatxDecoder.key(w.statx));
        boolean submount = submounts && type == Linux.S_IFDIR && in.key.mnt() != parent.inode().key.mnt();
        return new Entry(in.id, 0, StatxDecoder.attr(w.statx, submount ? Attr.ATTR_SUBMOUNT : 0),
                config.entryTimeout(), config.attrTimeout());
    }

    // ---- for tests ----

    /** Inodes alive, the root included. */
    int inodeCount() {
        return inodes.size();
    }

    /** Open file and directory handles. */
    int handleCount() {
        return handles.size();
    }
}
