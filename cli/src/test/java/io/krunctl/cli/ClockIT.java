package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's wall clock follows the host's: krunctl sends its time on the control port when the
 * workload starts and every 5 s, and the init steps the guest clock when it is more than 100 ms off,
 * so a clock set wrong in the guest (or left behind by a host suspend) is right again within 5 s.
 *
 * <p>The guest prints its wall clock in microseconds ({@code busybox date} has no {@code %N};
 * {@code adjtimex} without options only reads the clock and gives microseconds), and the test
 * compares it with the host's clock when the line arrives: the guest's reading is older by the
 * line's way out, tens of milliseconds under TCG, well within the tolerance.
 */
class ClockIT {
    private static final Duration BOOT = Duration.ofMinutes(2);
    private static final Duration EXIT = Duration.ofMinutes(1);
    /** How far off the guest clock may be once krunctl has corrected it, in microseconds. */
    private static final long TOLERANCE_US = 500_000;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void aGuestClockSetAMinuteWrongIsRightAgainSixSecondsLater() throws Exception {
        // The first sleep lets the first correction (sent when the workload starts) land before the
        // clock is set wrong, so that only a later one can set it right.
        String script = """
                B=/bin/busybox
                now() { $B adjtimex | $B awk '$1 == "time.tv_sec:" {s = $2} $1 == "time.tv_usec:" {u = $2} \
                END {printf "%d%06d", s, u}'; }
                $B sleep 2
                echo "start $(now)"
                $B date -s "@$(( $($B date +%s) - 60 ))" >/dev/null || exit 9
                echo "set $(now)"
                $B sleep 6
                echo "after $(now)"
                """;
        Path spec = Krunctl.busyboxSpec(dir, "clock", "", "/bin/busybox", "sh", "-c", script);

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            long start = offsetMicros(k.awaitStdoutLine("start ", BOOT), "start ");
            long set = offsetMicros(k.awaitStdoutLine("set ", EXIT), "set ");
            long after = offsetMicros(k.awaitStdoutLine("after ", EXIT), "after ");

            assertThat(k.awaitExit(EXIT)).as("exit code; stderr: %s", k.stderr()).isZero();
            SoftAssertions.assertSoftly(soft -> {
                soft.assertThat(start).as("µs the guest clock is off once the workload runs")
                        .isCloseTo(0, within(TOLERANCE_US));
                soft.assertThat(set).as("µs off right after date -s").isCloseTo(-60_000_000, within(2_000_000L));
                soft.assertThat(after).as("µs off 6 s after date -s").isCloseTo(0, within(TOLERANCE_US));
                soft.assertThat(k.stderr()).isEmpty();
            });
        }
    }

    /** How far the guest's time in {@code line} is ahead of the host's now, in microseconds. */
    private static long offsetMicros(String line, String prefix) {
        long host = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        return Long.parseLong(line.substring(prefix.length()).strip()) - host;
    }
}
