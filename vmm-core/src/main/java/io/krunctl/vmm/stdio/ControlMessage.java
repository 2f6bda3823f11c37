package io.krunctl.vmm.stdio;

import java.nio.charset.StandardCharsets;

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
}
