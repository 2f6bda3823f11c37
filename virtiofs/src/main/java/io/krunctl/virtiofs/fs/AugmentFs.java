package io.krunctl.virtiofs.fs;

import io.krunctl.nativeio.Fcntl;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Serves {@link VirtualEntry virtual entries} above another filesystem and receives the guest's exit
 * code.
 *
 * <ul>
 *   <li>Virtual entries hang under the root (and under each other); a lookup finds them before the
 *       inner filesystem, so they shadow inner entries of the same name.
 *   <li>A virtual directory whose name is a directory of the inner filesystem too does not hide it:
 *       the lookup answers the inner directory, and that directory's own virtual children are
 *       grafted onto it. So a file {@code /etc/hostname} over a host root replaces that one file and
 *       leaves the rest of the host's {@code /etc} visible. Where the inner filesystem has no
 *       directory of that name, the virtual directory is served.
 *   <li>They are absent from the listings of inner directories: readdir of the root shows only what
 *       the inner filesystem holds.
 *   <li>A persistent entry never expires from the guest's caches; a one-shot entry can be looked up
 *       once (the name then falls through to the inner filesystem) and its inode goes away when the
 *       guest closes it.
 *   <li>Everything virtual is read-only, owned by root.
 *   <li>{@link #EXIT_CODE_IOCTL} from the guest's init on the root hands its argument to the
 *       exit-code sink.
 * </ul>
 *
 * <p>Inode numbers come from the {@link InodeAllocator} the inner filesystem also uses. Thread-safe.
 */
public final class AugmentFs implements FileSystem {
    /**
     * KRUN_EXIT_CODE_IOCTL, {@code _IO('v', 2)}: the guest init reports the workload's exit status, on
     * its descriptor of the root.
     */
    public static final int EXIT_CODE_IOCTL = 0x7602;

    /**
     * The only caller {@link #EXIT_CODE_IOCTL} is taken from: the guest's init (stage 0, then stage 1,
     * and with KRUN_INIT_PID1 the workload it execs, whose own exit status it would report anyway).
     * The kernel puts the caller's pid, as the mounter's pid namespace numbers it, in every request,
     * and in the namespace of the init that mounted the root only the init is 1.
     */
    public static final int INIT_PID = 1;

    /** The handle of every open virtual file or directory; they keep no per-open state. */
    public static final long VIRTUAL_HANDLE = 0;

    private static final Logger LOG = LogManager.getLogger(AugmentFs.class);
    private static final int BLOCK_SIZE = 4096;
    private static final int SECTOR = 512;

    private record Key(long parent, Name name) {
    }

    /** One virtual entry placed in the tree at construction. */
    private record Placement(long parent, Name name, long inode, VirtualEntry entry) {
        Key key() {
            return new Key(parent, name);
        }
    }

    /**
     * An inner directory standing in for a virtual one, and the lookups of it the guest holds: the
     * graft lasts exactly as long as the guest's inode, so the map stays as small as the set of
     * directories the guest has looked up.
     */
    private record Graft(long virtualInode, long lookups) {
        Graft plus(long more) {
            return new Graft(virtualInode, lookups + more);
        }
    }

    /** A placement that is currently alive, with the number of guest opens that hold it. */
    private static final class Node {
        final Placement placement;
        final AtomicInteger opens = new AtomicInteger();

        Node(Placement placement) {
            this.placement = placement;
        }
    }

    private final FileSystem inner;
    /** {@code null} over a mount's directory, where the exit-code ioctl is the inner's like any other. */
    private final GuestExitListener exitListener;
    private final List<Placement> placements;
    private final Map<Long, List<Placement>> childrenOf;
    /** Every inode this layer ever handed out, alive or dropped: none of them is the inner's to handle. */
    private final Set<Long> virtualInodes;
    private final ConcurrentHashMap<Key, Long> names = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    /**
     * Inner directories standing in for virtual ones, by inner inode. An entry goes when the guest
     * forgets the inode: the inner filesystem numbers it afresh on the next lookup, so an entry kept
     * past that would never serve again, and a guest looping lookup and forget would grow the map
     * without end.
     */
    private final ConcurrentHashMap<Long, Graft> grafts = new ConcurrentHashMap<>();

    /**
     * @param inner        the filesystem underneath; it owns the root and every non-virtual inode
     * @param inodes       the device's allocator, shared with {@code inner}
     * @param rootEntries  the root's virtual children by name; directories carry their own children
     * @param exitListener told the guest's exit code from {@link #EXIT_CODE_IOCTL}
     */
    public AugmentFs(FileSystem inner, InodeAllocator inodes, Map<String, VirtualEntry> rootEntries,
            GuestExitListener exitListener) {
        this(inner, inodes, rootEntries, Optional.of(exitListener));
    }

    /**
     * Virtual entries over a device other than the root's (a mount's directory, as
     * {@code krun_fs_add_overlay_file} adds them per device): no exit code is taken here.
     */
    public static AugmentFs overMount(FileSystem inner, InodeAllocator inodes, Map<String, VirtualEntry> entries) {
        return new AugmentFs(inner, inodes, entries, Optional.empty());
    }

    private AugmentFs(FileSystem inner, InodeAllocator inodes, Map<String, VirtualEntry> rootEntries,
            Optional<GuestExitListener> exitListener) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.exitListener = exitListener.orElse(null);
        // A directory record validates and orders the names once, for the root level too.
        VirtualEntry.Directory root = new VirtualEntry.Directory(rootEntries, 0755, false);
        List<Placement> placed = new ArrayList<>();
        Map<Long, List<Placement>> children = new HashMap<>();
        place(InodeAllocator.ROOT_ID, root, inodes, placed, children);
        this.placements = List.copyOf(placed);
        this.childrenOf = Map.copyOf(children);
        Set<Long> all = new HashSet<>();
        placed.forEach(p -> all.add(p.inode()));
        this.virtualInodes = Collections.unmodifiableSet(all);
        reset();
    }

    private static void place(long parent, VirtualEntry.Directory dir, InodeAllocator inodes, List<Placement> out,
            Map<Long, List<Placement>> children) {
        List<Placement> here = new ArrayList<>();
        dir.children().forEach((name, entry) -> {
            Placement p = new Placement(parent, Name.of(name), inodes.next(), entry);
            out.add(p);
            here.add(p);
            if (entry instanceof VirtualEntry.Directory sub) {
                place(p.inode(), sub, inodes, out, children);
            }
        });
        children.put(parent, List.copyOf(here));
    }

    /** Back to the state right after construction: every entry alive, one-shot entries unclaimed. */
    private void reset() {
        names.clear();
        nodes.clear();
        grafts.clear();
        for (Placement p : placements) {
            nodes.put(p.inode(), new Node(p));
            names.put(p.key(), p.inode());
        }
    }

    // ---- lifecycle ----

    /** A new mount (or a rebooted guest): one-shot entries are available again. */
    @Override
    public long init(long capable) throws FsException {
        reset();
        return inner.init(capable);
    }

    @Override
    public void destroy() {
        inner.destroy();
    }

    // ---- names ----

    @Override
    public Entry lookup(Context ctx, long parent, Name name) throws FsException {
        Key key = new Key(graftOf(parent), name);
        Long inode = names.get(key);
        if (inode != null) {
            Node node = nodes.get(inode);
            if (node != null && node.placement.entry() instanceof VirtualEntry.Directory dir && !dir.oneShot()
                    && !isVirtual(parent)) {
                Entry merged = innerDirectory(ctx, parent, name);
                if (merged != null) {
                    grafts.merge(merged.inode(), new Graft(inode, 1), (old, one) -> old.plus(one.lookups()));
                    return merged;
                }
            }
            // remove(key, value) lets exactly one of two racing lookups claim a one-shot entry; the
            // loser falls through like every later lookup.
            if (node != null && (!node.placement.entry().oneShot() || names.remove(key, inode))) {
                return entryOf(node.placement);
            }
        }
        if (isVirtual(parent)) {
            throw new FsException(Errno.ENOENT);
        }
        return referenced(inner.lookup(ctx, parent, name));
    }

    /**
     * Counts a lookup of a grafted directory reached under a name of its own (the host renamed it),
     * which the guest will forget like any other. Lookup and readdirplus are the only ways the inner
     * filesystem hands out a directory that already exists.
     */
    private Entry referenced(Entry e) {
        if (e.inode() != 0) {
            grafts.computeIfPresent(e.inode(), (inode, g) -> g.plus(1));
        }
        return e;
    }

    /** The guest dropped {@code count} lookups of an inner inode; a graft goes with its last one. */
    private void forgotten(long inode, long count) {
        grafts.computeIfPresent(inode, (i, g) -> Long.compareUnsigned(count, g.lookups()) >= 0 ? null
                : g.plus(-count));
    }

    /** How many inner directories carry virtual children now; for tests. */
    int graftCount() {
        return grafts.size();
    }

    /** The inner filesystem's directory {@code name} under {@code parent}, or null if it has none. */
    private Entry innerDirectory(Context ctx, long parent, Name name) {
        Entry e;
        try {
            e = inner.lookup(ctx, parent, name);
        } catch (FsException notThere) {
            return null;
        }
        if (e.inode() == 0) {
            return null;
        }
        if ((e.attr().mode() & Linux.S_IFMT) == Linux.S_IFDIR) {
            return e;
        }
        inner.forget(e.inode(), 1);
        return null;
    }

    @Override
    public void forget(long inode, long count) {
        if (!isVirtual(inode)) {
            forgotten(inode, count);
            inner.forget(inode, count);
        }
    }

    @Override
    public void batchForget(List<Forget> forgets) {
        List<Forget> theirs = new ArrayList<>(forgets.size());
        for (Forget f : forgets) {
            if (!isVirtual(f.inode())) {
                forgotten(f.inode(), f.count());
                theirs.add(f);
            }
        }
        if (!theirs.isEmpty()) {
            inner.batchForget(theirs);
        }
    }

    @Override
    public Entry mknod(Context ctx, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        requireCreatable(parent, name);
        return inner.mknod(ctx, parent, name, mode, rdev, umask);
    }

    @Override
    public Entry mkdir(Context ctx, long parent, Name name, int mode, int umask) throws FsException {
        requireCreatable(parent, name);
        return inner.mkdir(ctx, parent, name, mode, umask);
    }

    @Override
    public Entry symlink(Context ctx, Name target, long parent, Name name) throws FsException {
        requireCreatable(parent, name);
        return inner.symlink(ctx, target, parent, name);
    }

    @Override
    public Created create(Context ctx, long parent, Name name, int mode, int flags, int umask, boolean killSuidGid)
            throws FsException {
        requireCreatable(parent, name);
        return inner.create(ctx, parent, name, mode, flags, umask, killSuidGid);
    }

    @Override
    public Entry link(Context ctx, long inode, long newParent, Name newName) throws FsException {
        if (isVirtual(inode)) {
            throw new FsException(Errno.EPERM);
        }
        requireCreatable(newParent, newName);
        return inner.link(ctx, inode, newParent, newName);
    }

    @Override
    public void unlink(Context ctx, long parent, Name name) throws FsException {
        requireRemovable(parent, name);
        inner.unlink(ctx, parent, name);
    }

    @Override
    public void rmdir(Context ctx, long parent, Name name) throws FsException {
        requireRemovable(parent, name);
        inner.rmdir(ctx, parent, name);
    }

    @Override
    public void rename(Context ctx, long oldParent, Name oldName, long newParent, Name newName, int flags)
            throws FsException {
        if (isVirtualName(oldParent, oldName) || isVirtualName(newParent, newName) || isVirtual(newParent)) {
            throw new FsException(Errno.EPERM);
        }
        if (isVirtual(oldParent)) {
            throw new FsException(Errno.ENOENT);
        }
        inner.rename(ctx, oldParent, oldName, newParent, newName, flags);
    }

    // ---- attributes ----

    @Override
    public AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        if (isVirtual(inode)) {
            Placement p = live(inode).placement;
            return new AttrReply(attrOf(p), timeoutOf(p));
        }
        return inner.getattr(ctx, inode, handle);
    }

    @Override
    public AttrReply setattr(Context ctx, long inode, SetAttr changes) throws FsException {
        requireNotVirtual(inode, Errno.EPERM);
        return inner.setattr(ctx, inode, changes);
    }

    @Override
    public Name readlink(Context ctx, long inode) throws FsException {
        requireNotVirtual(inode, Errno.EINVAL);
        return inner.readlink(ctx, inode);
    }

    @Override
    public void access(Context ctx, long inode, int mask) throws FsException {
        if (isVirtual(inode)) {
            live(inode);
            if ((mask & Linux.W_OK) != 0) {
                throw new FsException(Errno.EACCES);
            }
            return;
        }
        inner.access(ctx, inode, mask);
    }

    @Override
    public StatFs statfs(Context ctx, long inode) throws FsException {
        return inner.statfs(ctx, isVirtual(inode) ? InodeAllocator.ROOT_ID : inode);
    }

    @Override
    public void setxattr(Context ctx, long inode, Name name, byte[] value, int flags, int setxattrFlags)
            throws FsException {
        requireNotVirtual(inode, Errno.EPERM);
        inner.setxattr(ctx, inode, name, value, flags, setxattrFlags);
    }

    @Override
    public byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
        requireNotVirtual(inode, Errno.ENODATA);
        return inner.getxattr(ctx, inode, name, size);
    }

    @Override
    public List<Name> listxattr(Context ctx, long inode, int size) throws FsException {
        if (isVirtual(inode)) {
            return List.of();
        }
        return inner.listxattr(ctx, inode, size);
    }

    @Override
    public void removexattr(Context ctx, long inode, Name name) throws FsException {
        requireNotVirtual(inode, Errno.EPERM);
        inner.removexattr(ctx, inode, name);
    }

    // ---- files ----

    @Override
    public OpenResult open(Context ctx, long inode, int flags, boolean killSuidGid) throws FsException {
        if (!isVirtual(inode)) {
            return inner.open(ctx, inode, flags, killSuidGid);
        }
        Node node = live(inode);
        if (node.placement.entry() instanceof VirtualEntry.Directory) {
            throw new FsException(Errno.EISDIR);
        }
        // O_TRUNC asks for a write as much as O_WRONLY does; a read-only file refuses both.
        if ((flags & Fcntl.O_ACCMODE) != Fcntl.O_RDONLY || (flags & Fcntl.O_TRUNC) != 0) {
            throw new FsException(Errno.EACCES);
        }
        node.opens.incrementAndGet();
        // A virtual file never changes: the guest may keep its pages from one open to the next.
        return new OpenResult(VIRTUAL_HANDLE, OpenResult.KEEP_CACHE);
    }

    @Override
    public int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination, int flags)
            throws FsException {
        if (!isVirtual(inode)) {
            return inner.read(ctx, inode, handle, offset, destination, flags);
        }
        if (!(live(inode).placement.entry() instanceof VirtualEntry.File file)) {
            throw new FsException(Errno.EISDIR);
        }
        if (offset < 0) {
            throw new FsException(Errno.EINVAL);
        }
        MemorySegment data = file.data();
        long position = offset;
        long copied = 0;
        for (MemorySegment dst : destination) {
            if (position >= data.byteSize()) {
                break;
            }
            long n = Math.min(dst.byteSize(), data.byteSize() - position);
            MemorySegment.copy(data, position, dst, 0, n);
            position += n;
            copied += n;
        }
        return Math.toIntExact(copied);
    }

    @Override
    public int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source, int writeFlags,
            int flags) throws FsException {
        requireNotVirtual(inode, Errno.EPERM);
        return inner.write(ctx, inode, handle, offset, source, writeFlags, flags);
    }

    @Override
    public void flush(Context ctx, long inode, long handle, long lockOwner) throws FsException {
        if (!isVirtual(inode)) {
            inner.flush(ctx, inode, handle, lockOwner);
        }
    }

    @Override
    public void fsync(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        if (!isVirtual(inode)) {
            inner.fsync(ctx, inode, dataOnly, handle);
        }
    }

    @Override
    public void fallocate(Context ctx, long inode, long handle, int mode, long offset, long length)
            throws FsException {
        requireNotVirtual(inode, Errno.EPERM);
        inner.fallocate(ctx, inode, handle, mode, offset, length);
    }

    @Override
    public void release(Context ctx, long inode, long handle, int flags, int releaseFlags, long lockOwner)
            throws FsException {
        if (isVirtual(inode)) {
            closed(inode);
            return;
        }
        inner.release(ctx, inode, handle, flags, releaseFlags, lockOwner);
    }

    @Override
    public long lseek(Context ctx, long inode, long handle, long offset, int whence) throws FsException {
        if (!isVirtual(inode)) {
            return inner.lseek(ctx, inode, handle, offset, whence);
        }
        if (!(live(inode).placement.entry() instanceof VirtualEntry.File file)) {
            throw new FsException(Errno.EINVAL);
        }
        long size = file.data().byteSize();
        // A virtual file is all data, no holes; offsets at or past the end have neither.
        return switch (whence) {
            case Fcntl.SEEK_DATA, Fcntl.SEEK_HOLE -> {
                if (offset < 0 || offset >= size) {
                    throw new FsException(Errno.ENXIO);
                }
                yield whence == Fcntl.SEEK_DATA ? offset : size;
            }
            default -> throw new FsException(Errno.EINVAL);
        };
    }

    @Override
    public long copyFileRange(Context ctx, long inodeIn, long handleIn, long offsetIn, long inodeOut,
            long handleOut, long offsetOut, long length, long flags) throws FsException {
        if (isVirtual(inodeIn) || isVirtual(inodeOut)) {
            throw new FsException(Errno.EXDEV);
        }
        return inner.copyFileRange(ctx, inodeIn, handleIn, offsetIn, inodeOut, handleOut, offsetOut, length, flags);
    }

    @Override
    public IoctlResult ioctl(Context ctx, long inode, long handle, int flags, int cmd, long arg, byte[] input,
            int outputSize) throws FsException {
        if (cmd == EXIT_CODE_IOCTL && exitListener != null) {
            return exitCode(ctx, inode, arg);
        }
        requireNotVirtual(inode, Errno.ENOTTY);
        return inner.ioctl(ctx, inode, handle, flags, cmd, arg, input, outputSize);
    }

    private IoctlResult exitCode(Context ctx, long inode, long arg) throws FsException {
        // The init sends it on the root only; anywhere else the command does not exist (ENOTTY, as for
        // any ioctl a file does not know) and never reaches the inner filesystem.
        if (inode != InodeAllocator.ROOT_ID) {
            throw new FsException(Errno.ENOTTY);
        }
        // On the root it exists, but any other guest process that could open "/" would otherwise set
        // the exit code the host reports for the workload.
        if (ctx.pid() != INIT_PID) {
            LOG.debug("exit code {} from guest pid {} refused", (int) arg, ctx.pid());
            throw new FsException(Errno.EPERM);
        }
        int code = (int) arg;
        LOG.debug("guest reported exit code {}", code);
        exitListener.guestExited(code);
        return IoctlResult.OK;
    }

    @Override
    public FileLock getlk(Context ctx, long inode, long handle, long owner, FileLock lock, int flags)
            throws FsException {
        requireNotVirtual(inode, Errno.ENOSYS);
        return inner.getlk(ctx, inode, handle, owner, lock, flags);
    }

    @Override
    public void setlk(Context ctx, long inode, long handle, long owner, FileLock lock, int flags, boolean sleep)
            throws FsException {
        requireNotVirtual(inode, Errno.ENOSYS);
        inner.setlk(ctx, inode, handle, owner, lock, flags, sleep);
    }

    // ---- directories ----

    @Override
    public OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        if (!isVirtual(inode)) {
            return inner.opendir(ctx, inode, flags);
        }
        Node node = live(inode);
        if (!(node.placement.entry() instanceof VirtualEntry.Directory)) {
            throw new FsException(Errno.ENOTDIR);
        }
        node.opens.incrementAndGet();
        return new OpenResult(VIRTUAL_HANDLE, 0);
    }

    @Override
    public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        if (!isVirtual(inode)) {
            inner.readdir(ctx, inode, handle, offset, sink);
            return;
        }
        for (ListedChild c : listVirtual(inode, offset)) {
            if (!sink.add(c.entry())) {
                return;
            }
        }
    }

    @Override
    public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        if (!isVirtual(inode)) {
            inner.readdirplus(ctx, inode, handle, offset, hidingShadowed(inode, sink));
            return;
        }
        for (ListedChild c : listVirtual(inode, offset)) {
            // Handing out a one-shot inode here would let the guest skip the lookup that claims it.
            Entry attributes = c.placement().entry().oneShot() ? Entry.NONE : entryOf(c.placement());
            if (!sink.add(c.entry(), attributes)) {
                return;
            }
        }
    }

    /**
     * An inner entry that a virtual entry shadows is still listed, but without its inode: had the guest
     * cached the inner inode under that name, later path walks would bypass the virtual entry.
     */
    private DirectoryPlusSink hidingShadowed(long dir, DirectoryPlusSink sink) {
        return new DirectoryPlusSink() {
            @Override
            public boolean add(DirEntry entry, Entry attributes) {
                if (attributes.inode() == 0 || !isVirtualName(dir, entry.name())) {
                    boolean added = sink.add(entry, attributes);
                    if (added) {
                        referenced(attributes);
                    }
                    return added;
                }
                boolean added = sink.add(entry, Entry.NONE);
                if (added) {
                    inner.forget(attributes.inode(), 1);
                }
                return added;
            }

            @Override
            public boolean fits(Name name) {
                return sink.fits(name);
            }
        };
    }

    @Override
    public void fsyncdir(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        if (!isVirtual(inode)) {
            inner.fsyncdir(ctx, inode, dataOnly, handle);
        }
    }

    @Override
    public void releasedir(Context ctx, long inode, long handle, int flags) throws FsException {
        if (isVirtual(inode)) {
            closed(inode);
            return;
        }
        inner.releasedir(ctx, inode, handle, flags);
    }

    // ---- helpers ----

    private record ListedChild(Placement placement, DirEntry entry) {
    }

    /** The children of a virtual directory still reachable by name, from {@code offset} on. */
    private List<ListedChild> listVirtual(long dir, long offset) throws FsException {
        if (!(live(dir).placement.entry() instanceof VirtualEntry.Directory)) {
            throw new FsException(Errno.ENOTDIR);
        }
        List<Placement> children = childrenOf.getOrDefault(dir, List.of());
        List<ListedChild> out = new ArrayList<>();
        for (int i = Math.clamp(offset, 0, children.size()); i < children.size(); i++) {
            Placement p = children.get(i);
            if (Objects.equals(names.get(p.key()), p.inode())) {
                int type = Linux.direntType(attrOf(p).mode());
                out.add(new ListedChild(p, new DirEntry(p.inode(), i + 1, type, p.name())));
            }
        }
        return out;
    }

    /** The guest closed one open of a virtual inode; a one-shot inode goes away with its last open. */
    private void closed(long inode) {
        Node node = nodes.get(inode);
        if (node != null && node.opens.decrementAndGet() <= 0 && node.placement.entry().oneShot()) {
            nodes.remove(inode, node);
        }
    }

    private boolean isVirtual(long inode) {
        return virtualInodes.contains(inode);
    }

    private boolean isVirtualName(long parent, Name name) {
        return names.containsKey(new Key(graftOf(parent), name));
    }

    /** The virtual directory whose children an inner directory carries, or the inode itself. */
    private long graftOf(long inode) {
        Graft graft = grafts.get(inode);
        return graft == null ? inode : graft.virtualInode();
    }

    /** The live node of a virtual inode; a dropped one-shot inode no longer exists. */
    private Node live(long inode) throws FsException {
        Node node = nodes.get(inode);
        if (node == null) {
            throw new FsException(Errno.ENOENT);
        }
        return node;
    }

    private void requireNotVirtual(long inode, Errno otherwise) throws FsException {
        if (isVirtual(inode)) {
            throw new FsException(otherwise);
        }
    }

    private void requireCreatable(long parent, Name name) throws FsException {
        if (isVirtualName(parent, name)) {
            throw new FsException(Errno.EEXIST);
        }
        if (isVirtual(parent)) {
            throw new FsException(Errno.EPERM);
        }
    }

    private void requireRemovable(long parent, Name name) throws FsException {
        if (isVirtualName(parent, name)) {
            throw new FsException(Errno.EPERM);
        }
        if (isVirtual(parent)) {
            throw new FsException(Errno.ENOENT);
        }
    }

    private static Entry entryOf(Placement p) {
        Duration timeout = timeoutOf(p);
        return new Entry(p.inode(), 0, attrOf(p), timeout, timeout);
    }

    private static Duration timeoutOf(Placement p) {
        return p.entry().oneShot() ? Duration.ZERO : Entry.FOREVER;
    }

    private static Attr attrOf(Placement p) {
        return switch (p.entry()) {
            case VirtualEntry.File f -> attr(p.inode(), Linux.S_IFREG | f.mode(), 1, f.data().byteSize());
            case VirtualEntry.Directory d -> attr(p.inode(), Linux.S_IFDIR | d.mode(), 2, 0);
        };
    }

    private static Attr attr(long inode, int mode, int nlink, long size) {
        long blocks = (size + SECTOR - 1) / SECTOR;
        return new Attr(inode, mode, nlink, 0, 0, 0, size, blocks, BLOCK_SIZE, 0, 0, 0, 0, 0, 0, 0);
    }
}
