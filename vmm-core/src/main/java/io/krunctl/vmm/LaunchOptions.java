package io.krunctl.vmm;

import io.krunctl.vmm.qemu.Accelerator;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How to launch, as opposed to what to run (that is {@link io.krunctl.vmm.config.VmConfig}).
 *
 * @param accelerator    KVM or TCG; {@link Accelerator#auto()} picks for the host
 * @param consoleLog     where to keep the guest console (kernel and init messages); a file in the
 *                       VM's private runtime directory when empty
 * @param verboseConsole whether the kernel logs at full verbosity
 * @param kernelCache    where kernels are cached
 */
public record LaunchOptions(
        Accelerator accelerator, Optional<Path> consoleLog, boolean verboseConsole, Path kernelCache) {

    public static LaunchOptions defaults() {
        return new LaunchOptions(Accelerator.auto(), Optional.empty(), false,
                io.krunctl.vmm.kernel.KernelProvider.defaultCacheDir());
    }
}
