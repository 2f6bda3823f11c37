package io.krunctl.virtiofs.vhostuser;

import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.NativeException;
import io.krunctl.virtiofs.vhostuser.SplitRing.RingViolation;
import java.util.concurrent.RejectedExecutionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Device side of one split virtqueue: its vhost-user state, the kick thread that takes chains from
 * the available ring, and the used-ring side that workers complete chains into. The ring arithmetic
 * itself is {@link SplitRing}'s; everything this queue needs from its device comes in its
 * {@link QueueContext}.
 *
 * <p>Threads: the message thread changes the configuration (always while holding {@link #lock});
 * one {@link KickThread} per started queue waits on the kick eventfd, parses chains and hands them
 * to the worker pool, except the last chain pending when it will not block, which it serves itself
 * (a guest that waits for each reply then pays no thread hand-off); whoever served a chain calls
 * {@link #complete} under the lock, which also guards the call eventfd, so a call fd is never
 * written after it was swapped out and closed.
 *
 * <p>Ring states follow the vhost-user spec: stopped until SET_VRING_KICK, started until
 * GET_VRING_BASE; a started ring is processed only while enabled.
 */
final class VirtQueue {
    private static final Logger LOG = LogManager.getLogger(VirtQueue.class);
    /** Bad chains logged at WARN per queue before the rest go to DEBUG (a hostile guest can send many). */
    private static final int BAD_CHAIN_WARNINGS = 16;

    final int index;
    private final QueueContext context;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    /** Signalled when a chain completes, so a kick thread held at the in-flight bound may go on. */
    private final Condition room = lock.newCondition();

    // Negotiated features: written by the message thread, read by the kick thread and workers.
    private volatile boolean eventIdx;
    private volatile boolean indirect;

    // All fields below are guarded by lock.
    private int size;
    private boolean addressSet;
    private long descUva;
    private long availUva;
    private long usedUva;
    /** Free-running u16: the next available-ring position to take. */
    private int nextAvail;
    /** Free-running u16: the next used-ring position to fill. */
    private int nextUsed;
    private boolean enabled;
    private boolean started;
    private boolean broken;
    private int inFlight;
    /**
     * The heads of the chains taken and not completed, indexed by head: a head taken again before
     * its completion is a driver that re-publishes descriptors it gave the device, a broken ring.
     */
    private boolean[] headInFlight = new boolean[0];
    /** Set while the kick thread is being stopped: a wait for room gives up. */
    private boolean kickStopping;
    /** Bumped when the ring stops, so completions of abandoned requests are dropped. */
    private long generation;
    /** Translation of the rings into the current memory table; holds one memory reference. */
    private RingView view;
    private Fd kickFd;
    private Fd callFd;
    private Fd errFd;
    /** An interrupt was due while no call fd was set; sent as soon as one is. */
    private boolean signalPending;
    private KickThread kickThread;
    private long badChains;

    VirtQueue(int index, QueueContext context) {
        this.index = index;
        this.context = context;
    }

    // ---- configuration, called by the message thread ----

    /** SET_FEATURES (and RESET_OWNER, with 0): the virtio features the driver acked. */
    void setFeatures(long acked) {
        eventIdx = (acked & Protocol.F_EVENT_IDX) != 0;
        indirect = (acked & Protocol.F_INDIRECT_DESC) != 0;
    }

    void setSize(int num) throws VhostUserException {
        if (num <= 0 || num > Protocol.MAX_QUEUE_SIZE || Integer.bitCount(num) != 1) {
            throw new VhostUserException("queue " + index + ": size " + num + " is not a power of two in 1.."
                    + Protocol.MAX_QUEUE_SIZE);
        }
        stopIfStarted("SET_VRING_NUM");
        lock.lock();
        try {
            size = num;
            dropViewLocked();
            broken = false;
        } finally {
            lock.unlock();
        }
    }

    void setBase(int base) {
        stopIfStarted("SET_VRING_BASE");
        lock.lock();
        try {
            nextAvail = base & 0xffff;
            broken = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * SET_VRING_ADDR: translates the rings now (the memory table must be set) and re-reads
     * {@code used->idx} from guest memory, which restarts at 0 after a guest reset.
     */
    void setAddress(long desc, long used, long avail) throws VhostUserException {
        stopIfStarted("SET_VRING_ADDR");
        lock.lock();
        try {
            if (size == 0) {
                throw new VhostUserException("queue " + index + ": SET_VRING_ADDR before SET_VRING_NUM");
            }
            GuestMemory memory = context.memory().acquire();
            if (memory == null) {
                throw new VhostUserException("queue " + index + ": SET_VRING_ADDR before SET_MEM_TABLE");
            }
            RingView fresh;
            try {
                fresh = RingView.map(memory, size, desc, avail, used);
            } catch (VhostUserException e) {
                memory.release();
                throw new VhostUserException("queue " + index + ": " + e.getMessage());
            }
            dropViewLocked();
            view = fresh;
            descUva = desc;
            availUva = avail;
            usedUva = used;
            addressSet = true;
            broken = false;
            nextUsed = fresh.ring.usedIdx();
            LOG.debug("queue {}: size {}, desc 0x{}, avail 0x{}, used 0x{}, used idx {}", index, size,
                    Long.toHexString(desc), Long.toHexString(avail), Long.toHexString(used), nextUsed);
        } finally {
            lock.unlock();
        }
    }

    /** SET_VRING_KICK: installs the kick fd (null = none, poll the ring) and starts the ring. */
    void setKick(Fd fd) throws NativeException {
        stopKickThread();
        KickThread thread = new KickThread(index, context.threadPrefix() + "-kick-q" + index, fd, this::process,
                context.failure());
        lock.lock();
        try {
            Fd old = kickFd;
            kickFd = fd;
            if (old != null) {
                old.close();
            }
            started = true;
            kickStopping = false;
            kickThread = thread;
        } finally {
            lock.unlock();
        }
        thread.start();
    }

    /** SET_VRING_CALL: swaps the call fd atomically with respect to every signaller. */
    void setCall(Fd fd) {
        Fd old;
        lock.lock();
        try {
            old = callFd;
            callFd = fd;
            if (fd != null && signalPending && started) {
                signalLocked();
            }
        } finally {
            lock.unlock();
        }
        if (old != null) {
            old.close();
        }
    }

    void setErr(Fd fd) {
        Fd old;
        lock.lock();
        try {
            old = errFd;
            errFd = fd;
        } finally {
            lock.unlock();
        }
        if (old != null) {
            old.close();
        }
    }

    void setEnabled(boolean on) throws NativeException {
        KickThread thread;
        lock.lock();
        try {
            enabled = on;
            thread = kickThread;
        } finally {
            lock.unlock();
        }
        if (on && thread != null) {
            thread.wake();
        }
    }

    /** A new memory table is current: re-translate the rings on their next use. */
    void memoryChanged() {
        lock.lock();
        try {
            dropViewLocked();
            if (started && addressSet) {
                currentViewLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * GET_VRING_BASE: stops the ring, waits for the requests in flight to be completed into the used
     * ring (at most {@code drainMillis}), drops the kick and call fds, and returns the next available
     * index.
     */
    int stop(long drainMillis) {
        stopKickThread();
        Fd kick = null;
        Fd call = null;
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("queue {}: {} requests still running after {} ms; their replies will be dropped",
                            index, inFlight, drainMillis);
                    break;
                }
                try {
                    idle.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            generation++;
            inFlight = 0;
            java.util.Arrays.fill(headInFlight, false);
            started = false;
            signalPending = false;
            kick = kickFd;
            call = callFd;
            kickFd = null;
            callFd = null;
            dropViewLocked();
            return nextAvail;
        } finally {
            lock.unlock();
            if (kick != null) {
                kick.close();
            }
            if (call != null) {
                call.close();
            }
        }
    }

    /** Connection end: stops the ring and closes every fd it holds. */
    void shutdown(long drainMillis) {
        stop(drainMillis);
        setErr(null);
    }

    private void stopIfStarted(String why) {
        boolean running;
        lock.lock();
        try {
            running = started;
        } finally {
            lock.unlock();
        }
        if (running) {
            LOG.warn("queue {}: {} while the ring runs; stopping it first", index, why);
            stop(context.drainMillis());
        }
    }

    private void stopKickThread() {
        KickThread thread;
        lock.lock();
        try {
            thread = kickThread;
            kickThread = null;
            kickStopping = true;
            room.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            thread.stopAndJoin(Duration.ofMillis(context.drainMillis()));
        }
    }

    // ---- ring processing ----

    private void dropViewLocked() {
        if (view != null) {
            RingView old = view;
            view = null;
            old.memory.release();
        }
    }

    /** The ring translation for the current memory table, made on demand; null if unavailable. */
    private RingView currentViewLocked() {
        if (view != null) {
            return view;
        }
        if (!addressSet || size == 0) {
            return null;
        }
        GuestMemory memory = context.memory().acquire();
        if (memory == null) {
            return null;
        }
        try {
            view = RingView.map(memory, size, descUva, availUva, usedUva);
        } catch (VhostUserException e) {
            memory.release();
            markBrokenLocked("rings not in the new memory table: " + e.getMessage());
            return null;
        }
        return view;
    }

    private void markBrokenLocked(String reason) {
        if (broken) {
            return;
        }
        broken = true;
        LOG.error("virtio-fs queue {} is broken and stops serving until the guest resets it: {}", index, reason);
        if (errFd != null) {
            try {
                EventFd.write(errFd.get(), 1);
            } catch (NativeException e) {
                LOG.warn("queue {}: cannot signal the error eventfd: {}", index, e.getMessage());
            }
        }
    }

    /** One pass of the kick thread: takes every available chain, then re-arms notifications. */
    private void process() {
        RingView view;
        int avail;
        long gen;
        lock.lock();
        try {
            if (!started || !enabled || broken) {
                return;
            }
            view = currentViewLocked();
            if (view == null) {
                return;
            }
            view.memory.retain();
            avail = nextAvail;
            gen = generation;
        } finally {
            lock.unlock();
        }
        try {
            boolean eventIdx = this.eventIdx;
            boolean indirect = this.indirect;
            SplitRing ring = view.ring;
            do {
                ring.suppressKicks(eventIdx);
                while (ring.available(avail) > 0) {
                    if (!awaitRoom(gen)) {
                        return;
                    }
                    int head = ring.head(avail);
                    avail = SplitRing.next(avail);
                    dispatch(view, head, avail, gen, indirect, ring.drained(avail));
                }
            } while (ring.rearmKicks(avail, eventIdx));
        } catch (RingViolation e) {
            breakRing(e.getMessage());
        } finally {
            view.memory.release();
        }
    }

    /**
     * Holds the kick thread while {@link QueueContext#maxInFlight} chains are taken and not completed,
     * so a guest that publishes faster than requests finish (behind a slow fsync, say) waits in its
     * own ring instead of growing the device's heap.
     *
     * @return false if the ring stopped, broke or is being stopped while it waited
     */
    private boolean awaitRoom(long gen) {
        lock.lock();
        try {
            while (inFlight >= context.maxInFlight()) {
                if (kickStopping || broken || gen != generation) {
                    return false;
                }
                room.awaitUninterruptibly();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void breakRing(String reason) {
        lock.lock();
        try {
            markBrokenLocked(reason);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the chain at {@code head}: refuses it if it is malformed, serves it on this thread if it
     * is the last one pending and the handler finds it quick, and otherwise hands it to a worker.
     */
    private void dispatch(RingView view, int head, int newNextAvail, long gen, boolean indirect, boolean last) {
        DescriptorChain chain = null;
        String bad = null;
        try {
            chain = DescriptorChain.parse(view, head, indirect);
        } catch (DescriptorChain.BadChainException e) {
            bad = e.getMessage();
        }
        lock.lock();
        try {
            if (gen != generation) {
                return;
            }
            nextAvail = newNextAvail;
            if (headInFlight.length != view.ring.size) {
                headInFlight = new boolean[view.ring.size];
            }
            if (headInFlight[head]) {
                markBrokenLocked("descriptor chain " + head + " was made available again while the device still"
                        + " holds it");
                return;
            }
            headInFlight[head] = true;
            inFlight++;
        } finally {
            lock.unlock();
        }
        if (chain == null) {
            badChains++;
            if (badChains <= BAD_CHAIN_WARNINGS) {
                LOG.warn("queue {}: refusing descriptor chain {} (used length 0): {}", index, head, bad);
            } else {
                LOG.debug("queue {}: refusing descriptor chain {} (used length 0): {}", index, head, bad);
            }
            complete(head, 0, gen);
            return;
        }
        view.memory.retain();
        DescriptorChain request = chain;
        if (last && serve(request, view.memory, head, gen, true)) {
            return;
        }
        try {
            context.workers().execute(() -> serve(request, view.memory, head, gen, false));
        } catch (RejectedExecutionException e) {
            view.memory.release();
            complete(head, 0, gen);
        }
    }

    /**
     * Serves {@code chain} on this thread: all of it, or with {@code onlyIfQuick} only if the handler
     * finds it quick. {@code false}, with the chain untouched and the memory still held, when the
     * handler leaves it for a worker.
     */
    private boolean serve(DescriptorChain chain, GuestMemory memory, int head, long gen, boolean onlyIfQuick) {
        RequestHandler handler = context.handler();
        int written;
        try {
            written = onlyIfQuick ? handler.handleIfQuick(chain.request(), chain.reply())
                    : handler.handle(chain.request(), chain.reply());
            if (onlyIfQuick && written == RequestHandler.WOULD_BLOCK) {
                return false;
            }
            written = checkedLength(written, chain);
        } catch (Throwable t) {
            LOG.error("queue {}: request handler failed; answering with used length 0", index, t);
            written = 0;
        }
        memory.release();
        complete(head, written, gen);
        return true;
    }

    /** {@code written} if the reply area holds it; else logged, and clamped to the area. */
    private int checkedLength(int written, DescriptorChain chain) {
        if (written < 0 || written > chain.reply().size()) {
            LOG.error("queue {}: handler reported {} bytes written into a reply area of {} bytes", index,
                    written, chain.reply().size());
            return (int) Math.min(Math.max(written, 0), chain.reply().size());
        }
        return written;
    }

    /** Puts {@code (head, length)} on the used ring and signals the guest if it asked to be. */
    private void complete(int head, int length, long gen) {
        lock.lock();
        try {
            if (gen != generation) {
                LOG.debug("queue {}: dropping the completion of chain {} from before the ring stopped", index, head);
                return;
            }
            inFlight--;
            headInFlight[head] = false;
            room.signalAll();
            if (inFlight == 0) {
                idle.signalAll();
            }
            RingView view = currentViewLocked();
            if (view == null || broken) {
                return;
            }
            boolean notify = view.ring.putUsed(nextUsed, head, length, eventIdx);
            nextUsed = SplitRing.next(nextUsed);
            if (notify) {
                signalLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    private void signalLocked() {
        if (callFd == null) {
            signalPending = true;
            return;
        }
        signalPending = false;
        try {
            EventFd.write(callFd.get(), 1);
        } catch (NativeException e) {
            LOG.warn("queue {}: cannot signal the call eventfd: {}", index, e.getMessage());
        }
    }
}
