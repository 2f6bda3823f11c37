package io.krunctl.vmm;

import io.krunctl.nativeio.Signals;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * What signals and time limits do to one run: the policy behind {@link VmControl}, apart from the
 * VM so that it can be tested without one.
 *
 * <p>The first SIGINT or SIGTERM (or the {@code --timeout} running out, which sends SIGTERM) is
 * forwarded and starts the stop timeout; a second SIGINT/SIGTERM or the end of the stop timeout
 * requests a hard stop, which {@link #hardStop()} completes with the exit code the run ends with:
 * 128+N for the signal, or {@link Vm#TIMED_OUT} when the time limit started the stop.
 */
final class RunControl implements VmControl {
    private static final int TIMED_OUT = Vm.TIMED_OUT;

    /** Why and with which exit code the VM is to be stopped hard. */
    record Stop(int exitCode, String why) {}

    private final IntConsumer forward;
    private final Runnable resize;
    private final Consumer<String> notice;
    private final Duration stopTimeout;
    private final Timers timers;
    private final CompletableFuture<Stop> hardStop = new CompletableFuture<>();
    private int firstStopSignal;
    private boolean timedOut;
    private boolean workloadGone;
    private Timers.Scheduled stopTimer;

    /**
     * @param forward     sends a signal to the workload
     * @param resize      passes the host terminal's size on (terminal mode), or does nothing
     * @param notice      shows the user a one-line message
     * @param stopTimeout how long the workload has to exit after the first SIGINT/SIGTERM
     * @param timers      the clock of the stop timeout and the time limit; closed by {@link #close()}
     */
    RunControl(IntConsumer forward, Runnable resize, Consumer<String> notice, Duration stopTimeout, Timers timers) {
        this.forward = forward;
        this.resize = resize;
        this.notice = notice;
        this.stopTimeout = stopTimeout;
        this.timers = timers;
    }

    @Override
    public void hostSignal(int signal) {
        if (signal == Signals.SIGWINCH) {
            resize.run();
            return;
        }
        synchronized (this) {
            if (hardStop.isDone()) {
                return;
            }
            boolean stopSignal = signal == Signals.SIGINT || signal == Signals.SIGTERM;
            if (stopSignal && workloadGone) {
                requestStop(128 + signal, Signals.name(signal) + " after the workload had exited");
                return;
            }
            if (stopSignal && firstStopSignal != 0) {
                requestStop(128 + signal, "a second stop signal, " + Signals.name(signal));
                return;
            }
            if (stopSignal) {
                firstStopSignal = signal;
                startStopTimer(128 + signal, Signals.name(signal));
            }
        }
        forward.accept(signal);
    }

    /** Starts the {@code --timeout} clock. */
    void startTimeout(Duration limit) {
        timers.schedule(limit, () -> {
            synchronized (this) {
                if (hardStop.isDone() || workloadGone || firstStopSignal != 0) {
                    return;
                }
                timedOut = true;
                firstStopSignal = Signals.SIGTERM;
                startStopTimer(TIMED_OUT, "SIGTERM");
            }
            notice.accept("the workload ran for " + Durations.format(limit) + " (--timeout): sent it SIGTERM");
            forward.accept(Signals.SIGTERM);
        });
    }

    private void startStopTimer(int exitCode, String signalName) {
        stopTimer = timers.schedule(stopTimeout, () -> {
            synchronized (this) {
                if (!workloadGone) {
                    requestStop(exitCode, "the workload did not exit within " + Durations.format(stopTimeout)
                            + " of " + signalName + " (--stop-timeout)");
                }
            }
        });
    }

    /** Called with this object's lock held; the notice comes first, so it precedes the stop. */
    private void requestStop(int exitCode, String why) {
        if (!hardStop.isDone()) {
            notice.accept("stopping the VM hard: " + why);
            hardStop.complete(new Stop(exitCode, why));
        }
    }

    /**
     * The workload has exited (the guest is shutting down): nothing is left to forward signals to,
     * so from now on SIGINT/SIGTERM stop the VM at once, and no timer does.
     */
    synchronized void workloadGone() {
        workloadGone = true;
        if (stopTimer != null) {
            stopTimer.cancel();
        }
    }

    /** Completes when the VM is to be stopped hard. */
    CompletableFuture<Stop> hardStop() {
        return hardStop;
    }

    /** Whether a hard stop was requested. */
    boolean stopping() {
        return hardStop.isDone();
    }

    /**
     * The run's exit code given the workload's own (empty if it never reported one): a hard stop's
     * code, else {@link Vm#TIMED_OUT} if the time limit ran out, else the workload's.
     */
    synchronized Optional<Integer> exitCode(Optional<Integer> workload) {
        if (hardStop.isDone()) {
            return Optional.of(hardStop.join().exitCode());
        }
        if (timedOut) {
            return Optional.of(TIMED_OUT);
        }
        return workload;
    }

    /** Stops the timers. */
    void close() {
        timers.close();
    }
}
