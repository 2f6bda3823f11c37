package io.krunctl.vmm;

import io.krunctl.vmm.qemu.Accelerator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to launch, as opposed to what to run (that is {@link io.krunctl.vmm.config.VmConfig}).
 * Start from {@link #defaults()} and change what differs with the {@code with...} methods.
 *
 * @param accelerator    KVM or TCG; {@link Accelerator#auto()} picks for the host
 * @param consoleLog     where to keep the guest console (kernel and init messages); a file in the
 *                       VM's private runtime directory when empty
 * @param verboseConsole whether the kernel logs at full verbosity
 * @param kernelCache    where kernels are cached
 * @param stdio          how the workload's stdio reaches the host
 * @param streamConsole  whether the guest console is also copied live to krunctl's stderr (never to
 *                       stdout); only with stdio ports, as a terminal console is already on screen
 * @param timeout        how long the workload may run before it is sent SIGTERM
 * @param stopTimeout    how long the workload has to exit after the first SIGINT or SIGTERM (or
 *                       the timeout's SIGTERM) before the VM is stopped hard
 */
public record LaunchOptions(
        Accelerator accelerator,
        Optional<Path> consoleLog,
        boolean verboseConsole,
        Path kernelCache,
        StdioMode stdio,
        boolean streamConsole,
        Optional<Duration> timeout,
        Duration stopTimeout) {

    /** The default {@link #stopTimeout}. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How the workload's stdin, stdout and stderr reach the host. */
    public enum StdioMode {
        /** {@link #TERMINAL} when stdin, stdout and stderr are all terminals, else {@link #PIPES}. */
        AUTO,
        /**
         * The {@code krun-stdin}/{@code -stdout}/{@code -stderr} ports, byte-exact, stdout and stderr
         * separate, host end of file passed on.
         */
        PIPES,
        /**
         * The guest console becomes the workload's controlling terminal, relayed to the host's
         * terminal (fd 0 must be one), which is in raw mode meanwhile.
         */
        TERMINAL
    }

    public LaunchOptions {
        Objects.requireNonNull(accelerator, "accelerator");
        Objects.requireNonNull(consoleLog, "consoleLog");
        Objects.requireNonNull(kernelCache, "kernelCache");
        Objects.requireNonNull(stdio, "stdio");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        if (timeout.isPresent() && (timeout.get().isNegative() || timeout.get().isZero())) {
            throw new IllegalArgumentException("the timeout must be positive: " + timeout.get());
        }
        if (stopTimeout.isNegative()) {
            throw new IllegalArgumentException("the stop timeout must not be negative: " + stopTimeout);
        }
    }

    public static LaunchOptions defaults() {
        return new LaunchOptions(Accelerator.auto(), Optional.empty(), false,
                io.krunctl.vmm.kernel.KernelProvider.defaultCacheDir(), StdioMode.AUTO, false, Optional.empty(),
                DEFAULT_STOP_TIMEOUT);
    }

    public LaunchOptions withConsoleLog(Optional<Path> log) {
        return new LaunchOptions(accelerator, log, verboseConsole, kernelCache, stdio, streamConsole, timeout,
                stopTimeout);
    }

    /** Full kernel verbosity on the console, and the console copied live to stderr. */
    public LaunchOptions withVerbose(boolean verbose) {
        return new LaunchOptions(accelerator, consoleLog, verbose, kernelCache, stdio, verbose, timeout,
                stopTimeout);
    }

    public LaunchOptions withStdio(StdioMode mode) {
        return new LaunchOptions(accelerator, consoleLog, verboseConsole, kernelCache, mode, streamConsole, timeout,
                stopTimeout);
    }

    public LaunchOptions withTimeout(Optional<Duration> limit) {
        return new LaunchOptions(accelerator, consoleLog, verboseConsole, kernelCache, stdio, streamConsole, limit,
                stopTimeout);
    }

    public LaunchOptions withStopTimeout(Duration grace) {
        return new LaunchOptions(accelerator, consoleLog, verboseConsole, kernelCache, stdio, streamConsole, timeout,
                grace);
    }
}
