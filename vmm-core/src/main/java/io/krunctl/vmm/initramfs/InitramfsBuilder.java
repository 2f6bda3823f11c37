package io.krunctl.vmm.initramfs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Writes the guest's initramfs: an uncompressed newc cpio archive holding the init binary and the
 * kernel modules its stage 0 loads before it mounts the virtio-fs root.
 *
 * <p>Contents, in archive order:
 *
 * <pre>
 * /dev                     directory 0755
 * /dev/console             character device 5:1, 0600 (the kernel opens it as the initial console)
 * /proc /sys /newroot      directories 0755
 * /krunctl                 directory 0755
 * /krunctl/modules         directory 0755
 * /krunctl/modules/X.ko    one per module, 0644, in load order
 * /krunctl/modules.order   0644: the absolute path of each module, one per line, in load order
 * /init                    the init binary, 0755
 * </pre>
 *
 * <p>Every entry is owned by root:root with mtime 0 and a fixed inode number, so the same inputs give
 * the same bytes. The archive is not compressed: the kernel would spend longer decompressing it than
 * QEMU spends copying a couple of MiB, and it is rebuilt on every run (a few milliseconds), so it is
 * not cached.
 */
public final class InitramfsBuilder {

    /** Where the modules are in the initramfs. */
    public static final String MODULES_DIR = "/krunctl/modules";
    /** The load-order file; its presence tells the init that it runs as stage 0. */
    public static final String ORDER_FILE = "/krunctl/modules.order";

    private static final int DIR = CpioConstants.C_ISDIR;
    private static final int CHR = CpioConstants.C_ISCHR;
    private static final int REG = CpioConstants.C_ISREG;

    private InitramfsBuilder() {}

    /**
     * Writes the initramfs to {@code out} (atomically: a temporary sibling renamed over it).
     *
     * @param initBinary the guest init, stored as {@code /init}
     * @param modules    the {@code .ko} files in load order; each is stored under its file name, which
     *                   must end in {@code .ko} and be unique
     * @throws IOException              if a module cannot be read or {@code out} cannot be written
     * @throws IllegalArgumentException if a module name does not end in {@code .ko} or repeats
     */
    public static void write(Path out, byte[] initBinary, List<Path> modules) throws IOException {
        Objects.requireNonNull(initBinary, "initBinary");
        List<String> names = moduleNames(modules);
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                write(os, initBinary, modules, names);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The text of {@code /krunctl/modules.order} for these modules. */
    public static String orderFile(List<Path> modules) {
        StringBuilder sb = new StringBuilder();
        for (String n : moduleNames(modules)) {
            sb.append(MODULES_DIR).append('/').append(n).append('\n');
        }
        return sb.toString();
    }

    private static void write(OutputStream os, byte[] init, List<Path> modules, List<String> names) throws IOException {
        Writer w = new Writer(new CpioArchiveOutputStream(os, CpioConstants.FORMAT_NEW));
        w.dir("dev");
        w.charDevice("dev/console", 0600, 5, 1);
        w.dir("proc");
        w.dir("sys");
        w.dir("newroot");
        w.dir("krunctl");
        w.dir("krunctl/modules");
        for (int i = 0; i < modules.size(); i++) {
            w.file("krunctl/modules/" + names.get(i), 0644, Files.readAllBytes(modules.get(i)));
        }
        w.file(ORDER_FILE.substring(1), 0644, orderFile(modules).getBytes(StandardCharsets.UTF_8));
        w.file("init", 0755, init);
        w.cpio.finish();
        w.cpio.flush();
    }

    private static List<String> moduleNames(List<Path> modules) {
        List<String> names = new ArrayList<>(modules.size());
        Set<String> seen = new HashSet<>();
        for (Path m : modules) {
            String n = m.getFileName().toString();
            if (!n.endsWith(".ko") || n.length() == 3) {
                throw new IllegalArgumentException("module file " + m + " does not end in .ko");
            }
            if (!seen.add(n)) {
                throw new IllegalArgumentException("module " + n + " is listed twice");
            }
            names.add(n);
        }
        return names;
    }

    /** Adds entries with fixed metadata: root:root, mtime 0, inodes numbered in archive order. */
    private static final class Writer {
        final CpioArchiveOutputStream cpio;
        long inode = 1;

        Writer(CpioArchiveOutputStream cpio) {
            this.cpio = cpio;
        }

        void dir(String name) throws IOException {
            put(entry(name, DIR | 0755, 2, 0), null);
        }

        void charDevice(String name, int perm, int major, int minor) throws IOException {
            CpioArchiveEntry e = entry(name, CHR | perm, 1, 0);
            e.setRemoteDeviceMaj(major);
            e.setRemoteDeviceMin(minor);
            put(e, null);
        }

        void file(String name, int perm, byte[] data) throws IOException {
            put(entry(name, REG | perm, 1, data.length), data);
        }

        private CpioArchiveEntry entry(String name, int mode, int links, long size) {
            CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, size);
            e.setMode(mode);
            e.setUID(0);
            e.setGID(0);
            e.setTime(0);
            e.setNumberOfLinks(links);
            e.setInode(inode++);
            e.setDeviceMaj(0);
            e.setDeviceMin(0);
            return e;
        }

        private void put(CpioArchiveEntry e, byte[] data) throws IOException {
            cpio.putArchiveEntry(e);
            if (data != null) {
                cpio.write(data);
            }
            cpio.closeArchiveEntry();
        }
    }
}
