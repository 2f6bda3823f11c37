package io.krunctl.cli;

import io.krunctl.nativeio.Signals;
import java.time.Duration;

/**
 * Tells a stop signal that merely repeats the one just received from a new request. A second
 * SIGINT or SIGTERM stops the VM hard, so it must be a deliberate second signal: GNU timeout, for
 * one, sends SIGTERM to krunctl and then to krunctl's process group, so krunctl receives it twice
 * within microseconds from the same sender (and process managers that signal a whole group do the
 * same). A repeat is the same signal from the same sender within {@link #WINDOW}.
 */
final class RepeatedSignals {
    /** Far longer than one sender's two kill calls, far shorter than a person's second Ctrl-C. */
    static final Duration WINDOW = Duration.ofMillis(100);

    private int lastSignal;
    private int lastSender;
    private long lastAt;

    /**
     * Records {@code signal} from process {@code sender} (0 for the kernel, as for a terminal's
     * Ctrl-C) received at {@code nanoTime}; true if it only repeats the previous stop signal.
     */
    synchronized boolean isRepeat(int signal, int sender, long nanoTime) {
        if (signal != Signals.SIGINT && signal != Signals.SIGTERM) {
            return false;
        }
        boolean repeat = lastSignal == signal && lastSender == sender && nanoTime - lastAt < WINDOW.toNanos();
        lastSignal = signal;
        lastSender = sender;
        lastAt = nanoTime;
        return repeat;
    }
}
