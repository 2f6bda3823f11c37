package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Signals;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The signal and time-limit policy of a run, without a VM. */
class RunControlTest {
    private final List<Integer> forwarded = new CopyOnWriteArrayList<>();
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private final AtomicInteger resizes = new AtomicInteger();
    private final ManualTimers time = new ManualTimers();
    private RunControl run;

    private RunControl control(Duration stopTimeout) {
        run = new RunControl(forwarded::add, resizes::incrementAndGet, notices::add, stopTimeout, time);
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
    void aSecondStopSignalStopsHardWith128PlusItsNumber() {
        RunControl c = control(Duration.ofHours(1));
        c.hostSignal(Signals.SIGTERM);
        c.hostSignal(Signals.SIGUSR1);
        c.hostSignal(Signals.SIGINT);

        assertThat(forwarded).containsExactly(Signals.SIGTERM, Signals.SIGUSR1);
        assertThat(c.hardStop()).isCompleted();
        assertThat(c.hardStop().join().exitCode()).isEqualTo(130);
        assertThat(c.exitCode(Optional.of(0))).contains(130);
        assertThat(notices).singleElement().asString().contains("stopping the VM hard", "second", "SIGINT");
        c.hostSignal(Signals.SIGTERM);
        assertThat(forwarded).as("nothing is forwarded once stopping").hasSize(2);
    }

    @Test
    void theStopTimeoutStopsHardWithTheFirstSignalsCode() {
        RunControl c = control(Duration.ofMillis(50));
        c.hostSignal(Signals.SIGTERM);
        time.advance(Duration.ofMillis(49));
        assertThat(c.stopping()).as("not yet").isFalse();
        time.advance(Duration.ofMillis(1));

        assertThat(c.hardStop()).isCompleted();
        assertThat(c.hardStop().join().exitCode()).isEqualTo(143);
        assertThat(notices).singleElement().asString().contains("did not exit within 50ms of SIGTERM");
    }

    @Test
    void aWorkloadThatExitsInTimeKeepsItsCode() {
        RunControl c = control(Duration.ofMillis(100));
        c.hostSignal(Signals.SIGTERM);
        c.workloadGone();
        time.advance(Duration.ofSeconds(1));

        assertThat(c.stopping()).isFalse();
        assertThat(c.exitCode(Optional.of(3))).contains(3);
    }

    @Test
    void afterTheWorkloadExitedAStopSignalStopsAtOnce() {
        RunControl c = control(Duration.ofHours(1));
        c.workloadGone();
        c.hostSignal(Signals.SIGINT);

        assertThat(forwarded).isEmpty();
        assertThat(c.hardStop()).isCompleted();
        assertThat(c.hardStop().join().exitCode()).isEqualTo(130);
    }

    @Test
    void theTimeLimitSendsSigtermAndTheRunEndsWith124() {
        RunControl c = control(Duration.ofHours(1));
        c.startTimeout(Duration.ofMillis(20));
        time.advance(Duration.ofMillis(19));
        assertThat(forwarded).as("not yet").isEmpty();
        time.advance(Duration.ofMillis(1));

        assertThat(forwarded).containsExactly(Signals.SIGTERM);
        assertThat(notices).singleElement().asString().contains("ran for 20ms", "--timeout", "SIGTERM");
        c.workloadGone();
        assertThat(c.exitCode(Optional.of(143))).contains(Vm.TIMED_OUT);
    }

    @Test
    void theTimeLimitsHardStopAlsoEndsWith124() {
        RunControl c = control(Duration.ofMillis(20));
        c.startTimeout(Duration.ofMillis(20));
        time.advance(Duration.ofMillis(40));

        assertThat(c.hardStop()).isCompleted();
        assertThat(c.hardStop().join().exitCode()).isEqualTo(Vm.TIMED_OUT);
        assertThat(c.exitCode(Optional.empty())).contains(Vm.TIMED_OUT);
    }

    @Test
    void noExitCodeStaysNoExitCode() {
        assertThat(control(Duration.ofHours(1)).exitCode(Optional.empty())).isEmpty();
    }
}
