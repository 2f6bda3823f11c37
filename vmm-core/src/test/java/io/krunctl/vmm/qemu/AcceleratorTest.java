package io.krunctl.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorTest {
    @TempDir
    Path dir;

    @Test
    void paravirtualKvmGetsTcgEvenWithADevice() throws Exception {
        Path sys = Files.createDirectories(dir.resolve("module/kvm_pvm"));
        Path dev = Files.createFile(dir.resolve("kvm"));

        assertThat(Accelerator.detect(sys.getParent(), dev)).isEqualTo(Accelerator.TCG);
    }

    @Test
    void hardwareKvmWithAUsableDeviceGetsKvm() throws Exception {
        Path sys = Files.createDirectories(dir.resolve("module/kvm_intel"));
        Path dev = Files.createFile(dir.resolve("kvm"));

        assertThat(Accelerator.detect(sys.getParent(), dev)).isEqualTo(Accelerator.KVM);
        assertThat(Accelerator.KVM.qemuArgs()).containsExactly("-accel", "kvm", "-cpu", "host");
    }

    @Test
    void hardwareKvmWithoutTheDeviceGetsTcg() throws Exception {
        Path sys = Files.createDirectories(dir.resolve("module/kvm_amd"));

        assertThat(Accelerator.detect(sys.getParent(), dir.resolve("absent"))).isEqualTo(Accelerator.TCG);
        assertThat(Accelerator.TCG.qemuArgs()).containsExactly("-accel", "tcg", "-cpu", "max");
    }
}
