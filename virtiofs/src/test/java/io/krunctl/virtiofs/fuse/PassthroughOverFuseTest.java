package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.Wire.args;
import static io.krunctl.virtiofs.fuse.Wire.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FsFlags;
import io.krunctl.virtiofs.fs.InitFlags;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.Linux;
import io.krunctl.virtiofs.fs.PassthroughConfig;
import io.krunctl.virtiofs.fs.PassthroughFs;
import io.krunctl.virtiofs.fs.PassthroughFsRo;
import io.krunctl.virtiofs.fs.VirtualEntry;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production stack, {@code FuseServer(AugmentFs(PassthroughFs))}, driven with FUSE requests as
 * the guest kernel encodes them, over scattered request and reply buffers.
 */
class PassthroughOverFuseTest {
    private static final long ROOT = InodeAllocator.ROOT_ID;
    private static final int ENTRY_OUT = 128;

    @TempDir
    Path share;

    private final Arena arena = Arena.ofConfined();
    private final List<Integer> exitCodes = new CopyOnWriteArrayList<>();
    private PassthroughFs passthrough;
    private FuseServer server;
    private long unique;

    @BeforeEach
    void mount() throws Exception {
        InodeAllocator inodes = new InodeAllocator();
        passthrough = new PassthroughFs(share, inodes, PassthroughConfig.defaults());
        server = new FuseServer(new AugmentFs(passthrough, inodes, Map.of(
                "init.krun", VirtualEntry.file("#!init".getBytes(StandardCharsets.UTF_8), 0755, true)),
                exitCodes::add));
        Wire.Reply init = call(request(Opcode.INIT, ++unique, 0,
                args().u32(7).u32(38).u32(128 * 1024).u32(0xFFFF_FFFFL).u32(0xFFFF_FFFFL).zeros(44)));
        assertThat(init.error()).isZero();
        long flags = Integer.toUnsignedLong(init.u32(12)) | (Integer.toUnsignedLong(init.u32(32)) << 32);
        assertThat(flags & InitFlags.DO_READDIRPLUS).isNotZero();
        assertThat(flags & (InitFlags.POSIX_LOCKS | InitFlags.FLOCK_LOCKS | InitFlags.WRITEBACK_CACHE)).isZero();
    }

    @AfterEach
    void unmount() {
        passthrough.close();
        arena.close();
    }

    private Wire.Reply call(byte[] request) {
        return call(request, 1 << 17);
    }

    private Wire.Reply call(byte[] request, int replySize, int... replyCuts) {
        ScatterBuffer reply = Wire.replyArea(arena, replySize, replyCuts);
        int written = server.handle(Wire.scatter(arena, request, request.length / 3, request.length / 2), reply);
        assertThat(written).isGreaterThanOrEqualTo(Wire.OUT_HEADER);
        return Wire.parse(reply, written);
    }

    private long lookup(long parent, String name) {
        Wire.Reply r = call(request(Opcode.LOOKUP, ++unique, parent, args().cstring(name)));
        assertThat(r.error()).as("lookup " + name).isZero();
        return r.u64(0);
    }

