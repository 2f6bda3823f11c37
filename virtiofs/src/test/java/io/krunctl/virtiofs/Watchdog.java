package io.krunctl.virtiofs;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Runs test bodies on one daemon thread of its own and fails, showing where that thread is stuck,
 * when one takes longer than its deadline: a hang becomes a failure with a stack, not a build that
 * never ends. The stuck thread is abandoned and the next body gets a fresh one.
 */
public final class Watchdog implements AutoCloseable {
    /** A test body. */
    public interface Body {
        void run() throws Exception;
    }

    private final String threadName;
    private final Duration deadline;
    private ExecutorService executor;
    private volatile Thread thread;

    public Watchdog(String threadName, Duration deadline) {
        this.threadName = threadName;
        this.deadline = deadline;
        this.executor = newExecutor();
    }

    private ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /** Runs {@code body} on the watched thread; what it throws is rethrown here. */
    public void run(Body body) throws Exception {
        Future<?> done = executor.submit(() -> {
            body.run();
            return null;
        });
        try {
            done.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String stack = Arrays.stream(thread.getStackTrace()).map(f -> "\n\tat " + f)
                    .collect(Collectors.joining());
            executor.shutdownNow();
            executor = newExecutor();
            throw new AssertionError("not done within " + deadline.toMillis() + " ms; " + threadName + " is at"
                    + stack);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw (Exception) e.getCause();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
