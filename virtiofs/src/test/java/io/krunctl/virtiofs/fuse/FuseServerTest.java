package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.Wire.args;
import static io.krunctl.virtiofs.fuse.Wire.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.krunctl.nativeio.Fcntl;
import io.krunctl.virtiofs.fs.Attr;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.Context;
import io.krunctl.virtiofs.fs.DirEntry;
import io.krunctl.virtiofs.fs.DirectoryPlusSink;
import io.krunctl.virtiofs.fs.DirectorySink;
import io.krunctl.virtiofs.fs.Entry;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FileSystem;
import io.krunctl.virtiofs.fs.Forget;
import io.krunctl.virtiofs.fs.FsException;
import io.krunctl.virtiofs.fs.FsFlags;
import io.krunctl.virtiofs.fs.InitFlags;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.Linux;
import io.krunctl.virtiofs.fs.Name;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.virtiofs.fuse.FuseStructs.InHeader;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FuseServerTest {
    private static final long ROOT = InodeAllocator.ROOT_ID;
    private static final String HELLO = "Hello from a virtual file.\n";

    private final Arena arena = Arena.ofConfined();
    private final List<Integer> exitCodes = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** A NullFs root with /hello (persistent) and /once (one-shot). */
    private AugmentFs virtualFs() {
        return new AugmentFs(new NullFs(), new InodeAllocator(), Map.of(
                "hello", VirtualEntry.file(HELLO.getBytes(StandardCharsets.UTF_8), 0644, false),
                "once", VirtualEntry.file("x".getBytes(StandardCharsets.UTF_8), 0755, true)),
                exitCodes::add);
    }

    /** {@link #virtualFs()}, mounted. */
    private FuseServer virtualServer() {
        return mounted(virtualFs());
    }

    /** A server for {@code fs} after the guest's FUSE_INIT, as every request but INIT finds it. */
    private FuseServer mounted(FileSystem fs) {
        FuseServer server = new FuseServer(fs);
        assertThat(call(server, request(Opcode.INIT, 0, 0, initIn(7, 38, -1L))).error()).isZero();
        return server;
    }

    private Wire.Reply call(FuseServer server, byte[] request) {
        return call(server, request, 8192);
    }

    private Wire.Reply call(FuseServer server, byte[] request, int replySize) {
        ScatterBuffer reply = Wire.replyArea(arena, replySize);
        int written = server.handle(Wire.scatter(arena, request), reply);
        assertThat(written).isGreaterThanOrEqualTo(Wire.OUT_HEADER);
        Wire.Reply parsed = Wire.parse(reply, written);
        assertThat(parsed.len()).isEqualTo(written);
        return parsed;
    }

    private static Wire.Bytes initIn(int major, int minor, long flags) {
        return args().u32(major).u32(minor).u32(128 * 1024).u32(flags & 0xFFFF_FFFFL).u32(flags >>> 32).zeros(44);
    }

    private static long lookupNode(Wire.Reply r) {
        assertThat(r.error()).isZero();
        return r.u64(0);
    }

    private static byte[] readIn(long fh, long offset, int size) {
        return args().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0).toArray();
    }

    @Nested
    class Init {
        @Test
        void negotiates727AndOffersLibkrunsFlagsTheKernelHas() {
            FuseServer server = new FuseServer(virtualFs());
            Wire.Reply r = call(server, request(Opcode.INIT, 1, 0, initIn(7, 38, -1L)));

            assertThat(r.error()).isZero();
            assertThat(r.unique()).isEqualTo(1);
            assertThat(r.payloadLength()).isEqualTo(64);
            assertThat(r.u32(0)).isEqualTo(7);
            assertThat(r.u32(4)).isEqualTo(27);
            assertThat(r.u32(8)).as("max_readahead echoed").isEqualTo(128 * 1024);
            long flags = Integer.toUnsignedLong(r.u32(12)) | (Integer.toUnsignedLong(r.u32(32)) << 32);
            assertThat(flags).isEqualTo(Operations.OFFERED);
            assertThat(flags & InitFlags.HAS_IOCTL_DIR).isNotZero();
            assertThat(flags & (InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS | InitFlags.BIG_WRITES
                    | InitFlags.AUTO_INVAL_DATA | InitFlags.ATOMIC_O_TRUNC | InitFlags.MAX_PAGES))
                    .isEqualTo(InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS | InitFlags.BIG_WRITES
                            | InitFlags.AUTO_INVAL_DATA | InitFlags.ATOMIC_O_TRUNC | InitFlags.MAX_PAGES);
            assertThat(flags & (InitFlags.POSIX_LOCKS | InitFlags.WRITEBACK_CACHE | InitFlags.DO_READDIRPLUS
                    | InitFlags.SECURITY_CTX | InitFlags.CREATE_SUPP_GROUP)).isZero();
            assertThat(r.u16(16)).as("max_background").isEqualTo(65535);
            assertThat(r.u16(18)).as("congestion_threshold").isEqualTo(49149);
            assertThat(r.u32(20)).as("max_write").isEqualTo(1 << 20);
            assertThat(r.u32(24)).as("time_gran").isEqualTo(1);
            assertThat(r.u16(28)).as("max_pages").isEqualTo(256);
            assertThat(r.u16(30)).as("map_alignment").isZero();
        }

        @Test
        void enablesOnlyWhatTheKernelIsCapableOf() {
            long kernel = InitFlags.ASYNC_READ | InitFlags.HAS_IOCTL_DIR | InitFlags.POSIX_LOCKS;
            Wire.Reply r = call(new FuseServer(virtualFs()), request(Opcode.INIT.code(), 1, 0,
                    args().u32(7).u32(31).u32(0).u32(kernel).toArray()));

            assertThat(r.error()).isZero();
            assertThat(Integer.toUnsignedLong(r.u32(12))).isEqualTo(InitFlags.ASYNC_READ | InitFlags.HAS_IOCTL_DIR);
            assertThat(r.u32(32)).as("no flags2 without INIT_EXT").isZero();
        }

        @Test
        void addsWhatTheFilesystemWantsButNeverRequestExtensions() {
            FileSystem wantsMore = new FileSystem() {
                @Override
                public long init(long capable) {
                    return InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO | InitFlags.SECURITY_CTX;
                }
            };
            Wire.Reply r = call(new FuseServer(wantsMore), request(Opcode.INIT, 1, 0, initIn(7, 40, -1L)));

            long flags = Integer.toUnsignedLong(r.u32(12)) | (Integer.toUnsignedLong(r.u32(32)) << 32);
            assertThat(flags & (InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO))
                    .isEqualTo(InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO);
            assertThat(flags & InitFlags.SECURITY_CTX).isZero();
        }

        @Test
        void refusesOldProtocols() {
            assertThat(call(new FuseServer(virtualFs()), request(Opcode.INIT, 1, 0, initIn(7, 26, 0))).error())
                    .isEqualTo(-Errno.EPROTO.code());
            assertThat(call(new FuseServer(virtualFs()), request(Opcode.INIT, 1, 0, initIn(6, 40, 0))).error())
                    .isEqualTo(-Errno.EPROTO.code());
        }

        @Test
        void answersANewerMajorWithItsOwnVersionAndLeavesTheFilesystemAlone() {
            AtomicInteger inits = new AtomicInteger();
            FileSystem counting = new FileSystem() {
                @Override
                public long init(long capable) {
                    inits.incrementAndGet();
                    return 0;
                }
            };
            Wire.Reply r = call(new FuseServer(counting), request(Opcode.INIT, 1, 0, initIn(8, 0, -1L)));

            assertThat(r.error()).isZero();
            assertThat(r.u32(0)).isEqualTo(7);
            assertThat(r.u32(4)).isEqualTo(27);
            assertThat(r.u32(12)).as("no flags in a version-only answer").isZero();
            assertThat(inits).hasValue(0);
        }

        @Test
        void aSecondInitIsAGuestRebootAndResetsTheFilesystem() {
            List<String> calls = new ArrayList<>();
            FileSystem recording = new FileSystem() {
                @Override
                public long init(long capable) {
                    calls.add("init");
                    return 0;
                }

                @Override
                public void destroy() {
                    calls.add("destroy");
                }
            };
            FuseServer server = new FuseServer(recording);
            call(server, request(Opcode.INIT, 1, 0, initIn(7, 38, -1L)));
            call(server, request(Opcode.INIT, 2, 0, initIn(7, 38, -1L)));
            Wire.Reply destroyed = call(server, request(Opcode.DESTROY, 3, 0, args()));

            assertThat(destroyed.error()).isZero();
            assertThat(destroyed.payloadLength()).isZero();
            assertThat(calls).containsExactly("init", "destroy", "init", "destroy");
        }

        @Test
        void oneShotEntriesComeBackAfterReboot() {
            FuseServer server = new FuseServer(virtualFs());
            call(server, request(Opcode.INIT, 1, 0, initIn(7, 38, -1L)));
            assertThat(call(server, request(Opcode.LOOKUP, 2, ROOT, args().cstring("once"))).error()).isZero();
            assertThat(call(server, request(Opcode.LOOKUP, 3, ROOT, args().cstring("once"))).error())
                    .isEqualTo(-Errno.ENOENT.code());

            call(server, request(Opcode.INIT, 4, 0, initIn(7, 38, -1L)));

            assertThat(call(server, request(Opcode.LOOKUP, 5, ROOT, args().cstring("once"))).error()).isZero();
        }

        @Test
        void nothingButInitIsServedOutsideASession() {
            List<String> calls = new CopyOnWriteArrayList<>();
            FileSystem recording = new FileSystem() {
                @Override
                public long init(long capable) {
                    calls.add("init");
                    return 0;
                }

                @Override
                public Entry lookup(Context ctx, long parent, Name name) {
                    calls.add("lookup " + name);
                    return new Entry(5, 0, new Attr(5, Linux.S_IFREG | 0644, 1, 0, 0, 0, 0, 0, 4096,
                            0, 0, 0, 0, 0, 0, 0), Duration.ZERO, Duration.ZERO);
                }

                @Override
                public void forget(long inode, long count) {
                    calls.add("forget " + inode);
                }
            };
            FuseServer server = new FuseServer(recording);
            byte[] lookup = request(Opcode.LOOKUP, 1, ROOT, args().cstring("a"));

            Wire.Reply before = call(server, lookup);
            Wire.Reply getattr = call(server, request(Opcode.GETATTR, 2, ROOT, args().u32(0).u32(0).u64(0)));
            server.handle(Wire.scatter(arena, request(Opcode.FORGET, 3, 5, args().u64(1))), Wire.replyArea(arena, 64));
            Wire.Reply tooOld = call(server, request(Opcode.INIT, 4, 0, initIn(7, 26, 0)));
            Wire.Reply afterFailedInit = call(server, lookup);
            call(server, request(Opcode.INIT, 5, 0, initIn(7, 38, -1L)));
            Wire.Reply mounted = call(server, lookup);
            call(server, request(Opcode.DESTROY, 6, 0, args()));
            Wire.Reply afterDestroy = call(server, lookup);

            assertThat(before.error()).isEqualTo(-Errno.EIO.code());
            assertThat(getattr.error()).isEqualTo(-Errno.EIO.code());
            assertThat(tooOld.error()).isEqualTo(-Errno.EPROTO.code());
            assertThat(afterFailedInit.error()).isEqualTo(-Errno.EIO.code());
            assertThat(mounted.error()).isZero();
            assertThat(afterDestroy.error()).isEqualTo(-Errno.EIO.code());
            assertThat(calls).containsExactly("init", "lookup a");
            assertThat(server.unexpectedFailures()).isZero();
        }
    }

    @Nested
    class Files {
        @Test
        void lookupEncodesTheEntry() {
            Wire.Reply r = call(virtualServer(), request(Opcode.LOOKUP, 9, ROOT, args().cstring("hello")));

            assertThat(r.error()).isZero();
            assertThat(r.unique()).isEqualTo(9);
            assertThat(r.payloadLength()).isEqualTo(128);
            assertThat(r.u64(0)).as("nodeid").isGreaterThan(ROOT);
            assertThat(r.u64(8)).as("generation").isZero();
            assertThat(r.u64(16)).as("entry_valid").isEqualTo(Entry.FOREVER.getSeconds());
            assertThat(r.u64(24)).as("attr_valid").isEqualTo(Entry.FOREVER.getSeconds());
            assertThat(r.u32(32)).isZero();
            int attr = 40;
            assertThat(r.u64(attr)).as("ino").isEqualTo(r.u64(0));
            assertThat(r.u64(attr + 8)).as("size").isEqualTo(HELLO.length());
            assertThat(r.u64(attr + 16)).as("blocks").isEqualTo(1);
            assertThat(r.u32(attr + 60)).as("mode").isEqualTo(Linux.S_IFREG | 0644);
            assertThat(r.u32(attr + 64)).as("nlink").isEqualTo(1);
            assertThat(r.u32(attr + 68)).as("uid").isZero();
            assertThat(r.u32(attr + 72)).as("gid").isZero();
            assertThat(r.u32(attr + 80)).as("blksize").isEqualTo(4096);
        }

        @Test
        void oneShotEntriesAreNotCached() {
            Wire.Reply r = call(virtualServer(), request(Opcode.LOOKUP, 1, ROOT, args().cstring("once")));

            assertThat(r.u64(16)).isZero();
            assertThat(r.u64(24)).isZero();
            assertThat(r.u32(32)).isZero();
            assertThat(r.u32(36)).isZero();
        }

        @Test
        void lookupOfAMissingNameIsEnoent() {
            Wire.Reply r = call(virtualServer(), request(Opcode.LOOKUP, 1, ROOT, args().cstring("nothing")));

            assertThat(r.error()).isEqualTo(-Errno.ENOENT.code());
            assertThat(r.payloadLength()).isZero();
        }

        @Test
        void getattrOfTheRoot() {
            Wire.Reply r = call(virtualServer(), request(Opcode.GETATTR, 1, ROOT, args().u32(0).u32(0).u64(0)));

            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).isEqualTo(104);
            assertThat(r.u64(0)).as("attr_valid").isEqualTo(Entry.FOREVER.getSeconds());
            assertThat(r.u64(16)).as("ino").isEqualTo(ROOT);
            assertThat(r.u32(16 + 60)).as("mode").isEqualTo(Linux.S_IFDIR | 0755);
            assertThat(r.u32(16 + 64)).as("nlink").isEqualTo(2);
        }

        @Test
        void openAndReadAtSeveralOffsets() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));
            Wire.Reply open = call(server, request(Opcode.OPEN, 2, node, args().u32(Fcntl.O_RDONLY).u32(0)));
            assertThat(open.error()).isZero();
            assertThat(open.payloadLength()).isEqualTo(16);
            long fh = open.u64(0);

            assertThat(readString(server, node, fh, 0, 4096)).isEqualTo(HELLO);
            assertThat(readString(server, node, fh, 6, 4)).isEqualTo("from");
            assertThat(readString(server, node, fh, HELLO.length() - 4, 100)).isEqualTo("le.\n");
            assertThat(readString(server, node, fh, HELLO.length(), 100)).as("at EOF").isEmpty();
            assertThat(readString(server, node, fh, 1L << 40, 100)).as("far past EOF").isEmpty();
        }

        private String readString(FuseServer server, long node, long fh, long offset, int size) {
            Wire.Reply r = call(server, request(Opcode.READ.code(), 7, node, readIn(fh, offset, size)));
            assertThat(r.error()).isZero();
            return r.string(0, r.payloadLength());
        }

        @Test
        void readsLandInAReplySplitOverSegmentsAndTheRequestMayBeSplitToo() {
            FuseServer server = virtualServer();
            // Request header split mid-field, the name split mid-string.
            byte[] lookup = request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"));
            ScatterBuffer lookupReply = Wire.replyArea(arena, 200, 3, 17, 90);
            int n = server.handle(Wire.scatter(arena, lookup, 7, 39, 42), lookupReply);
            long node = lookupNode(Wire.parse(lookupReply, n));

            byte[] read = request(Opcode.READ.code(), 2, node, readIn(0, 0, HELLO.length()));
            ScatterBuffer reply = Wire.replyArea(arena, 16 + HELLO.length(), 5, 16, 19, 20, 30);
            int written = server.handle(Wire.scatter(arena, read, 1, 2, 50), reply);

            Wire.Reply r = Wire.parse(reply, written);
            assertThat(r.error()).isZero();
            assertThat(r.string(0, r.payloadLength())).isEqualTo(HELLO);
        }

        @Test
        void readNeverWritesPastTheReplyArea() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            Wire.Reply r = call(server, request(Opcode.READ.code(), 2, node, readIn(0, 0, 1 << 20)), 16 + 5);

            assertThat(r.error()).isZero();
            assertThat(r.string(0, r.payloadLength())).isEqualTo("Hello");
        }

        @Test
        void readOfADirectoryIsEisdir() {
            FuseServer server = mounted(new AugmentFs(new NullFs(), new InodeAllocator(),
                    Map.of("dev", VirtualEntry.directory(Map.of(), 0755)), code -> { }));
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("dev"))));

            assertThat(call(server, request(Opcode.OPEN, 2, node, args().u32(0).u32(0))).error())
                    .isEqualTo(-Errno.EISDIR.code());
            assertThat(call(server, request(Opcode.READ.code(), 3, node, readIn(0, 0, 10))).error())
                    .isEqualTo(-Errno.EISDIR.code());
        }

        @Test
        void writePassesGuestDataInPlaceAndAnswersTheCount() {
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            List<Integer> segmentCounts = new ArrayList<>();
            FileSystem sink = new FileSystem() {
                @Override
                public int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source,
                        int writeFlags, int flags) {
                    segmentCounts.add(source.size());
                    int total = 0;
                    for (MemorySegment s : source) {
                        received.writeBytes(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                        total += (int) s.byteSize();
                    }
                    return total;
                }
            };
            byte[] data = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
            byte[] write = request(Opcode.WRITE.code(), 1, 5,
                    args().u64(3).u64(100).u32(data.length).u32(0).u64(0).u32(0).u32(0).put(data).toArray());
            ScatterBuffer reply = Wire.replyArea(arena, 64);
            int n = mounted(sink).handle(Wire.scatter(arena, write, 80, 85), reply);

            Wire.Reply r = Wire.parse(reply, n);
            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).isEqualTo(8);
            assertThat(r.u32(0)).isEqualTo(data.length);
            assertThat(received.toByteArray()).isEqualTo(data);
            assertThat(segmentCounts).containsExactly(2);
        }

        @Test
        void writeThatClaimsMoreDataThanItCarriesIsEinval() {
            FileSystem accepting = new FileSystem() {
                @Override
                public int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source,
                        int writeFlags, int flags) {
                    throw new AssertionError("must not be called");
                }
            };
            byte[] write = request(Opcode.WRITE.code(), 1, 5,
                    args().u64(3).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0).raw("short").toArray());

            assertThat(call(mounted(accepting), write).error()).isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void virtualFilesRefuseWritesAndAttributeChanges() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            assertThat(call(server, request(Opcode.OPEN, 2, node, args().u32(Fcntl.O_RDWR).u32(0))).error())
                    .isEqualTo(-Errno.EACCES.code());
            assertThat(call(server, request(Opcode.SETATTR, 3, node, args().u32(1).zeros(84))).error())
                    .isEqualTo(-Errno.EPERM.code());
            assertThat(call(server, request(Opcode.WRITE.code(), 4, node,
                    args().u64(0).u64(0).u32(1).u32(0).u64(0).u32(0).u32(0).raw("x").toArray())).error())
                    .isEqualTo(-Errno.EPERM.code());
        }

        @Test
        void statfsIsEncoded() {
            Wire.Reply r = call(virtualServer(), request(Opcode.STATFS, 1, ROOT, args()));

            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).isEqualTo(80);
            assertThat(r.u32(40)).as("bsize").isEqualTo(4096);
            assertThat(r.u32(44)).as("namelen").isEqualTo(255);
            assertThat(r.u32(48)).as("frsize").isEqualTo(4096);
        }

        @Test
        void flushAndReleaseAnswerWithAHeaderOnly() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            Wire.Reply flush = call(server, request(Opcode.FLUSH, 2, node, args().u64(0).u32(0).u32(0).u64(77)));
            Wire.Reply release = call(server, request(Opcode.RELEASE, 3, node, args().u64(0).u32(0).u32(0).u64(0)));

            assertThat(flush.error()).isZero();
            assertThat(flush.payloadLength()).isZero();
            assertThat(release.error()).isZero();
            assertThat(release.payloadLength()).isZero();
        }

        @Test
        void unimplementedOperationsAreEnosys() {
            FuseServer server = virtualServer();

            assertThat(call(server, request(Opcode.MKDIR, 1, ROOT, args().u32(0755).u32(022).cstring("new"))).error())
                    .isEqualTo(-Errno.ENOSYS.code());
            assertThat(call(server, request(Opcode.BMAP, 2, ROOT, args().u64(0).u32(512).u32(0))).error())
                    .isEqualTo(-Errno.ENOSYS.code());
            assertThat(call(server, request(Opcode.SYNCFS, 3, ROOT, args().u64(0))).error())
                    .isEqualTo(-Errno.ENOSYS.code());
        }
    }

    @Nested
    class Directories {
        private final List<String> listing = List.of("a", "bb", "ccccccccc", "dir");

        private final FileSystem listed = new FileSystem() {
            @Override
            public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) {
                for (int i = (int) offset; i < listing.size(); i++) {
                    if (!sink.add(entry(i))) {
                        return;
                    }
                }
            }

            @Override
            public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink) {
                for (int i = (int) offset; i < listing.size(); i++) {
                    DirEntry e = entry(i);
                    Attr attr = new Attr(e.inode(), Linux.S_IFREG | 0600, 1, 7, 8, 0, 3, 1, 4096,
                            1, 2, 3, 4, 5, 6, 0);
                    if (!sink.add(e, new Entry(e.inode(), 9, attr, Duration.ofSeconds(5), Duration.ofMillis(1500)))) {
                        return;
                    }
                }
            }

            private DirEntry entry(int i) {
                String name = listing.get(i);
                int type = name.equals("dir") ? Linux.DT_DIR : Linux.DT_REG;
                return new DirEntry(100 + i, i + 1, type, Name.of(name));
            }
        };

        private record Dirent(long ino, long off, int type, String name, int recordStart) {
        }

        private List<Dirent> parseDirents(Wire.Reply r, int headerSize) {
            List<Dirent> out = new ArrayList<>();
            int pos = 0;
            while (pos < r.payloadLength()) {
                int d = pos + headerSize - 24;
                int nameLength = r.u32(d + 16);
                out.add(new Dirent(r.u64(d), r.u64(d + 8), r.u32(d + 20), r.string(d + 24, nameLength), pos));
                int size = (headerSize + nameLength + 7) & ~7;
                byte[] padding = r.bytes(pos + headerSize + nameLength, size - headerSize - nameLength);
                assertThat(padding).as("padding after %s", out.getLast().name()).containsOnly(0);
                pos += size;
            }
            assertThat(pos).isEqualTo(r.payloadLength());
            return out;
        }

        @Test
        void readdirPacksEntriesOnEightByteBoundaries() {
            Wire.Reply r = call(mounted(listed), request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, 4096)));

            assertThat(r.error()).isZero();
            List<Dirent> entries = parseDirents(r, 24);
            assertThat(entries).extracting(Dirent::name).containsExactlyElementsOf(listing);
            assertThat(entries).extracting(Dirent::recordStart).containsExactly(0, 32, 64, 104);
            assertThat(entries.get(3)).isEqualTo(new Dirent(103, 4, Linux.DT_DIR, "dir", 104));
            assertThat(r.payloadLength()).isEqualTo(136);
        }

        @Test
        void readdirStopsAtTheRequestedSizeAndResumesFromTheOffset() {
            FuseServer server = mounted(listed);

            Wire.Reply first = call(server, request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, 70)));
            List<Dirent> page = parseDirents(first, 24);
            assertThat(page).extracting(Dirent::name).containsExactly("a", "bb");

            Wire.Reply rest = call(server, request(Opcode.READDIR.code(), 2, ROOT,
                    readIn(0, page.getLast().off(), 4096)));
            assertThat(parseDirents(rest, 24)).extracting(Dirent::name).containsExactly("ccccccccc", "dir");

            Wire.Reply end = call(server, request(Opcode.READDIR.code(), 3, ROOT, readIn(0, 4, 4096)));
            assertThat(end.error()).isZero();
            assertThat(end.payloadLength()).as("end of directory").isZero();
        }

        @Test
        void readdirNeverExceedsTheReplyArea() {
            Wire.Reply r = call(mounted(listed), request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, 4096)),
                    16 + 40);

            assertThat(parseDirents(r, 24)).extracting(Dirent::name).containsExactly("a");
        }

        @Test
        void readdirplusCarriesEntryOutThenDirent() {
            Wire.Reply r = call(mounted(listed),
                    request(Opcode.READDIRPLUS.code(), 1, ROOT, readIn(0, 0, 4096)));

            assertThat(r.error()).isZero();
            List<Dirent> entries = parseDirents(r, 152);
            assertThat(entries).extracting(Dirent::name).containsExactlyElementsOf(listing);
            assertThat(entries).extracting(Dirent::recordStart).containsExactly(0, 160, 320, 488);
            int second = 160;
            assertThat(r.u64(second)).as("nodeid").isEqualTo(101);
            assertThat(r.u64(second + 8)).as("generation").isEqualTo(9);
            assertThat(r.u64(second + 16)).as("entry_valid").isEqualTo(5);
            assertThat(r.u64(second + 24)).as("attr_valid").isEqualTo(1);
            assertThat(r.u32(second + 36)).as("attr_valid_nsec").isEqualTo(500_000_000);
            assertThat(r.u32(second + 40 + 60)).as("mode").isEqualTo(Linux.S_IFREG | 0600);
            assertThat(r.u32(second + 40 + 68)).as("uid").isEqualTo(7);
            assertThat(r.u64(second + 40 + 24)).as("atime").isEqualTo(1);
            assertThat(r.u32(second + 40 + 48)).as("atimensec").isEqualTo(2);
        }

        @Test
        void aListedNameWithASlashFailsTheListing() {
            FileSystem broken = new FileSystem() {
                @Override
                public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) {
                    sink.add(new DirEntry(5, 1, Linux.DT_REG, Name.of("a/b")));
                }
            };

            assertThat(call(mounted(broken), request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, 4096)))
                    .error()).isEqualTo(-Errno.EIO.code());
        }

        @Test
        void nullFsRootListsNothing() {
            FuseServer server = virtualServer();
            Wire.Reply open = call(server, request(Opcode.OPENDIR, 1, ROOT, args().u32(Fcntl.O_DIRECTORY).u32(0)));
            assertThat(open.error()).isZero();

            Wire.Reply r = call(server, request(Opcode.READDIR.code(), 2, ROOT, readIn(open.u64(0), 0, 4096)));
            Wire.Reply release = call(server, request(Opcode.RELEASEDIR, 3, ROOT, args().u64(0).u32(0).u32(0).u64(0)));

            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).as("virtual entries stay out of the listing").isZero();
            assertThat(release.error()).isZero();
        }
    }

    @Nested
    class ExtendedAttributes {
        private final FileSystem withValue = new FileSystem() {
            @Override
            public byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
                if (!name.toString().equals("user.k")) {
                    throw new FsException(Errno.ENODATA);
                }
                return "value".getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public List<Name> listxattr(Context ctx, long inode, int size) {
                return List.of(Name.of("user.k"), Name.of("user.other"));
            }
        };

        @Test
        void sizeZeroAsksForTheLength() {
            Wire.Reply r = call(mounted(withValue),
                    request(Opcode.GETXATTR, 1, ROOT, args().u32(0).u32(0).cstring("user.k")));

            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).isEqualTo(8);
            assertThat(r.u32(0)).isEqualTo(5);
        }

        @Test
        void aBufferLargeEnoughGetsTheValueAndASmallerOneErange() {
            FuseServer server = mounted(withValue);

            Wire.Reply fits = call(server, request(Opcode.GETXATTR, 1, ROOT, args().u32(64).u32(0).cstring("user.k")));
            Wire.Reply small = call(server, request(Opcode.GETXATTR, 2, ROOT, args().u32(4).u32(0).cstring("user.k")));
            Wire.Reply missing = call(server,
                    request(Opcode.GETXATTR, 3, ROOT, args().u32(64).u32(0).cstring("user.x")));

            assertThat(fits.string(0, fits.payloadLength())).isEqualTo("value");
            assertThat(small.error()).isEqualTo(-Errno.ERANGE.code());
            assertThat(missing.error()).isEqualTo(-Errno.ENODATA.code());
        }

        @Test
        void listxattrEncodesNulTerminatedNames() {
            FuseServer server = mounted(withValue);

            Wire.Reply length = call(server, request(Opcode.LISTXATTR, 1, ROOT, args().u32(0).u32(0)));
            Wire.Reply names = call(server, request(Opcode.LISTXATTR, 2, ROOT, args().u32(100).u32(0)));

            assertThat(length.u32(0)).isEqualTo(18);
            assertThat(names.string(0, names.payloadLength())).isEqualTo("user.k\0user.other\0");
        }

        @Test
        void virtualInodesHaveNoAttributes() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            assertThat(call(server, request(Opcode.GETXATTR, 2, node, args().u32(64).u32(0)
                    .cstring("security.capability"))).error()).isEqualTo(-Errno.ENODATA.code());
            Wire.Reply list = call(server, request(Opcode.LISTXATTR, 3, node, args().u32(0).u32(0)));
            assertThat(list.error()).isZero();
            assertThat(list.u32(0)).isZero();
        }
    }

    /**
     * Sizes the guest names for a reply buffer (READ, READDIR, READDIRPLUS, GETXATTR, LISTXATTR) are
     * capped at 1 MiB whatever the reply area holds: descriptors that alias the same guest pages make
     * a reply area of gigabytes out of a few kilobytes of guest memory.
     */
    @Nested
    class BufferSizes {
        private static final int HUGE = Integer.MAX_VALUE;
        private static final int CAP = 1 << 20;

        private final List<String> asked = new CopyOnWriteArrayList<>();

        /** Answers everything, and notes what it was asked. */
        private final FileSystem answering = new FileSystem() {
            @Override
            public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) {
                asked.add("readdir");
                sink.add(new DirEntry(5, 1, Linux.DT_REG, Name.of("a")));
            }

            @Override
            public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink) {
                asked.add("readdirplus");
                sink.add(new DirEntry(5, 1, Linux.DT_REG, Name.of("a")), Entry.NONE);
            }

            @Override
            public int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination,
                    int flags) {
                asked.add("read");
                return 0;
            }

            @Override
            public byte[] getxattr(Context ctx, long inode, Name name, int size) {
                asked.add("getxattr");
                return "value".getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public List<Name> listxattr(Context ctx, long inode, int size) {
                asked.add("listxattr");
                return List.of(Name.of("user.k"));
            }
        };

        /** 2 GiB of reply area out of one 64 KiB segment, every descriptor pointing at it. */
        private ScatterBuffer aliasedReplyArea() {
            MemorySegment page = arena.allocate(1 << 16);
            return new ScatterBuffer(Collections.nCopies(1 << 15, page));
        }

        /** Heap bytes this thread allocated serving the last {@link #callAliased} request. */
        private long allocated;

        private Wire.Reply callAliased(FuseServer server, byte[] request) {
            ScatterBuffer reply = aliasedReplyArea();
            ScatterBuffer in = Wire.scatter(arena, request);
            var threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            int written = server.handle(in, reply);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            return Wire.parse(reply, written);
        }

        @Test
        void listingsOfTwoGibibytesAreEnomemBeforeAnythingIsListed() {
            FuseServer server = mounted(answering);

            Wire.Reply readdir = callAliased(server, request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, HUGE)));
            long readdirAllocated = allocated;
            Wire.Reply plus = callAliased(server, request(Opcode.READDIRPLUS.code(), 2, ROOT, readIn(0, 0, HUGE)));

            assertThat(readdir.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(plus.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(readdirAllocated).as("heap bytes allocated").isLessThan(CAP);
            assertThat(allocated).as("heap bytes allocated").isLessThan(CAP);
            assertThat(asked).isEmpty();
        }

        @Test
        void oneByteOverTheCapIsEnomemAndTheCapItselfIsServed() {
            FuseServer server = mounted(answering);

            Wire.Reply over = callAliased(server, request(Opcode.READDIR.code(), 1, ROOT, readIn(0, 0, CAP + 1)));
            Wire.Reply at = callAliased(server, request(Opcode.READDIR.code(), 2, ROOT, readIn(0, 0, CAP)));

            assertThat(over.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(at.error()).isZero();
            assertThat(at.payloadLength()).as("one entry").isEqualTo(32);
            assertThat(asked).containsExactly("readdir");
        }

        @Test
        void readsOverTheCapAreEnomemAndReadNothing() {
            FuseServer server = mounted(answering);

            Wire.Reply r = callAliased(server, request(Opcode.READ.code(), 1, 9, readIn(0, 0, HUGE)));

            assertThat(r.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(asked).isEmpty();
        }

        @Test
        void xattrBuffersOverTheCapAreEnomemAndAskTheFilesystemNothing() {
            FuseServer server = mounted(answering);

            Wire.Reply get = callAliased(server,
                    request(Opcode.GETXATTR, 1, ROOT, args().u32(HUGE).u32(0).cstring("user.k")));
            Wire.Reply getAll = callAliased(server,
                    request(Opcode.GETXATTR, 2, ROOT, args().u32(0xFFFF_FFFFL).u32(0).cstring("user.k")));
            Wire.Reply list = callAliased(server, request(Opcode.LISTXATTR, 3, ROOT, args().u32(CAP + 1).u32(0)));

            assertThat(get.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(getAll.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(list.error()).isEqualTo(-Errno.ENOMEM.code());
            assertThat(asked).isEmpty();
        }
    }

    @Nested
    class Ioctl {
        private static Wire.Bytes exitCode(int code) {
            return args().u64(0).u32(FsFlags.IOCTL_DIR).u32(AugmentFs.EXIT_CODE_IOCTL).u64(code).u32(0).u32(0);
        }

        @Test
        void exitCodeIoctlOnTheRootDirectoryReachesTheSink() {
            FuseServer server = virtualServer();
            byte[] ioctl = Wire.requestFrom(AugmentFs.INIT_PID, Opcode.IOCTL, 1, ROOT, exitCode(42));

            Wire.Reply r = call(server, ioctl);

            assertThat(r.error()).isZero();
            assertThat(r.payloadLength()).isEqualTo(16);
            assertThat(r.u32(0)).as("result").isZero();
            assertThat(exitCodes).containsExactly(42);
        }

        @Test
        void anExitCodeFromAnyoneButTheInitOrOnAnotherFileIsRefused() {
            FuseServer server = virtualServer();
            long hello = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            Wire.Reply fromWorkload = call(server, request(Opcode.IOCTL, 2, ROOT, exitCode(0)));
            Wire.Reply onAFile = call(server, Wire.requestFrom(AugmentFs.INIT_PID, Opcode.IOCTL, 3, hello,
                    args().u64(0).u32(0).u32(AugmentFs.EXIT_CODE_IOCTL).u64(0).u32(0).u32(0)));

            assertThat(fromWorkload.error()).isEqualTo(-Errno.EPERM.code());
            assertThat(onAFile.error()).isEqualTo(-Errno.ENOTTY.code());
            assertThat(exitCodes).isEmpty();
        }

        @Test
        void otherIoctlsOnTheNullRootAreUnsupported() {
            Wire.Reply r = call(virtualServer(), request(Opcode.IOCTL, 1, ROOT,
                    args().u64(0).u32(FsFlags.IOCTL_DIR).u32(0x5401).u64(0).u32(0).u32(0)));

            assertThat(r.error()).isEqualTo(-Errno.ENOSYS.code());
            assertThat(exitCodes).isEmpty();
        }

        @Test
        void ioctlDataTravelsBothWays() {
            FileSystem echo = new FileSystem() {
                @Override
                public io.krunctl.virtiofs.fs.IoctlResult ioctl(Context ctx, long inode, long handle, int flags,
                        int cmd, long arg, byte[] input, int outputSize) {
                    byte[] reversed = new byte[input.length];
                    for (int i = 0; i < input.length; i++) {
                        reversed[i] = input[input.length - 1 - i];
                    }
                    return new io.krunctl.virtiofs.fs.IoctlResult(3, reversed);
                }
            };
            Wire.Reply r = call(mounted(echo), request(Opcode.IOCTL, 1, 9,
                    args().u64(1).u32(0).u32(0xC0047601).u64(0).u32(4).u32(4).raw("abcd")));

            assertThat(r.error()).isZero();
            assertThat(r.u32(0)).isEqualTo(3);
            assertThat(r.string(16, 4)).isEqualTo("dcba");
        }
    }

    @Nested
    class NoReply {
        private final List<Forget> forgotten = new CopyOnWriteArrayList<>();

        private final FileSystem forgetful = new FileSystem() {
            @Override
            public void forget(long inode, long count) {
                forgotten.add(new Forget(inode, count));
            }
        };

        private int handle(byte[] request, ScatterBuffer reply) {
            return mounted(forgetful).handle(Wire.scatter(arena, request), reply);
        }

        @Test
        void forgetReachesTheFilesystemAndWritesNothing() {
            ScatterBuffer reply = Wire.replyArea(arena, 64);

            assertThat(handle(request(Opcode.FORGET, 1, 77, args().u64(3)), reply)).isZero();

            assertThat(forgotten).containsExactly(new Forget(77, 3));
            assertThat(Wire.contents(reply)).containsOnly((byte) 0xAA);
        }

        @Test
        void batchForgetReachesTheFilesystemAndWritesNothing() {
            ScatterBuffer reply = Wire.replyArea(arena, 64);
            byte[] batch = request(Opcode.BATCH_FORGET, 1, 0, args().u32(2).u32(0).u64(10).u64(1).u64(11).u64(2));

            assertThat(handle(batch, reply)).isZero();

            assertThat(forgotten).containsExactly(new Forget(10, 1), new Forget(11, 2));
            assertThat(Wire.contents(reply)).containsOnly((byte) 0xAA);
        }

        @Test
        void aBatchClaimingMoreEntriesThanItCarriesIsDropped() {
            byte[] batch = request(Opcode.BATCH_FORGET, 1, 0, args().u32(1000).u32(0).u64(10).u64(1));

            assertThat(handle(batch, Wire.replyArea(arena, 64))).isZero();
            assertThat(forgotten).isEmpty();
        }

        @Test
        void malformedForgetsAreDroppedSilently() {
            ScatterBuffer reply = Wire.replyArea(arena, 64);

            assertThat(handle(request(Opcode.FORGET, 1, 77, args().u32(3)), reply)).isZero();
            assertThat(handle(request(Opcode.FORGET.code(), 1, 77, args().u64(3).toArray(), 4000), reply)).isZero();

            assertThat(forgotten).isEmpty();
            assertThat(Wire.contents(reply)).containsOnly((byte) 0xAA);
        }

        @Test
        void interruptIsANoOpWithoutReply() {
            ScatterBuffer reply = Wire.replyArea(arena, 64);

            assertThat(handle(request(Opcode.INTERRUPT, 1, 0, args().u64(99)), reply)).isZero();
            assertThat(Wire.contents(reply)).containsOnly((byte) 0xAA);
        }
    }

    @Nested
    class BlockingRequests {
        private boolean mayBlock(byte[] request) {
            // Cut inside the header and the arguments: a guest may split a request anywhere.
            ScatterBuffer in = Wire.scatter(arena, request, 3, Math.min(request.length, 45));
            return virtualServer().handleIfQuick(in, Wire.replyArea(arena, 8192)) == FuseServer.WOULD_BLOCK;
        }

        /**
         * The kick thread's path: a guest thread rewrites the request between GETATTR and FSYNC
         * (whose arguments fit in GETATTR's) as fast as it can while the server judges and serves it.
         * Judged on one read and served from another (the device's earlier mayBlock-then-handle), about
         * one request in six served in place was an FSYNC; judged and served from one copy, each is
         * either left for a worker or served as GETATTR.
         */
        @Test
        void aRequestTheGuestRewritesMeanwhileIsServedAsItWasJudged() throws Exception {
            FuseServer server = virtualServer();
            byte[] getattr = request(Opcode.GETATTR, 7, ROOT, args().u32(0).u32(0).u64(0));
            // Guest memory, written by another thread: a shared arena, as the device's mappings are.
            Arena shared = Arena.ofShared();
            MemorySegment guest = shared.allocate(getattr.length, 8);
            MemorySegment.copy(getattr, 0, guest, ValueLayout.JAVA_BYTE, 0, getattr.length);
            ScatterBuffer request = ScatterBuffer.of(guest);
            ScatterBuffer reply = Wire.replyArea(arena, 8192);
            int attrReply = call(server, getattr).len();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch flipping = new CountDownLatch(1);
            Thread guestThread = Thread.ofPlatform().start(() -> {
                flipping.countDown();
                boolean fsync = false;
                while (!stop.get()) {
                    fsync = !fsync;
                    guest.set(ValueLayout.JAVA_INT_UNALIGNED, InHeader.OPCODE,
                            (fsync ? Opcode.FSYNC : Opcode.GETATTR).code());
                }
            });
            flipping.await();
            int served = 0;
            int leftForAWorker = 0;
            try {
                for (int i = 0; i < 500_000 && (served < 1000 || leftForAWorker < 1000); i++) {
                    int written = server.handleIfQuick(request, reply);
                    if (written == FuseServer.WOULD_BLOCK) {
                        leftForAWorker++;
                        continue;
                    }
                    Wire.Reply answer = Wire.parse(reply, written);
                    assertThat(answer.error()).as("answer %d", i).isZero();
                    assertThat(written).as("answer %d", i).isEqualTo(attrReply);
                    served++;
                }
            } finally {
                stop.set(true);
                guestThread.join();
                shared.close();
            }
            assertThat(served).isGreaterThanOrEqualTo(1000);
            assertThat(leftForAWorker).isGreaterThanOrEqualTo(1000);
        }

        @Test
        void syncsAllocationsCopiesAndLocksMayBlock() {
            for (Opcode op : List.of(Opcode.FSYNC, Opcode.FSYNCDIR, Opcode.FALLOCATE, Opcode.COPY_FILE_RANGE,
                    Opcode.SETLKW, Opcode.SYNCFS)) {
                assertThat(mayBlock(request(op, 1, 2, args().zeros(64)))).as(op.name()).isTrue();
            }
        }

        @Test
        void namesAttributesAndSmallTransfersDoNot() {
            for (Opcode op : List.of(Opcode.LOOKUP, Opcode.GETATTR, Opcode.OPEN, Opcode.READDIRPLUS,
                    Opcode.CREATE, Opcode.RELEASE, Opcode.FORGET)) {
                assertThat(mayBlock(request(op, 1, 2, args().zeros(64)))).as(op.name()).isFalse();
            }
            assertThat(mayBlock(request(Opcode.READ.code(), 1, 2, readIn(1, 0, 4096)))).isFalse();
            assertThat(mayBlock(request(Opcode.WRITE.code(), 1, 2, readIn(1, 0, 128 * 1024)))).isFalse();
        }

        @Test
        void transfersAboveOneHundredAndTwentyEightKibibytesMayBlock() {
            assertThat(mayBlock(request(Opcode.READ.code(), 1, 2, readIn(1, 0, 1 << 20)))).isTrue();
            assertThat(mayBlock(request(Opcode.WRITE.code(), 1, 2, readIn(1, 0, 128 * 1024 + 1)))).isTrue();
        }

        @Test
        void truncatedOrUnknownRequestsAreAnsweredAtOnce() {
            assertThat(mayBlock(new byte[7])).isFalse();
            assertThat(mayBlock(request(9999, 1, 2, new byte[0]))).isFalse();
            assertThat(mayBlock(request(Opcode.READ.code(), 1, 2, new byte[6]))).isFalse();
        }
    }

    @Nested
    class MalformedRequests {
        @Test
        void aTruncatedHeaderIsEinval() {
            byte[] full = request(Opcode.LOOKUP, 5, ROOT, args().cstring("hello"));

            Wire.Reply r = call(virtualServer(), Arrays.copyOf(full, 20));

            assertThat(r.error()).isEqualTo(-Errno.EINVAL.code());
            assertThat(r.unique()).as("unknown without a full header").isZero();
        }

        @Test
        void anEmptyRequestIsEinval() {
            ScatterBuffer reply = Wire.replyArea(arena, 64);
            int n = virtualServer().handle(new ScatterBuffer(List.of()), reply);

            assertThat(Wire.parse(reply, n).error()).isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void aHeaderLengthBeyondTheBufferIsEinval() {
            byte[] lying = request(Opcode.LOOKUP.code(), 5, ROOT, args().cstring("hello").toArray(), 4096);

            Wire.Reply r = call(virtualServer(), lying);

            assertThat(r.error()).isEqualTo(-Errno.EINVAL.code());
            assertThat(r.unique()).isEqualTo(5);
        }

        @Test
        void aHeaderLengthShorterThanTheHeaderIsEinval() {
            byte[] lying = request(Opcode.LOOKUP.code(), 5, ROOT, args().cstring("hello").toArray(), 12);

            assertThat(call(virtualServer(), lying).error()).isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void argumentsCutShortByTheHeaderLengthAreEinval() {
            byte[] body = readIn(0, 0, 10);
            byte[] truncated = request(Opcode.READ.code(), 5, ROOT, body, 40 + 20);

            assertThat(call(virtualServer(), truncated).error()).isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void anOversizedRequestIsEnomem() {
            byte[] huge = request(Opcode.SETXATTR.code(), 5, ROOT, new byte[(1 << 20) + 0x1000]);

            assertThat(call(virtualServer(), huge).error()).isEqualTo(-Errno.ENOMEM.code());
        }

        @Test
        void aNameWithoutNulIsEinvalAndLooksNothingUp() {
            FuseServer server = virtualServer();

            Wire.Reply r = call(server, request(Opcode.LOOKUP, 5, ROOT, args().raw("once")));

            assertThat(r.error()).isEqualTo(-Errno.EINVAL.code());
            assertThat(call(server, request(Opcode.LOOKUP, 6, ROOT, args().cstring("once"))).error())
                    .as("the one-shot entry is still unclaimed").isZero();
        }

        @Test
        void namesThatAreNotPathComponentsAreEinval() {
            FuseServer server = virtualServer();
            for (String bad : List.of("", ".", "..", "a/b", "/hello")) {
                assertThat(call(server, request(Opcode.LOOKUP, 5, ROOT, args().cstring(bad))).error())
                        .as("lookup of \"%s\"", bad).isEqualTo(-Errno.EINVAL.code());
            }
            assertThat(call(server, request(Opcode.MKDIR, 6, ROOT, args().u32(0755).u32(0).cstring(".."))).error())
                    .isEqualTo(-Errno.EINVAL.code());
            assertThat(call(server, request(Opcode.RENAME, 7, ROOT, args().u64(ROOT).cstring("a").cstring("b/c")))
                    .error()).isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void anOverlongNameIsEnametoolong() {
            Wire.Reply r = call(virtualServer(), request(Opcode.LOOKUP, 5, ROOT, args().cstring("n".repeat(1025))));

            assertThat(r.error()).isEqualTo(-Errno.ENAMETOOLONG.code());
        }

        @Test
        void aNegativeReadOffsetIsEinval() {
            FuseServer server = virtualServer();
            long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));

            assertThat(call(server, request(Opcode.READ.code(), 2, node, readIn(0, -5, 10))).error())
                    .isEqualTo(-Errno.EINVAL.code());
        }

        @Test
        void unknownOpcodesAreEnosys() {
            Wire.Reply r = call(virtualServer(), request(4711, 5, ROOT, new byte[8]));

            assertThat(r.error()).isEqualTo(-Errno.ENOSYS.code());
            assertThat(r.unique()).isEqualTo(5);
        }

        @Test
        void aReplyAreaWithoutRoomForAHeaderGetsNothing() {
            FuseServer server = virtualServer();
            ScatterBuffer tiny = Wire.replyArea(arena, 15);

            int n = server.handle(Wire.scatter(arena, request(Opcode.LOOKUP, 5, ROOT, args().cstring("once"))), tiny);

            assertThat(n).isZero();
            assertThat(Wire.contents(tiny)).containsOnly((byte) 0xAA);
            assertThat(call(server, request(Opcode.LOOKUP, 6, ROOT, args().cstring("once"))).error())
                    .as("nothing was done either").isZero();
        }

        @Test
        void aReplyAreaTooSmallForTheAnswerIsErangeBeforeTheFilesystemActs() {
            FuseServer server = virtualServer();

            Wire.Reply r = call(server, request(Opcode.LOOKUP, 5, ROOT, args().cstring("once")), 16 + 64);

            assertThat(r.error()).isEqualTo(-Errno.ERANGE.code());
            assertThat(call(server, request(Opcode.LOOKUP, 6, ROOT, args().cstring("once"))).error())
                    .as("the one-shot entry was not consumed").isZero();
        }

        @Test
        void aFailingFilesystemBecomesEioAndCountsAsUnexpected() {
            FileSystem broken = new FileSystem() {
                @Override
                public Entry lookup(Context ctx, long parent, Name name) {
                    throw new IllegalStateException("bug");
                }
            };
            FuseServer server = mounted(broken);

            assertThat(call(server, request(Opcode.LOOKUP, 5, ROOT, args().cstring("x"))).error())
                    .isEqualTo(-Errno.EIO.code());
            assertThat(call(server, request(Opcode.LOOKUP, 6, ROOT, args().raw("x"))).error())
                    .as("a deliberate rejection").isEqualTo(-Errno.EINVAL.code());
            assertThat(server.unexpectedFailures()).isEqualTo(1);
        }

        /**
         * Every exception the server did not expect becomes EIO, so replies alone cannot tell a parser
         * bug from a deliberate error. The garbage must therefore get only deliberate answers (no
         * {@link FuseServer#unexpectedFailures()}), each for the request it answers, and a well-formed
         * request between two pieces of garbage must still get its normal answer.
         */
        @Test
        void randomGarbageGetsOnlyDeliberateAnswersAndWellFormedRequestsStillWork() {
            java.util.Random random = new java.util.Random(1234);
            FuseServer server = virtualServer();
            for (int i = 0; i < 2000; i++) {
                byte[] garbage = new byte[random.nextInt(200)];
                random.nextBytes(garbage);
                if (garbage.length >= 8 && random.nextBoolean()) {
                    // A plausible length and opcode make the parser go deeper.
                    int len = random.nextBoolean() ? garbage.length : random.nextInt(400);
                    garbage[0] = (byte) len;
                    garbage[1] = (byte) (len >>> 8);
                    garbage[2] = 0;
                    garbage[3] = 0;
                    int opcode = random.nextInt(53);
                    // DESTROY is garbage only in its arguments: it ends the session, as it should.
                    garbage[4] = (byte) (opcode == Opcode.DESTROY.code() ? 0 : opcode);
                    garbage[5] = 0;
                    garbage[6] = 0;
                    garbage[7] = 0;
                }
                int replySize = random.nextInt(300);
                ScatterBuffer reply = Wire.replyArea(arena, replySize);
                int n = server.handle(Wire.scatter(arena, garbage), reply);

                String what = "garbage " + i + ": " + java.util.HexFormat.of().formatHex(garbage);
                assertThat(n).as(what).isBetween(0, replySize);
                assertThat(server.unexpectedFailures()).as(what).isZero();
                if (n > 0 && garbage.length >= Wire.IN_HEADER) {
                    long unique = FuseStructs.getLong(MemorySegment.ofArray(garbage), 8);
                    assertThat(Wire.parse(reply, n).unique()).as(what).isEqualTo(unique);
                }
                if (i % 10 == 0) {
                    long node = lookupNode(call(server, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))));
                    Wire.Reply read = call(server, request(Opcode.READ.code(), 2, node, readIn(0, 0, 64)));
                    assertThat(read.unique()).isEqualTo(2);
                    assertThat(read.string(0, read.payloadLength())).as("after " + what).isEqualTo(HELLO);
                }
            }
        }
    }

    @Test
    void concurrentWorkersShareOneServer() throws Exception {
        FuseServer server = virtualServer();
        long node;
        try (Arena setup = Arena.ofConfined()) {
            ScatterBuffer reply = Wire.replyArea(setup, 256);
            int n = server.handle(Wire.scatter(setup, request(Opcode.LOOKUP, 1, ROOT, args().cstring("hello"))), reply);
            node = Wire.parse(reply, n).u64(0);
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int worker = t;
                results.add(pool.submit(() -> {
                    int good = 0;
                    try (Arena own = Arena.ofConfined()) {
                        for (int i = 0; i < 500; i++) {
                            int offset = (worker + i) % HELLO.length();
                            byte[] read = request(Opcode.READ.code(), i, node, readIn(0, offset, 64));
                            ScatterBuffer reply = Wire.replyArea(own, 80, 20);
                            Wire.Reply r = Wire.parse(reply, server.handle(Wire.scatter(own, read, 13), reply));
                            if (r.unique() == i && r.string(0, r.payloadLength()).equals(HELLO.substring(offset))) {
                                good++;
                            }
                        }
                    }
                    return good;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get()).isEqualTo(500);
            }
        }
    }
}
