package io.krunctl.vmm.kernel;

import java.io.IOException;
import java.io.OutputStream;

import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Decoder of the LZ4 "legacy" frame format ({@code lz4 -l}), which the Linux kernel uses for
 * LZ4-compressed images: the magic {@code 0x184C2102} (little-endian), then blocks of
 * {@code [u32 LE compressed size][compressed data]}, each decompressing to at most 8 MiB. A block size
 * equal to the magic starts a new frame (concatenated streams).
 *
 * <p>The stream has no end marker. It ends at the end of the input, or where the next "block size"
 * cannot be one: zero (padding), larger than the worst-case compressed size of an 8 MiB block, or
 * larger than the bytes that are left. That is how the kernel's 4-byte uncompressed-size trailer
 * (appended after the payload inside a bzImage) and any zero padding are recognised as the end.
 *
 * <p>The blocks themselves are decoded by lz4-java's pure-Java safe decompressor (no JNI, bounds
 * checked), so a corrupt block is an {@link IOException}, never a crash.
 */
final class Lz4Legacy {

    static final int MAGIC = 0x184C2102;
    static final int MAX_BLOCK = 8 << 20;
    /** LZ4_COMPRESSBOUND(8 MiB): no valid block can be larger than this. */
    static final int MAX_COMPRESSED_BLOCK = MAX_BLOCK + MAX_BLOCK / 255 + 16;

    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

    private Lz4Legacy() {}

    /** Whether {@code in[off..]} starts with the legacy-frame magic. */
    static boolean hasMagic(byte[] in, int off, int len) {
        return len >= 4 && off >= 0 && off + 4 <= in.length && u32(in, off) == MAGIC;
    }

    /**
     * Decompresses the legacy stream in {@code in[off, off+len)} into {@code out}.
     *
     * @return the number of bytes written
     * @throws IOException if the input does not start with the magic, a block is corrupt, or
     *                     {@code out} fails
     */
    static long decompress(byte[] in, int off, int len, OutputStream out) throws IOException {
        if (off < 0 || len < 0 || off + len > in.length) {
            throw new IndexOutOfBoundsException("range " + off + "+" + len + " of " + in.length);
        }
        if (!hasMagic(in, off, len)) {
            throw new IOException("not an LZ4 legacy stream (magic 02 21 4c 18 missing)");
        }
        final int end = off + len;
        int pos = off + 4;
        long total = 0;
        byte[] block = new byte[MAX_BLOCK];
        while (end - pos >= 4) {
            long size = Integer.toUnsignedLong(u32(in, pos));
            if (size == Integer.toUnsignedLong(MAGIC)) {
                pos += 4; // a following frame
                continue;
            }
            if (size == 0 || size > MAX_COMPRESSED_BLOCK || size > end - pos - 4) {
                break; // trailer (such as the kernel's uncompressed size) or padding
            }
            int dataStart = pos + 4;
            int n;
            try {
                n = DECOMPRESSOR.decompress(in, dataStart, (int) size, block, 0, MAX_BLOCK);
            } catch (LZ4Exception e) {
                throw new IOException("corrupt LZ4 block at input offset " + (pos - off) + ": " + e.getMessage(), e);
            }
            out.write(block, 0, n);
            total += n;
            pos = dataStart + (int) size;
        }
        return total;
    }

    static int u32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
