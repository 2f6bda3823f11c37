package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.Wire.args;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FsFlags;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.Linux;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fs.VirtualEntry;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request sequence of a hello-world boot on an empty root, as the guest kernel and the guest init
 * produce it: mount, exec /init.krun, read the config, mount pseudo filesystems on virtual directories,
 * report the exit code on "/", exec /bin/busybox.
 */
class HelloWorldBootTest {
    private static final long ROOT = InodeAllocator.ROOT_ID;
    private static final byte[] INIT = "\177ELF init binary".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CONFIG = "{\"Cmd\":[\"/bin/busybox\",\"echo\",\"hi\"]}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BUSYBOX = "\177ELF busybox".getBytes(StandardCharsets.UTF_8);

    private final Arena arena = Arena.ofConfined();
    private final AtomicInteger exitCode = new AtomicInteger(Integer.MAX_VALUE);
    private final FuseServer server = new FuseServer(new AugmentFs(new NullFs(), new InodeAllocator(), Map.of(
            "dev", VirtualEntry.directory(Map.of(), 0755),
            "proc", VirtualEntry.directory(Map.of(), 0555),
            "sys", VirtualEntry.directory(Map.of(), 0555),
            "init.krun", VirtualEntry.file(INIT, 0755, true),
            ".krun_config.json", VirtualEntry.file(CONFIG, 0644, true),
            "bin", VirtualEntry.directory(Map.of("busybox", VirtualEntry.file(BUSYBOX, 0755, false)), 0755),
            "etc", VirtualEntry.directory(Map.of("motd", VirtualEntry.file("hi\n".getBytes(StandardCharsets.UTF_8),
                    0644, false)), 0755)),
            exitCode::set));
    private long unique;

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Sends a request of the guest's init, pid 1, which does everything in this boot. */
    private Wire.Reply send(Opcode opcode, long node, Wire.Bytes arguments) {
        byte[] bytes = Wire.requestFrom(AugmentFs.INIT_PID, opcode, ++unique, node, arguments);
        ScatterBuffer reply = Wire.replyArea(arena, 64 * 1024, 16);
        Wire.Reply r = Wire.parse(reply, server.handle(Wire.scatter(arena, bytes, 40), reply));
        assertThat(r.unique()).isEqualTo(unique);
        return r;
    }

    private long lookup(long parent, String name, int expectedMode) {
        Wire.Reply r = send(Opcode.LOOKUP, parent, args().cstring(name));
        assertThat(r.error()).as("lookup %s", name).isZero();
        assertThat(r.u32(40 + 60)).as("mode of %s", name).isEqualTo(expectedMode);
        return r.u64(0);
    }

