package io.krunctl.vmm.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs, read back with commons-compress. */
class InitramfsBuilderTest {

    @TempDir
    Path tmp;

    private byte[] init;
    private List<Path> modules;

    @BeforeEach
    void inputs() throws IOException {
        init = random(1_100_000, 1);
        modules = new ArrayList<>();
        Path dir = Files.createDirectories(tmp.resolve("modules"));
        String[] names = {"virtio_ring", "virtio", "fuse", "virtiofs"};
        for (int i = 0; i < names.length; i++) {
            Path m = dir.resolve(names[i] + ".ko");
            Files.write(m, random(10_000 + 40_000 * i, 10 + i));
            modules.add(m);
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private record Read(CpioArchiveEntry entry, byte[] data) {}

    private static Map<String, Read> read(Path cpio) throws IOException {
        Map<String, Read> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(cpio); CpioArchiveInputStream c = new CpioArchiveInputStream(in)) {
            CpioArchiveEntry e;
            while ((e = c.getNextEntry()) != null) {
                assertThat(out).doesNotContainKey(e.getName());
                out.put(e.getName(), new Read(e, c.readAllBytes()));
            }
        }
        return out;
    }

    @Test
    void holdsExactlyTheExpectedEntries() throws IOException {
        Path out = tmp.resolve("initramfs.cpio");
        InitramfsBuilder.write(out, init, modules);

        byte[] raw = Files.readAllBytes(out);
        assertThat(new String(raw, 0, 6, StandardCharsets.US_ASCII)).as("newc magic").isEqualTo("070701");
        assertThat(raw.length % 512).isZero();

        Map<String, Read> entries = read(out);
        assertThat(entries.keySet()).containsExactly("dev", "dev/console", "proc", "sys", "newroot", "krunctl",
                "krunctl/modules", "krunctl/modules/virtio_ring.ko", "krunctl/modules/virtio.ko",
                "krunctl/modules/fuse.ko", "krunctl/modules/virtiofs.ko", "krunctl/modules.order", "init");

        for (Read r : entries.values()) {
            CpioArchiveEntry e = r.entry();
            assertThat(e.getFormat()).isEqualTo(CpioConstants.FORMAT_NEW);
            assertThat(e.getUID()).as(e.getName()).isZero();
            assertThat(e.getGID()).as(e.getName()).isZero();
            assertThat(e.getTime()).as(e.getName()).isZero();
        }
        for (String d : List.of("dev", "proc", "sys", "newroot", "krunctl", "krunctl/modules")) {
            assertThat(entries.get(d).entry().getMode()).as(d).isEqualTo(CpioConstants.C_ISDIR | 0755);
        }

        CpioArchiveEntry console = entries.get("dev/console").entry();
        assertThat(console.isCharacterDevice()).isTrue();
        assertThat(console.getMode()).isEqualTo(CpioConstants.C_ISCHR | 0600);
        assertThat(console.getRemoteDeviceMaj()).isEqualTo(5);
        assertThat(console.getRemoteDeviceMin()).isEqualTo(1);

        Read initEntry = entries.get("init");
        assertThat(initEntry.entry().getMode()).isEqualTo(CpioConstants.C_ISREG | 0755);
        assertThat(initEntry.data()).isEqualTo(init);

        for (Path m : modules) {
            Read r = entries.get("krunctl/modules/" + m.getFileName());
            assertThat(r.entry().getMode()).isEqualTo(CpioConstants.C_ISREG | 0644);
            assertThat(r.data()).isEqualTo(Files.readAllBytes(m));
        }

        Read order = entries.get("krunctl/modules.order");
        assertThat(order.entry().getMode()).isEqualTo(CpioConstants.C_ISREG | 0644);
        assertThat(new String(order.data(), StandardCharsets.UTF_8)).isEqualTo("""
                /krunctl/modules/virtio_ring.ko
                /krunctl/modules/virtio.ko
                /krunctl/modules/fuse.ko
                /krunctl/modules/virtiofs.ko
                """);

        List<Long> inodes = entries.values().stream().map(r -> r.entry().getInode()).toList();
        assertThat(inodes).doesNotHaveDuplicates().doesNotContain(0L);
    }

    @Test
    void theSameInputsGiveTheSameBytes() throws IOException {
        Path first = tmp.resolve("a.cpio");
        InitramfsBuilder.write(first, init, modules);
        // Different file times, a different output path, an existing file to replace.
        for (Path m : modules) {
            Files.setLastModifiedTime(m, FileTime.fromMillis(1_234_567_000L));
        }
        Path second = Files.createDirectories(tmp.resolve("other")).resolve("b.cpio");
        Files.writeString(second, "old contents");
        InitramfsBuilder.write(second, init.clone(), List.copyOf(modules));
        assertThat(Files.readAllBytes(second)).isEqualTo(Files.readAllBytes(first));
        try (var s = Files.list(second.getParent())) {
            assertThat(s.toList()).as("no temporary file left").containsExactly(second);
        }
    }

    @Test
    void anEmptyModuleListStillWritesTheOrderFile() throws IOException {
        Path out = tmp.resolve("empty.cpio");
        InitramfsBuilder.write(out, new byte[] {1, 2, 3}, List.of());
        Map<String, Read> entries = read(out);
        assertThat(entries.get("krunctl/modules.order").data()).isEmpty();
        assertThat(entries.get("init").data()).containsExactly(1, 2, 3);
    }

    @Test
    void rejectsBadModuleNames() throws IOException {
        Path out = tmp.resolve("bad.cpio");
        Path xz = Files.write(tmp.resolve("fuse.ko.xz"), new byte[1]);
        assertThatThrownBy(() -> InitramfsBuilder.write(out, init, List.of(xz)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not end in .ko");
        Path other = Files.createDirectories(tmp.resolve("elsewhere")).resolve("fuse.ko");
        Files.write(other, new byte[1]);
        assertThatThrownBy(() -> InitramfsBuilder.write(out, init, List.of(modules.get(2), other)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fuse.ko is listed twice");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingModuleFailsWithoutLeavingAFile() {
        Path out = tmp.resolve("missing.cpio");
        assertThatThrownBy(() -> InitramfsBuilder.write(out, init, List.of(tmp.resolve("nope.ko"))))
                .isInstanceOf(IOException.class);
        assertThat(out).doesNotExist();
        assertThat(tmp.toFile().list()).noneMatch(n -> n.endsWith(".tmp"));
    }

    /**
     * The initramfs is rebuilt on every run, which costs a few milliseconds only because nothing is
     * compressed (the kernel would also spend longer decompressing than QEMU spends copying). So the
     * init and every module must appear in the file byte for byte; a compressed archive would not
     * hold them.
     */
    @Test
    void storesTheInitAndEveryModuleUncompressed() throws IOException {
        Path out = tmp.resolve("plain.cpio");
        InitramfsBuilder.write(out, init, modules);
        byte[] raw = Files.readAllBytes(out);

        assertThat(indexOf(raw, init)).as("/init stored verbatim").isPositive();
        for (Path m : modules) {
            assertThat(indexOf(raw, Files.readAllBytes(m))).as("%s stored verbatim", m.getFileName()).isPositive();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
