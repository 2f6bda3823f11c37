package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import io.krunctl.nativeio.UnixSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Plays QEMU's part against a vhost-user backend, over the backend's real unix socket: it sends the
 * message sequence QEMU 7.2 sends to vhost-user-fs, owns a memfd "guest RAM" shared with the
 * backend, lays out split virtqueues in it, posts descriptor chains, kicks, waits on the call
 * eventfd and reads the used ring, following the driver side of the virtio notification rules
 * (EVENT_IDX or flags) exactly, so a backend that suppresses one notification too many hangs here.
 *
 * <p>Guest-physical addresses start at {@link #GPA_BASE}; the "QEMU virtual addresses" sent for the
 * rings are the real addresses of this front-end's own mapping, and the region sits at a non-zero
 * offset inside the memfd, so a backend that mixes up the three address kinds fails.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (TestFrontEnd fe = TestFrontEnd.connect(socket, 4 << 20)) {
 *     fe.handshake();
 *     fe.start(TestFrontEnd.DEFAULT_GUEST_FEATURES, 256, 0, 1);
 *     TestFrontEnd.Completion c = fe.queue(1).call(requestBytes, 4096, Duration.ofSeconds(5));
 * }
 * }</pre>
 * Not thread-safe: drive one front-end (and each of its queues) from one thread at a time.
 */
public final class TestFrontEnd implements AutoCloseable {
    public static final int GET_FEATURES = 1;
    public static final int SET_FEATURES = 2;
    public static final int SET_OWNER = 3;
    public static final int SET_MEM_TABLE = 5;
    public static final int SET_VRING_NUM = 8;
    public static final int SET_VRING_ADDR = 9;
    public static final int SET_VRING_BASE = 10;
    public static final int GET_VRING_BASE = 11;
    public static final int SET_VRING_KICK = 12;
    public static final int SET_VRING_CALL = 13;
    public static final int SET_VRING_ERR = 14;
    public static final int GET_PROTOCOL_FEATURES = 15;
    public static final int SET_PROTOCOL_FEATURES = 16;
    public static final int GET_QUEUE_NUM = 17;
    public static final int SET_VRING_ENABLE = 18;

    public static final int FLAGS = 0x1;
    public static final int FLAGS_NEED_REPLY = 0x9;
    public static final int REPLY_FLAGS = 0x5;
    public static final long VRING_NOFD = 0x100;

    public static final long F_INDIRECT_DESC = 1L << 28;
    public static final long F_EVENT_IDX = 1L << 29;
    public static final long F_PROTOCOL_FEATURES = 1L << 30;
    public static final long F_VERSION_1 = 1L << 32;
    /** What the Linux virtio-fs driver acks of this backend's offer, as QEMU forwards it. */
    public static final long DEFAULT_GUEST_FEATURES = F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX | F_PROTOCOL_FEATURES;

    public static final long PF_MQ = 1L;
    public static final long PF_REPLY_ACK = 1L << 3;

    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;

    /** Guest-physical address of the first byte of guest RAM. */
    public static final long GPA_BASE = 0x4000_0000L;
    /** Where guest RAM starts inside the memfd (SET_MEM_TABLE's mmap_offset). */
    public static final long MMAP_OFFSET = 0x10000L;

    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    private static final VarHandle U16 = ValueLayout.JAVA_SHORT.varHandle();

    private final Fd socket;
    private final Arena arena;
    private final Fd memfd;
    private final MemorySegment ram;
    private final long ramSize;
    private long allocated;
    private long negotiatedFeatures;
    private final Map<Integer, Queue> queues = new HashMap<>();

    private TestFrontEnd(Arena arena, Fd socket, Fd memfd, MemorySegment ram, long ramSize) {
        this.arena = arena;
        this.socket = socket;
        this.memfd = memfd;
        this.ram = ram;
        this.ramSize = ramSize;
    }

