package io.krunctl.vmm.kernel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A minimal reader of ELF files (32- and 64-bit, either byte order): the section table, section
 * contents and notes. It reads only the parts asked for, so opening a 60 MiB {@code vmlinux} costs a
 * few small reads. Written by hand because the JDK has no ELF reader and the job is small.
 */
final class Elf implements AutoCloseable {

    static final int PT_NOTE = 4;
    static final int SHT_NOTE = 7;
    /** {@code XEN_ELFNOTE_PHYS32_ENTRY}: the 32-bit physical entry point QEMU uses for PVH boot. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

    private static final byte[] MAGIC = {0x7f, 'E', 'L', 'F'};

    record Section(String name, int type, long offset, long size) {}

    record Segment(int type, long offset, long fileSize, long align) {}

    record Note(String name, int type, byte[] desc) {}

    private final FileChannel channel;
    private final boolean is64;
    private final ByteOrder order;
    private final long fileSize;
    private List<Section> sections;

    private Elf(FileChannel channel, boolean is64, ByteOrder order) throws IOException {
        this.channel = channel;
        this.is64 = is64;
        this.order = order;
        this.fileSize = channel.size();
    }

    /** Whether {@code head} (the first bytes of a file) starts with the ELF magic. */
    static boolean isElf(byte[] head) {
        if (head.length < 4) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            if (head[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Opens {@code file}; fails with an {@link IOException} naming the file if it is not ELF. */
    static Elf open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ByteBuffer ident = ByteBuffer.allocate(16);
            readFully(ch, ident, 0);
            byte[] id = ident.array();
            if (!isElf(id)) {
                throw new IOException(file + " is not an ELF file");
            }
            boolean is64 = switch (id[4]) {
                case 1 -> false;
                case 2 -> true;
                default -> throw new IOException(file + ": unknown ELF class " + id[4]);
            };
            ByteOrder order = switch (id[5]) {
                case 1 -> ByteOrder.LITTLE_ENDIAN;
                case 2 -> ByteOrder.BIG_ENDIAN;
                default -> throw new IOException(file + ": unknown ELF data encoding " + id[5]);
            };
            return new Elf(ch, is64, order);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The section table; empty for a file without one. */
    List<Section> sections() throws IOException {
        if (sections != null) {
            return sections;
        }
        ByteBuffer eh = read(0, is64 ? 64 : 52);
        long shoff = is64 ? eh.getLong(0x28) : Integer.toUnsignedLong(eh.getInt(0x20));
        int shentsize = Short.toUnsignedInt(eh.getShort(is64 ? 0x3A : 0x2E));
        long shnum = Short.toUnsignedInt(eh.getShort(is64 ? 0x3C : 0x30));
        int shstrndx = Short.toUnsignedInt(eh.getShort(is64 ? 0x3E : 0x32));
        if (shoff == 0) {
            return sections = List.of();
        }
        int minEntry = is64 ? 64 : 40;
        if (shentsize < minEntry) {
            throw new IOException("ELF section header size " + shentsize + " is too small");
        }
        if (shnum == 0 || shstrndx == 0xffff) {
            // Extended numbering: the real values live in section 0.
            ByteBuffer s0 = read(shoff, shentsize);
            if (shnum == 0) {
                shnum = is64 ? s0.getLong(32) : Integer.toUnsignedLong(s0.getInt(20));
            }
            if (shstrndx == 0xffff) {
                shstrndx = s0.getInt(is64 ? 40 : 24);
            }
        }
        if (shnum > 65536 * 16 || shoff + shnum * shentsize > fileSize) {
            throw new IOException("ELF section table lies outside the file");
        }
        ByteBuffer table = read(shoff, (int) (shnum * shentsize));
        long[][] raw = new long[(int) shnum][];
        for (int i = 0; i < shnum; i++) {
            int b = i * shentsize;
            long name = Integer.toUnsignedLong(table.getInt(b));
            long type = Integer.toUnsignedLong(table.getInt(b + 4));
            long offset = is64 ? table.getLong(b + 24) : Integer.toUnsignedLong(table.getInt(b + 16));
            long size = is64 ? table.getLong(b + 32) : Integer.toUnsignedLong(table.getInt(b + 20));
            raw[i] = new long[] {name, type, offset, size};
        }
        byte[] names = new byte[0];
        if (shstrndx < shnum) {
            long[] s = raw[shstrndx];
            names = bytes(s[2], s[3]);
        }
        List<Section> out = new ArrayList<>((int) shnum);
        for (long[] s : raw) {
            out.add(new Section(cString(names, (int) s[0]), (int) s[1], s[2], s[3]));
        }
        return sections = List.copyOf(out);
    }

    /** The contents of the first section called {@code name}, if there is one. */
    Optional<byte[]> sectionContents(String name) throws IOException {
        for (Section s : sections()) {
            if (s.name().equals(name)) {
                return Optional.of(s.type() == 8 /* SHT_NOBITS */ ? new byte[0] : bytes(s.offset(), s.size()));
            }
        }
        return Optional.empty();
    }

    /** The program headers. */
    List<Segment> segments() throws IOException {
        ByteBuffer eh = read(0, is64 ? 64 : 52);
        long phoff = is64 ? eh.getLong(0x20) : Integer.toUnsignedLong(eh.getInt(0x1C));
        int phentsize = Short.toUnsignedInt(eh.getShort(is64 ? 0x36 : 0x2A));
        int phnum = Short.toUnsignedInt(eh.getShort(is64 ? 0x38 : 0x2C));
        if (phoff == 0 || phnum == 0) {
            return List.of();
        }
        if (phentsize < (is64 ? 56 : 32) || phoff + (long) phnum * phentsize > fileSize) {
            throw new IOException("ELF program header table is malformed");
        }
        ByteBuffer t = read(phoff, phnum * phentsize);
        List<Segment> out = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int b = i * phentsize;
            int type = t.getInt(b);
            long offset = is64 ? t.getLong(b + 8) : Integer.toUnsignedLong(t.getInt(b + 4));
            long filesz = is64 ? t.getLong(b + 32) : Integer.toUnsignedLong(t.getInt(b + 16));
            long align = is64 ? t.getLong(b + 48) : Integer.toUnsignedLong(t.getInt(b + 28));
            out.add(new Segment(type, offset, filesz, align));
        }
        return out;
    }

    /**
     * All notes: those in {@code PT_NOTE} segments (what a loader such as QEMU reads), or, for a file
     * without program headers, those in {@code SHT_NOTE} sections.
     */
    List<Note> notes() throws IOException {
        List<Note> out = new ArrayList<>();
        List<Segment> segs = segments();
        boolean any = false;
        for (Segment s : segs) {
            if (s.type() == PT_NOTE) {
                any = true;
                parseNotes(bytes(s.offset(), s.fileSize()), s.align() >= 8 ? 8 : 4, out);
            }
        }
        if (!any) {
            for (Section s : sections()) {
                if (s.type() == SHT_NOTE) {
                    parseNotes(bytes(s.offset(), s.size()), 4, out);
                }
            }
        }
        return out;
    }

    /** Whether the file carries the Xen PVH entry note that lets QEMU boot it with {@code -kernel}. */
    boolean hasPvhNote() throws IOException {
        for (Note n : notes()) {
            if (n.name().equals("Xen") && n.type() == XEN_ELFNOTE_PHYS32_ENTRY) {
                return true;
            }
        }
        return false;
    }

    private void parseNotes(byte[] data, int align, List<Note> out) {
        ByteBuffer b = ByteBuffer.wrap(data).order(order);
        int pos = 0;
        while (pos + 12 <= data.length) {
            long namesz = Integer.toUnsignedLong(b.getInt(pos));
            long descsz = Integer.toUnsignedLong(b.getInt(pos + 4));
            int type = b.getInt(pos + 8);
            long nameStart = pos + 12L;
            long descStart = nameStart + alignUp(namesz, align);
            long end = descStart + alignUp(descsz, align);
            if (descStart + descsz > data.length) {
                return; // truncated or padding: stop quietly
            }
            String name = cString(data, (int) nameStart, (int) namesz);
            byte[] desc = new byte[(int) descsz];
            System.arraycopy(data, (int) descStart, desc, 0, (int) descsz);
            out.add(new Note(name, type, desc));
            if (end > data.length) {
                return;
            }
            pos = (int) end;
        }
    }

    private static long alignUp(long v, int a) {
        return (v + a - 1) & -a;
    }

    private static String cString(byte[] b, int start) {
        return cString(b, start, b.length - start);
    }

    private static String cString(byte[] b, int start, int max) {
        if (start < 0 || start >= b.length) {
            return "";
        }
        int end = start;
        int limit = Math.min(b.length, start + Math.max(0, max));
        while (end < limit && b[end] != 0) {
            end++;
        }
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private byte[] bytes(long offset, long size) throws IOException {
        if (offset < 0 || size < 0 || size > Integer.MAX_VALUE - 16 || offset + size > fileSize) {
            throw new IOException("ELF range " + offset + "+" + size + " lies outside the file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        readFully(channel, b, offset);
        return b.array();
    }

    private ByteBuffer read(long offset, int size) throws IOException {
        return ByteBuffer.wrap(bytes(offset, size)).order(order);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long offset) throws IOException {
        long pos = offset;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new EOFException("unexpected end of ELF file at offset " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
