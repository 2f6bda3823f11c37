package io.krunctl.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code ./krunctl} launcher of this checkout as a user would, for end-to-end tests. */
final class Krunctl {
    /** The repository root: failsafe runs with the cli module as working directory. */
    static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    static final Path LAUNCHER = ROOT.resolve("krunctl");

    record Result(int exitCode, byte[] stdout, String stderr) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private Krunctl() {}

    /**
     * End-to-end tests need QEMU. Without it they are skipped, except in CI, which installs QEMU:
     * there a missing QEMU is a failure, never a silent skip.
     */
    static void assumeQemu() {
        boolean present = Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"));
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("QEMU is missing in CI: scripts/prereqs.sh should have installed it");
        }
        assumeTrue(present, "qemu-system-x86_64 is not installed");
    }

    static Result run(byte[] stdin, String... args) throws IOException, InterruptedException {
        return run(stdin, Map.of(), args);
    }

    static Result run(byte[] stdin, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(LAUNCHER.toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(ROOT.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<byte[]> out = readAll(p.getInputStream());
        CompletableFuture<byte[]> err = readAll(p.getErrorStream());
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        } catch (IOException e) {
            // The VM may exit without reading its stdin.
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("krunctl did not finish within 120 s; stderr: "
                    + new String(err.join(), StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    }

    private static CompletableFuture<byte[]> readAll(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Writes a spec running {@code args} on a NullFs root that holds busybox. */
    static Path busyboxSpec(Path dir, String name, String extraFiles, String... args) throws IOException {
        StringBuilder yaml = new StringBuilder();
        yaml.append("apiVersion: krunctl/v1\n")
                .append("name: ").append(name).append('\n')
                .append("memory: 256Mi\n")
                .append("root:\n  nullfs: {}\n")
                .append("files:\n")
                .append("  - {path: /bin/busybox, source: /bin/busybox, mode: \"0755\"}\n")
                .append(extraFiles)
                .append("process:\n  args: [");
        for (int i = 0; i < args.length; i++) {
            yaml.append(i == 0 ? "" : ", ").append(quote(args[i]));
        }
        yaml.append("]\n");
        Path spec = dir.resolve(name + ".yaml");
        Files.writeString(spec, yaml);
        return spec;
    }

    /** A YAML double-quoted scalar. */
    static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /**
     * Removes the registry entry of a detached VM a test started (it outlives the VM by design, and
     * the user's {@code krunctl ps -a} must not list test VMs).
     */
    static void forget(String vmName) throws IOException {
        Path entry = io.krunctl.vmm.state.VmRegistry.ofCurrentUser().root().resolve(vmName);
        if (Files.isDirectory(entry)) {
            try (var walk = Files.walk(entry)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
