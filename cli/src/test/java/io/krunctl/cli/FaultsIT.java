package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: faults from outside the workload end the run with one line on stderr that says what
 * happened, exit code 70, and no QEMU left: QEMU killed from outside, the guest kernel panicking,
 * an init the kernel cannot start, a disk image another VM holds, a virtio-fs device's connection
 * to QEMU shut down under a running VM.
 */
class FaultsIT {
    private static final Duration WAIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    /** The QEMU processes whose command line names {@code vmName}. */
    private static List<Long> qemus(String vmName) throws Exception {
        try (var procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    return cmd.contains("qemu-system") && cmd.contains("krunctl-" + vmName);
                } catch (Exception e) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }

    @Test
    void qemuKilledFromOutsideIsOneLineNamingTheSignal() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "fault-kill", "", "/bin/busybox", "sh", "-c",
                "echo up; /bin/busybox sleep 60");
        try (KrunctlProcess krunctl = KrunctlProcess.start("run", spec.toString())) {
            krunctl.awaitStdout("up\n", WAIT);
            List<Long> qemu = qemus("fault-kill");
            assertThat(qemu).hasSize(1);

            new ProcessBuilder("kill", "-KILL", Long.toString(qemu.getFirst())).inheritIO().start().waitFor();

            assertThat(krunctl.awaitExit(WAIT)).isEqualTo(ExitCodes.VM_FAILED);
            assertThat(krunctl.stderr()).isEqualTo("krunctl: the VM ended without reporting the workload's exit code"
                    + " (QEMU was killed by signal 9); rerun with --console FILE to keep the whole guest console\n");
        }
    }

    @Test
    void aVirtioFsDeviceLosingItsConnectionStopsTheVmAndNamesTheShare() throws Exception {
        // The init reports the exit code through the root device: without it the run cannot end.
        Path spec = Krunctl.busyboxSpec(dir, "fault-vhost", "", "/bin/busybox", "sh", "-c",
                "echo up; /bin/busybox sleep 5; echo survived");
        try (KrunctlProcess krunctl = KrunctlProcess.start("run", spec.toString())) {
            krunctl.awaitStdout("up\n", WAIT);
            assertThat(qemus("fault-vhost")).hasSize(1);

            DeviceConnection.shutDown(krunctl.pid(), "rootfs.sock");

            assertThat(krunctl.awaitExit(Duration.ofSeconds(30))).isEqualTo(ExitCodes.VM_FAILED);
            assertThat(krunctl.stderr()).isEqualTo("krunctl: the virtio-fs device of share 'root' lost its connection"
                    + " to QEMU (end of file on the vhost-user socket); the VM was stopped\n");
            assertThat(qemus("fault-vhost")).isEmpty();
        }
    }

    @Test
    void aGuestKernelPanicIsNamedWithItsReason() throws Exception {
        // krunctl's own kernel has no magic SysRq; Debian's has, and its panic reboots the VM at once.
        Path spec = Krunctl.busyboxSpec(dir, "fault-panic", "kernel: debian\n", "/bin/busybox", "sh", "-c",
                "echo c > /proc/sysrq-trigger; echo survived");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(ExitCodes.VM_FAILED);
        assertThat(r.stdoutText()).doesNotContain("survived");
        assertThat(r.stderr()).endsWith("krunctl: the VM ended without reporting the workload's exit code (the guest"
                + " kernel panicked: sysrq triggered crash); rerun with --console FILE to keep the whole guest"
                + " console\n").hasLineCount(1 + countWarnings(r.stderr()));
        assertThat(qemus("fault-panic")).isEmpty();
    }

    @Test
    void anInitThatCannotStartIsNamed() throws Exception {
        Path garbage = dir.resolve("not-an-init");
        Files.write(garbage, new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 0, 0});
        Path spec = Krunctl.busyboxSpec(dir, "fault-init", "", "/bin/busybox", "true");

        Krunctl.Result r = Krunctl.run(new byte[0], java.util.Map.of("KRUNCTL_INIT_BINARY_PATH", garbage.toString()),
                "run", spec.toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.VM_FAILED);
        assertThat(r.stderr()).isEqualTo("krunctl: the VM ended without reporting the workload's exit code (the guest"
                + " kernel could not start the init /init.krun: it is not an executable for this kernel (ENOEXEC));"
                + " rerun with --console FILE to keep the whole guest console\n");
        assertThat(qemus("fault-init")).isEmpty();
    }

    @Test
    void aDiskImageAnotherVmHoldsIsNamed() throws Exception {
        Path image = dir.resolve("shared.img");
        Process mkfs = new ProcessBuilder("mkfs.ext4", "-q", "-F", image.toString(), "32M").inheritIO().start();
        assertThat(mkfs.waitFor()).isZero();
        String disk = "disks:\n  - {path: " + image + "}\n";
        Path holder = Krunctl.busyboxSpec(dir, "fault-holder", disk, "/bin/busybox", "sh", "-c",
                "echo up; /bin/busybox sleep 60");
        Path second = Krunctl.busyboxSpec(dir, "fault-second", disk, "/bin/busybox", "true");
        try (KrunctlProcess first = KrunctlProcess.start("run", holder.toString())) {
            first.awaitStdout("up\n", WAIT);

            Krunctl.Result r = Krunctl.run(new byte[0], "run", second.toString());

            assertThat(r.exitCode()).isEqualTo(ExitCodes.VM_FAILED);
            assertThat(r.stderr()).isEqualTo("krunctl: the disk image " + image + " is in use by another process"
                    + " (another VM?); wait for it to end, or give the disk readOnly: true in both\n");
            assertThat(qemus("fault-second")).isEmpty();
        }
    }

    /** Lines krunctl may print before the failure (the Debian kernel's fallback notice, say). */
    private static int countWarnings(String stderr) {
        return (int) stderr.lines().filter(l -> l.startsWith("krunctl: warning:")).count();
    }
}
