package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Signals;
import org.junit.jupiter.api.Test;

class RepeatedSignalsTest {
    private static final long MS = 1_000_000;
    private final RepeatedSignals seen = new RepeatedSignals();

    @Test
    void theSameStopSignalFromTheSameSenderRightAfterIsARepeat() {
        assertThat(seen.isRepeat(Signals.SIGTERM, 4242, 0)).isFalse();
        assertThat(seen.isRepeat(Signals.SIGTERM, 4242, MS)).as("timeout(1): krunctl, then its group").isTrue();
    }

    @Test
    void aSecondSignalAfterTheWindowIsANewRequest() {
        seen.isRepeat(Signals.SIGINT, 0, 0);

        assertThat(seen.isRepeat(Signals.SIGINT, 0, RepeatedSignals.WINDOW.toNanos())).isFalse();
    }

    @Test
    void anotherSenderOrAnotherSignalIsANewRequest() {
        seen.isRepeat(Signals.SIGTERM, 4242, 0);
        assertThat(seen.isRepeat(Signals.SIGTERM, 4243, MS)).as("another sender").isFalse();
        assertThat(seen.isRepeat(Signals.SIGINT, 4243, 2 * MS)).as("another signal").isFalse();
    }

    @Test
    void onlyStopSignalsAreEverRepeats() {
        seen.isRepeat(Signals.SIGUSR1, 4242, 0);

        assertThat(seen.isRepeat(Signals.SIGUSR1, 4242, MS)).as("every SIGUSR1 reaches the workload").isFalse();
    }
}