    private byte[] readWhole(long node) {
        Wire.Reply open = send(Opcode.OPEN, node, args().u32(Fcntl.O_RDONLY | 0x8000 | 0x20).u32(0));
        assertThat(open.error()).isZero();
        Wire.Reply data = send(Opcode.READ, node,
                args().u64(open.u64(0)).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0));
        assertThat(data.error()).isZero();
        return data.bytes(0, data.payloadLength());
    }

    private void release(long node) {
        assertThat(send(Opcode.RELEASE, node, args().u64(0).u32(0).u32(0).u64(0)).error()).isZero();
    }

    @Test
    void helloWorldBootOnAnEmptyRoot() {
        long kernelFlags = -1L;
        Wire.Reply init = send(Opcode.INIT, 0, args().u32(7).u32(41).u32(131072)
                .u32(kernelFlags & 0xFFFF_FFFFL).u32(kernelFlags >>> 32).zeros(44));
        assertThat(init.error()).isZero();
        assertThat(send(Opcode.GETATTR, ROOT, args().u32(0).u32(0).u64(0)).u32(16 + 60))
                .isEqualTo(Linux.S_IFDIR | 0755);

        // The kernel execs init=/init.krun: a one-shot file, gone from the namespace once found.
        long initNode = lookup(ROOT, "init.krun", Linux.S_IFREG | 0755);
        assertThat(readWhole(initNode)).isEqualTo(INIT);
        assertThat(send(Opcode.LOOKUP, ROOT, args().cstring("init.krun")).error()).isEqualTo(-Errno.ENOENT.code());
        assertThat(send(Opcode.GETATTR, initNode, args().u32(0).u32(0).u64(0)).error())
                .as("still open by the running init").isZero();

        // mkdir -p /dev /proc /sys: the kernel sees them exist; a MKDIR that gets through is EEXIST.
        long dev = lookup(ROOT, "dev", Linux.S_IFDIR | 0755);
        lookup(ROOT, "proc", Linux.S_IFDIR | 0555);
        lookup(ROOT, "sys", Linux.S_IFDIR | 0555);
        assertThat(send(Opcode.MKDIR, ROOT, args().u32(0755).u32(022).cstring("dev")).error())
                .isEqualTo(-Errno.EEXIST.code());
        assertThat(send(Opcode.MKDIR, dev, args().u32(0755).u32(022).cstring("pts")).error())
                .as("virtual directories are read-only").isEqualTo(-Errno.EPERM.code());

        // The init reads its config once.
        long config = lookup(ROOT, ".krun_config.json", Linux.S_IFREG | 0644);
        assertThat(readWhole(config)).isEqualTo(CONFIG);
        release(config);
        assertThat(send(Opcode.GETATTR, config, args().u32(0).u32(0).u64(0)).error())
                .as("a released one-shot inode is gone").isEqualTo(-Errno.ENOENT.code());
        assertThat(send(Opcode.LOOKUP, ROOT, args().cstring(".krun_config.json")).error())
                .isEqualTo(-Errno.ENOENT.code());

        // statfs("/") must work for the init to recognise virtio-fs.
        assertThat(send(Opcode.STATFS, ROOT, args()).error()).isZero();

        // ls / shows only what the inner filesystem has: nothing.
        Wire.Reply opendir = send(Opcode.OPENDIR, ROOT, args().u32(Fcntl.O_DIRECTORY).u32(0));
        assertThat(opendir.error()).isZero();
        Wire.Reply listing = send(Opcode.READDIR, ROOT,
                args().u64(opendir.u64(0)).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0));
        assertThat(listing.error()).isZero();
        assertThat(listing.payloadLength()).isZero();

        // The workload runs from a persistent virtual file.
        long bin = lookup(ROOT, "bin", Linux.S_IFDIR | 0755);
        long busybox = lookup(bin, "busybox", Linux.S_IFREG | 0755);
        assertThat(readWhole(busybox)).isEqualTo(BUSYBOX);
        assertThat(lookup(bin, "busybox", Linux.S_IFREG | 0755)).isEqualTo(busybox);
        assertThat(send(Opcode.LOOKUP, bin, args().cstring("sh")).error()).isEqualTo(-Errno.ENOENT.code());
        long etc = lookup(ROOT, "etc", Linux.S_IFDIR | 0755);
        assertThat(readWhole(lookup(etc, "motd", Linux.S_IFREG | 0644))).asString(StandardCharsets.UTF_8)
                .isEqualTo("hi\n");

        // ioctl(open("/"), 0x7602, code) hands the exit code to the host.
        Wire.Reply ioctl = send(Opcode.IOCTL, ROOT, args().u64(opendir.u64(0)).u32(FsFlags.IOCTL_DIR)
                .u32(AugmentFs.EXIT_CODE_IOCTL).u64(3).u32(0).u32(0));
        assertThat(ioctl.error()).isZero();
        assertThat(ioctl.u32(0)).isZero();
        assertThat(exitCode).hasValue(3);
        assertThat(send(Opcode.RELEASEDIR, ROOT, args().u64(opendir.u64(0)).u32(0).u32(0).u64(0)).error()).isZero();

        // Reboot: the kernel mounts again and finds a fresh /init.krun.
        assertThat(send(Opcode.INIT, 0, args().u32(7).u32(41).u32(0).u32(0)).error()).isZero();
        assertThat(send(Opcode.LOOKUP, ROOT, args().cstring("init.krun")).error()).isZero();
    }
}
