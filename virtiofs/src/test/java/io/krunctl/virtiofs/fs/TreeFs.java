package io.krunctl.virtiofs.fs;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small in-memory filesystem that draws inode numbers from a shared allocator and counts lookup
 * references, standing in for the future passthrough as the inner layer of {@link AugmentFs}.
 */
final class TreeFs implements FileSystem {
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    private record Node(long inode, int mode, byte[] data, Map<Name, Long> children) {
    }

    private final InodeAllocator inodes;
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private final Map<Long, Long> references = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();

    TreeFs(InodeAllocator inodes) {
        this.inodes = inodes;
        nodes.put(InodeAllocator.ROOT_ID, new Node(InodeAllocator.ROOT_ID, Linux.S_IFDIR | 0755, null,
                new TreeMap<>(java.util.Comparator.comparing(Name::toString))));
    }

    long addFile(long parent, String name, String content) {
        return add(parent, name, new Node(inodes.next(), Linux.S_IFREG | 0600,
                content.getBytes(StandardCharsets.UTF_8), null));
    }

    long addDirectory(long parent, String name) {
        return add(parent, name, new Node(inodes.next(), Linux.S_IFDIR | 0700, null,
                new TreeMap<>(java.util.Comparator.comparing(Name::toString))));
    }

    private long add(long parent, String name, Node node) {
        nodes.put(node.inode(), node);
        nodes.get(parent).children().put(Name.of(name), node.inode());
        return node.inode();
    }

    /** Lookup references the guest holds on {@code inode}. */
    long references(long inode) {
        return references.getOrDefault(inode, 0L);
    }

    private Node node(long inode) throws FsException {
        Node n = nodes.get(inode);
        if (n == null) {
            throw new FsException(Errno.ENOENT);
        }
        return n;
    }

    private Attr attr(Node n) {
        long size = n.data() == null ? 0 : n.data().length;
        return new Attr(n.inode(), n.mode(), 1, 1000, 1000, 0, size, 1, 4096, 0, 0, 0, 0, 0, 0, 0);
    }

    private Entry reference(Node n) {
        references.merge(n.inode(), 1L, Long::sum);
        return new Entry(n.inode(), 0, attr(n), TIMEOUT, TIMEOUT);
    }

    @Override
    public long init(long capable) {
        calls.add("init");
        return InitFlags.DO_READDIRPLUS;
    }

    @Override
    public void destroy() {
        calls.add("destroy");
    }

    @Override
    public Entry lookup(Context ctx, long parent, Name name) throws FsException {
        calls.add("lookup " + parent + " " + name);
        Long child = node(parent).children().get(name);
        if (child == null) {
            throw new FsException(Errno.ENOENT);
        }
        return reference(node(child));
    }

    @Override
    public void forget(long inode, long count) {
        calls.add("forget " + inode + " " + count);
        references.merge(inode, -count, Long::sum);
    }

    @Override
    public AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        return new AttrReply(attr(node(inode)), TIMEOUT);
    }

    @Override
    public Entry mkdir(Context ctx, long parent, Name name, int mode, int umask) throws FsException {
        calls.add("mkdir " + parent + " " + name);
        return reference(node(addDirectory(parent, name.toString())));
    }

    @Override
    public void unlink(Context ctx, long parent, Name name) throws FsException {
        calls.add("unlink " + parent + " " + name);
        if (node(parent).children().remove(name) == null) {
            throw new FsException(Errno.ENOENT);
        }
    }

    @Override
    public OpenResult open(Context ctx, long inode, int flags, boolean killSuidGid) throws FsException {
        node(inode);
        return new OpenResult(99, 0);
    }

    @Override
    public int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination, int flags)
            throws FsException {
        byte[] data = node(inode).data();
        int n = (int) Math.max(0, Math.min(data.length - offset, destination.getFirst().byteSize()));
        MemorySegment.copy(MemorySegment.ofArray(data), offset, destination.getFirst(), 0, n);
        return n;
    }

    @Override
    public void release(Context ctx, long inode, long handle, int flags, int releaseFlags, long lockOwner) {
        calls.add("release " + inode);
    }

    @Override
    public OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        node(inode);
        return new OpenResult(7, 0);
    }

    @Override
    public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        List<Map.Entry<Name, Long>> children = new ArrayList<>(node(inode).children().entrySet());
        for (int i = (int) offset; i < children.size(); i++) {
            Node child = node(children.get(i).getValue());
            if (!sink.add(new DirEntry(child.inode(), i + 1, Linux.direntType(child.mode()), children.get(i).getKey()))) {
                return;
            }
        }
    }

    @Override
    public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        List<Map.Entry<Name, Long>> children = new ArrayList<>(node(inode).children().entrySet());
        for (int i = (int) offset; i < children.size(); i++) {
            Node child = node(children.get(i).getValue());
            DirEntry e = new DirEntry(child.inode(), i + 1, Linux.direntType(child.mode()), children.get(i).getKey());
            if (!sink.add(e, reference(child))) {
                forget(child.inode(), 1);
                return;
            }
        }
    }

    @Override
    public StatFs statfs(Context ctx, long inode) throws FsException {
        calls.add("statfs " + inode);
        return new StatFs(100, 50, 40, 10, 5, 4096, 255, 4096);
    }

    @Override
    public IoctlResult ioctl(Context ctx, long inode, long handle, int flags, int cmd, long arg, byte[] input,
            int outputSize) {
        calls.add("ioctl " + inode + " " + Integer.toHexString(cmd));
        return new IoctlResult(7, new byte[0]);
    }

    @Override
    public byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
        return "v".getBytes(StandardCharsets.UTF_8);
    }
}
