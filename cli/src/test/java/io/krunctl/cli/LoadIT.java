package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: four different VMs at once on the 2-core host, as a busy user runs them: a NullFs
 * root, a host directory root that writes 100 MiB, an ext4 block root, and one on the user-mode
 * network. Each finishes with its own output and exit code, the 100 MiB are on the host byte for
 * byte, and each run's runtime directory is its own (and gone afterwards).
 */
class LoadIT {
    private static final long HUNDRED_MIB = 100L << 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    private final List<Long> pids = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** krunctl run SPEC in the background; its pid names its runtime directory. */
    private CompletableFuture<Krunctl.Result> launch(Path spec) throws Exception {
        KrunctlProcess krunctl = KrunctlProcess.start("run", spec.toString());
        pids.add(krunctl.pid());
        return CompletableFuture.supplyAsync(() -> {
            try (krunctl) {
                String out = krunctl.stdoutToEnd();
                int code = krunctl.awaitExit(java.time.Duration.ofMinutes(5));
                return new Krunctl.Result(code, out.getBytes(StandardCharsets.UTF_8), krunctl.stderr());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void fourDifferentVmsAtOnceEachFinishWithTheirOwnOutputAndCode() throws Exception {
        Path nullfs = Krunctl.busyboxSpec(dir, "load-nullfs", "", "/bin/busybox", "sh", "-c",
                "echo nullfs-ok; exit 11");

        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Path writer = dir.resolve("load-writer.yaml");
        Files.writeString(writer, """
                apiVersion: krunctl/v1
                name: load-writer
                root:
                  dir: %s
                process:
                  args: [/bin/busybox, sh, -c, %s]
                """.formatted(root, Krunctl.quote("/bin/busybox yes 0123456789abcdef | /bin/busybox head -c "
                + HUNDRED_MIB + " > /big && /bin/busybox sync && echo writer-ok; exit 12")));

        Path blockTree = Files.createDirectories(dir.resolve("block-tree"));
        Files.createDirectories(blockTree.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), blockTree.resolve("bin/busybox"));
        Path image = dir.resolve("root.ext4");
        Process mkfs = new ProcessBuilder("mkfs.ext4", "-q", "-F", "-d", blockTree.toString(), image.toString(), "32M")
                .inheritIO().start();
        assertThat(mkfs.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Path block = dir.resolve("load-block.yaml");
        Files.writeString(block, """
                apiVersion: krunctl/v1
                name: load-block
                root:
                  disk: {path: %s}
                process:
                  args: [/bin/busybox, sh, -c, %s]
                """.formatted(image, Krunctl.quote("echo block > /written && /bin/busybox cat /written"
                + " && /bin/busybox grep -c ' / ext4 ' /proc/mounts; exit 13")));

        Path network = Krunctl.busyboxSpec(dir, "load-net", "network: {mode: user}\n", "/bin/busybox", "sh", "-c",
                "/bin/busybox ip -4 addr show eth0 | /bin/busybox grep -o 'inet 10.0.2.15'; exit 14");

        List<CompletableFuture<Krunctl.Result>> runs = List.of(launch(nullfs), launch(writer), launch(block),
                launch(network));
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

        assertResult(runs.get(0).get(), 11, "nullfs-ok\n");
        assertResult(runs.get(1).get(), 12, "writer-ok\n");
        assertResult(runs.get(2).get(), 13, "block\n1\n");
        assertResult(runs.get(3).get(), 14, "inet 10.0.2.15\n");
        assertThat(Files.size(root.resolve("big"))).isEqualTo(HUNDRED_MIB);
        assertThat(sha256(root.resolve("big"))).as("the 100 MiB the guest wrote, byte for byte")
                .isEqualTo(expectedDigest());
        assertThat(runtimeDirs()).as("every run removed its runtime directory").isEmpty();
        assertThat(pids).as("four krunctl processes").doesNotHaveDuplicates().hasSize(4);
    }

    private static void assertResult(Krunctl.Result r, int code, String stdout) {
        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(code);
        assertThat(r.stdoutText()).isEqualTo(stdout);
        assertThat(r.stderr()).isEmpty();
    }

    /** What {@code yes 0123456789abcdef | head -c 100MiB} writes. */
    private static String expectedDigest() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] line = "0123456789abcdef\n".getBytes(StandardCharsets.US_ASCII);
        byte[] block = new byte[line.length * 4096];
        for (int i = 0; i < 4096; i++) {
            System.arraycopy(line, 0, block, i * line.length, line.length);
        }
        long left = HUNDRED_MIB;
        while (left > 0) {
            int n = (int) Math.min(block.length, left);
            sha.update(block, 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The runtime directories of this test's krunctl runs ({@code krunctl-PID-*}) still on disk. */
    private List<Path> runtimeDirs() throws Exception {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("java.io.tmpdir"));
        try (var dirs = Files.list(base)) {
            return dirs.filter(p -> pids.stream().anyMatch(pid -> p.getFileName().toString()
                    .startsWith("krunctl-" + pid + "-"))).toList();
        }
    }
}
