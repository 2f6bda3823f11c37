package io.krunctl.virtiofs.vhostuser;

import io.krunctl.nativeio.Errno;
import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import io.krunctl.nativeio.UnixSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The virtio-fs device as a vhost-user back-end: QEMU ({@code -device vhost-user-fs-pci}) connects
 * to a unix socket this class listens on, shares guest RAM ({@code memory-backend-memfd,share=on})
 * and hands over the virtqueues; this class serves every descriptor chain with a
 * {@link RequestHandler}.
 *
 * <h2>Lifecycle and threads</h2>
 * <ul>
 *   <li>{@link #listen} binds and listens at once (QEMU is the client and must find the socket when
 *       it starts) and starts the message thread {@code vhost-user-fs[NAME]-msg}, which accepts one
 *       connection, closes the listening socket and runs the vhost-user message loop.</li>
 *   <li>Each started queue has a kick thread {@code ...-kick-qN}; a pool of {@code workerThreads}
 *       platform threads {@code ...-worker-N} runs the handler.</li>
 *   <li>When the connection ends without the device ending it (QEMU exits, or the socket is shut
 *       down or reset under it), everything is stopped in order: kick threads, requests in flight,
 *       workers; memory is unmapped and fds closed. {@link #disconnected} says why and
 *       {@link #awaitTermination} observes the end. The device cannot tell QEMU exiting from a
 *       connection lost under a running QEMU: the launcher, which watches QEMU, can.</li>
 *   <li>A protocol error (malformed message, impossible state) or an internal failure calls
 *       {@code onFatal} once, on the message thread, and ends the connection the same way; the
 *       launcher is expected to stop QEMU. {@code onFatal} may call {@link #close()}.</li>
 *   <li>{@link #close()} ends the connection (if any), waits for every thread, and deletes the
 *       socket file. It is idempotent.</li>
 * </ul>
 *
 * <h2>What is offered</h2>
 * Virtio features VERSION_1, RING_INDIRECT_DESC, RING_EVENT_IDX (plus vhost-user's
 * PROTOCOL_FEATURES bit 30); protocol features MQ and REPLY_ACK; up to {@link #MAX_QUEUES} split
 * virtqueues (queue 0 hiprio, the rest request queues). Memory comes through SET_MEM_TABLE (up to 8
 * regions), replaceable at any time.
 */
public final class VhostUserFsBackend implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(VhostUserFsBackend.class);

    public static final int DEFAULT_WORKER_THREADS = 2;
    /** Queues the backend accepts (GET_QUEUE_NUM): hiprio plus up to 7 request queues. */
    public static final int MAX_QUEUES = 8;
    /** How long GET_VRING_BASE and shutdown wait for requests in flight. */
    private static final long DRAIN_MILLIS = 10_000;
    private static final long CLOSE_JOIN_MILLIS = 30_000;
    /**
     * Chains of one ring that may be taken and not yet completed. A chain's request and reply take
     * up to about 52 KiB of heap (1,024 descriptors), so this bounds a ring's share at about 13 MiB,
     * while leaving far more requests in flight than the worker pool serves at once.
     */
    static final int MAX_IN_FLIGHT = 256;

    private final Path socketPath;
    private final RequestHandler handler;
    private final Consumer<Throwable> onFatal;
    private final String threadPrefix;
    private final Fd listenFd;
    private final EventFd stop;
    private final ThreadPoolExecutor workers;
    private final VirtQueue[] queues = new VirtQueue[MAX_QUEUES];
    private final MemoryTable memory = new MemoryTable();
    private final AtomicReference<Throwable> internalFailure = new AtomicReference<>();
    private final AtomicBoolean fatalReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set by {@link #close} when the message thread itself calls it (through onFatal, say). */
    private volatile boolean closedFromMessageThread;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final CompletableFuture<String> disconnected = new CompletableFuture<>();
    private final Thread messageThread;
    /** How long stopping a ring, and the device, waits for requests in flight. */
    private final long drainMillis;

    private volatile long ackedProtocolFeatures;

    private VhostUserFsBackend(Path socketPath, RequestHandler handler, int workerThreads, int maxInFlight,
            long drainMillis, Consumer<Throwable> onFatal, Fd listenFd, EventFd stop) {
        this.socketPath = socketPath;
        this.handler = handler;
        this.onFatal = onFatal;
        this.listenFd = listenFd;
        this.stop = stop;
        Path name = socketPath.getFileName();
        this.threadPrefix = "vhost-user-fs[" + (name == null ? socketPath : name) + "]";
        AtomicInteger workerNumber = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(workerThreads, workerThreads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name(threadPrefix + "-worker-" + workerNumber.incrementAndGet())
                        .daemon(true).unstarted(r));
        this.drainMillis = drainMillis;
        QueueContext context = new QueueContext(memory, handler, workers, threadPrefix, drainMillis, maxInFlight,
                this::internalError);
        for (int i = 0; i < MAX_QUEUES; i++) {
            queues[i] = new VirtQueue(i, context);
        }
        this.messageThread = Thread.ofPlatform().name(threadPrefix + "-msg").daemon(true).unstarted(this::run);
    }

    /**
     * Binds {@code socketPath} (which must not exist), listens, and starts waiting for the
     * front-end's connection on a new thread.
     *
     * @param handler       serves every descriptor chain, from {@code workerThreads} threads
     * @param workerThreads size of the worker pool (at least 1)
     * @param onFatal       told, once, why the device gave up (protocol error or internal failure)
     */
    public static VhostUserFsBackend listen(Path socketPath, RequestHandler handler, int workerThreads,
            Consumer<Throwable> onFatal) throws IOException {
        return listen(socketPath, handler, workerThreads, MAX_IN_FLIGHT, DRAIN_MILLIS, onFatal);
    }

    /**
     * As {@link #listen(Path, RequestHandler, int, Consumer)}, with another bound on each ring's
     * chains in flight and another wait for them when a ring stops.
     */
    static VhostUserFsBackend listen(Path socketPath, RequestHandler handler, int workerThreads, int maxInFlight,
            long drainMillis, Consumer<Throwable> onFatal) throws IOException {
        Objects.requireNonNull(socketPath, "socketPath");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onFatal, "onFatal");
        if (workerThreads < 1) {
            throw new IllegalArgumentException("workerThreads must be at least 1: " + workerThreads);
        }
        EventFd stop = EventFd.create(EventFd.EFD_NONBLOCK);
        Fd listenFd;
        try {
            listenFd = UnixSocket.listen(socketPath, 1);
        } catch (IOException e) {
            stop.close();
            throw e;
        }
        VhostUserFsBackend backend = new VhostUserFsBackend(socketPath, handler, workerThreads, maxInFlight,
                drainMillis, onFatal, listenFd, stop);
        backend.messageThread.start();
        LOG.debug("vhost-user-fs backend listening on {}", socketPath);
        return backend;
    }

    /** {@link #listen(Path, RequestHandler, int, Consumer)} with {@link #DEFAULT_WORKER_THREADS}. */
    public static VhostUserFsBackend listen(Path socketPath, RequestHandler handler, Consumer<Throwable> onFatal)
            throws IOException {
        return listen(socketPath, handler, DEFAULT_WORKER_THREADS, onFatal);
    }

    public Path socketPath() {
        return socketPath;
    }

    /**
     * Waits until the connection has ended (front-end closed it, a fatal error, or {@link #close()})
     * and every device thread has stopped (or been told to); true if that happened in time.
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Completes, with why in a few words, when the front-end's connection ends without this device
     * ending it: at end of file or a reset on the socket. Never completes when {@link #close()} or a
     * fatal error (reported to {@code onFatal}) ends it, nor before a front-end connected.
     */
    public CompletableFuture<String> disconnected() {
        return disconnected.copy();
    }

    /** Stops everything, closes every fd, unmaps guest memory and deletes the socket file. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closedFromMessageThread = Thread.currentThread() == messageThread;
        try {
            stop.signal();
        } catch (NativeException e) {
            LOG.warn("cannot signal the vhost-user message thread to stop: {}", e.getMessage());
        }
        if (Thread.currentThread() != messageThread) {
            boolean interrupted = false;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MILLIS);
            while (messageThread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    messageThread.join(Duration.ofNanos(left));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (messageThread.isAlive()) {
                LOG.error("vhost-user message thread did not stop within {} ms", CLOSE_JOIN_MILLIS);
            } else {
                stop.close();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.warn("cannot delete vhost-user socket {}: {}", socketPath, e.getMessage());
        }
    }

    /** A device thread failed unexpectedly: end the connection and report it from the message thread. */
    private void internalError(String where, Throwable t) {
        LOG.error("vhost-user-fs {} failed", where, t);
        internalFailure.compareAndSet(null, new IllegalStateException(where + " failed: " + t, t));
        try {
            stop.signal();
        } catch (NativeException e) {
            LOG.error("cannot stop the vhost-user message thread: {}", e.getMessage());
        }
    }

    // ---- message thread ----

    private void run() {
        try {
            Fd conn = acceptConnection();
            if (conn != null) {
                try (conn; Arena arena = Arena.ofConfined()) {
                    serve(conn, arena);
                    connectionEnded("end of file on the vhost-user socket");
                } catch (NativeException e) {
                    if (e.errno() != Errno.ECONNRESET && e.errno() != Errno.EPIPE) {
                        throw e;
                    }
                    // AF_UNIX reports a peer that closed with our reply unread as a reset.
                    connectionEnded("the vhost-user socket was reset: " + e.getMessage());
                }
            }
        } catch (Throwable t) {
            reportFatal(t);
        } finally {
            Throwable failure = internalFailure.get();
            if (failure != null) {
                reportFatal(failure);
            }
            teardown();
            terminated.countDown();
            // Only when the close came from this thread: another closer signals the eventfd first
            // and closes it itself after joining, and closing it here raced with that signal.
            if (closedFromMessageThread) {
                stop.close();
            }
        }
    }

    /** Whether {@link #close()} or a device thread's failure, not the socket, ended the message loop. */
    private boolean stopRequested() {
        return closed.get() || internalFailure.get() != null;
    }

    /** The socket ended the message loop, unless the device was stopping anyway. */
    private void connectionEnded(String why) {
        if (stopRequested()) {
            return;
        }
        LOG.debug("vhost-user connection on {} ended: {}", socketPath, why);
        disconnected.complete(why);
    }

    private Fd acceptConnection() throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 2);
            fds.set(0, listenFd.get(), Libc.POLLIN);
            fds.set(1, stop.fd(), Libc.POLLIN);
            fds.poll(-1);
            if (fds.has(1, Libc.POLLIN)) {
                return null;
            }
            Fd conn = UnixSocket.accept(listenFd.get(), 0);
            listenFd.close();
            LOG.debug("vhost-user front-end connected on {}", socketPath);
            return conn;
        }
    }

    private void teardown() {
        for (VirtQueue q : queues) {
            try {
                q.shutdown(drainMillis);
            } catch (Throwable t) {
                LOG.error("stopping queue {} failed", q.index, t);
            }
        }
        GuestMemory m = memory.replace(null);
        if (m != null) {
            m.release();
        }
        listenFd.close();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(drainMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("vhost-user-fs workers still busy after {} ms; interrupting them", drainMillis);
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.debug("vhost-user-fs backend on {} stopped", socketPath);
    }

    private void reportFatal(Throwable t) {
        if (closed.get() && !(t instanceof VhostUserException)) {
            LOG.debug("error while closing: {}", t.toString());
            return;
        }
        if (!fatalReported.compareAndSet(false, true)) {
            return;
        }
        LOG.error("vhost-user-fs device on {} gives up: {}", socketPath, t.getMessage(), t);
        try {
            onFatal.accept(t);
        } catch (Throwable callbackFailure) {
            LOG.error("onFatal callback failed", callbackFailure);
        }
    }

    /** The message loop of one connection; returns at end of file or when asked to stop. */
    private void serve(Fd conn, Arena arena) throws IOException {
        Channel c = new Channel(conn.get(), stop.fd(), arena);
        while (true) {
            Message m = c.read();
            if (m == null) {
                return;
            }
            try (m) {
                if (LOG.isDebugEnabled()) {
                    LOG.debug("<- {} flags=0x{} size={} fds={}", m.name(), Integer.toHexString(m.flags), m.size(),
                            m.fdCount());
                }
                boolean replied;
                try {
                    replied = dispatch(m, c);
                } catch (VhostUserException e) {
                    if (m.needReply()) {
                        c.trySendU64(m.request, 1);
                    }
                    throw e;
                }
                if (!replied && m.needReply()) {
                    c.sendU64(m.request, 0);
                }
            }
        }
    }

    /** Handles one message; true if it sent its own reply (so no REPLY_ACK is due). */
    private boolean dispatch(Message m, Channel c) throws IOException {
        switch (m.request) {
            case Protocol.GET_FEATURES -> {
                c.sendU64(m.request, Protocol.OFFERED_FEATURES);
                return true;
            }
            case Protocol.SET_FEATURES -> setFeatures(m.u64());
            case Protocol.SET_OWNER -> LOG.debug("front-end took ownership");
            case Protocol.RESET_OWNER -> {
                LOG.warn("front-end sent RESET_OWNER: stopping every ring");
                for (VirtQueue q : queues) {
                    q.stop(drainMillis);
                    q.setFeatures(0);
                }
            }
            case Protocol.SET_MEM_TABLE -> setMemTable(m);
            case Protocol.SET_VRING_NUM -> {
                m.expectSize(Protocol.STATE_SIZE);
                queue(m.u32(0)).setSize(m.u32(4));
            }
            case Protocol.SET_VRING_ADDR -> {
                m.expectSize(Protocol.ADDR_SIZE);
                VirtQueue q = queue(m.u32(0));
                int flags = m.u32(4);
                if ((flags & 1) != 0) {
                    LOG.warn("queue {}: dirty logging requested but not offered; ignored", q.index);
                }
                q.setAddress(m.u64(8), m.u64(16), m.u64(24));
            }
            case Protocol.SET_VRING_BASE -> {
                m.expectSize(Protocol.STATE_SIZE);
                VirtQueue q = queue(m.u32(0));
                int base = m.u32(4);
                if (base < 0 || base > 0xffff) {
                    throw new VhostUserException("queue " + q.index + ": base " + Integer.toUnsignedString(base)
                            + " is not a split-ring index");
                }
                q.setBase(base);
            }
            case Protocol.GET_VRING_BASE -> {
                m.expectSize(Protocol.STATE_SIZE);
                VirtQueue q = queue(m.u32(0));
                int base = q.stop(drainMillis);
                c.sendState(m.request, q.index, base);
                return true;
            }
            case Protocol.SET_VRING_KICK, Protocol.SET_VRING_CALL, Protocol.SET_VRING_ERR -> vringFd(m);
            case Protocol.GET_PROTOCOL_FEATURES -> {
                c.sendU64(m.request, Protocol.OFFERED_PROTOCOL_FEATURES);
                return true;
            }
            case Protocol.SET_PROTOCOL_FEATURES -> {
                long f = m.u64();
                if ((f & ~Protocol.OFFERED_PROTOCOL_FEATURES) != 0) {
                    throw new VhostUserException("front-end acked protocol features 0x" + Long.toHexString(f)
                            + " beyond the offered 0x" + Long.toHexString(Protocol.OFFERED_PROTOCOL_FEATURES));
                }
                ackedProtocolFeatures = f;
            }
            case Protocol.GET_QUEUE_NUM -> {
                c.sendU64(m.request, MAX_QUEUES);
                return true;
            }
            case Protocol.SET_VRING_ENABLE -> {
                m.expectSize(Protocol.STATE_SIZE);
                VirtQueue q = queue(m.u32(0));
                int on = m.u32(4);
                if (on != 0 && on != 1) {
                    throw new VhostUserException("queue " + q.index + ": SET_VRING_ENABLE with " + on);
                }
                q.setEnabled(on == 1);
            }
            case Protocol.SET_LOG_BASE, Protocol.GET_CONFIG, Protocol.GET_INFLIGHT_FD, Protocol.GET_MAX_MEM_SLOTS,
                    Protocol.GET_STATUS, Protocol.POSTCOPY_ADVISE, Protocol.CREATE_CRYPTO_SESSION ->
                // The front-end would wait for a reply body this backend cannot give.
                throw new VhostUserException(m.name() + " needs a feature this backend did not offer");
            default -> {
                if (m.needReply()) {
                    LOG.warn("unsupported vhost-user request {}; answering with failure", m.name());
                    c.sendU64(m.request, 1);
                    return true;
                }
                LOG.warn("ignoring unsupported vhost-user request {}", m.name());
            }
        }
        return false;
    }

    private VirtQueue queue(int index) throws VhostUserException {
        if (index < 0 || index >= MAX_QUEUES) {
            throw new VhostUserException("queue index " + Integer.toUnsignedString(index) + " beyond the "
                    + MAX_QUEUES + " queues offered");
        }
        return queues[index];
    }

    private void setFeatures(long features) throws VhostUserException, NativeException {
        long unknown = features & ~Protocol.OFFERED_FEATURES;
        if (unknown != 0) {
            throw new VhostUserException("front-end acked features 0x" + Long.toHexString(unknown)
                    + " that were not offered");
        }
        if ((features & Protocol.F_VERSION_1) == 0) {
            LOG.warn("the guest driver did not accept VIRTIO_F_VERSION_1 (a legacy virtio transport; on microvm "
                    + "pass -global virtio-mmio.force-legacy=false)");
        }
        for (VirtQueue q : queues) {
            q.setFeatures(features);
        }
        LOG.debug("features 0x{} acked", Long.toHexString(features));
        if ((features & Protocol.F_PROTOCOL_FEATURES) == 0) {
            // Without VHOST_USER_F_PROTOCOL_FEATURES rings are enabled from the start.
            for (VirtQueue q : queues) {
                q.setEnabled(true);
            }
        }
    }

    private void setMemTable(Message m) throws VhostUserException {
        if (m.size() < Protocol.MEM_TABLE_HEADER) {
            throw new VhostUserException("SET_MEM_TABLE: payload of " + m.size() + " bytes");
        }
        int n = m.u32(0);
        if (n < 1 || n > Protocol.MAX_MEM_REGIONS) {
            throw new VhostUserException("SET_MEM_TABLE with " + Integer.toUnsignedString(n) + " regions");
        }
        m.expectSize(Protocol.MEM_TABLE_HEADER + Protocol.MEM_REGION_SIZE * n);
        List<GuestMemory.RegionSpec> specs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long base = Protocol.MEM_TABLE_HEADER + (long) Protocol.MEM_REGION_SIZE * i;
            specs.add(new GuestMemory.RegionSpec(m.u64(base), m.u64(base + 8), m.u64(base + 16), m.u64(base + 24)));
        }
        GuestMemory fresh = GuestMemory.map(specs, m.peekFds());
        // The mappings keep the memory; the descriptors are closed with the message.
        GuestMemory old = memory.replace(fresh);
        for (VirtQueue q : queues) {
            q.memoryChanged();
        }
        if (old != null) {
            old.release();
        }
        LOG.debug("memory table: {}", fresh);
    }

    private void vringFd(Message m) throws VhostUserException, NativeException {
        long v = m.u64();
        VirtQueue q = queue((int) (v & Protocol.VRING_INDEX_MASK));
        Fd fd = null;
        if ((v & Protocol.VRING_NOFD) != 0) {
            if (m.fdCount() > 0) {
                LOG.warn("{} for queue {} has the no-fd flag but carries {} fds; closing them", m.name(), q.index,
                        m.fdCount());
            }
        } else {
            if (m.fdCount() != 1) {
                throw new VhostUserException(m.name() + " for queue " + q.index + " carries " + m.fdCount()
                        + " fds, expected 1");
            }
            fd = m.takeFd(0);
        }
        switch (m.request) {
            case Protocol.SET_VRING_KICK -> q.setKick(fd);
            case Protocol.SET_VRING_CALL -> q.setCall(fd);
            default -> q.setErr(fd);
        }
    }
}