    private static byte[] readIn(long fh, long offset, int size) {
        return args().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0).toArray();
    }

    private static long openDescriptors() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void aMissingNameIsAnsweredAsANegativeEntryTheGuestKeepsForASecond() throws Exception {
        Wire.Reply missing = call(request(Opcode.LOOKUP, ++unique, ROOT, args().cstring("later")));
        assertThat(missing.error()).as("no error: the kernel caches only a successful negative reply").isZero();
        assertThat(missing.u64(0)).as("nodeid 0 means absent").isZero();
        assertThat(missing.u64(16)).as("entry_valid seconds").isEqualTo(1);
        assertThat(missing.u64(24)).as("attr_valid seconds").isZero();

        Files.writeString(share.resolve("later"), "here now");
        Wire.Reply found = call(request(Opcode.LOOKUP, ++unique, ROOT, args().cstring("later")));
        assertThat(found.error()).isZero();
        assertThat(found.u64(0)).as("the next lookup sees the host's file").isNotZero();
        assertThat(found.u64(40 + 8)).as("st_size").isEqualTo(8);
    }

    @Test
    void createWriteReadAndListThroughTheWire() throws Exception {
        long before = openDescriptors();
        Wire.Reply created = call(request(Opcode.CREATE, ++unique, ROOT,
                args().u32(Fcntl.O_RDWR | Fcntl.O_CREAT | Fcntl.O_EXCL).u32(Linux.S_IFREG | 0640).u32(022).u32(0)
                        .cstring("data.bin")));
        assertThat(created.error()).isZero();
        assertThat(created.payloadLength()).isEqualTo(ENTRY_OUT + 16);
        long node = created.u64(0);
        long fh = created.u64(ENTRY_OUT);
        assertThat(created.u32(40 + 60)).as("mode").isEqualTo(Linux.S_IFREG | 0640);
        assertThat(created.u64(40)).as("st_ino is the host's")
                .isEqualTo(Files.getAttribute(share.resolve("data.bin"), "unix:ino"));

        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        byte[] write = request(Opcode.WRITE.code(), ++unique, node,
                args().u64(fh).u64(4096).u32(data.length).u32(0).u64(0).u32(Fcntl.O_RDWR).u32(0).put(data).toArray());
        ScatterBuffer writeReply = Wire.replyArea(arena, 64);
        // The data arrives in three guest buffers, one of them cut mid-page.
        int n = server.handle(Wire.scatter(arena, write, 80, 80 + 4096, 80 + 70_001), writeReply);
        Wire.Reply w = Wire.parse(writeReply, n);
        assertThat(w.error()).isZero();
        assertThat(w.u32(0)).isEqualTo(data.length);

        call(request(Opcode.FSYNC, ++unique, node, args().u64(fh).u32(1).u32(0)));
        byte[] onHost = Files.readAllBytes(share.resolve("data.bin"));
        assertThat(onHost).hasSize(4096 + data.length);
        assertThat(java.util.Arrays.copyOfRange(onHost, 4096, onHost.length)).isEqualTo(data);

        Wire.Reply read = call(request(Opcode.READ.code(), ++unique, node, readIn(fh, 4096, data.length)),
                16 + data.length, 16 + 3, 16 + 65536, 16 + 65537);
        assertThat(read.error()).isZero();
        assertThat(read.bytes(0, read.payloadLength())).isEqualTo(data);

        assertThat(call(request(Opcode.RELEASE, ++unique, node, args().u64(fh).u32(0).u32(0).u64(0))).error())
                .isZero();

        // The kernel offered zero-message opendir: OPENDIR says ENOSYS, listings come without a handle.
        Wire.Reply dir = call(request(Opcode.OPENDIR, ++unique, ROOT, args().u32(Fcntl.O_DIRECTORY).u32(0)));
        assertThat(dir.error()).isEqualTo(-Errno.ENOSYS.code());
        long dh = 0;
        Wire.Reply plus = call(request(Opcode.READDIRPLUS.code(), ++unique, ROOT, readIn(dh, 0, 4096)));
        assertThat(plus.error()).isZero();
        Map<String, Long> listed = new HashMap<>();
        for (int at = 0; at < plus.payloadLength(); ) {
            long nodeId = plus.u64(at);
            int nameLength = plus.u32(at + ENTRY_OUT + 16);
            listed.put(plus.string(at + ENTRY_OUT + 24, nameLength), nodeId);
            at += (ENTRY_OUT + 24 + nameLength + 7) & ~7;
        }
        assertThat(listed).containsOnlyKeys(".", "..", "data.bin");
        assertThat(listed.get("data.bin")).isEqualTo(node);
        assertThat(listed.get("..")).isZero();

        // CREATE and READDIRPLUS each gave one reference: two forgets close the descriptor.
        ScatterBuffer none = Wire.replyArea(arena, 64);
        assertThat(server.handle(Wire.scatter(arena, request(Opcode.FORGET, ++unique, node, args().u64(1))), none))
                .isZero();
        assertThat(server.handle(Wire.scatter(arena, request(Opcode.BATCH_FORGET, ++unique, 0,
                args().u32(1).u32(0).u64(node).u64(1))), none)).isZero();
        assertThat(openDescriptors()).isEqualTo(before);
    }

    @Test
    void virtualEntriesShadowTheTreeAndTheExitCodeStillArrives() throws Exception {
        Files.writeString(share.resolve("init.krun"), "the real one");
        Files.writeString(share.resolve("hostfile"), "host");
        long virtual = lookup(ROOT, "init.krun");
        Wire.Reply attr = call(request(Opcode.GETATTR, ++unique, virtual, args().u32(0).u32(0).u64(0)));
        assertThat(attr.u64(16 + 8)).as("size of the virtual file").isEqualTo(6);
        // One-shot: the next lookup finds the host's file.
        long real = lookup(ROOT, "init.krun");
        assertThat(real).isNotEqualTo(virtual);
        Wire.Reply realAttr = call(request(Opcode.GETATTR, ++unique, real, args().u32(0).u32(0).u64(0)));
        assertThat(realAttr.u64(16 + 8)).isEqualTo(12);
        lookup(ROOT, "hostfile");

        Wire.Reply ioctl = call(Wire.requestFrom(AugmentFs.INIT_PID, Opcode.IOCTL, ++unique, ROOT,
                args().u64(0).u32(FsFlags.IOCTL_DIR).u32(AugmentFs.EXIT_CODE_IOCTL).u64(42).u32(0).u32(0)));
        assertThat(ioctl.error()).isZero();
        assertThat(exitCodes).containsExactly(42);
        Wire.Reply other = call(request(Opcode.IOCTL, ++unique, ROOT,
                args().u64(0).u32(FsFlags.IOCTL_DIR).u32(0x5401).u64(0).u32(0).u32(0)));
        assertThat(other.error()).isEqualTo(-Errno.ENOTTY.code());
    }

    @Test
    void confinementHoldsOnTheWire() throws Exception {
        Files.createSymbolicLink(share.resolve("passwd"), Path.of("/etc/passwd"));
        assertThat(call(request(Opcode.LOOKUP, ++unique, ROOT, args().cstring(".."))).error())
                .isEqualTo(-Errno.EINVAL.code());
        assertThat(call(request(Opcode.LOOKUP, ++unique, ROOT, args().cstring("../etc"))).error())
                .isEqualTo(-Errno.EINVAL.code());
        Wire.Reply link = call(request(Opcode.LOOKUP, ++unique, ROOT, args().cstring("passwd")));
        assertThat(link.u32(40 + 60) & Linux.S_IFMT).isEqualTo(Linux.S_IFLNK);
        long node = link.u64(0);
        assertThat(call(request(Opcode.OPEN, ++unique, node, args().u32(Fcntl.O_RDONLY).u32(0))).error())
                .isEqualTo(-Errno.ELOOP.code());
        Wire.Reply text = call(request(Opcode.READLINK, ++unique, node, args()));
        assertThat(text.string(0, text.payloadLength())).isEqualTo("/etc/passwd");
        assertThat(call(request(Opcode.MKDIR, ++unique, node, args().u32(0755).u32(0).cstring("x"))).error())
                .isEqualTo(-Errno.ENOTDIR.code());
    }

    /**
     * symlink(2) takes a target of up to PATH_MAX bytes with its terminator, and the guest kernel
     * sends whatever it took: a 4095-byte target must reach the host whole, and come back whole.
     */
    @Test
    void aSymlinkTargetOfPathMaxMinusOneBytesRoundTripsAndOneMoreIsEnametoolong() throws Exception {
        String longest = "d/".repeat(2047) + "x";
        assertThat(longest).hasSize(4095);
        Wire.Reply made = call(request(Opcode.SYMLINK, ++unique, ROOT, args().cstring("long").cstring(longest)));
        assertThat(made.error()).isZero();
        assertThat(Files.readSymbolicLink(share.resolve("long")).toString()).isEqualTo(longest);
        Wire.Reply text = call(request(Opcode.READLINK, ++unique, made.u64(0), args()));
        assertThat(text.error()).isZero();
        assertThat(text.payloadLength()).isEqualTo(4095);
        assertThat(text.string(0, text.payloadLength())).isEqualTo(longest);

        Wire.Reply tooLong = call(request(Opcode.SYMLINK, ++unique, ROOT,
                args().cstring("longer").cstring(longest + "y")));
        assertThat(tooLong.error()).as("as symlink(2) answers on the host").isEqualTo(-Errno.ENAMETOOLONG.code());
        assertThat(Files.exists(share.resolve("longer"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void aReadOnlyShareRefusesMutationsOnTheWire() throws Exception {
        passthrough.close();
        Files.writeString(share.resolve("f"), "read me");
        InodeAllocator inodes = new InodeAllocator();
        try (PassthroughFsRo ro = new PassthroughFsRo(share, inodes, PassthroughConfig.defaults())) {
            server = new FuseServer(new AugmentFs(ro, inodes, Map.of(), exitCodes::add));
            call(request(Opcode.INIT, ++unique, 0,
                    args().u32(7).u32(38).u32(0).u32(0xFFFF_FFFFL).u32(0xFFFF_FFFFL).zeros(44)));
            long f = lookup(ROOT, "f");
            int erofs = -Errno.EROFS.code();
            assertThat(call(request(Opcode.OPEN, ++unique, f, args().u32(Fcntl.O_RDWR).u32(0))).error())
                    .isEqualTo(erofs);
            assertThat(call(request(Opcode.CREATE, ++unique, ROOT,
                    args().u32(Fcntl.O_RDWR).u32(0644).u32(0).u32(0).cstring("g"))).error()).isEqualTo(erofs);
            assertThat(call(request(Opcode.UNLINK, ++unique, ROOT, args().cstring("f"))).error()).isEqualTo(erofs);
            assertThat(call(request(Opcode.MKDIR, ++unique, ROOT, args().u32(0755).u32(0).cstring("d"))).error())
                    .isEqualTo(erofs);
            Wire.Reply open = call(request(Opcode.OPEN, ++unique, f, args().u32(Fcntl.O_RDONLY).u32(0)));
            assertThat(open.error()).isZero();
            Wire.Reply read = call(request(Opcode.READ.code(), ++unique, f, readIn(open.u64(0), 0, 100)));
            assertThat(read.string(0, read.payloadLength())).isEqualTo("read me");
            assertThat(Files.readString(share.resolve("f"))).isEqualTo("read me");
            assertThat(share.resolve("g")).doesNotExist();
        }
    }
}