    /** Connects to the backend at {@code socketPath} with {@code ramSize} bytes of guest RAM. */
    public static TestFrontEnd connect(Path socketPath, long ramSize) throws IOException {
        Arena arena = Arena.ofShared();
        Fd memfd = null;
        Fd socket = null;
        try {
            memfd = Fd.adopt(Libc.memfdCreate("test-guest-ram", Libc.MFD_CLOEXEC));
            Libc.ftruncate(memfd.get(), MMAP_OFFSET + ramSize);
            MemorySegment whole = Libc.mmap(MMAP_OFFSET + ramSize, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_SHARED, memfd.get(), 0, arena);
            socket = UnixSocket.connect(socketPath);
            return new TestFrontEnd(arena, socket, memfd, whole.asSlice(MMAP_OFFSET, ramSize), ramSize);
        } catch (IOException | RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            if (memfd != null) {
                memfd.close();
            }
            arena.close();
            throw e;
        }
    }

    @Override
    public void close() {
        for (Queue q : queues.values()) {
            q.closeFds();
        }
        socket.close();
        memfd.close();
        arena.close();
    }

    /** Closes only the socket, as QEMU exiting does. */
    public void closeSocket() {
        socket.close();
    }

    // ---- raw protocol ----

    /** A reply from the backend; its flags were checked to be exactly 0x5. */
    public record Reply(int request, int flags, byte[] payload) {
        public long u64() {
            if (payload.length != 8) {
                throw new AssertionError("reply payload of " + payload.length + " bytes, expected 8");
            }
            return MemorySegment.ofArray(payload).get(JAVA_LONG_UNALIGNED, 0);
        }

        public int stateIndex() {
            return MemorySegment.ofArray(payload).get(JAVA_INT_UNALIGNED, 0);
        }

        public int stateNum() {
            return MemorySegment.ofArray(payload).get(JAVA_INT_UNALIGNED, 4);
        }
    }

