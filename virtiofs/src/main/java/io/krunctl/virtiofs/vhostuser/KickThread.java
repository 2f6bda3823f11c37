package io.krunctl.virtiofs.vhostuser;

import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The kick thread of one started ring: runs one pass over the ring at start and after every kick
 * of the driver. A ring started without a kick fd (VHOST_USER_VRING_NOFD_MASK), or whose kick fd
 * reports an error, is polled instead. {@link #wake} makes it look at the ring again (the ring was
 * enabled) and is how {@link #stopAndJoin} reaches it while it waits.
 */
final class KickThread implements Runnable {
    private static final Logger LOG = LogManager.getLogger(KickThread.class);
    /** Poll interval of a ring without a usable kick fd. */
    private static final int NO_KICK_POLL_MILLIS = 1;

    private final int queue;
    private final EventFd wake;
    private final Fd kick;
    private final Runnable pass;
    private final QueueContext.ThreadFailure failure;
    private final Thread thread;
    private volatile boolean stopping;
    /** The stopper gave up waiting: the thread closes its wake-up eventfd itself when it ends. */
    private volatile boolean abandoned;
    private final AtomicBoolean wakeClosed = new AtomicBoolean();

    /**
     * @param queue   the queue's index, for messages
     * @param kick    the driver's kick eventfd, or null to poll; stays owned by the caller
     * @param pass    one pass over the ring; it must not throw for anything the guest does
     * @param failure told if the thread fails unexpectedly
     */
    KickThread(int queue, String name, Fd kick, Runnable pass, QueueContext.ThreadFailure failure)
            throws NativeException {
        this.queue = queue;
        this.wake = EventFd.create(EventFd.EFD_NONBLOCK);
        this.kick = kick;
        this.pass = pass;
        this.failure = failure;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this);
    }

    void start() {
        thread.start();
    }

    void wake() {
        try {
            wake.signal();
        } catch (NativeException e) {
            LOG.warn("queue {}: cannot wake the kick thread: {}", queue, e.getMessage());
        }
    }

    /**
     * Stops the thread and waits up to {@code timeout} for it to end. A thread still serving a
     * request then (a guest can make a request it judged quick a slow one, by changing it in its
     * memory between the two reads) is left to finish on its own: it looks at no ring and no kick
     * fd again, and closes its wake-up eventfd when it ends. Whoever stops the ring (QEMU's
     * GET_VRING_BASE) is never held longer than {@code timeout}.
     *
     * @return whether the thread has ended
     */
    boolean stopAndJoin(Duration timeout) {
        stopping = true;
        wake();
        boolean interrupted = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean ended = false;
        while (!ended) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                ended = thread.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (ended || !thread.isAlive()) {
            closeWake();
            return true;
        }
        LOG.warn("queue {}: the kick thread is still serving a request {} ms after the ring stopped; it will end"
                + " on its own", queue, timeout.toMillis());
        abandoned = true;
        if (!thread.isAlive()) {
            closeWake();
        }
        return false;
    }

    /** Closes the wake-up eventfd once, whether the stopper or the ending thread gets there first. */
    private void closeWake() {
        if (wakeClosed.compareAndSet(false, true)) {
            wake.close();
        }
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 2);
            fds.set(0, wake.fd(), Libc.POLLIN);
            fds.set(1, kick == null ? -1 : kick.get(), Libc.POLLIN);
            int timeout = kick == null ? NO_KICK_POLL_MILLIS : -1;
            // A ring may already hold chains when it starts or is enabled: look before waiting.
            pass.run();
            while (!stopping) {
                fds.poll(timeout);
                if (stopping) {
                    break;
                }
                if (fds.has(0, Libc.POLLIN)) {
                    EventFd.read(wake.fd());
                }
                if (fds.has(1, (short) (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL))) {
                    LOG.warn("queue {}: kick fd reported an error; polling the ring instead", queue);
                    fds.set(1, -1, (short) 0);
                    timeout = NO_KICK_POLL_MILLIS;
                } else if (fds.has(1, Libc.POLLIN)) {
                    EventFd.read(kick.get());
                }
                if (!stopping) {
                    pass.run();
                }
            }
        } catch (Throwable t) {
            if (!stopping) {
                failure.failed("kick thread of queue " + queue, t);
            }
        } finally {
            if (abandoned) {
                closeWake();
            }
        }
    }
}
