package io.krunctl.vmm.kernel;

import static io.krunctl.vmm.kernel.Fixtures.bzImage;
import static io.krunctl.vmm.kernel.Fixtures.concat;
import static io.krunctl.vmm.kernel.Fixtures.kernelLikeData;
import static io.krunctl.vmm.kernel.Fixtures.le32;
import static io.krunctl.vmm.kernel.Fixtures.lz4Legacy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locating and extracting the payload of synthetic bzImages. */
class BzImageTest {

    @TempDir
    Path tmp;

    @Test
    void locatesThePayloadThroughTheSetupHeader() throws Exception {
        byte[] vmlinux = Fixtures.pvhVmlinux(2 << 20);
        byte[] image = Fixtures.lz4BzImage(vmlinux, "6.1.0-99-test-amd64 (someone@example) #1 SMP Debian", tmp);

        BzImage.Header h = BzImage.parse(image).orElseThrow();
        assertThat(h.setupSects()).isEqualTo(39);
        assertThat(h.protocol()).isEqualTo(0x20f);
        assertThat(h.payloadOffset()).isEqualTo(40 * 512 + 0x2cc);
        assertThat(image[(int) h.payloadOffset()]).isEqualTo((byte) 0x02);
        assertThat(h.release()).isEqualTo("6.1.0-99-test-amd64");
        assertThat(BzImage.compression(image, h)).isEqualTo(BzImage.Compression.LZ4_LEGACY);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(BzImage.extract(image, h, out)).isEqualTo(vmlinux.length);
        assertThat(out.toByteArray()).isEqualTo(vmlinux);
    }

    @Test
    void treatsSetupSectsZeroAsFour() throws Exception {
        byte[] data = kernelLikeData(10_000, 1);
        byte[] image = bzImage(0, 0x100, concat(lz4Legacy(data, tmp), le32(data.length)), "");
        BzImage.Header h = BzImage.parse(image).orElseThrow();
        assertThat(h.setupSects()).isEqualTo(4);
        assertThat(h.payloadOffset()).isEqualTo(5 * 512 + 0x100);
        assertThat(h.release()).isEqualTo("unknown");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BzImage.extract(image, h, out);
        assertThat(out.toByteArray()).isEqualTo(data);
    }

    @Test
    void extractsAGzipPayload() throws Exception {
        byte[] data = kernelLikeData(3 << 20, 2);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(data);
        }
        byte[] image = bzImage(30, 0x400, concat(gz.toByteArray(), le32(data.length)), "6.12.0 #1");
        BzImage.Header h = BzImage.parse(image).orElseThrow();
        assertThat(BzImage.compression(image, h)).isEqualTo(BzImage.Compression.GZIP);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BzImage.extract(image, h, out);
        assertThat(out.toByteArray()).isEqualTo(data);
    }

    @Test
    void checksTheSizeTrailer() throws Exception {
        byte[] data = kernelLikeData(100_000, 3);
        byte[] image = bzImage(30, 0x200, concat(lz4Legacy(data, tmp), le32(data.length + 1)), "x");
        BzImage.Header h = BzImage.parse(image).orElseThrow();
        assertThatThrownBy(() -> BzImage.extract(image, h, new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class).hasMessageContaining("trailer says " + (data.length + 1));
    }

    @Test
    void namesCompressionsItCannotExtract() throws Exception {
        byte[] zstd = concat(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0}, le32(8));
        byte[] image = bzImage(30, 0x200, zstd, "x");
        BzImage.Header h = BzImage.parse(image).orElseThrow();
        assertThat(BzImage.compression(image, h)).isEqualTo(BzImage.Compression.ZSTD);
        assertThat(BzImage.canExtract(BzImage.Compression.ZSTD)).isFalse();
        assertThatThrownBy(() -> BzImage.extract(image, h, new ByteArrayOutputStream()))
                .hasMessageContaining("zstd-compressed");
    }

    @Test
    void recognisesWhatIsNotABzImage() throws Exception {
        assertThat(BzImage.parse(Fixtures.pvhVmlinux(4096))).isEmpty();
        assertThat(BzImage.parse(new byte[100])).isEmpty();
    }

    @Test
    void rejectsAnOldBootProtocolAndAPayloadOutsideTheFile() {
        byte[] image = bzImage(30, 0x200, new byte[64], "x");
        image[BzImage.VERSION] = 0x04; // 2.04
        assertThatThrownBy(() -> BzImage.parse(image)).hasMessageContaining("boot protocol 2.04");

        byte[] image2 = bzImage(30, 0x200, new byte[64], "x");
        image2[BzImage.PAYLOAD_LENGTH + 3] = 0x7f;
        assertThatThrownBy(() -> BzImage.parse(image2)).hasMessageContaining("lies outside");
    }
}
