package io.krunctl.vmm.kernel;

import static io.krunctl.vmm.kernel.Fixtures.concat;
import static io.krunctl.vmm.kernel.Fixtures.kernelLikeData;
import static io.krunctl.vmm.kernel.Fixtures.le32;
import static io.krunctl.vmm.kernel.Fixtures.lz4Legacy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LZ4 legacy decoder against streams made by the real {@code lz4 -l}. */
class Lz4LegacyTest {

    @TempDir
    static Path tmp;

    /** 20 MiB: three blocks (8 + 8 + 4 MiB), so block boundaries are crossed. */
    static byte[] big;
    static byte[] bigLz4;

    @BeforeAll
    static void compress() throws Exception {
        big = kernelLikeData(20 << 20, 42);
        bigLz4 = lz4Legacy(big, tmp);
    }

    private static byte[] decode(byte[] in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = Lz4Legacy.decompress(in, 0, in.length, out);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    @Test
    void decodesAMultiBlockStream() throws IOException {
        assertThat(Lz4Legacy.hasMagic(bigLz4, 0, bigLz4.length)).isTrue();
        assertThat(bigLz4.length).as("the data compresses").isLessThan(big.length);
        assertThat(decode(bigLz4)).isEqualTo(big);
    }

    @Test
    void stopsAtTheKernelsSizeTrailer() throws IOException {
        assertThat(decode(concat(bigLz4, le32(big.length)))).isEqualTo(big);
    }

    @Test
    void stopsAtATrailerOfASmallStream() throws Exception {
        // The trailer of a small stream is a small number; it must not be taken for a block size.
        byte[] small = kernelLikeData(1000, 5);
        assertThat(decode(concat(lz4Legacy(small, tmp), le32(small.length)))).isEqualTo(small);
    }

    @Test
    void stopsAtZeroPaddingAndTrailingGarbage() throws Exception {
        byte[] small = kernelLikeData(300_000, 6);
        byte[] lz = lz4Legacy(small, tmp);
        assertThat(decode(concat(lz, new byte[4096]))).isEqualTo(small);
        assertThat(decode(concat(lz, new byte[] {1, 2, 3}))).as("fewer than 4 bytes left").isEqualTo(small);
        assertThat(decode(concat(lz, le32(0x7fffffff), new byte[64]))).as("an impossible block size").isEqualTo(small);
    }

    @Test
    void decodesConcatenatedFrames() throws Exception {
        byte[] a = kernelLikeData(3 << 20, 8);
        byte[] b = kernelLikeData(100_000, 9);
        assertThat(decode(concat(lz4Legacy(a, tmp), lz4Legacy(b, tmp), le32(a.length + b.length))))
                .isEqualTo(concat(a, b));
    }

    @Test
    void decodesAnEmptyInput() throws Exception {
        assertThat(decode(lz4Legacy(new byte[0], tmp))).isEmpty();
    }

    @Test
    void decodesASliceOfALargerArray() throws IOException {
        byte[] framed = concat(new byte[100], bigLz4, le32(big.length), new byte[50]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Lz4Legacy.decompress(framed, 100, bigLz4.length + 4, out);
        assertThat(out.toByteArray()).isEqualTo(big);
    }

    @Test
    void rejectsAStreamWithoutTheMagic() {
        assertThatThrownBy(() -> decode(new byte[] {0x04, 0x22, 0x4d, 0x18, 0, 0, 0, 0}))
                .isInstanceOf(IOException.class).hasMessageContaining("not an LZ4 legacy stream");
    }

    @Test
    void reportsACorruptBlock() throws Exception {
        byte[] small = kernelLikeData(500_000, 10);
        byte[] lz = lz4Legacy(small, tmp);
        // Overwrite the middle of the first block with bytes that make an invalid match offset.
        for (int i = 64; i < lz.length - 16; i++) {
            lz[i] = (byte) 0xff;
        }
        assertThatThrownBy(() -> decode(lz)).isInstanceOf(IOException.class).hasMessageContaining("corrupt LZ4 block");
    }
}
