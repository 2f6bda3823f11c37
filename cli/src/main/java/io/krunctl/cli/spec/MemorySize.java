package io.krunctl.cli.spec;

import io.krunctl.vmm.config.VmConfig;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the spec's {@code memory} value. The rules (also in {@link SpecLoader}'s documentation):
 *
 * <ul>
 *   <li>A number, optionally with a fraction of up to 6 digits, followed by no unit (bytes) or exactly one of
 *       {@code Ki Mi Gi Ti} or {@code K M G T}. Nothing else: no {@code B}, no lower case, no
 *       space, no sign.
 *   <li>{@code K M G T} are binary, the same as {@code Ki Mi Gi Ti}, as in QEMU's {@code -m} and
 *       Docker's {@code --memory}: {@code 512M} is 512 MiB and {@code 1G} is 1 GiB.
 *   <li>The result must be a whole number of MiB and at least 64 MiB, so {@code 1.5Gi} (1536 MiB)
 *       is fine, {@code 0.1Gi} and {@code 100000000} (bytes) are not.
 * </ul>
 */
public final class MemorySize {

    public static final long MIN_BYTES = 64 * VmConfig.MIB;

    static final Pattern SIZE = Pattern.compile("([0-9]{1,19})(?:\\.([0-9]{1,6}))?(Ki|Mi|Gi|Ti|K|M|G|T)?");

    /** A size with a unit a user may reasonably have meant, for a did-you-mean hint. */
    private static final Pattern LOOSE =
            Pattern.compile("([0-9]{1,19}(?:\\.[0-9]{1,19})?) ?([kKmMgGtT])(?:i|I)?(?:b|B)?");

    private static final long[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

    private static final String EXPECTED = "expected a size like 256Mi, 1Gi or 512M";

    private MemorySize() {}

    /**
     * @return the size in bytes
     * @throws IllegalArgumentException with a message (without the {@code memory:} prefix) saying
     *     what is wrong
     */
    static long parse(String text) {
        return parse(text, MIN_BYTES);
    }

    /**
     * As {@link #parse(String)}, with another minimum (a whole number of MiB), as a tmpfs size has.
     */
    public static long parse(String text, long minBytes) {
        String min = minBytes / VmConfig.MIB + "Mi";
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            Matcher loose = LOOSE.matcher(text);
            if (loose.matches()) {
                String suggestion = loose.group(1) + loose.group(2).toUpperCase(Locale.ROOT) + "i";
                if (SIZE.matcher(suggestion).matches()) {
                    throw new IllegalArgumentException(EXPECTED + ", got " + Text.quote(text)
                            + "; did you mean \"" + suggestion + "\"?");
                }
            }
            throw new IllegalArgumentException(EXPECTED + " (a whole number of MiB, at least " + min + "), got "
                    + Text.quote(text));
        }
        String unit = m.group(3) == null ? "" : m.group(3);
        String fraction = m.group(2) == null ? "" : m.group(2);
        long multiplier = multiplier(unit);
        long bytes;
        boolean wholeBytes;
        try {
            // Exact integer arithmetic; BigDecimal would start a ForkJoinPool on first use.
            long scale = POWERS_OF_TEN[fraction.length()];
            long fractionTimesMultiplier = fraction.isEmpty() ? 0 : Math.multiplyExact(Long.parseLong(fraction), multiplier);
            wholeBytes = fractionTimesMultiplier % scale == 0;
            bytes = Math.addExact(Math.multiplyExact(Long.parseLong(m.group(1)), multiplier), fractionTimesMultiplier / scale);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("is too large, got " + Text.quote(text));
        }
        if (bytes < minBytes) {
            String hint = "";
            if (unit.isEmpty() && fraction.isEmpty() && bytes >= minBytes / VmConfig.MIB && bytes < 1024L * 1024) {
                hint = "; did you mean \"" + text + "Mi\"?";
            }
            String what = unit.isEmpty() && !text.equals("0") ? " (bytes)" : "";
            throw new IllegalArgumentException("must be at least " + min + ", got " + Text.quote(text) + what + hint);
        }
        if (!wholeBytes || bytes % VmConfig.MIB != 0) {
            String exact = wholeBytes ? Long.toString(bytes) : "not a whole number of";
            throw new IllegalArgumentException("must be a whole number of MiB, got " + Text.quote(text)
                    + " (" + exact + " bytes)");
        }
        return bytes;
    }

    private static long multiplier(String unit) {
        return switch (unit) {
            case "" -> 1L;
            case "K", "Ki" -> 1L << 10;
            case "M", "Mi" -> 1L << 20;
            case "G", "Gi" -> 1L << 30;
            case "T", "Ti" -> 1L << 40;
            default -> throw new AssertionError(unit);
        };
    }
}
