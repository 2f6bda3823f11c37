package io.krunctl.vmm.stdio;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A host-to-guest message on the {@code krun-control} port: one line of ASCII ending in
 * {@code \n}, which the guest init acts on while the workload runs.
 */
public sealed interface ControlMessage {
    /** Longest line the guest init accepts, newline excluded. */
    int MAX_LINE = 256;

    /** The message as sent: one line, newline included. */
    byte[] encode();

    /**
     * {@code signal N}: the init sends signal {@code signal} to the workload.
     *
     * @param signal a Linux signal number, 1 to 64
     */
    record Signal(int signal) implements ControlMessage {
        public Signal {
            if (signal < 1 || signal > 64) {
                throw new IllegalArgumentException("no such signal: " + signal);
            }
        }

        @Override
        public byte[] encode() {
            return ("signal " + signal + "\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * {@code winsize ROWS COLS}: the init sets the console's window size, and the guest kernel
     * sends SIGWINCH to the terminal's foreground process group.
     */
    record WindowSize(int rows, int cols) implements ControlMessage {
        public WindowSize {
            if (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff) {
                throw new IllegalArgumentException("window size out of range: " + rows + " " + cols);
            }
        }

        @Override
        public byte[] encode() {
            return ("winsize " + rows + " " + cols + "\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * {@code time SECONDS NANOS}: the host's wall clock; the init steps the guest's to it when they
     * are more than 100 ms apart.
     *
     * @param seconds since the Unix epoch; the init takes no earlier time
     * @param nanos   0 to 999,999,999
     */
    record Time(long seconds, int nanos) implements ControlMessage {
        public Time {
            if (seconds < 0 || nanos < 0 || nanos > 999_999_999) {
                throw new IllegalArgumentException("time out of range: " + seconds + " " + nanos);
            }
        }

        /** The message for {@code instant}. */
        public static Time of(Instant instant) {
            return new Time(instant.getEpochSecond(), instant.getNano());
        }

        @Override
        public byte[] encode() {
            return ("time " + seconds + " " + nanos + "\n").getBytes(StandardCharsets.US_ASCII);
        }
    }
}
