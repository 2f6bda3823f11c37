package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the guest writes and fsyncs to a shared host directory is on the host byte for byte: for
 * every cache policy, for sizes around page and request boundaries, partial overwrites, appends,
 * truncations and parallel writers; and also when QEMU is killed (SIGKILL) right after the guest's
 * fsync returned, before the guest could shut down.
 */
class DataIntegrityIT {
    private static final List<String> POLICIES = List.of("auto", "never", "always");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    /**
     * A busybox VM on a NullFs root with one read-write share per cache policy, /share-POLICY, and
     * busybox's applets on a tmpfs.
     */
    private Path spec(String name, String script) throws IOException {
        StringBuilder mounts = new StringBuilder("mounts:\n  - {type: tmpfs, destination: /applets, size: 1Mi}\n");
        for (String policy : POLICIES) {
            Files.createDirectories(dir.resolve(policy));
            mounts.append("  - {type: virtiofs, source: ./").append(policy).append(", destination: /share-")
                    .append(policy).append(", cache: ").append(policy).append("}\n");
        }
        String files = "  - {path: /check.sh, content: " + Krunctl.quote(script) + "}\n" + mounts;
        return Krunctl.busyboxSpec(dir, name, files, "/bin/busybox", "sh", "/check.sh");
    }

    @Test
    void fsyncedFilesAreByteIdenticalOnTheHost() throws Exception {
        String script = String.join("\n",
                "/bin/busybox --install -s /applets; export PATH=/applets",
                "set -e",
                "for d in /share-auto /share-never /share-always; do",
                "  for n in 0 1 511 4095 4096 4097 65536 131079 1048579 5242880; do",
                "    head -c $n /dev/urandom | dd of=$d/f$n bs=65536 conv=fsync 2>/dev/null",
                "  done",
                // A partial overwrite in the middle, an append, a truncation that extends with a hole,
                // one that shrinks.
                "  dd if=/dev/urandom of=$d/f1048579 bs=1000 count=3 seek=17 conv=notrunc,fsync 2>/dev/null",
                "  head -c 5000 /dev/urandom >> $d/f4096",
                "  truncate -s 300000 $d/f65536",
                "  truncate -s 100 $d/f131079",
                "  for i in 1 2 3 4; do (head -c 2000000 /dev/urandom | dd of=$d/p$i bs=4096 conv=fsync 2>/dev/null) & done",
                "  wait",
                "  mv $d/f1 $d/renamed",
                "done",
                "sync",
                "for d in /share-auto /share-never /share-always; do echo \"== $d\"; (cd $d && sha256sum *); done",
                "");
        Path spec = spec("integrity", script);

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        Map<String, Map<String, String>> guest = hashes(r.stdoutText());
        assertThat(guest.keySet()).containsExactlyElementsOf(POLICIES);
        for (String policy : POLICIES) {
            Path share = dir.resolve(policy);
            Map<String, String> files = guest.get(policy);
            assertThat(files).as(policy).hasSize(14);
            try (var list = Files.list(share)) {
                assertThat(list.map(p -> p.getFileName().toString()).toList())
                        .containsExactlyInAnyOrderElementsOf(files.keySet());
            }
            for (Map.Entry<String, String> e : files.entrySet()) {
                assertThat(sha256(share.resolve(e.getKey()))).as("%s/%s", policy, e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(Files.size(share.resolve("f4096"))).isEqualTo(4096 + 5000);
            assertThat(Files.size(share.resolve("f65536"))).isEqualTo(300000);
            assertThat(Files.size(share.resolve("f131079"))).isEqualTo(100);
            assertThat(Files.size(share.resolve("f5242880"))).isEqualTo(5242880);
            assertThat(share.resolve("f1")).doesNotExist();
        }
    }

    @Test
    void killingQemuRightAfterFsyncLosesNothing() throws Exception {
        String script = String.join("\n",
                "/bin/busybox --install -s /applets; export PATH=/applets",
                "set -e",
                "for d in /share-auto /share-never /share-always; do",
                "  for n in 1 300001 5242881; do",
                "    head -c $n /dev/urandom | dd of=$d/k$n bs=65536 conv=fsync 2>/dev/null",
                "  done",
                "  dd if=/dev/urandom of=$d/k300001 bs=4096 count=2 seek=5 conv=notrunc,fsync 2>/dev/null",
                "done",
                "for d in /share-auto /share-never /share-always; do echo \"== $d\"; (cd $d && sha256sum *); done",
                "echo FSYNCED",
                "sleep 600",
                "");
        Path spec = spec("kill-after-fsync", script);

        try (KrunctlProcess krunctl = KrunctlProcess.start("run", spec.toString())) {
            String seen = krunctl.awaitStdout("FSYNCED\n", Duration.ofSeconds(110));
            ProcessHandle qemu = qemuOf("kill-after-fsync").orElseThrow(() -> new AssertionError("no QEMU process"));
            assertThat(qemu.destroyForcibly()).as("SIGKILL sent to QEMU").isTrue();
            int code = krunctl.awaitExit(Duration.ofSeconds(60));
            assertThat(code).as("the VM ended without an exit code; stderr: %s", krunctl.stderr()).isNotZero();

            Map<String, Map<String, String>> guest = hashes(seen.replace("FSYNCED\n", ""));
            assertThat(guest.keySet()).containsExactlyElementsOf(POLICIES);
            for (String policy : POLICIES) {
                assertThat(guest.get(policy)).hasSize(3);
                for (Map.Entry<String, String> e : guest.get(policy).entrySet()) {
                    assertThat(sha256(dir.resolve(policy).resolve(e.getKey())))
                            .as("%s/%s after SIGKILL of QEMU", policy, e.getKey()).isEqualTo(e.getValue());
                }
            }
        }
    }

    /** The guest's {@code sha256sum} lines, by policy ({@code == /share-POLICY} headers), then by name. */
    private static Map<String, Map<String, String>> hashes(String stdout) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : stdout.lines().toList()) {
            if (line.startsWith("== /share-")) {
                current = out.computeIfAbsent(line.substring("== /share-".length()), k -> new LinkedHashMap<>());
                continue;
            }
            String[] parts = line.split("\\s+");
            assertThat(parts).as("a sha256sum line: %s", line).hasSize(2);
            assertThat(current).as("a header before %s", line).isNotNull();
            current.put(parts[1], parts[0]);
        }
        return out;
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static Optional<ProcessHandle> qemuOf(String name) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system-x86_64")
                        && c.contains("-name krunctl-" + name + ",")).orElse(false))
                .findFirst();
    }
}
