package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.Wire.args;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.krunctl.nativeio.Fcntl;
import io.krunctl.virtiofs.Watchdog;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FileSystem;
import io.krunctl.virtiofs.fs.FsException;
import io.krunctl.virtiofs.fs.InitFlags;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.Linux;
import io.krunctl.virtiofs.fs.PassthroughConfig;
import io.krunctl.virtiofs.fs.PassthroughFs;
import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.virtiofs.fuse.FuseStructs.AccessIn;
import io.krunctl.virtiofs.fuse.FuseStructs.BatchForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CopyFileRangeIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CreateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.EntryOut;
import io.krunctl.virtiofs.fuse.FuseStructs.FallocateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FlushIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FsyncIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.InitIn;
import io.krunctl.virtiofs.fuse.FuseStructs.InterruptIn;
import io.krunctl.virtiofs.fuse.FuseStructs.IoctlIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LinkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LseekIn;
import io.krunctl.virtiofs.fuse.FuseStructs.MkdirIn;
import io.krunctl.virtiofs.fuse.FuseStructs.MknodIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenOut;
import io.krunctl.virtiofs.fuse.FuseStructs.ReadIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ReleaseIn;
import io.krunctl.virtiofs.fuse.FuseStructs.Rename2In;
import io.krunctl.virtiofs.fuse.FuseStructs.RenameIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteIn;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * Fuzzes the FUSE parser and dispatcher with hostile guests: random and mutated requests go through
 * the production stack, {@code FuseServer(AugmentFs(PassthroughFs))}, over a real directory (the
 * share) that has a sibling directory beside it the guest must never reach. The share holds symlinks
 * into the sibling, so a server that followed one would be caught. Node ids and file handles the server
 * hands out in a try are fed back into the later requests of that try, so the fuzzing gets past
 * "no such node".
 *
 * <p>Every answer must be well formed: nothing for FORGET, BATCH_FORGET, INTERRUPT and NOTIFY_REPLY
 * or when the reply area cannot hold a header; otherwise a header whose length is the byte count the
 * server returned, whose unique is the request's and whose error is 0 or a real negative errno (with
 * only the header then), and a successful reply has the size its opcode defines. The server must never
 * throw, never count an {@linkplain FuseServer#unexpectedFailures() unexpected failure}, allocate no
 * more than its caps allow, finish every try within {@value #TRY_SECONDS} s and answer a well-formed
 * request afterwards; the sibling must be unchanged and its secret must never appear in a reply.
 *
 * <p>Budget: {@value #SEQUENCE_TRIES} sequences of up to {@value #MAX_SEQUENCE} generated requests and
 * {@value #MUTATION_TRIES} mutated valid requests, a fresh server and share each try; about 20 s on
 * two cores.
 */
class FuseRequestFuzzTest {
    static final int SEQUENCE_TRIES = 600;
    static final int MAX_SEQUENCE = 12;
    static final int MUTATION_TRIES = 1500;
    static final int TRY_SECONDS = 10;

    private static final long ROOT = InodeAllocator.ROOT_ID;
    /** What fallocate and copy_file_range may put on the host's disk per request in these tests. */
    private static final long DISK_BUDGET = 1 << 20;
    /**
     * Heap one request may cost, beyond twice its own size: two buffers at the 1 MiB cap (a listing
     * or an xattr value, and the copy the reply is made from) and change for bookkeeping.
     */
    private static final long ALLOCATION_CAP = 2 * Operations.MAX_BUFFER + (256 << 10);
    private static final byte[] VIRTUAL_INIT = "#!/bin/init\n".getBytes(StandardCharsets.UTF_8);

    /** Holds the share and the sibling; nothing else may appear in it. */
    private Path root;
    private Path share;
    private Path sibling;
    /** The content of the sibling's file: in no reply, ever. */
    private byte[] secret;
    /** {@link #outsideTheShare()} as the try found it. */
    private Map<String, String> outsideBefore;
    /** Serves every request on one thread, as a device worker would, and fails a try that hangs. */
    private Watchdog worker;

    // ---- the share, the sibling and the watchdog ----

    @BeforeProperty
    void createShareAndSibling() throws IOException {
        root = Files.createTempDirectory("fuse-fuzz");
        share = Files.createDirectory(root.resolve("share"));
        sibling = Files.createDirectory(root.resolve("sibling"));
        byte[] marker = new byte[12];
        ThreadLocalRandom.current().nextBytes(marker);
        secret = ("SECRET-" + HexFormat.of().formatHex(marker)).getBytes(StandardCharsets.US_ASCII);
        Files.write(sibling.resolve("secret"), secret);
        Files.createDirectory(sibling.resolve("sub"));
        Files.writeString(sibling.resolve("sub/other"), "not the guest's\n");
        worker = new Watchdog("fuse-fuzz-worker", Duration.ofSeconds(TRY_SECONDS));
    }

    @AfterProperty
    void removeEverything() throws IOException {
        worker.close();
        clear(root);
        Files.deleteIfExists(root);
    }

    /**
     * A fresh share for every try: a file (with a user xattr), a directory with a file, an empty
     * directory and symlinks into the sibling (relative, absolute, to the directory) and to the host's
     * root.
     */
    @BeforeTry
    void resetShare() throws IOException {
        clear(share);
        Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(share.resolve("file"), "hello from the share\n".repeat(50));
        Files.getFileAttributeView(share.resolve("file"), UserDefinedFileAttributeView.class)
                .write("k", ByteBuffer.wrap(new byte[] {'v'}));
        Files.createDirectory(share.resolve("dir"));
        Files.writeString(share.resolve("dir/inner"), "inner\n");
        Files.createDirectory(share.resolve("empty"));
        Files.createSymbolicLink(share.resolve("link"), Path.of("../sibling/secret"));
        Files.createSymbolicLink(share.resolve("abs"), sibling.resolve("secret").toAbsolutePath());
        Files.createSymbolicLink(share.resolve("sibdir"), Path.of("../sibling"));
        Files.createSymbolicLink(share.resolve("hostroot"), Path.of("/"));
        // Compared with what the try leaves, so that a try fails for its own escape only, and shrinks.
        outsideBefore = outsideTheShare();
    }

    /** Deletes what is inside {@code dir}, never following a link, whatever modes the guest left. */
    private static void clear(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                if (!d.equals(dir)) {
                    Files.delete(d);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Everything under the temp root but the share, as path -> type, mode, owner, size, inode, link
     * count, ctime, mtime and content digest. The ctime moves with any change to an inode, its
     * extended attributes included.
     */
    private Map<String, String> outsideTheShare() throws IOException {
        Map<String, String> seen = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (d.equals(share)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                seen.put(root.relativize(d).toString(), describe(d));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                seen.put(root.relativize(file).toString(), describe(file));
                return FileVisitResult.CONTINUE;
            }
        });
        return seen;
    }

    private static String describe(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,ino,nlink,ctime,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        String digest = "";
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
                digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
        return new TreeMap<>(a) + " " + digest;
    }

    private void assertNothingChangedOutsideTheShare() throws IOException {
        assertThat(outsideTheShare()).as("the sibling and the directory holding the share").isEqualTo(outsideBefore);
    }

    /**
     * The passthrough filesystem with fallocate and copy_file_range held to {@link #DISK_BUDGET}: a
     * fuzzed length would otherwise fill the host's disk (a failed fallocate keeps what it reserved,
     * a copy out of a sparse file writes its holes out).
     */
    private static FileSystem boundedDisk(FileSystem fs) {
        return (FileSystem) Proxy.newProxyInstance(FileSystem.class.getClassLoader(), new Class<?>[] {FileSystem.class},
                (proxy, method, arguments) -> {
                    if (method.getName().equals("fallocate") && (long) arguments[5] > DISK_BUDGET) {
                        throw new FsException(Errno.EFBIG, "fuzzing keeps the host's disk");
                    }
                    if (method.getName().equals("copyFileRange") && (long) arguments[7] > DISK_BUDGET) {
                        arguments[7] = DISK_BUDGET;
                    }
                    try {
                        return method.invoke(fs, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    // ---- one try: a mounted server, what it handed out, and the checks on every answer ----

    /**
     * A server over the share, mounted, with a few nodes looked up and a file and a directory open.
     * Offered NO_OPENDIR_SUPPORT, as the Linux guest offers it, the server keeps no directory handles
     * and the directory's handle is 0.
     */
    private final class Session implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final PassthroughFs passthrough;
        private final FuseServer server;
        private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        /** Node ids the server handed out in this try, the root first. */
        final List<Long> nodes = new ArrayList<>(List.of(ROOT));
        /** File handles the server handed out in this try. */
        final List<Long> handles = new ArrayList<>();
        final long file;
        final long dir;
        final long link;
        final long fileHandle;
        final long dirHandle;
        private final Wire.Bytes initIn;
        private long unique = 1000;

        Session(boolean handlelessDirectories) throws IOException {
            initIn = initIn(handlelessDirectories ? -1L : ~InitFlags.NO_OPENDIR_SUPPORT);
            InodeAllocator inodes = new InodeAllocator();
            passthrough = new PassthroughFs(share, inodes, PassthroughConfig.defaults());
            server = new FuseServer(new AugmentFs(boundedDisk(passthrough), inodes,
                    Map.of("init.krun", VirtualEntry.file(VIRTUAL_INIT, 0755, true)), code -> { }));
            expectSuccess(Opcode.INIT, 0, initIn);
            file = expectSuccess(Opcode.LOOKUP, ROOT, args().cstring("file")).getLong(0);
            dir = expectSuccess(Opcode.LOOKUP, ROOT, args().cstring("dir")).getLong(0);
            link = expectSuccess(Opcode.LOOKUP, ROOT, args().cstring("link")).getLong(0);
            expectSuccess(Opcode.LOOKUP, ROOT, args().cstring("sibdir"));
            expectSuccess(Opcode.LOOKUP, ROOT, args().cstring("init.krun"));
            fileHandle = expectSuccess(Opcode.OPEN, file, args().u32(Fcntl.O_RDWR).u32(0)).getLong(0);
            if (handlelessDirectories) {
                Answer opendir = send(request(Opcode.OPENDIR, ROOT, args().u32(Fcntl.O_RDONLY).u32(0)), Delivery.ROOMY);
                assertThat(opendir.error()).as("OPENDIR without directory handles").isEqualTo(-Errno.ENOSYS.code());
                dirHandle = 0;
            } else {
                dirHandle = expectSuccess(Opcode.OPENDIR, ROOT, args().u32(Fcntl.O_RDONLY).u32(0)).getLong(0);
            }
        }

        @Override
        public void close() {
            passthrough.close();
            arena.close();
        }

        long node(int index) {
            return nodes.get(Math.floorMod(index, nodes.size()));
        }

        long handle(int index) {
            return handles.get(Math.floorMod(index, handles.size()));
        }

        long nextUnique() {
            return ++unique;
        }

        /** A well-formed request from root (uid 0), as the guest kernel encodes it. */
        byte[] request(Opcode opcode, long nodeId, Wire.Bytes arguments) {
            byte[] a = arguments.toArray();
            return header(Wire.IN_HEADER + a.length, opcode.code(), nextUnique(), nodeId, 0, 0, 4242).put(a).toArray();
        }

        private ByteBuffer expectSuccess(Opcode opcode, long nodeId, Wire.Bytes arguments) {
            Answer a = send(request(opcode, nodeId, arguments), Delivery.ROOMY);
            assertThat(a.error()).as("%s during setup", opcode).isZero();
            return a.payload();
        }

        /** FUSE_INIT again, then GETATTR of the root: whatever came before, the server still serves. */
        void assertStillServes() {
            expectSuccess(Opcode.INIT, 0, initIn);
            expectSuccess(Opcode.GETATTR, ROOT, args().u32(0).u32(0).u64(0));
        }

        /** Serves {@code request} as {@code delivery} says and checks everything about the answer. */
        Answer send(byte[] request, Delivery delivery) {
            ScatterBuffer in = Wire.scatter(arena, request, delivery.cutsFor(request.length));
            ScatterBuffer out = delivery.replyArea(arena);
            String what = describeRequest(request) + " into " + delivery;

            long before = threads.getCurrentThreadAllocatedBytes();
            // As the device serves it: on the kick thread if quick, else on a worker.
            int written = server.handleIfQuick(in, out);
            if (written == FuseServer.WOULD_BLOCK) {
                written = server.handle(in, out);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertThat(server.unexpectedFailures()).as("unexpected failures after %s", what).isZero();
            assertThat(allocated).as("heap bytes allocated serving %s", what)
                    .isLessThanOrEqualTo(ALLOCATION_CAP + 2L * request.length);
            Header h = Header.of(request);
            Opcode opcode = h == null ? null : Opcode.of(h.opcode());
            boolean noReply = opcode != null && !opcode.expectsReply();
            if (noReply || out.size() < Wire.OUT_HEADER) {
                assertThat(written).as("bytes written for %s", what).isZero();
                assertThat(delivery.untouched(out)).as("reply area left alone by %s", what).isTrue();
                return new Answer(0, 0, ByteBuffer.allocate(0));
            }
            assertThat(written).as("bytes written for %s", what).isBetween(Wire.OUT_HEADER, (int) Math.min(out.size(),
                    Integer.MAX_VALUE));
            byte[] reply = new byte[written];
            out.read(0, MemorySegment.ofArray(reply));
            ByteBuffer b = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
            int error = b.getInt(4);
            assertThat(b.getInt(0)).as("reply length field for %s", what).isEqualTo(written);
            assertThat(b.getLong(8)).as("reply unique for %s", what).isEqualTo(h == null ? 0 : h.unique());
            if (error != 0) {
                assertThat(-error).as("errno for %s", what).isBetween(1, 511);
                assertThat(written).as("an error reply is a header alone: %s", what).isEqualTo(Wire.OUT_HEADER);
            }
            assertThat(indexOf(reply, secret)).as("the sibling's secret in the reply to %s", what).isNegative();
            ByteBuffer payload = ByteBuffer.wrap(reply, Wire.OUT_HEADER, written - Wire.OUT_HEADER).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (error == 0 && opcode != null) {
                assertThat(payloadFits(opcode, request, payload.remaining())).as("payload of %d bytes for %s",
                        payload.remaining(), what).isTrue();
                learn(opcode, payload);
            }
            return new Answer(written, error, payload);
        }

        /** Remembers the node ids and file handles a successful reply hands out. */
        private void learn(Opcode opcode, ByteBuffer payload) {
            switch (opcode) {
                case LOOKUP, MKNOD, MKDIR, SYMLINK, LINK -> remember(nodes, payload.getLong(0));
                case CREATE -> {
                    remember(nodes, payload.getLong(0));
                    handles.add(payload.getLong((int) EntryOut.SIZE));
                }
                case OPEN, OPENDIR -> handles.add(payload.getLong(0));
                default -> {
                }
            }
        }

        private static void remember(List<Long> pool, long id) {
            if (id != 0 && !pool.contains(id)) {
                pool.add(id);
            }
        }

        /** FUSE_INIT of a 7.38 kernel capable of {@code flags}. */
        static Wire.Bytes initIn(long flags) {
            return args().u32(7).u32(38).u32(128 * 1024).u32(flags & 0xFFFF_FFFFL).u32(flags >>> 32).zeros(44);
        }
    }

    record Answer(int written, int error, ByteBuffer payload) {
    }

    /** The fields of {@code fuse_in_header} the checks need, or null for a request shorter than one. */
    record Header(long length, int opcode, long unique) {
        static Header of(byte[] request) {
            if (request.length < Wire.IN_HEADER) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN);
            return new Header(Integer.toUnsignedLong(b.getInt(0)), b.getInt(4), b.getLong(8));
        }
    }

    static Wire.Bytes header(long length, int opcode, long unique, long nodeId, int uid, int gid, int pid) {
        return args().u32(length).u32(opcode).u64(unique).u64(nodeId).u32(uid).u32(gid).u32(pid).u16(0).u16(0);
    }

    /**
     * Whether a successful reply's payload has the size FUSE 7.27 gives the opcode's answer: fixed for
     * most, at most what the guest asked for reads, listings and xattr values.
     */
    private static boolean payloadFits(Opcode opcode, byte[] request, int size) {
        ByteBuffer body = ByteBuffer.wrap(request, Wire.IN_HEADER, request.length - Wire.IN_HEADER).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return switch (opcode) {
            case LOOKUP, MKNOD, MKDIR, SYMLINK, LINK -> size == EntryOut.SIZE;
            case CREATE -> size == EntryOut.SIZE + OpenOut.SIZE;
            case OPEN, OPENDIR -> size == OpenOut.SIZE;
            case GETATTR, SETATTR -> size == FuseStructs.AttrOut.SIZE;
            case STATFS -> size == FuseStructs.StatfsOut.SIZE;
            case INIT -> size == FuseStructs.InitOut.SIZE;
            case WRITE, COPY_FILE_RANGE -> size == FuseStructs.WriteOut.SIZE;
            case LSEEK -> size == FuseStructs.LseekOut.SIZE;
            case GETLK -> size == FuseStructs.LkOut.SIZE;
            case READ, READDIR, READDIRPLUS -> size <= Integer.toUnsignedLong(body.getInt((int) ReadIn.READ_SIZE));
            case GETXATTR, LISTXATTR -> {
                long asked = Integer.toUnsignedLong(body.getInt((int) GetxattrIn.BUFFER_SIZE));
                yield asked == 0 ? size == FuseStructs.GetxattrOut.SIZE : size <= asked;
            }
            case READLINK -> size >= 1 && size <= 4096;
            case IOCTL -> size >= FuseStructs.IoctlOut.SIZE
                    && size - FuseStructs.IoctlOut.SIZE <= Integer.toUnsignedLong(body.getInt((int) IoctlIn.OUT_SIZE));
            default -> size == 0;
        };
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String describeRequest(byte[] request) {
        Header h = Header.of(request);
        String head = h == null ? "a truncated header" : "opcode " + h.opcode() + (Opcode.of(h.opcode()) == null ? ""
                : " (" + Opcode.of(h.opcode()) + ")") + ", length field " + h.length();
        int shown = Math.min(request.length, 160);
        return "request of " + request.length + " bytes [" + head + "]: " + HexFormat.of().formatHex(request, 0, shown)
                + (shown < request.length ? "..." : "");
    }

    // ---- how a request reaches the server ----

    /**
     * Where the request and reply bytes lie: the request cut into segments at {@code requestCuts}
     * (taken modulo its length), and a reply area of {@code replySize} bytes cut at {@code replyCuts},
     * or 2 GiB of descriptors all aliasing one 64 KiB page, as a guest may send.
     */
    record Delivery(List<Integer> requestCuts, int replySize, List<Integer> replyCuts, boolean aliased) {
        static final Delivery ROOMY = new Delivery(List.of(), 1 << 17, List.of(), false);
        private static final int ALIASED_PAGE = 1 << 16;

        int[] cutsFor(int length) {
            return requestCuts.stream().mapToInt(c -> Math.floorMod(c, length + 1)).sorted().toArray();
        }

        ScatterBuffer replyArea(Arena arena) {
            if (aliased) {
                MemorySegment page = arena.allocate(ALIASED_PAGE).fill((byte) 0xAA);
                return new ScatterBuffer(Collections.nCopies(1 << 15, page));
            }
            return Wire.replyArea(arena, replySize,
                    replyCuts.stream().mapToInt(c -> Math.floorMod(c, replySize + 1)).sorted().toArray());
        }

        boolean untouched(ScatterBuffer out) {
            byte[] seen = new byte[(int) Math.min(out.size(), ALIASED_PAGE)];
            out.read(0, MemorySegment.ofArray(seen));
            for (byte b : seen) {
                if (b != (byte) 0xAA) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return (aliased ? "2 GiB of aliased reply area" : "a reply area of " + replySize + " bytes cut at "
                    + replyCuts) + ", request cut at " + requestCuts;
        }
    }

    @Provide
    Arbitrary<Delivery> deliveries() {
        Arbitrary<List<Integer>> cuts = Arbitraries.integers().between(0, 1 << 20).list().ofMaxSize(3);
        Arbitrary<Integer> replySize = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, Wire.OUT_HEADER - 1)),
                Tuple.of(1, Arbitraries.just(Wire.OUT_HEADER)),
                Tuple.of(3, Arbitraries.integers().between(Wire.OUT_HEADER + 1, 400)),
                Tuple.of(6, Arbitraries.just(8192)),
                Tuple.of(2, Arbitraries.just(Wire.OUT_HEADER + (1 << 17))));
        Arbitrary<Boolean> aliased = Arbitraries.frequency(Tuple.of(9, false), Tuple.of(1, true));
        return Combinators.combine(cuts, replySize, cuts, aliased).as(Delivery::new);
    }

    // ---- property 1: generated requests, in sequences ----

    /** A 64-bit field: a value, or one of the node ids or file handles this try was given. */
    sealed interface Word {
        long resolve(Session s);
    }

    record Value(long value) implements Word {
        @Override
        public long resolve(Session s) {
            return value;
        }

        @Override
        public String toString() {
            return "0x" + Long.toHexString(value);
        }
    }

    record Node(int index) implements Word {
        @Override
        public long resolve(Session s) {
            return s.node(index);
        }
    }

    record Handle(int index) implements Word {
        @Override
        public long resolve(Session s) {
            return s.handles.isEmpty() ? 0 : s.handle(index);
        }
    }

    /** A name as the guest sends it: any bytes, usually NUL-terminated. */
    record Name(byte[] bytes, boolean terminated) {
        @Override
        public String toString() {
            String s = new String(bytes, StandardCharsets.ISO_8859_1);
            return "\"" + (s.length() > 24 ? s.substring(0, 24) + "...(" + s.length() + ")" : s) + "\""
                    + (terminated ? "" : " without NUL");
        }
    }

    /**
     * Trailing bytes: {@code size} of them drawn from {@code seed}. Kept as a size and a seed rather than
     * the bytes, so that samples of a megabyte stay small while jqwik shrinks and reports them.
     */
    record Data(int size, long seed) {
        byte[] bytes() {
            byte[] b = new byte[size];
            new Random(seed).nextBytes(b);
            return b;
        }

        @Override
        public String toString() {
            return "data " + size;
        }
    }

    /**
     * One generated request: header fields (a {@code declaredLength} overrides the true length), the
     * opcode's fixed struct as {@code fixedSize} bytes of words, names, trailing words (forget entries,
     * say) and trailing data (written bytes, an xattr value, ioctl input).
     */
    record Generated(int opcode, Word nodeId, int uid, int pid, List<Word> fixed, int fixedSize, List<Name> names,
            List<Word> tail, Data data, OptionalLong declaredLength, Delivery delivery) {

        byte[] encode(Session s) {
            Wire.Bytes body = args();
            ByteBuffer words = ByteBuffer.allocate(8 * fixed.size()).order(ByteOrder.LITTLE_ENDIAN);
            fixed.forEach(w -> words.putLong(w.resolve(s)));
            body.put(Arrays.copyOf(words.array(), fixedSize));
            for (Name n : names) {
                body.put(n.bytes());
                if (n.terminated()) {
                    body.put(new byte[1]);
                }
            }
            tail.forEach(w -> body.u64(w.resolve(s)));
            body.put(data.bytes());
            byte[] b = body.toArray();
            long length = declaredLength.orElse(Wire.IN_HEADER + b.length);
            return header(length, opcode, s.nextUnique(), nodeId.resolve(s), uid, uid, pid).put(b).toArray();
        }

        @Override
        public String toString() {
            Opcode op = Opcode.of(opcode);
            return (op == null ? "opcode " + opcode : op.toString()) + "(node " + nodeId + ", uid " + uid + ", pid "
                    + pid
                    + ", fixed " + fixedSize + " " + fixed + ", names " + names + ", tail " + tail + ", " + data
                    + (declaredLength.isPresent() ? ", length field " + declaredLength.getAsLong() : "")
                    + ") into " + delivery;
        }
    }

    @Property(tries = SEQUENCE_TRIES, edgeCases = EdgeCasesMode.NONE)
    void generatedRequestSequencesGetWellFormedAnswersAndNeverLeaveTheShare(
            @ForAll("requestSequences") List<Generated> requests, @ForAll boolean handlelessDirectories)
            throws Exception {
        worker.run(() -> {
            try (Session s = new Session(handlelessDirectories)) {
                for (Generated g : requests) {
                    s.send(g.encode(s), g.delivery());
                }
                s.assertStillServes();
            }
        });
        assertNothingChangedOutsideTheShare();
    }

    @Provide
    Arbitrary<List<Generated>> requestSequences() {
        return generated().list().ofMinSize(1).ofMaxSize(MAX_SEQUENCE)
                .withSizeDistribution(RandomDistribution.uniform());
    }

    private Arbitrary<Generated> generated() {
        Arbitrary<Integer> unknownOpcodes = Arbitraries.oneOf(
                Arbitraries.of(0, 7, 19, 53, 54, 100, 4096, Integer.MAX_VALUE, Integer.MIN_VALUE, -1),
                Arbitraries.integers());
        Arbitrary<Integer> opcodes = Arbitraries.frequencyOf(
                Tuple.of(20, Arbitraries.of(Opcode.values()).filter(o -> o != Opcode.INIT && o != Opcode.DESTROY)
                        .map(Opcode::code)),
                Tuple.of(1, Arbitraries.of(Opcode.INIT.code(), Opcode.DESTROY.code())),
                Tuple.of(3, unknownOpcodes));
        return opcodes.flatMap(this::generatedFor);
    }

    private Arbitrary<Generated> generatedFor(int opcode) {
        Opcode op = Opcode.of(opcode);
        int fixedSize = op == null ? 16 : (int) fixedSize(op);
        int nameCount = op == null ? 0 : nameCount(op);
        Arbitrary<Integer> size = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(fixedSize)),
                Tuple.of(1, Arbitraries.integers().between(0, 120)));
        Arbitrary<List<Name>> names = Arbitraries.frequencyOf(
                Tuple.of(8, names().list().ofSize(nameCount)),
                Tuple.of(1, names().list().ofMaxSize(3)));
        Arbitrary<List<Word>> tail = op == Opcode.BATCH_FORGET
                ? words().list().ofMaxSize(8)
                : Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(List.of())),
                        Tuple.of(1, words().list().ofMaxSize(4)));
        Arbitrary<Data> data = Combinators.combine(Arbitraries.frequencyOf(
                Tuple.of(op == Opcode.WRITE || op == Opcode.SETXATTR || op == Opcode.IOCTL ? 2 : 12,
                        Arbitraries.just(0)),
                Tuple.of(8, Arbitraries.integers().between(1, 300)),
                Tuple.of(1, Arbitraries.of(64 << 10, 1 << 20, (int) FuseServer.MAX_REQUEST - Wire.IN_HEADER + 1))),
                Arbitraries.longs()).as(Data::new);
        Arbitrary<OptionalLong> declared = Arbitraries.frequencyOf(
                Tuple.of(17, Arbitraries.just(OptionalLong.empty())),
                Tuple.of(3, Arbitraries.oneOf(
                        Arbitraries.of(0L, 1L, 39L, 40L, 0xFFFF_FFFFL, FuseServer.MAX_REQUEST + 1),
                        Arbitraries.longs().between(0, 0xFFFF_FFFFL)).map(OptionalLong::of)));
        Arbitrary<Integer> uids = Arbitraries.frequency(Tuple.of(8, 0), Tuple.of(1, 1000), Tuple.of(1, 65534));
        Arbitrary<Integer> pids = Arbitraries.frequency(Tuple.of(4, 4242), Tuple.of(1, AugmentFs.INIT_PID));
        Arbitrary<Word> nodeIds = Arbitraries.frequencyOf(Tuple.of(6, nodeRefs()), Tuple.of(1, values()));
        Arbitrary<List<Word>> struct = Combinators.combine(firstWord(op), words().list().ofSize(15))
                .as((first, rest) -> {
                    List<Word> all = new ArrayList<>(List.of(first));
                    all.addAll(rest.subList(0, Math.max(0, (fixedSize + 7) / 8 - 1)));
                    return all;
                });
        return Combinators.combine(nodeIds, uids, pids, struct, size)
                .flatAs((node, uid, pid, fixed, fixedBytes) -> Combinators.combine(names, tail, data, declared,
                        deliveries())
                        .as((n, t, d, len, delivery) -> new Generated(opcode, node, uid, pid,
                                padTo(fixed, fixedBytes), fixedBytes, n, t, d, len, delivery)));
    }

    /** The struct's first field: mostly a handle where the opcode puts a file handle there, a node where a node. */
    private Arbitrary<Word> firstWord(Opcode op) {
        Arbitrary<Word> handles = Arbitraries.integers().between(0, 15).map(Handle::new);
        if (op == null) {
            return words();
        }
        return switch (op) {
            case READ, WRITE, RELEASE, RELEASEDIR, FLUSH, FSYNC, FSYNCDIR, LSEEK, FALLOCATE, COPY_FILE_RANGE, IOCTL,
                    READDIR, READDIRPLUS, GETLK, SETLK, SETLKW -> Arbitraries.frequencyOf(Tuple.of(7, handles),
                    Tuple.of(3, words()));
            case LINK, RENAME, RENAME2 -> Arbitraries.frequencyOf(Tuple.of(7, nodeRefs()), Tuple.of(3, words()));
            default -> words();
        };
    }

    private Arbitrary<Word> words() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, nodeRefs()),
                Tuple.of(2, Arbitraries.integers().between(0, 15).map(Handle::new)),
                Tuple.of(6, values()));
    }

    private static Arbitrary<Word> nodeRefs() {
        return Arbitraries.integers().between(0, 15).map(Node::new);
    }

    /**
     * Fields as they come in structs: a small offset or size, a u64 or two u32s from values that make
     * parsers stumble.
     */
    private static Arbitrary<Word> values() {
        Arbitrary<Long> u32 = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, 3L, 7L, 0x1ffL, 4096L, 4097L, 65536L, 131072L, 131073L, 1L << 20,
                        (1L << 20) + 1, 0x7fff_ffffL, 0x8000_0000L, 0xffff_fffeL, 0xffff_ffffL),
                Arbitraries.of((long) (Linux.S_IFREG | 0644), (long) (Linux.S_IFDIR | 0755), 0120777L, 020644L,
                        060644L, 010644L, 0140755L, 020000L),
                Arbitraries.of((long) Fcntl.O_RDWR, (long) (Fcntl.O_WRONLY | Fcntl.O_CREAT | Fcntl.O_TRUNC),
                        (long) (Fcntl.O_RDONLY | Fcntl.O_DIRECTORY), (long) (Fcntl.O_RDWR | Fcntl.O_APPEND),
                        (long) Fcntl.O_PATH, (long) (Fcntl.O_TMPFILE_BIT | Fcntl.O_DIRECTORY | Fcntl.O_RDWR),
                        (long) (Fcntl.O_NOFOLLOW | Fcntl.O_RDONLY)),
                Arbitraries.longs().between(0, 0xffff_ffffL));
        Arbitrary<Long> u64 = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, -1L, -5L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 0xffff_ffffL, 1L << 40,
                        1L << 62, 4096L),
                Arbitraries.longs());
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(0, 8192)),
                Tuple.of(3, u64),
                Tuple.of(4, Combinators.combine(u32, u32).as((lo, hi) -> (hi << 32) | lo))).map(Value::new);
    }

    private static Arbitrary<Name> names() {
        Arbitrary<byte[]> fixture = Arbitraries.of("file", "dir", "empty", "link", "abs", "sibdir", "hostroot",
                "init.krun", "inner", "new", "x", "secret", "sub", "other", "sibling", "user.k", "trusted.k",
                "security.capability", "system.posix_acl_access").map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> hostile = Arbitraries.of("", ".", "..", "/", "a/b", "../sibling", "sibdir/secret",
                "../sibling/secret", "/etc/passwd", "..\u0000x").map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> long_ = Arbitraries.of(255, 256, 1024, 1025, 4096).map(n -> "n".repeat(n)
                .getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> random = Arbitraries.bytes().filter(b -> b != 0).array(byte[].class).ofMinSize(1)
                .ofMaxSize(40);
        Arbitrary<Boolean> terminated = Arbitraries.frequency(Tuple.of(9, true), Tuple.of(1, false));
        return Combinators.combine(Arbitraries.frequencyOf(Tuple.of(6, fixture), Tuple.of(3, hostile),
                Tuple.of(1, long_), Tuple.of(2, random)), terminated).as(Name::new);
    }

    private static List<Word> padTo(List<Word> words, int bytes) {
        List<Word> out = new ArrayList<>(words);
        while (out.size() * 8 < bytes) {
            out.add(new Value(0));
        }
        return out;
    }

    /** The size of the struct that opens the opcode's arguments. */
    private static long fixedSize(Opcode op) {
        return switch (op) {
            case FORGET -> ForgetIn.SIZE;
            case GETATTR -> GetattrIn.SIZE;
            case SETATTR -> SetattrIn.SIZE;
            case MKNOD -> MknodIn.SIZE;
            case MKDIR -> MkdirIn.SIZE;
            case RENAME -> RenameIn.SIZE;
            case RENAME2 -> Rename2In.SIZE;
            case LINK -> LinkIn.SIZE;
            case OPEN, OPENDIR -> OpenIn.SIZE;
            case CREATE -> CreateIn.SIZE;
            case READ, READDIR, READDIRPLUS -> ReadIn.SIZE;
            case WRITE -> WriteIn.SIZE;
            case RELEASE, RELEASEDIR -> ReleaseIn.SIZE;
            case FSYNC, FSYNCDIR -> FsyncIn.SIZE;
            case SETXATTR -> SetxattrIn.SIZE;
            case GETXATTR, LISTXATTR -> GetxattrIn.SIZE;
            case FLUSH -> FlushIn.SIZE;
            case INIT -> InitIn.SIZE;
            case GETLK, SETLK, SETLKW -> LkIn.SIZE;
            case ACCESS -> AccessIn.SIZE;
            case INTERRUPT -> InterruptIn.SIZE;
            case BATCH_FORGET -> BatchForgetIn.SIZE;
            case FALLOCATE -> FallocateIn.SIZE;
            case LSEEK -> LseekIn.SIZE;
            case COPY_FILE_RANGE -> CopyFileRangeIn.SIZE;
            case IOCTL -> IoctlIn.SIZE;
            case LOOKUP, UNLINK, RMDIR, READLINK, SYMLINK, STATFS, REMOVEXATTR, DESTROY -> 0;
            default -> 16;
        };
    }

    private static int nameCount(Opcode op) {
        return switch (op) {
            case LOOKUP, UNLINK, RMDIR, MKNOD, MKDIR, LINK, CREATE, GETXATTR, SETXATTR, REMOVEXATTR -> 1;
            case SYMLINK, RENAME, RENAME2 -> 2;
            default -> 0;
        };
    }

    // ---- property 2: valid requests, mutated ----

    /** Well-formed requests on the fixture, one per kind of argument layout the server parses. */
    enum Valid {
        LOOKUP(Opcode.LOOKUP, s -> ROOT, s -> args().cstring("file")),
        FORGET(Opcode.FORGET, s -> s.file, s -> args().u64(1)),
        BATCH_FORGET(Opcode.BATCH_FORGET, s -> 0, s -> args().u32(2).u32(0).u64(s.dir).u64(1).u64(s.link).u64(1)),
        GETATTR(Opcode.GETATTR, s -> s.file, s -> args().u32(1).u32(0).u64(s.fileHandle)),
        SETATTR(Opcode.SETATTR, s -> s.file, s -> args().u32(1 | 8).u32(0).u64(0).u64(7).u64(0).u64(0).u64(0)
                .u64(0).u32(0).u32(0).u32(0).u32(Linux.S_IFREG | 0600).u32(0).u32(0).u32(0).u32(0)),
        READLINK(Opcode.READLINK, s -> s.link, s -> args()),
        SYMLINK(Opcode.SYMLINK, s -> ROOT, s -> args().cstring("sym").cstring("file")),
        MKNOD(Opcode.MKNOD, s -> ROOT, s -> args().u32(Linux.S_IFREG | 0644).u32(0).u32(022).u32(0).cstring("node")),
        MKDIR(Opcode.MKDIR, s -> s.dir, s -> args().u32(0755).u32(022).cstring("sub")),
        UNLINK(Opcode.UNLINK, s -> s.dir, s -> args().cstring("inner")),
        RMDIR(Opcode.RMDIR, s -> ROOT, s -> args().cstring("empty")),
        RENAME(Opcode.RENAME, s -> ROOT, s -> args().u64(s.dir).cstring("file").cstring("moved")),
        RENAME2(Opcode.RENAME2, s -> ROOT, s -> args().u64(ROOT).u32(1).u32(0).cstring("file").cstring("renamed")),
        LINK(Opcode.LINK, s -> s.dir, s -> args().u64(s.file).cstring("hard")),
        OPEN(Opcode.OPEN, s -> s.file, s -> args().u32(Fcntl.O_RDONLY).u32(0)),
        READ(Opcode.READ, s -> s.file, s -> args().u64(s.fileHandle).u64(3).u32(200).u32(0).u64(0).u32(0).u32(0)),
        WRITE(Opcode.WRITE, s -> s.file, s -> args().u64(s.fileHandle).u64(5).u32(11).u32(0).u64(0).u32(0).u32(0)
                .raw("overwritten")),
        STATFS(Opcode.STATFS, s -> ROOT, s -> args()),
        RELEASE(Opcode.RELEASE, s -> s.file, s -> args().u64(s.fileHandle).u32(0).u32(0).u64(0)),
        FSYNC(Opcode.FSYNC, s -> s.file, s -> args().u64(s.fileHandle).u32(1).u32(0)),
        SETXATTR(Opcode.SETXATTR, s -> s.file, s -> args().u32(5).u32(0).cstring("user.k").raw("value")),
        GETXATTR(Opcode.GETXATTR, s -> s.file, s -> args().u32(64).u32(0).cstring("user.k")),
        LISTXATTR(Opcode.LISTXATTR, s -> s.file, s -> args().u32(0).u32(0)),
        REMOVEXATTR(Opcode.REMOVEXATTR, s -> s.file, s -> args().cstring("user.none")),
        FLUSH(Opcode.FLUSH, s -> s.file, s -> args().u64(s.fileHandle).u32(0).u32(0).u64(0)),
        INIT(Opcode.INIT, s -> 0, s -> Session.initIn(-1L)),
        OPENDIR(Opcode.OPENDIR, s -> s.dir, s -> args().u32(Fcntl.O_RDONLY).u32(0)),
        READDIR(Opcode.READDIR, s -> ROOT, s -> args().u64(s.dirHandle).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0)),
        READDIRPLUS(Opcode.READDIRPLUS, s -> ROOT, s -> args().u64(s.dirHandle).u64(0).u32(4096).u32(0).u64(0).u32(0)
                .u32(0)),
        RELEASEDIR(Opcode.RELEASEDIR, s -> ROOT, s -> args().u64(s.dirHandle).u32(0).u32(0).u64(0)),
        FSYNCDIR(Opcode.FSYNCDIR, s -> ROOT, s -> args().u64(s.dirHandle).u32(0).u32(0)),
        ACCESS(Opcode.ACCESS, s -> s.file, s -> args().u32(4).u32(0)),
        CREATE(Opcode.CREATE, s -> s.dir, s -> args().u32(Fcntl.O_RDWR | Fcntl.O_CREAT).u32(Linux.S_IFREG | 0644)
                .u32(022).u32(0).cstring("created")),
        INTERRUPT(Opcode.INTERRUPT, s -> 0, s -> args().u64(5)),
        IOCTL(Opcode.IOCTL, s -> s.file, s -> args().u64(s.fileHandle).u32(0).u32(0x5401).u64(0).u32(0).u32(64)),
        FALLOCATE(Opcode.FALLOCATE, s -> s.file, s -> args().u64(s.fileHandle).u64(0).u64(8192).u32(0).u32(0)),
        LSEEK(Opcode.LSEEK, s -> s.file, s -> args().u64(s.fileHandle).u64(10).u32(0).u32(0)),
        COPY_FILE_RANGE(Opcode.COPY_FILE_RANGE, s -> s.file, s -> args().u64(s.fileHandle).u64(0).u64(s.file)
                .u64(s.fileHandle).u64(2000).u64(100).u64(0));

        final Opcode opcode;
        private final ToLongFunction<Session> nodeId;
        private final Function<Session, Wire.Bytes> arguments;

        Valid(Opcode opcode, ToLongFunction<Session> nodeId, Function<Session, Wire.Bytes> arguments) {
            this.opcode = opcode;
            this.nodeId = nodeId;
            this.arguments = arguments;
        }

        byte[] encode(Session s) {
            return s.request(opcode, nodeId.applyAsLong(s), arguments.apply(s));
        }
    }

    /** A change to the bytes of a request; positions are taken modulo its length. */
    sealed interface Mutation {
        byte[] apply(byte[] request);
    }

    record FlipBit(int position, int bit) implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = r.clone();
            if (out.length > 0) {
                out[Math.floorMod(position, out.length)] ^= (byte) (1 << bit);
            }
            return out;
        }
    }

    record SetByte(int position, byte value) implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = r.clone();
            if (out.length > 0) {
                out[Math.floorMod(position, out.length)] = value;
            }
            return out;
        }
    }

    /** Overwrites the u32 at a position (a length, size or flags field, say) with a hostile value. */
    record SetU32(int position, long value) implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = r.clone();
            if (out.length >= 4) {
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.floorMod(position, out.length - 3),
                        (int) value);
            }
            return out;
        }
    }

    record Truncate(int keep) implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            return Arrays.copyOf(r, Math.floorMod(keep, r.length + 1));
        }
    }

    record Append(byte[] extra) implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = Arrays.copyOf(r, r.length + extra.length);
            System.arraycopy(extra, 0, out, r.length, extra.length);
            return out;
        }

        @Override
        public String toString() {
            return "Append(" + HexFormat.of().formatHex(extra) + ")";
        }
    }

    /** Replaces every NUL after the header, so names lose their terminators. */
    record EraseNuls() implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = r.clone();
            for (int i = Wire.IN_HEADER; i < out.length; i++) {
                if (out[i] == 0) {
                    out[i] = 'A';
                }
            }
            return out;
        }
    }

    /** Makes the header's length field agree with the bytes again, so the parser goes past it. */
    record FixLength() implements Mutation {
        @Override
        public byte[] apply(byte[] r) {
            byte[] out = r.clone();
            if (out.length >= 4) {
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, out.length);
            }
            return out;
        }
    }

    @Property(tries = MUTATION_TRIES, edgeCases = EdgeCasesMode.NONE)
    void mutatedValidRequestsGetWellFormedAnswersAndNeverLeaveTheShare(@ForAll Valid valid,
            @ForAll("mutationLists") List<Mutation> mutations, @ForAll("deliveries") Delivery delivery,
            @ForAll boolean handlelessDirectories) throws Exception {
        worker.run(() -> {
            try (Session s = new Session(handlelessDirectories)) {
                byte[] request = valid.encode(s);
                for (Mutation m : mutations) {
                    request = m.apply(request);
                }
                s.send(request, delivery);
                s.assertStillServes();
            }
        });
        assertNothingChangedOutsideTheShare();
    }

    /**
     * The mutations start from requests that work: unmutated, each succeeds, but for the three whose
     * answer on this filesystem is a deliberate error.
     */
    @Example
    void everyValidRequestGetsItsNormalAnswerUnmutated() throws Exception {
        Map<Valid, Errno> deliberate = Map.of(Valid.FLUSH, Errno.ENOSYS, Valid.REMOVEXATTR, Errno.ENODATA,
                Valid.IOCTL, Errno.ENOTTY);
        Map<Valid, Integer> expected = new TreeMap<>();
        Map<Valid, Integer> answered = new TreeMap<>();
        worker.run(() -> {
            for (Valid valid : Valid.values()) {
                resetShare();
                try (Session s = new Session(false)) {
                    answered.put(valid, s.send(valid.encode(s), Delivery.ROOMY).error());
                }
                expected.put(valid, deliberate.containsKey(valid) ? -deliberate.get(valid).code() : 0);
            }
        });
        assertThat(answered).isEqualTo(expected);
        assertNothingChangedOutsideTheShare();
    }

    @Provide
    Arbitrary<List<Mutation>> mutationLists() {
        Arbitrary<Integer> positions = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(0, Wire.IN_HEADER - 1)),
                Tuple.of(5, Arbitraries.integers().between(0, 1 << 12)));
        Arbitrary<Mutation> one = Arbitraries.frequencyOf(
                Tuple.of(4, Combinators.combine(positions, Arbitraries.integers().between(0, 7)).as(FlipBit::new)),
                Tuple.of(2, Combinators.combine(positions, Arbitraries.of((byte) 0, (byte) 0xff, (byte) 0x80,
                        (byte) 0x7f, (byte) '/', (byte) '.')).as(SetByte::new)),
                Tuple.of(3, Combinators.combine(positions, Arbitraries.of(0L, 1L, 39L, 40L, 0x7fff_ffffL,
                        0x8000_0000L, 0xffff_ffffL, 1L << 20, (1L << 20) + 1)).as(SetU32::new)),
                Tuple.of(2, positions.map(Truncate::new)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(64).map(Append::new)),
                Tuple.of(1, Arbitraries.just(new EraseNuls())),
                Tuple.of(3, Arbitraries.just(new FixLength())));
        return one.list().ofMinSize(1).ofMaxSize(4);
    }
}
