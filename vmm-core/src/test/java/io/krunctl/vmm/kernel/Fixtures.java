package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Real test inputs made at run time: LZ4 legacy streams from the lz4 tool, synthetic ELF files and bzImages. */
final class Fixtures {

    private Fixtures() {}

    /** Compresses {@code data} with {@code lz4 -l} (the legacy frame format the kernel uses). */
    static byte[] lz4Legacy(byte[] data, Path tmp) throws IOException, InterruptedException {
        Path in = Files.createTempFile(tmp, "lz4-in", ".bin");
        Path out = tmp.resolve(in.getFileName() + ".lz4");
        Files.write(in, data);
        Process p;
        try {
            p = new ProcessBuilder("lz4", "-l", "-f", "-q", in.toString(), out.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            return fail("the lz4 tool is needed to make LZ4 legacy test data and is not installed: "
                    + "run `apt-get install -y lz4` (" + e.getMessage() + ")");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            return fail("lz4 -l failed: " + output);
        }
        return Files.readAllBytes(out);
    }

    /**
     * Data that compresses somewhat, like a kernel: runs of random bytes mixed with repeated
     * phrases, reproducible from {@code seed}.
     */
    static byte[] kernelLikeData(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] out = new byte[size];
        byte[] phrase = "mov %rax, %rbx; call printk; virtio_ring virtio fuse ".getBytes(StandardCharsets.US_ASCII);
        int i = 0;
        while (i < size) {
            int run = 1 + r.nextInt(200);
            if (r.nextBoolean()) {
                for (int j = 0; j < run && i < size; j++) {
                    out[i++] = (byte) r.nextInt(256);
                }
            } else {
                for (int j = 0; j < run && i < size; j++) {
                    out[i++] = phrase[j % phrase.length];
                }
            }
        }
        return out;
    }

