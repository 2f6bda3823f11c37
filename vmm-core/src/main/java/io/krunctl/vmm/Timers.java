package io.krunctl.vmm;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks after a delay: the only clock a run's signal and time-limit policy reads, so that its
 * tests can move time forward by hand instead of sleeping.
 */
interface Timers extends AutoCloseable {
    /** A task not yet run. */
    interface Scheduled {
        /** Makes sure the task does not run, if it has not started yet. */
        void cancel();
    }

    /** Runs {@code task} once {@code delay} has passed, on a thread of the timers' own. */
    Scheduled schedule(Duration delay, Runnable task);

    /** Drops every task not yet run. */
    @Override
    void close();

    /** Real time, on one daemon thread named {@code name}. */
    static Timers threaded(String name) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .daemon().name(name).unstarted(r));
        return new Timers() {
            @Override
            public Scheduled schedule(Duration delay, Runnable task) {
                ScheduledFuture<?> future = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            }

            @Override
            public void close() {
                executor.shutdownNow();
            }
        };
    }
}
