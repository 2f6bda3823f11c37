package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Signals;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The signal and time-limit policy of a run, without a VM. */
class RunControlTest {
    private final List<Integer> forwarded = new CopyOnWriteArrayList<>();
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private final AtomicInteger resizes = new AtomicInteger();
    private RunControl run;

    private RunControl control(Duration stopTimeout) {
        run = new RunControl(forwarded::add, resizes::incrementAndGet, notices::add, stopTimeout);
        return run;
    }

    @AfterEach
    void stopTimers() {
        run.close();
    }

    @Test
    void signalsAreForwardedAndTheWorkloadsCodeStands() {
        RunControl c = control(Duration.ofHours(1));
        for (int s : List.of(Signals.SIGHUP, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2, Signals.SIGTERM)) {
            c.hostSignal(s);
        }

        assertThat(forwarded).containsExactly(Signals.SIGHUP, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2,
                Signals.SIGTERM);
        assertThat(c.stopping()).isFalse();
        assertThat(c.exitCode(Optional.of(3))).contains(3);
        assertThat(notices).isEmpty();
    }

    @Test
    void sigwinchResizesTheTerminalAndIsNotForwarded() {
        RunControl c = control(Duration.ofHours(1));
        c.hostSignal(Signals.SIGWINCH);

        assertThat(resizes).hasValue(1);
        assertThat(forwarded).isEmpty();
    }

    @Test
    void aSecondStopSignalStopsHardWith128PlusItsNumber() throws Exception {
        RunControl c = control(Duration.ofHours(1));
        c.hostSignal(Signals.SIGTERM);
        c.hostSignal(Signals.SIGUSR1);
        c.hostSignal(Signals.SIGINT);

        assertThat(forwarded).containsExactly(Signals.SIGTERM, Signals.SIGUSR1);
        assertThat(c.hardStop().get(1, TimeUnit.SECONDS).exitCode()).isEqualTo(130);
        assertThat(c.exitCode(Optional.of(0))).contains(130);
        assertThat(notices).singleElement().asString().contains("stopping the VM hard", "second", "SIGINT");
        c.hostSignal(Signals.SIGTERM);
        assertThat(forwarded).as("nothing is forwarded once stopping").hasSize(2);
    }

    @Test
    void theStopTimeoutStopsHardWithTheFirstSignalsCode() throws Exception {
        RunControl c = control(Duration.ofMillis(50));
        c.hostSignal(Signals.SIGTERM);

        assertThat(c.hardStop().get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(143);
        assertThat(notices).singleElement().asString().contains("did not exit within 50ms of SIGTERM");
    }

    @Test
    void aWorkloadThatExitsInTimeKeepsItsCode() throws Exception {
        RunControl c = control(Duration.ofMillis(100));
        c.hostSignal(Signals.SIGTERM);
        c.workloadGone();
        Thread.sleep(300); // past the stop timeout, which must have been cancelled

        assertThat(c.stopping()).isFalse();
        assertThat(c.exitCode(Optional.of(3))).contains(3);
    }

    @Test
    void afterTheWorkloadExitedAStopSignalStopsAtOnce() throws Exception {
        RunControl c = control(Duration.ofHours(1));
        c.workloadGone();
        c.hostSignal(Signals.SIGINT);

        assertThat(forwarded).isEmpty();
        assertThat(c.hardStop().get(1, TimeUnit.SECONDS).exitCode()).isEqualTo(130);
    }

    @Test
    void theTimeLimitSendsSigtermAndTheRunEndsWith124() throws Exception {
        RunControl c = control(Duration.ofHours(1));
        c.startTimeout(Duration.ofMillis(20));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (forwarded.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertThat(forwarded).containsExactly(Signals.SIGTERM);
        assertThat(notices).singleElement().asString().contains("ran for 20ms", "--timeout", "SIGTERM");
        c.workloadGone();
        assertThat(c.exitCode(Optional.of(143))).contains(VmLauncher.TIMED_OUT);
    }

    @Test
    void theTimeLimitsHardStopAlsoEndsWith124() throws Exception {
        RunControl c = control(Duration.ofMillis(20));
        c.startTimeout(Duration.ofMillis(20));

        assertThat(c.hardStop().get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(VmLauncher.TIMED_OUT);
        assertThat(c.exitCode(Optional.empty())).contains(VmLauncher.TIMED_OUT);
    }

    @Test
    void noExitCodeStaysNoExitCode() {
        assertThat(control(Duration.ofHours(1)).exitCode(Optional.empty())).isEmpty();
    }
}
