package io.krunctl.vmm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** {@link Timers} whose time moves only when a test calls {@link #advance}; tasks run on that thread. */
final class ManualTimers implements Timers {
    private record Task(long due, long order, Runnable body) {}

    private final List<Task> pending = new ArrayList<>();
    private long now;
    private long scheduled;

    @Override
    public synchronized Scheduled schedule(Duration delay, Runnable body) {
        Task task = new Task(now + delay.toNanos(), scheduled++, body);
        pending.add(task);
        return () -> {
            synchronized (this) {
                pending.remove(task);
            }
        };
    }

    /** How far time has moved since these timers were made. */
    synchronized Duration elapsed() {
        return Duration.ofNanos(now);
    }

    /** Moves time forward by {@code by}, running every task that falls due, earliest first. */
    void advance(Duration by) {
        long until;
        synchronized (this) {
            until = now + by.toNanos();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = pending.stream().filter(t -> t.due() <= until)
                        .min(Comparator.comparingLong(Task::due).thenComparingLong(Task::order)).orElse(null);
                if (next == null) {
                    now = until;
                    return;
                }
                pending.remove(next);
                now = next.due();
            }
            next.body().run();
        }
    }

    @Override
    public synchronized void close() {
        pending.clear();
    }
}
