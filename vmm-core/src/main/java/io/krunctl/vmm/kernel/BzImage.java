package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The x86 bzImage format, as far as krunctl needs it: find the compressed kernel payload through the
 * setup header and decompress it into the ELF {@code vmlinux} it holds.
 *
 * <p>Setup-header fields used (offsets from the start of the file): {@code setup_sects} at 0x1f1
 * (0 means 4), the magic {@code "HdrS"} at 0x202, the boot protocol version at 0x206,
 * {@code kernel_version} at 0x20e (a pointer to a string, relative to 0x200), and, from protocol
 * 2.08, {@code payload_offset}/{@code payload_length} at 0x248/0x24c, relative to the start of the
 * protected-mode code at {@code (setup_sects + 1) * 512}. The payload ends with the uncompressed size
 * as a little-endian u32, which the extraction checks.
 */
final class BzImage {

    enum Compression {
        LZ4_LEGACY("LZ4"), GZIP("gzip"), ZSTD("zstd"), XZ("xz"), LZMA("lzma"), BZIP2("bzip2"), LZO("lzo"),
        UNKNOWN("unknown");

        final String label;

        Compression(String label) {
            this.label = label;
        }
    }

    /**
     * @param setupSects    the number of 512-byte setup sectors after the boot sector
     * @param protocol      the boot protocol version, e.g. 0x20f
     * @param payloadOffset the payload's offset from the start of the file
     * @param payloadLength the payload's length, trailer included
     * @param version       the kernel version string, or "" if the image has none
     */
    record Header(int setupSects, int protocol, long payloadOffset, long payloadLength, String version) {

        /** The kernel release: the first word of the version string, or "unknown". */
        String release() {
            String v = version.strip();
            int sp = v.indexOf(' ');
            String r = sp < 0 ? v : v.substring(0, sp);
            return r.isEmpty() ? "unknown" : r;
        }
    }

    static final int SETUP_SECTS = 0x1f1;
    static final int HEADER_MAGIC = 0x202;
    static final int VERSION = 0x206;
    static final int KERNEL_VERSION = 0x20e;
    static final int PAYLOAD_OFFSET = 0x248;
    static final int PAYLOAD_LENGTH = 0x24c;
    static final int HDRS = 0x53726448; // "HdrS" little-endian

    private BzImage() {}

    /**
     * Parses the setup header of {@code image}; empty if it is not a bzImage (no "HdrS" magic).
     *
     * @throws IOException if it is a bzImage whose header is unusable (too old a boot protocol for
     *                     payload fields, or a payload that lies outside the file)
     */
    static Optional<Header> parse(byte[] image) throws IOException {
        if (image.length < 0x250 || Lz4Legacy.u32(image, HEADER_MAGIC) != HDRS) {
            return Optional.empty();
        }
        int setupSects = image[SETUP_SECTS] & 0xff;
        if (setupSects == 0) {
            setupSects = 4;
        }
        int protocol = u16(image, VERSION);
        if (protocol < 0x208) {
            throw new IOException(String.format("boot protocol %d.%02d has no payload fields (2.08 or later needed)",
                    protocol >> 8, protocol & 0xff));
        }
        long pmStart = (setupSects + 1L) * 512L;
        long offset = pmStart + Integer.toUnsignedLong(Lz4Legacy.u32(image, PAYLOAD_OFFSET));
        long length = Integer.toUnsignedLong(Lz4Legacy.u32(image, PAYLOAD_LENGTH));
        if (length < 8 || offset + length > image.length) {
            throw new IOException("payload (offset " + offset + ", length " + length
                    + ") lies outside the " + image.length + "-byte image");
        }
        String version = "";
        int vptr = u16(image, KERNEL_VERSION);
        if (vptr != 0) {
            int start = vptr + 0x200;
            int end = start;
            while (end < image.length && end - start < 256 && image[end] != 0) {
                end++;
            }
            if (start < image.length) {
                version = new String(image, start, end - start, StandardCharsets.ISO_8859_1);
            }
        }
        return Optional.of(new Header(setupSects, protocol, offset, length, version));
    }

    /** The payload's compression, from its first bytes. */
    static Compression compression(byte[] image, Header h) {
        int o = (int) h.payloadOffset();
        int n = (int) Math.min(6, h.payloadLength());
        byte[] m = new byte[6];
        System.arraycopy(image, o, m, 0, n);
        if (Lz4Legacy.hasMagic(image, o, n)) {
            return Compression.LZ4_LEGACY;
        }
        if ((m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            return Compression.GZIP;
        }
        if ((m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f && (m[3] & 0xff) == 0xfd) {
            return Compression.ZSTD;
        }
        if ((m[0] & 0xff) == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z' && m[5] == 0) {
            return Compression.XZ;
        }
        if (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') {
            return Compression.BZIP2;
        }
        if ((m[0] & 0xff) == 0x89 && m[1] == 'L' && m[2] == 'Z' && m[3] == 'O') {
            return Compression.LZO;
        }
        if (m[0] == 0x5d && m[1] == 0 && m[2] == 0) {
            return Compression.LZMA;
        }
        return Compression.UNKNOWN;
    }

    /** Whether {@link #extract} can decompress payloads compressed with {@code c}. */
    static boolean canExtract(Compression c) {
        return c == Compression.LZ4_LEGACY || c == Compression.GZIP;
    }

    /**
     * Decompresses the payload into {@code out} and checks the result against the size trailer.
     *
     * @return the number of bytes written
     * @throws IOException if the compression is not supported, the payload is corrupt, or the
     *                     decompressed size disagrees with the trailer
     */
    static long extract(byte[] image, Header h, OutputStream out) throws IOException {
        Compression c = compression(image, h);
        int off = (int) h.payloadOffset();
        int len = (int) h.payloadLength() - 4; // the last 4 bytes are the uncompressed size
        long expected = Integer.toUnsignedLong(Lz4Legacy.u32(image, off + len));
        long written = switch (c) {
            case LZ4_LEGACY -> Lz4Legacy.decompress(image, off, len, out);
            case GZIP -> {
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(image, off, len), 1 << 16)) {
                    yield in.transferTo(out);
                }
            }
            default -> throw new IOException("the payload is " + c.label
                    + "-compressed; krunctl extracts LZ4 and gzip payloads only");
        };
        if ((written & 0xffffffffL) != expected) {
            throw new IOException("the payload decompressed to " + written + " bytes but its trailer says "
                    + expected);
        }
        return written;
    }

    /**
     * Extracts the kernel to the new file {@code target} and syncs it, so that a cache entry renamed
     * into place afterwards never holds a short kernel.
     *
     * @param what names the image in the message when its payload cannot be extracted
     */
    static void extractTo(byte[] image, Header h, Path target, String what) throws KernelException, IOException {
        Compression c = compression(image, h);
        if (!canExtract(c)) {
            throw new KernelException(Kind.MISSING_PREREQUISITE, what + " has a " + c.label
                    + "-compressed payload; krunctl extracts LZ4 and gzip payloads only");
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
            extract(image, h, out);
            out.flush();
            ch.force(true);
        }
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }
}
