package io.krunctl.vmm;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as users write them on the command line: a decimal number and a unit, {@code ms},
 * {@code s}, {@code m} or {@code h} ({@code 500ms}, {@code 5s}, {@code 1.5s}, {@code 2m}); a bare
 * number is seconds, as for {@code timeout(1)} and {@code podman --stop-timeout}.
 */
public final class Durations {
    private static final Pattern SYNTAX = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)?");
    /** Longer than any sensible limit, short enough that nanosecond arithmetic cannot overflow. */
    private static final Duration MAX = Duration.ofDays(365);

    private Durations() {}

    /**
     * Parses {@code text}; precision is the millisecond.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Duration parse(String text) {
        Matcher m = SYNTAX.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "': expected a number and a unit, ms, s, m or h, such as 500ms, 5s or 2m");
        }
        long millisPerUnit = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(millisPerUnit));
        if (millis.compareTo(BigDecimal.valueOf(MAX.toMillis())) > 0) {
            throw new IllegalArgumentException("duration '" + text + "' is longer than " + MAX.toDays() + " days");
        }
        if (millis.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("duration '" + text + "' is finer than a millisecond");
        }
        return Duration.ofMillis(millis.longValueExact());
    }

    /** The shortest exact form {@link #parse} reads back: {@code 2m}, {@code 90s}, {@code 1500ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }
}
