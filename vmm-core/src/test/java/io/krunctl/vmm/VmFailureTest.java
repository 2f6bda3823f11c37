package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one line a user reads when a VM ends without an exit code. */
class VmFailureTest {
    @TempDir
    Path dir;

    @Test
    void aPanickedGuestKernelIsNamedWithItsReasonInsteadOfARegisterDump() throws Exception {
        Path console = dir.resolve("console.log");
        Files.writeString(console, "[    2.94] sysrq: Trigger a crash\n"
                + "[    2.94] Kernel panic - not syncing: sysrq triggered crash\n"
                + "[    2.95] CPU: 0 PID: 74 Comm: sh Not tainted 6.1.0\n"
                + "[    2.95] RBP: 0000000016ebbae0 R08: 0000000000000000\n");

        String line = VmFailure.describe(0, Optional.of("guest-reset"), null, dir.resolve("absent"), console, false);

        assertThat(line).isEqualTo("the VM ended without reporting the workload's exit code (the guest kernel"
                + " panicked: sysrq triggered crash); rerun with --console FILE to keep the whole guest console");
    }

    @Test
    void anInitTheKernelCannotExecuteIsSaidSo() throws Exception {
        Path console = dir.resolve("console.log");
        Files.writeString(console, "[    0.61] Kernel panic - not syncing: Requested init /init.krun failed (error -8).\n");

        assertThat(VmFailure.describe(0, Optional.empty(), null, dir.resolve("absent"), console, true))
                .isEqualTo("the VM ended without reporting the workload's exit code (the guest kernel could not start"
                        + " the init /init.krun: it is not an executable for this kernel (ENOEXEC))");
    }

    @Test
    void qemuKilledFromOutsideIsNamedBySignal() {
        String line = VmFailure.describe(137, Optional.empty(), null, dir.resolve("absent"), dir.resolve("none"), true);

        assertThat(line).isEqualTo("the VM ended without reporting the workload's exit code (QEMU was killed by"
                + " signal 9)");
    }

    @Test
    void aDiskImageAnotherVmHoldsIsNamedWithWhatToDo() throws Exception {
        Path qemuLog = dir.resolve("qemu.log");
        Files.writeString(qemuLog, "qemu-system-x86_64: -device virtio-blk-pci,drive=disk0: Failed to get \"write\""
                + " lock\nIs another process using the image [/srv/d.img]?\n");

        assertThat(VmFailure.describe(1, Optional.empty(), null, qemuLog, dir.resolve("none"), false))
                .isEqualTo("the disk image /srv/d.img is in use by another process (another VM?); wait for it to end,"
                        + " or give the disk readOnly: true in both");
    }

    @Test
    void aDeviceThatLostItsConnectionIsNamedWithoutQemusOrTheConsolesLastWords() throws Exception {
        Path console = dir.resolve("console.log");
        Files.writeString(console, "up\n");

        String line = VmFailure.describe(137, Optional.empty(),
                new DeviceDisconnected("/data", "end of file on the vhost-user socket"), dir.resolve("absent"),
                console, false);

        assertThat(line).isEqualTo("the virtio-fs device of share '/data' lost its connection to QEMU (end of file on"
                + " the vhost-user socket); the VM was stopped");
    }

    @Test
    void otherwiseTheLastConsoleLinesTell() throws Exception {
        Path console = dir.resolve("console.log");
        Files.writeString(console, "one\n\ntwo\nthree\n");

        assertThat(VmFailure.describe(1, Optional.empty(), null, dir.resolve("absent"), console, true))
                .isEqualTo("the VM ended without reporting the workload's exit code (QEMU exited with status 1);"
                        + " guest console: one | two | three");
    }
}
