package io.krunctl.vmm.qemu;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How QEMU executes guest code. {@code auto} takes KVM only where the host's KVM runs ordinary
 * guests: a paravirtual KVM ({@code kvm_pvm}) exposes {@code /dev/kvm} too, but QEMU aborts on it or
 * crawls, so the presence of the device alone is not enough.
 */
public enum Accelerator {
    KVM,
    TCG;

    /** Chooses for this host by looking for the hardware KVM modules and a usable device. */
    public static Accelerator auto() {
        return detect(Path.of("/sys/module"), Path.of("/dev/kvm"));
    }

    static Accelerator detect(Path sysModule, Path kvmDevice) {
        boolean hardwareKvm = Files.isDirectory(sysModule.resolve("kvm_intel"))
                || Files.isDirectory(sysModule.resolve("kvm_amd"));
        boolean usable = Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice);
        return hardwareKvm && usable ? KVM : TCG;
    }

    /** The {@code -accel} and {@code -cpu} arguments for this accelerator. */
    public java.util.List<String> qemuArgs() {
        return switch (this) {
            case KVM -> java.util.List.of("-accel", "kvm", "-cpu", "host");
            case TCG -> java.util.List.of("-accel", "tcg", "-cpu", "max");
        };
    }
}