    static byte[] le32(long v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    // ------------------------------------------------------------------ ELF

    /** e_ident of an ELF64 little-endian file, SysV ABI. */
    private static void elfIdent(ByteBuffer h) {
        h.put(0, (byte) 0x7f).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        h.put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
    }

    /** An ELF64 little-endian relocatable file (like a .ko) with the given sections and a .shstrtab. */
    static byte[] relocatable(Map<String, byte[]> sections) {
        List<String> names = new ArrayList<>(sections.keySet());
        names.add(".shstrtab");
        ByteArrayOutputStream strtab = new ByteArrayOutputStream();
        strtab.write(0);
        Map<String, Integer> nameOff = new LinkedHashMap<>();
        for (String n : names) {
            nameOff.put(n, strtab.size());
            strtab.writeBytes(n.getBytes(StandardCharsets.US_ASCII));
            strtab.write(0);
        }
        Map<String, byte[]> all = new LinkedHashMap<>(sections);
        all.put(".shstrtab", strtab.toByteArray());

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[64]); // header, filled below
        Map<String, long[]> placed = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            while (body.size() % 8 != 0) {
                body.write(0);
            }
            placed.put(e.getKey(), new long[] {body.size(), e.getValue().length});
            body.writeBytes(e.getValue());
        }
        while (body.size() % 8 != 0) {
            body.write(0);
        }
        long shoff = body.size();
        int shnum = all.size() + 1;
        ByteBuffer sh = ByteBuffer.allocate(64 * shnum).order(ByteOrder.LITTLE_ENDIAN);
        sh.position(64); // section 0 is all zeros
        for (String n : all.keySet()) {
            long[] p = placed.get(n);
            int base = sh.position();
            sh.putInt(base, nameOff.get(n));
            sh.putInt(base + 4, n.equals(".shstrtab") ? 3 : 1); // SHT_STRTAB : SHT_PROGBITS
            sh.putLong(base + 24, p[0]);
            sh.putLong(base + 32, p[1]);
            sh.putLong(base + 48, 1);
            sh.position(base + 64);
        }
        body.writeBytes(sh.array());
        byte[] out = body.toByteArray();
        ByteBuffer h = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        elfIdent(h);
        h.putShort(0x10, (short) 1); // ET_REL
        h.putShort(0x12, (short) 62); // EM_X86_64
        h.putInt(0x14, 1);
        h.putLong(0x28, shoff);
        h.putShort(0x34, (short) 64);
        h.putShort(0x3A, (short) 64);
        h.putShort(0x3C, (short) shnum);
        h.putShort(0x3E, (short) (shnum - 1));
        return out;
    }

    /** A kernel module: an ELF with a .modinfo section holding these key=value entries (and some padding). */
    static byte[] module(String name, String depends) {
        String modinfo = "license=GPL\0description=test module " + name + "\0depends=" + depends
                + "\0retpoline=Y\0intree=Y\0name=" + name + "\0vermagic=6.1.0-test SMP mod_unload\0\0\0";
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put(".text", new byte[] {(byte) 0xc3});
        s.put(".modinfo", modinfo.getBytes(StandardCharsets.US_ASCII));
        return relocatable(s);
    }

    /**
     * An ELF64 executable with one PT_NOTE segment holding the given notes (name, type, desc), and
     * {@code padding} filler bytes after it so that it looks like a (small) kernel.
     */
    static byte[] executableWithNotes(List<Object[]> notes, int padding) {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        for (Object[] note : notes) {
            byte[] name = (((String) note[0]) + "\0").getBytes(StandardCharsets.US_ASCII);
            byte[] desc = (byte[]) note[2];
            n.writeBytes(le32(name.length));
            n.writeBytes(le32(desc.length));
            n.writeBytes(le32((Integer) note[1]));
            n.writeBytes(name);
            while (n.size() % 4 != 0) {
                n.write(0);
            }
            n.writeBytes(desc);
            while (n.size() % 4 != 0) {
                n.write(0);
            }
        }
        byte[] noteBytes = n.toByteArray();
        int phoff = 64;
        int noteOff = phoff + 56;
        byte[] out = new byte[noteOff + noteBytes.length + padding];
        ByteBuffer h = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        elfIdent(h);
        h.putShort(0x10, (short) 2); // ET_EXEC
        h.putShort(0x12, (short) 62);
        h.putInt(0x14, 1);
        h.putLong(0x18, 0x1000000L);
        h.putLong(0x20, phoff);
        h.putShort(0x34, (short) 64);
        h.putShort(0x36, (short) 56);
        h.putShort(0x38, (short) 1);
        h.putInt(phoff, Elf.PT_NOTE);
        h.putInt(phoff + 4, 4);
        h.putLong(phoff + 8, noteOff);
        h.putLong(phoff + 32, noteBytes.length);
        h.putLong(phoff + 40, noteBytes.length);
        h.putLong(phoff + 48, 4);
        System.arraycopy(noteBytes, 0, out, noteOff, noteBytes.length);
        byte[] fill = kernelLikeData(padding, 7);
        System.arraycopy(fill, 0, out, noteOff + noteBytes.length, padding);
        return out;
    }

    /** A small "vmlinux": an ELF executable with the Xen notes a PVH-capable kernel carries. */
    static byte[] pvhVmlinux(int padding) {
        return executableWithNotes(List.of(
                new Object[] {"Xen", 6, "linux\0".getBytes(StandardCharsets.US_ASCII)},
                new Object[] {"GNU", 3, new byte[20]},
                new Object[] {"Xen", Elf.XEN_ELFNOTE_PHYS32_ENTRY, le32(0x1000170)}), padding);
    }

    // ------------------------------------------------------------------ bzImage

    /**
     * A bzImage: a boot sector and {@code setupSects} (at least 2; 0 means 4) setup sectors carrying the setup header, then
     * the protected-mode code, which holds {@code payload} (already including its size trailer) at
     * {@code payloadOffset}.
     */
    static byte[] bzImage(int setupSects, int payloadOffset, byte[] payload, String version) {
        int pm = ((setupSects == 0 ? 4 : setupSects) + 1) * 512; // the boot protocol reads 0 as 4
        byte[] out = new byte[pm + payloadOffset + payload.length + 1024];
        ByteBuffer h = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        h.put(BzImage.SETUP_SECTS, (byte) setupSects);
        h.putShort(0x1fe, (short) 0xaa55);
        h.putInt(BzImage.HEADER_MAGIC, BzImage.HDRS);
        h.putShort(BzImage.VERSION, (short) 0x20f);
        int versionAt = 0x400; // inside the setup sectors
        h.putShort(BzImage.KERNEL_VERSION, (short) (versionAt - 0x200));
        byte[] v = (version + "\0").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, out, versionAt, v.length);
        h.putInt(BzImage.PAYLOAD_OFFSET, payloadOffset);
        h.putInt(BzImage.PAYLOAD_LENGTH, payload.length);
        // Decompressor stub bytes before the payload, a tail after it.
        byte[] stub = kernelLikeData(payloadOffset, 3);
        System.arraycopy(stub, 0, out, pm, payloadOffset);
        System.arraycopy(payload, 0, out, pm + payloadOffset, payload.length);
        for (int i = pm + payloadOffset + payload.length; i < out.length; i++) {
            out[i] = (byte) 0xcc;
        }
        return out;
    }

    /** A bzImage whose LZ4 payload (made by {@code lz4 -l}, with the kernel's size trailer) is {@code vmlinux}. */
    static byte[] lz4BzImage(byte[] vmlinux, String version, Path tmp) throws IOException, InterruptedException {
        byte[] payload = concat(lz4Legacy(vmlinux, tmp), le32(vmlinux.length));
        return bzImage(39, 0x2cc, payload, version);
    }
}
