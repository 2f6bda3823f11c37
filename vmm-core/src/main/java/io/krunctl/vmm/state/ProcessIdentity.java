package io.krunctl.vmm.state;

import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A process as a record on disk names it: its pid and its start time, in clock ticks since boot
 * ({@code /proc/PID/stat}, field 22). The pair tells the process that wrote a record from a later
 * one that was given the same pid.
 *
 * @param pid       the process id
 * @param startTime its start time
 */
public record ProcessIdentity(long pid, long startTime) {

    /** The identity of the process with {@code pid} now, if one runs. */
    public static Optional<ProcessIdentity> of(long pid) {
        OptionalLong start = startTimeOf(pid);
        return start.isPresent() ? Optional.of(new ProcessIdentity(pid, start.getAsLong())) : Optional.empty();
    }

    /** This process. */
    public static ProcessIdentity current() {
        long pid = ProcessHandle.current().pid();
        return new ProcessIdentity(pid, startTimeOf(pid).orElse(0));
    }

    /** Whether the process still runs (a zombie, ended but not reaped, does not). */
    public boolean alive() {
        return startTimeOf(pid).equals(OptionalLong.of(startTime));
    }

    /**
     * Sends {@code signal} if the process still runs: a process that has ended, or whose pid now
     * belongs to another, is left alone. One that ends in between is no error.
     */
    public void kill(int signal) {
        if (!alive()) {
            return;
        }
        try {
            Signals.kill(pid, signal);
        } catch (NativeException e) {
            // Ended between the check and the signal.
        }
    }

    /** The real user id of this process; -1 if {@code /proc} cannot say. */
    public static long currentUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Field 22 of {@code /proc/PID/stat}, or empty if no such process runs: a zombie (a process that
     * has ended but that its parent has not reaped, as an orphan waits for a slow init) runs no more.
     */
    static OptionalLong startTimeOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name, field 2, may hold spaces and parentheses: count from the last ')'.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (after[0].equals("Z") || after[0].equals("X")) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Long.parseLong(after[19]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
