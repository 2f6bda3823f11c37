package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** krunctl in a pipeline: bytes exact, streams separate, end of file passed on, back-pressure kept. */
class PipelineIT {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    /** Writes {@code size} pseudo-random bytes (seeded) to krunctl's stdin, closes it, returns their SHA-256. */
    private static CompletableFuture<String> feed(OutputStream stdin, long size, long seed) {
        return CompletableFuture.supplyAsync(() -> {
            try (stdin) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                Random random = new Random(seed);
                byte[] chunk = new byte[MIB];
                for (long left = size; left > 0; left -= chunk.length) {
                    random.nextBytes(chunk);
                    int n = (int) Math.min(chunk.length, left);
                    sha.update(chunk, 0, n);
                    stdin.write(chunk, 0, n);
                }
                return HexFormat.of().formatHex(sha.digest());
            } catch (Exception e) {
                throw new AssertionError("feeding stdin failed", e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    /** Reads {@code in} to {@code limit} bytes (all if negative) into {@code sha}; returns the count. */
    private static long drain(InputStream in, MessageDigest sha, long limit) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        while (limit < 0 || total < limit) {
            int n = in.read(buf, 0, limit < 0 ? buf.length : (int) Math.min(buf.length, limit - total));
            if (n < 0) {
                break;
            }
            sha.update(buf, 0, n);
            total += n;
        }
        return total;
    }

    @Test
    void hundredMebibytesComeOutExactStderrStaysApartAndStdinEofEndsTheWorkload() throws Exception {
        // cat reads to end of file: it only ends, and "after" only appears, if host EOF reaches the guest.
        Path spec = Krunctl.busyboxSpec(dir, "cat100", "", "/bin/busybox", "sh", "-c",
                "echo before >&2; /bin/busybox cat; echo after >&2");
        long size = 100L * MIB;

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            CompletableFuture<String> sent = feed(k.stdin(), size, 1);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long received = drain(k.stdout(), sha, -1);

            int code = k.awaitExit(Duration.ofMinutes(3));
            assertThat(code).as("exit code; stderr: %s", k.stderr()).isZero();
            assertThat(received).isEqualTo(size);
            assertThat(HexFormat.of().formatHex(sha.digest())).as("SHA-256 of stdout").isEqualTo(sent.join());
            assertThat(k.stderr()).as("the workload's stderr, nothing else").isEqualTo("before\nafter\n");
        }
    }

    /**
     * A reader that stalls: krunctl must not take the guest's output into its own memory meanwhile,
     * and must lose nothing, also of what QEMU still holds when the workload exits, which the guest's
     * reboot would discard if krunctl let the guest reboot before it was passed on.
     */
    @Test
    void aStalledReaderLosesNothingAndKrunctlsMemoryStaysFlat() throws Exception {
        // dd writes whole 32 KiB blocks: QEMU's port queue then holds up to 128 of them (4 MiB), so the
        // last MiB fits in flight and the workload can exit while its tail waits in QEMU. A line in the
        // kernel log shows that --verbose streams the guest console, on stderr.
        Path spec = Krunctl.busyboxSpec(dir, "slowreader", "", "/bin/busybox", "sh", "-c",
                "echo '<3>console-check' > /dev/kmsg; /bin/busybox dd bs=32768 iflag=fullblock 2>/dev/null");
        // More than krunctl's whole resident size (a JVM, about 130-150 MiB), so that holding the
        // stream would show however the JVM's own footprint varies.
        long size = 256L * MIB;

        try (KrunctlProcess k = KrunctlProcess.start("--debug", "run", "--verbose", spec.toString())) {
            CompletableFuture<String> sent = feed(k.stdin(), size, 2);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            InputStream out = k.stdout();
            long received = drain(out, sha, 1);

            // Stall 1: the workload is writing; a relay that buffered would grow by the guest's output rate.
            long stallStart = k.rssKib();
            long peak = stallStart;
            long stallEnd = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < stallEnd) {
                peak = Math.max(peak, k.rssKib());
                Thread.sleep(100);
            }
            assertThat(peak - stallStart).as("krunctl's RSS growth in KiB while the reader stalled (start %d KiB,"
                    + " peak %d KiB)", stallStart, peak).isLessThan(16 * 1024);
            assertThat(peak).as("krunctl's peak RSS in KiB while %d MiB waited to be read", size / MIB)
                    .isLessThan(size / 1024);

            // Stall 2, near the end: the workload exits while its last megabyte is still queued in QEMU.
            received += drain(out, sha, size - MIB - received);
            k.awaitStderr("holding the guest's reboot", Duration.ofMinutes(2));
            // Time in which a krunctl that let the guest reboot now would have lost the queued bytes.
            Thread.sleep(1000);
            received += drain(out, sha, -1);

            int code = k.awaitExit(Duration.ofMinutes(1));
            assertThat(code).as("exit code; stderr tail: %s", tail(k.stderr())).isZero();
            assertThat(received).isEqualTo(size);
            assertThat(HexFormat.of().formatHex(sha.digest())).as("SHA-256 of stdout").isEqualTo(sent.join());
            assertThat(k.stderr()).as("--verbose streams the guest console to stderr").contains("console-check");
        }
    }

    private static String tail(String s) {
        return s.substring(Math.max(0, s.length() - 2000));
    }
}