    /** Sends one message (header and payload in one {@code sendmsg}, fds attached), like QEMU. */
    public void send(int request, int flags, byte[] payload, int... fds) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(12L + payload.length, 8);
            msg.set(JAVA_INT, 0, request);
            msg.set(JAVA_INT, 4, flags);
            msg.set(JAVA_INT, 8, payload.length);
            MemorySegment.copy(MemorySegment.ofArray(payload), 0, msg, 12, payload.length);
            UnixSocket.sendAll(socket.get(), msg, fds);
        }
    }

    /** Reads one reply, checking {@code request} and flags == 0x5. */
    public Reply readReply(int expectedRequest) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = a.allocate(12, 8);
            readFully(header);
            int request = header.get(JAVA_INT, 0);
            int flags = header.get(JAVA_INT, 4);
            int size = header.get(JAVA_INT, 8);
            if (request != expectedRequest) {
                throw new AssertionError("reply to request " + request + ", expected " + expectedRequest);
            }
            if (flags != REPLY_FLAGS) {
                throw new AssertionError("reply flags 0x" + Integer.toHexString(flags) + ", expected exactly 0x5");
            }
            if (size < 0 || size > 4096) {
                throw new AssertionError("reply size " + size);
            }
            MemorySegment body = a.allocate(Math.max(size, 1));
            if (size > 0) {
                readFully(body.asSlice(0, size));
            }
            return new Reply(request, flags, body.asSlice(0, size).toArray(JAVA_BYTE));
        }
    }

    /** True if the backend closed the connection (reads end of file within {@code timeout}). */
    public boolean awaitEof(Duration timeout) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            if (!awaitReadable(socket.get(), timeout)) {
                return false;
            }
            try {
                return UnixSocket.recv(socket.get(), a.allocate(64), UnixSocket.MSG_DONTWAIT) == 0;
            } catch (NativeException e) {
                // The backend closed with unread data in its buffer: the kernel resets instead.
                if (e.errno() == io.krunctl.nativeio.Errno.ECONNRESET) {
                    return true;
                }
                throw e;
            }
        }
    }

    private void readFully(MemorySegment dst) throws IOException {
        long done = 0;
        while (done < dst.byteSize()) {
            if (!awaitReadable(socket.get(), REPLY_TIMEOUT)) {
                throw new AssertionError("no reply from the backend within " + REPLY_TIMEOUT);
            }
            long n = UnixSocket.recv(socket.get(), dst.asSlice(done), 0);
            if (n == 0) {
                throw new IOException("backend closed the connection");
            }
            done += n;
        }
    }

    private static boolean awaitReadable(int fd, Duration timeout) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            PollFds p = new PollFds(a, 1);
            p.set(0, fd, Libc.POLLIN);
            return p.poll((int) timeout.toMillis()) > 0;
        }
    }

    public static byte[] u64(long v) {
        byte[] b = new byte[8];
        MemorySegment.ofArray(b).set(JAVA_LONG_UNALIGNED, 0, v);
        return b;
    }

    public static byte[] state(int index, int num) {
        byte[] b = new byte[8];
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(JAVA_INT_UNALIGNED, 0, index);
        s.set(JAVA_INT_UNALIGNED, 4, num);
        return b;
    }

    /** Sends a request without payload that has a u64 reply (GET_FEATURES and the like). */
    public long getU64(int request) throws IOException {
        send(request, FLAGS, new byte[0]);
        return readReply(request).u64();
    }

    /** Sends {@code payload} with NEED_REPLY and returns the REPLY_ACK value (0 = success). */
    public long sendWithAck(int request, byte[] payload, int... fds) throws IOException {
        send(request, FLAGS_NEED_REPLY, payload, fds);
        return readReply(request).u64();
    }

    // ---- QEMU's sequences ----

    /**
     * Sequence A of QEMU 7.2 (device realize): GET_FEATURES, GET/SET_PROTOCOL_FEATURES (MQ |
     * REPLY_ACK of what is offered), GET_QUEUE_NUM, SET_OWNER, GET_FEATURES. Returns the features
     * the backend offered.
     */
    public long handshake() throws IOException {
        long features = getU64(GET_FEATURES);
        if ((features & F_PROTOCOL_FEATURES) != 0) {
            long pf = getU64(GET_PROTOCOL_FEATURES);
            send(SET_PROTOCOL_FEATURES, FLAGS, u64(pf & (PF_MQ | PF_REPLY_ACK)));
            if ((pf & PF_MQ) != 0) {
                getU64(GET_QUEUE_NUM);
            }
        }
        send(SET_OWNER, FLAGS, new byte[0]);
        return getU64(GET_FEATURES);
    }

    /**
     * Sequence B (driver OK): SET_FEATURES, SET_MEM_TABLE, then for each queue SET_VRING_NUM/BASE/
     * ADDR/KICK and SET_VRING_CALL, then SET_VRING_ENABLE for each.
     */
    public void start(long features, int queueSize, int... queueIndexes) throws IOException {
        setFeatures(features);
        long ack = setMemTable(1);
        if (ack != 0) {
            throw new AssertionError("SET_MEM_TABLE failed: " + ack);
        }
        for (int q : queueIndexes) {
            setUpQueue(q, queueSize, 0);
        }
        if ((features & F_PROTOCOL_FEATURES) != 0) {
            for (int q : queueIndexes) {
                enable(q, true);
            }
        }
    }

    public void setFeatures(long features) throws IOException {
        negotiatedFeatures = features;
        send(SET_FEATURES, FLAGS, u64(features));
    }

    public long negotiatedFeatures() {
        return negotiatedFeatures;
    }

    /**
     * SET_MEM_TABLE describing guest RAM as {@code regions} equal, adjacent regions (each with its
     * own fd, like QEMU sends), with NEED_REPLY; returns the ack.
     */
    public long setMemTable(int regions) throws IOException {
        if (regions < 1 || ramSize % regions != 0) {
            throw new IllegalArgumentException("cannot split RAM into " + regions + " regions");
        }
        long part = ramSize / regions;
        byte[] payload = new byte[8 + 32 * regions];
        MemorySegment p = MemorySegment.ofArray(payload);
        p.set(JAVA_INT_UNALIGNED, 0, regions);
        int[] fds = new int[regions];
        Arrays.fill(fds, -1);
        try {
            for (int i = 0; i < regions; i++) {
                long base = 8 + 32L * i;
                p.set(JAVA_LONG_UNALIGNED, base, GPA_BASE + part * i);
                p.set(JAVA_LONG_UNALIGNED, base + 8, part);
                p.set(JAVA_LONG_UNALIGNED, base + 16, ram.address() + part * i);
                p.set(JAVA_LONG_UNALIGNED, base + 24, MMAP_OFFSET + part * i);
                fds[i] = Libc.dup(memfd.get());
            }
            return sendWithAck(SET_MEM_TABLE, payload, fds);
        } finally {
            for (int fd : fds) {
                Fd.closeQuietly(fd);
            }
        }
    }

    /** Lays out a ring of {@code size} in guest RAM and hands it over, starting at avail index {@code base}. */
    public Queue setUpQueue(int index, int size, int base) throws IOException {
        Queue old = queues.remove(index);
        if (old != null) {
            old.closeFds();
        }
        Queue q = new Queue(index, size, base);
        queues.put(index, q);
        q.handOver();
        return q;
    }

    public Queue queue(int index) {
        Queue q = queues.get(index);
        if (q == null) {
            throw new IllegalArgumentException("queue " + index + " not set up");
        }
        return q;
    }

    public void enable(int index, boolean on) throws IOException {
        send(SET_VRING_ENABLE, FLAGS, state(index, on ? 1 : 0));
    }

    /** GET_VRING_BASE: stops the ring; returns the backend's next available index. */
    public int getVringBase(int index) throws IOException {
        send(GET_VRING_BASE, FLAGS, state(index, 0));
        Reply r = readReply(GET_VRING_BASE);
        if (r.stateIndex() != index) {
            throw new AssertionError("GET_VRING_BASE reply for queue " + r.stateIndex());
        }
        return r.stateNum();
    }

    /**
     * Sequence C then B again, as on a guest reboot: disable, GET_VRING_BASE for each queue, then
     * fresh zeroed rings at new addresses, SET_VRING_BASE 0 (the used index restarts at 0 in memory).
     */
    public void reboot(int queueSize, int... queueIndexes) throws IOException {
        for (int q : queueIndexes) {
            enable(q, false);
        }
        for (int q : queueIndexes) {
            getVringBase(q);
        }
        start(negotiatedFeatures, queueSize, queueIndexes);
    }

    // ---- guest memory ----

    public long gpaBase() {
        return GPA_BASE;
    }

    public long ramSize() {
        return ramSize;
    }

    /** Allocates {@code size} zeroed bytes of guest RAM; returns the guest-physical address. */
    public long alloc(long size, long alignment) {
        long off = (allocated + alignment - 1) & -alignment;
        if (off + size > ramSize) {
            throw new IllegalStateException("test guest RAM exhausted");
        }
        allocated = off + size;
        ram.asSlice(off, size).fill((byte) 0);
        return GPA_BASE + off;
    }

    /** Guest RAM at guest-physical {@code gpa}. */
    public MemorySegment guest(long gpa, long length) {
        return ram.asSlice(gpa - GPA_BASE, length);
    }

    /** A device-readable buffer holding {@code content}. */
    public Buffer readable(byte[] content) {
        long gpa = alloc(Math.max(content.length, 1), 8);
        MemorySegment.copy(MemorySegment.ofArray(content), 0, guest(gpa, content.length), 0, content.length);
        return new Buffer(gpa, content.length, false);
    }

    /** A device-writable buffer of {@code length} zero bytes. */
    public Buffer writable(int length) {
        long gpa = alloc(Math.max(length, 1), 8);
        return new Buffer(gpa, length, true);
    }

    public byte[] read(Buffer b) {
        return guest(b.gpa(), b.length()).toArray(JAVA_BYTE);
    }

    /** One descriptor's buffer. */
    public record Buffer(long gpa, int length, boolean writable) {
    }

    /** One used-ring element. */
    public record Used(int id, int length) {
    }

    /** A served request: the used length and the bytes the device wrote, in order. */
    public record Completion(int usedLength, byte[] reply) {
    }

    /** The driver side of one split virtqueue laid out in guest RAM. */
    public final class Queue {
        public final int index;
        public final int size;
        private final EventFd kick;
        private EventFd call;
        private final EventFd err;
        private final long descGpa;
        private final long availGpa;
        private final long usedGpa;
        private final MemorySegment desc;
        private final MemorySegment avail;
        private final MemorySegment used;
        private final ArrayDeque<Integer> free = new ArrayDeque<>();
        private final Map<Integer, int[]> chains = new HashMap<>();
        private final int initialBase;
        private int availIdx;
        private int lastUsed;
        private long kicks;
        private long interrupts;

        private Queue(int index, int size, int base) throws NativeException {
            this.index = index;
            this.size = size;
            this.initialBase = base;
            this.kick = EventFd.create(EventFd.EFD_NONBLOCK);
            this.call = EventFd.create(EventFd.EFD_NONBLOCK);
            this.err = EventFd.create(EventFd.EFD_NONBLOCK);
            // virtio-pci modern layout: desc, then avail right after, used 4-aligned after that.
            this.descGpa = alloc(16L * size, 4096);
            this.availGpa = alloc(6L + 2L * size, 2);
            this.usedGpa = alloc(6L + 8L * size, 4);
            this.desc = guest(descGpa, 16L * size);
            this.avail = guest(availGpa, 6L + 2L * size);
            this.used = guest(usedGpa, 6L + 8L * size);
            for (int i = 0; i < size; i++) {
                free.add(i);
            }
            this.availIdx = base;
            this.lastUsed = base;
            U16.setRelease(avail, 2L, (short) base);
            U16.setRelease(used, 2L, (short) base);
        }

        private void handOver() throws IOException {
            send(SET_VRING_CALL, FLAGS, u64(index), call.fd());
            send(SET_VRING_ERR, FLAGS, u64(index), err.fd());
            send(SET_VRING_NUM, FLAGS, state(index, size));
            send(SET_VRING_BASE, FLAGS, state(index, initialBase));
            byte[] addr = new byte[40];
            MemorySegment a = MemorySegment.ofArray(addr);
            a.set(JAVA_INT_UNALIGNED, 0, index);
            a.set(JAVA_INT_UNALIGNED, 4, 0);
            a.set(JAVA_LONG_UNALIGNED, 8, uva(descGpa));
            a.set(JAVA_LONG_UNALIGNED, 16, uva(usedGpa));
            a.set(JAVA_LONG_UNALIGNED, 24, uva(availGpa));
            a.set(JAVA_LONG_UNALIGNED, 32, usedGpa);
            send(SET_VRING_ADDR, FLAGS, addr);
            send(SET_VRING_KICK, FLAGS, u64(index), kick.fd());
        }

        private long uva(long gpa) {
            return ram.address() + (gpa - GPA_BASE);
        }

        private boolean eventIdx() {
            return (negotiatedFeatures & F_EVENT_IDX) != 0;
        }

        public long descGpa() {
            return descGpa;
        }

        /**
         * Hands the device a fresh call eventfd (SET_VRING_CALL), as QEMU does when it (un)masks a
         * vector; the old one stays readable for any signal that was already written to it.
         */
        public void swapCallFd() throws IOException {
            EventFd fresh = EventFd.create(EventFd.EFD_NONBLOCK);
            send(SET_VRING_CALL, FLAGS, u64(index), fresh.fd());
            // Barrier (what QEMU does without REPLY_ACK): once this is answered the swap happened,
            // so nothing can be signalled on the old fd after it is drained below.
            getU64(GET_FEATURES);
            EventFd old = call;
            call = fresh;
            if (old.read() > 0) {
                interrupts++;
            }
            old.close();
        }

        /** Reads and resets the current call eventfd's counter (counted as interrupts). */
        public long drainCallFd() throws NativeException {
            long n = call.read();
            if (n > 0) {
                interrupts++;
            }
            return n;
        }

        /** SET_VRING_CALL with the no-fd flag: the device must stop signalling. */
        public void dropCallFd() throws IOException {
            send(SET_VRING_CALL, FLAGS, u64(index | VRING_NOFD));
        }

        public int freeDescriptors() {
            return free.size();
        }

        /** Takes a free descriptor index (for hand-made chains). */
        public int takeDescriptor() {
            Integer i = free.poll();
            if (i == null) {
                throw new IllegalStateException("queue " + index + " has no free descriptor");
            }
            return i;
        }

        /** Writes descriptor {@code i} of the table. */
        public void writeDescriptor(int i, long addr, int length, int flags, int next) {
            writeDescriptor(desc, i, addr, length, flags, next);
        }

        /** Writes entry {@code i} of any descriptor table (e.g. an indirect one) at {@code table}. */
        public static void writeDescriptor(MemorySegment table, int i, long addr, int length, int flags, int next) {
            long off = 16L * i;
            table.set(JAVA_LONG_UNALIGNED, off, addr);
            table.set(JAVA_INT_UNALIGNED, off + 8, length);
            table.set(JAVA_SHORT, off + 12, (short) flags);
            table.set(JAVA_SHORT, off + 14, (short) next);
        }

        /** Chains {@code buffers} (readable ones first) through free descriptors and makes the chain available. */
        public int post(List<Buffer> buffers) throws NativeException {
            int[] ids = new int[buffers.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = takeDescriptor();
            }
            for (int i = 0; i < ids.length; i++) {
                Buffer b = buffers.get(i);
                int flags = (b.writable() ? DESC_F_WRITE : 0) | (i + 1 < ids.length ? DESC_F_NEXT : 0);
                writeDescriptor(ids[i], b.gpa(), b.length(), flags, i + 1 < ids.length ? ids[i + 1] : 0);
            }
            publish(ids[0], ids);
            return ids[0];
        }

        public int post(Buffer... buffers) throws NativeException {
            return post(List.of(buffers));
        }

        /** Puts {@code buffers} in an indirect table referenced by one descriptor and makes it available. */
        public int postIndirect(List<Buffer> buffers) throws NativeException {
            long tableGpa = alloc(16L * buffers.size(), 16);
            MemorySegment table = guest(tableGpa, 16L * buffers.size());
            for (int i = 0; i < buffers.size(); i++) {
                Buffer b = buffers.get(i);
                int flags = (b.writable() ? DESC_F_WRITE : 0) | (i + 1 < buffers.size() ? DESC_F_NEXT : 0);
                writeDescriptor(table, i, b.gpa(), b.length(), flags, i + 1 < buffers.size() ? i + 1 : 0);
            }
            int head = takeDescriptor();
            writeDescriptor(head, tableGpa, 16 * buffers.size(), DESC_F_INDIRECT, 0);
            publish(head, new int[] {head});
            return head;
        }

        /**
         * Makes {@code head} available, remembering {@code descriptors} to free when it is used, and
         * kicks if the device asked for it (EVENT_IDX avail_event, or used->flags).
         */
        public void publish(int head, int[] descriptors) throws NativeException {
            chains.put(head, descriptors);
            publishRaw(head);
        }

        /** Puts {@code head} (any value, valid or not) on the available ring, then kicks as the rules say. */
        public void publishRaw(int head) throws NativeException {
            avail.set(JAVA_SHORT, 4L + 2L * (availIdx % size), (short) head);
            int old = availIdx;
            availIdx = (availIdx + 1) & 0xffff;
            setAvailIdx(availIdx);
            maybeKick(old, availIdx);
        }

        /**
         * {@code used->avail_event} (EVENT_IDX): the available index the device asked to be kicked
         * after, which it sets to its next available position once it has taken every chain it saw.
         */
        public int availEvent() {
            return (short) U16.getAcquire(used, 4L + 8L * size) & 0xffff;
        }

        /** Stores {@code avail->idx} (release) without touching the ring entries; for hostile tests. */
        public void setAvailIdx(int idx) {
            U16.setRelease(avail, 2L, (short) idx);
        }

        private void maybeKick(int oldIdx, int newIdx) throws NativeException {
            VarHandle.fullFence();
            boolean needed;
            if (eventIdx()) {
                int event = (short) U16.getAcquire(used, 4L + 8L * size) & 0xffff;
                needed = ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
            } else {
                needed = ((short) U16.getAcquire(used, 0L) & 1) == 0;
            }
            if (needed) {
                kick();
            }
        }

        public void kick() throws NativeException {
            kicks++;
            kick.signal();
        }

        public long kicks() {
            return kicks;
        }

        public long interrupts() {
            return interrupts;
        }

        /** The device's {@code used->idx}. */
        public int usedIdx() {
            return (short) U16.getAcquire(used, 2L) & 0xffff;
        }

        /** The device's used element at free-running position {@code position}. */
        public Used usedAt(int position) {
            long off = 4L + 8L * (position % size);
            return new Used(used.get(JAVA_INT, off), used.get(JAVA_INT, off + 4));
        }

        /** The error eventfd's counter (reads and resets it); non-zero after the device broke the ring. */
        public long errorSignals() throws NativeException {
            return err.read();
        }

        /**
         * The next used element if the device has put one there, consumed (its chain's descriptors
         * freed); null if there is none yet. Never waits and asks for no interrupt: for a test that
         * watches the used ring and the error eventfd at once.
         */
        public Used pollUsed() {
            if (usedIdx() == lastUsed) {
                return null;
            }
            Used u = usedAt(lastUsed);
            lastUsed = (lastUsed + 1) & 0xffff;
            int[] descs = chains.remove(u.id());
            if (descs != null) {
                for (int d : descs) {
                    free.add(d);
                }
            }
            return u;
        }

        /**
         * Waits for the next used element the way a driver does: consume what is there; otherwise
         * ask for an interrupt (used_event, or clear NO_INTERRUPT), re-check, then sleep on the call
         * eventfd. Frees the chain's descriptors.
         */
        public Used awaitUsed(Duration timeout) throws NativeException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Used u = pollUsed();
                if (u != null) {
                    return u;
                }
                if (eventIdx()) {
                    U16.setRelease(avail, 4L + 2L * size, (short) lastUsed);
                } else {
                    U16.setRelease(avail, 0L, (short) 0);
                }
                VarHandle.fullFence();
                if (usedIdx() != lastUsed) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("queue " + index + ": no used element within " + timeout
                            + " (avail idx " + availIdx + ", used idx " + usedIdx() + ")");
                }
                if (awaitReadable(call.fd(), Duration.ofNanos(Math.max(left, TimeUnit.MILLISECONDS.toNanos(1))))) {
                    if (call.read() > 0) {
                        interrupts++;
                    }
                }
            }
        }

        /** Posts one request ({@code request} readable, {@code replyCapacity} writable) and waits for it. */
        public Completion call(byte[] request, int replyCapacity, Duration timeout) throws NativeException {
            List<Buffer> buffers = new ArrayList<>(2);
            buffers.add(readable(request));
            Buffer reply = null;
            if (replyCapacity > 0) {
                reply = writable(replyCapacity);
                buffers.add(reply);
            }
            int head = post(buffers);
            Used u = awaitUsed(timeout);
            if (u.id() != head) {
                throw new AssertionError("used element for chain " + u.id() + ", expected " + head);
            }
            byte[] out = reply == null ? new byte[0] : Arrays.copyOf(read(reply), Math.min(u.length(), replyCapacity));
            return new Completion(u.length(), out);
        }

        private void closeFds() {
            kick.close();
            call.close();
            err.close();
        }
    }
}
