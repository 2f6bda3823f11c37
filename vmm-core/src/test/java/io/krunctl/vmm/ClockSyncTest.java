package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.vmm.stdio.ControlMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When the host's time goes to the guest init, without a VM. */
class ClockSyncTest {
    private static final Instant BOOT = Instant.parse("2026-03-01T12:00:00.123456789Z");

    private final List<ControlMessage> sent = new CopyOnWriteArrayList<>();
    private final ManualTimers time = new ManualTimers();
    /** The host's wall clock, moving with the timers. */
    private final ClockSync sync = new ClockSync(sent::add, () -> BOOT.plus(time.elapsed()), time);

    @AfterEach
    void stop() {
        sync.close();
    }

    private static ControlMessage.Time at(Duration sinceBoot) {
        return ControlMessage.Time.of(BOOT.plus(sinceBoot));
    }

    @Test
    void theIntervalIsFiveSeconds() {
        assertThat(ClockSync.INTERVAL).as("guest/README.md documents it").isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theTimeGoesOutAtStartAndThenEveryFiveSeconds() {
        time.advance(Duration.ofSeconds(30));
        assertThat(sent).as("nothing before the workload starts").isEmpty();

        sync.start();
        assertThat(sent).containsExactly(at(Duration.ofSeconds(30)));

        time.advance(Duration.ofMillis(4_999));
        assertThat(sent).as("not yet").hasSize(1);
        time.advance(Duration.ofMillis(1));
        assertThat(sent).hasSize(2).last().isEqualTo(at(Duration.ofSeconds(35)));

        time.advance(Duration.ofSeconds(15));
        assertThat(sent).containsExactly(at(Duration.ofSeconds(30)), at(Duration.ofSeconds(35)),
                at(Duration.ofSeconds(40)), at(Duration.ofSeconds(45)), at(Duration.ofSeconds(50)));
    }

    @Test
    void startingAgainStartsNoSecondSeries() {
        sync.start();
        sync.start();
        time.advance(Duration.ofSeconds(10));

        assertThat(sent).containsExactly(at(Duration.ZERO), at(Duration.ofSeconds(5)), at(Duration.ofSeconds(10)));
    }

    @Test
    void nothingGoesOutAfterClose() {
        sync.start();
        time.advance(Duration.ofSeconds(5));
        sync.close();
        time.advance(Duration.ofMinutes(1));
        sync.start();

        assertThat(sent).containsExactly(at(Duration.ZERO), at(Duration.ofSeconds(5)));
    }
}
