package io.krunctl.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * podman 4.3.1, the real client of krunctl as an OCI runtime: every call names the launcher with
 * {@code --runtime}, and the image is a busybox tree the tests import once ({@code podman import},
 * no registry).
 */
final class Podman {
    static final Path PODMAN = Path.of("/usr/bin/podman");
    static final String IMAGE = "localhost/krunctl-it-busybox:latest";
    private static final long TIMEOUT_SECONDS = 180;
    private static boolean imported;

    private Podman() {}

    /** Skips without podman and QEMU, except in CI, where prereqs.sh installs both. */
    static void assumePodman() {
        Krunctl.assumeQemu();
        boolean present = Files.isExecutable(PODMAN);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("podman is missing in CI: scripts/prereqs.sh should have installed it");
        }
        assumeTrue(present, "podman is not installed");
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false),
                "krunctl runs under rootful podman only");
    }

    /** The test image: /bin/busybox and its applets, imported once per JVM. */
    static synchronized void importImage(Path scratch) throws Exception {
        if (imported) {
            return;
        }
        Path rootfs = Files.createDirectories(scratch.resolve("image-rootfs"));
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("tmp"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "echo", "id", "sleep", "hostname", "ls", "pwd", "stty", "sync",
                "uname", "mount", "head", "tr", "wc")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Path tar = scratch.resolve("image.tar");
        Result packed = exec(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), new byte[0]);
        if (packed.exitCode() != 0) {
            throw new AssertionError("tar: " + packed.stderr());
        }
        Result r = exec(List.of(PODMAN.toString(), "import", tar.toString(), IMAGE), new byte[0]);
        if (r.exitCode() != 0) {
            throw new AssertionError("podman import: " + r.stderr());
        }
        imported = true;
    }

    /** {@code podman --runtime krunctl ARGS}. */
    static Result run(String... args) throws Exception {
        return run(new byte[0], args);
    }

    static Result run(byte[] stdin, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(PODMAN.toString(), "--runtime", Krunctl.LAUNCHER.toString()));
        argv.addAll(List.of(args));
        return exec(argv, stdin);
    }

    private static Result exec(List<String> argv, byte[] stdin) throws Exception {
        Process p = new ProcessBuilder(argv).start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p, true));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p, false));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        } catch (IOException e) {
            // The container may exit without reading its stdin.
        }
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish within " + TIMEOUT_SECONDS
                    + " s; stderr: " + new String(err.join(), StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(Process p, boolean stdout) {
        try (var in = stdout ? p.getInputStream() : p.getErrorStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A finished podman command. */
    record Result(int exitCode, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /**
     * The host processes still there for a container: its supervisor ({@code krunctl supervise ID})
     * and its QEMU ({@code -name oci-SHORTID}).
     */
    static List<String> leftovers(String id) throws IOException {
        List<String> found = new ArrayList<>();
        String qemuName = "oci-" + id.substring(0, Math.min(12, id.length()));
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    String stat = Files.readString(proc.resolve("stat"));
                    boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                    if (!zombie && (cmdline.contains("supervise " + id) || cmdline.contains(qemuName))) {
                        found.add(proc.getFileName() + ": " + cmdline);
                    }
                } catch (IOException e) {
                    // Ended while listed.
                }
            }
        }
        return found;
    }
}
