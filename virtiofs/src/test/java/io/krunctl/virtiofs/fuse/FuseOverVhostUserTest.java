package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.Wire.args;
import static io.krunctl.virtiofs.fuse.Wire.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd;
import io.krunctl.virtiofs.vhostuser.VhostUserFsBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole device path without a VM: the test front end plays QEMU over a real unix socket with a
 * memfd for guest RAM and real eventfds, and FUSE requests travel through a real split virtqueue to
 * the FuseServer over AugmentFs and NullFs, as the guest kernel's virtio-fs driver sends them.
 */
class FuseOverVhostUserTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int OUT_HEADER = 16;

    @TempDir
    Path dir;

    private long unique;

    private record Answer(int usedLength, int len, int error, ByteBuffer payload) {}

    private Answer call(TestFrontEnd.Queue queue, Opcode opcode, long node, Wire.Bytes arguments, int capacity)
            throws Exception {
        TestFrontEnd.Completion c = queue.call(request(opcode, ++unique, node, arguments), capacity, TIMEOUT);
        ByteBuffer b = ByteBuffer.wrap(c.reply()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(8)).as("unique of %s", opcode).isEqualTo(unique);
        ByteBuffer payload = ByteBuffer.wrap(Arrays.copyOfRange(c.reply(), OUT_HEADER, c.usedLength()))
                .order(ByteOrder.LITTLE_ENDIAN);
        return new Answer(c.usedLength(), b.getInt(0), b.getInt(4), payload);
    }

    @Test
    void initLookupOpenAndReadThroughASplitVirtqueue() throws Exception {
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        int[] exitCode = {-1};
        InodeAllocator inodes = new InodeAllocator();
        FuseServer server = new FuseServer(new AugmentFs(new NullFs(), inodes,
                Map.of("data.bin", VirtualEntry.file(data, 0644, false)), code -> exitCode[0] = code));

        try (VhostUserFsBackend device = VhostUserFsBackend.listen(dir.resolve("fs.sock"), server::handle, 2,
                        t -> { });
                TestFrontEnd qemu = TestFrontEnd.connect(device.socketPath(), 8 << 20)) {
            qemu.handshake();
            qemu.start(TestFrontEnd.DEFAULT_GUEST_FEATURES, 256, 0, 1);
            TestFrontEnd.Queue requests = qemu.queue(1);

            Answer init = call(requests, Opcode.INIT, 0,
                    args().u32(7).u32(38).u32(128 * 1024).u32(0xFFFF_FFFFL).u32(0xFFFF_FFFFL).zeros(44), 4096);
            assertThat(init.error()).isZero();
            assertThat(init.len()).as("reply length field matches the used length").isEqualTo(init.usedLength());
            assertThat(init.payload().getInt(0)).as("major").isEqualTo(7);
            assertThat(init.payload().getInt(4)).as("minor").isEqualTo(27);

            Answer lookup = call(requests, Opcode.LOOKUP, InodeAllocator.ROOT_ID, args().cstring("data.bin"), 4096);
            assertThat(lookup.error()).isZero();
            long node = lookup.payload().getLong(0);
            assertThat(lookup.payload().getLong(40 + 8)).as("st_size").isEqualTo(data.length);

            Answer missing = call(requests, Opcode.LOOKUP, InodeAllocator.ROOT_ID, args().cstring("nope"), 4096);
            assertThat(missing.error()).as("ENOENT").isEqualTo(-2);

            Answer open = call(requests, Opcode.OPEN, node, args().u32(Fcntl.O_RDONLY).u32(0), 4096);
            assertThat(open.error()).isZero();
            long fh = open.payload().getLong(0);

            // A read larger than one page, at an unaligned offset, landing in guest memory.
            Answer read = call(requests, Opcode.READ, node,
                    args().u64(fh).u64(12_345).u32(131_072).u32(0).u64(0).u32(0).u32(0), OUT_HEADER + 131_072);
            assertThat(read.error()).isZero();
            byte[] got = new byte[read.payload().remaining()];
            read.payload().get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, 12_345, 12_345 + 131_072));

            Answer tail = call(requests, Opcode.READ, node,
                    args().u64(fh).u64(data.length - 10).u32(4096).u32(0).u64(0).u32(0).u32(0), 8192);
            assertThat(tail.payload().remaining()).as("short read at the end").isEqualTo(10);

            Answer pastEof = call(requests, Opcode.READ, node,
                    args().u64(fh).u64(data.length + 100).u32(4096).u32(0).u64(0).u32(0).u32(0), 8192);
            assertThat(pastEof.error()).isZero();
            assertThat(pastEof.payload().remaining()).as("zero bytes past EOF").isZero();

            TestFrontEnd.Completion exit = requests.call(Wire.requestFrom(AugmentFs.INIT_PID, Opcode.IOCTL, ++unique,
                    InodeAllocator.ROOT_ID, args().u64(0).u32(0).u32(0x7602).u64(42).u32(0).u32(0)), 4096, TIMEOUT);
            assertThat(ByteBuffer.wrap(exit.reply()).order(ByteOrder.LITTLE_ENDIAN).getInt(4)).as("error").isZero();
            assertThat(exitCode[0]).as("exit code reached the sink").isEqualTo(42);
        }
    }
}
