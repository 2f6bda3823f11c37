package io.krunctl.virtiofs.vhostuser;

import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.DEFAULT_GUEST_FEATURES;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.DESC_F_INDIRECT;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.DESC_F_NEXT;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.DESC_F_WRITE;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.FLAGS;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.FLAGS_NEED_REPLY;
import static io.krunctl.virtiofs.vhostuser.TestFrontEnd.u64;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.UnixSocket;
import io.krunctl.virtiofs.fuse.ScatterBuffer;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Buffer;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Completion;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Queue;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Used;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VhostUserFsBackendTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long RAM = 4L << 20;
    private static final int QSIZE = 256;
    private static final AtomicInteger SOCKETS = new AtomicInteger();

    @TempDir
    Path dir;

    private final List<Throwable> fatals = new CopyOnWriteArrayList<>();
    private final AtomicInteger handled = new AtomicInteger();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private String socketName;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    /** Uppercases the request into the reply; returns the bytes written. */
    private int upperEcho(ScatterBuffer request, ScatterBuffer reply) {
        handled.incrementAndGet();
        int n = (int) Math.min(request.size(), reply.size());
        byte[] bytes = new byte[n];
        request.read(0, MemorySegment.ofArray(bytes));
        byte[] upper = new String(bytes, US_ASCII).toUpperCase(Locale.ROOT).getBytes(US_ASCII);
        reply.write(0, MemorySegment.ofArray(upper));
        return n;
    }

    private VhostUserFsBackend backend(RequestHandler handler, int workers) throws Exception {
        socketName = "fs" + SOCKETS.incrementAndGet() + ".sock";
        VhostUserFsBackend b = VhostUserFsBackend.listen(dir.resolve(socketName), handler, workers, fatals::add);
        cleanup.add(b);
        return b;
    }

    private TestFrontEnd frontEnd(VhostUserFsBackend b) throws Exception {
        TestFrontEnd fe = TestFrontEnd.connect(b.socketPath(), RAM);
        cleanup.add(fe);
        return fe;
    }

    /** A backend with the echo handler and a front-end that went through sequences A and B. */
    private TestFrontEnd started(long features, int... queues) throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(features, QSIZE, queues);
        return fe;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private List<Thread> deviceThreads() {
        String prefix = "vhost-user-fs[" + socketName + "]";
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
                .toList();
    }

    private void assertNoDeviceThreadsSoon() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!deviceThreads().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(deviceThreads()).isEmpty();
    }

    // ---- negotiation ----

    @Test
    void offersExactlyWhatItImplements() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        assertThat(fe.getU64(TestFrontEnd.GET_FEATURES))
                .isEqualTo((1L << 32) | (1L << 28) | (1L << 29) | (1L << 30));
        assertThat(fe.getU64(TestFrontEnd.GET_PROTOCOL_FEATURES)).isEqualTo((1L << 0) | (1L << 3));
        fe.send(TestFrontEnd.SET_PROTOCOL_FEATURES, FLAGS, u64(TestFrontEnd.PF_MQ | TestFrontEnd.PF_REPLY_ACK));
        assertThat(fe.getU64(TestFrontEnd.GET_QUEUE_NUM)).isEqualTo(VhostUserFsBackend.MAX_QUEUES);
        fe.send(TestFrontEnd.SET_OWNER, FLAGS, new byte[0]);
        // REPLY_ACK: a message without its own reply is acked with 0 when NEED_REPLY is set.
        assertThat(fe.sendWithAck(TestFrontEnd.SET_OWNER, new byte[0])).isZero();
        assertThat(fe.sendWithAck(TestFrontEnd.SET_FEATURES, u64(DEFAULT_GUEST_FEATURES))).isZero();
        assertThat(fe.setMemTable(1)).isZero();
        assertThat(fatals).isEmpty();
    }

    @Test
    void unknownRequestWithNeedReplyIsRefusedAndTheConnectionLives() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.send(99, FLAGS_NEED_REPLY, new byte[0]);
        assertThat(fe.readReply(99).u64()).isNotZero();
        fe.send(98, FLAGS, u64(5)); // no reply wanted: ignored
        assertThat(fe.getU64(TestFrontEnd.GET_FEATURES)).isNotZero();
        assertThat(fatals).isEmpty();
    }

    // ---- serving chains ----

    @Test
    void servesOneChainWithTheRightUsedLength() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Completion c = fe.queue(1).call(ascii("hello, device"), 64, TIMEOUT);
        assertThat(c.usedLength()).isEqualTo(13);
        assertThat(new String(c.reply(), US_ASCII)).isEqualTo("HELLO, DEVICE");
    }

    /**
     * A handler whose requests starting with "sync" may block (they wait for {@code release}) and
     * whose others are quick; each reply is the name of the thread that served the request.
     */
    private RequestHandler syncBlocks(CountDownLatch release) {
        return new RequestHandler() {
            @Override
            public int handle(ScatterBuffer request, ScatterBuffer reply) {
                if (isSync(request)) {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                byte[] name = ascii(Thread.currentThread().getName());
                int n = (int) Math.min(name.length, reply.size());
                reply.write(0, MemorySegment.ofArray(name).asSlice(0, n));
                return n;
            }

            @Override
            public int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
                return isSync(request) ? WOULD_BLOCK : handle(request, reply);
            }
        };
    }

    private static boolean isSync(ScatterBuffer request) {
        byte[] start = new byte[(int) Math.min(4, request.size())];
        request.read(0, MemorySegment.ofArray(start));
        return new String(start, US_ASCII).equals("sync");
    }

    @Test
    void aQuickRequestAloneOnTheRingIsServedByTheKickThreadWithoutAHandOff() throws Exception {
        VhostUserFsBackend b = backend(syncBlocks(new CountDownLatch(0)), 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Completion c = fe.queue(1).call(ascii("lookup"), 128, TIMEOUT);
        assertThat(new String(c.reply(), US_ASCII)).endsWith("-kick-q1");
    }

    @Test
    void aRequestThatMayBlockRunsOnAWorkerAndDoesNotHoldUpTheOnesBehindIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        VhostUserFsBackend b = backend(syncBlocks(release), 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        Buffer blockedReply = fe.writable(128);
        q.post(fe.readable(ascii("sync")), blockedReply);

        // The sync waits; a request sent after it is answered meanwhile, by the kick thread.
        Completion quick = q.call(ascii("read"), 128, TIMEOUT);
        assertThat(new String(quick.reply(), US_ASCII)).endsWith("-kick-q1");
        assertThat(q.usedIdx()).isEqualTo(1);

        release.countDown();
        Used used = q.awaitUsed(TIMEOUT);
        byte[] reply = Arrays.copyOf(fe.read(blockedReply), used.length());
        assertThat(new String(reply, US_ASCII)).contains("-worker-");
    }

    @Test
    void readableAndWritablePartsSpanSeveralDescriptors() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        Buffer w1 = fe.writable(2);
        Buffer w2 = fe.writable(3);
        Buffer w3 = fe.writable(10);
        int head = q.post(fe.readable(ascii("abc")), fe.readable(ascii("defg")), fe.readable(ascii("hi")), w1, w2, w3);
        Used u = q.awaitUsed(TIMEOUT);
        assertThat(u).isEqualTo(new Used(head, 9));
        assertThat(new String(fe.read(w1), US_ASCII)).isEqualTo("AB");
        assertThat(new String(fe.read(w2), US_ASCII)).isEqualTo("CDE");
        assertThat(new String(fe.read(w3), US_ASCII)).startsWith("FGHI").endsWith("\0");
    }

    @Test
    void indirectTableIsFollowed() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        Buffer w1 = fe.writable(4);
        Buffer w2 = fe.writable(8);
        int head = q.postIndirect(List.of(fe.readable(ascii("indi")), fe.readable(ascii("rect!")), w1, w2));
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 9));
        assertThat(new String(fe.read(w1), US_ASCII) + new String(fe.read(w2), US_ASCII))
                .startsWith("INDIRECT!");
    }

    @Test
    void directDescriptorsMayEndInOneIndirectTable() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        Buffer first = fe.readable(ascii("head-"));
        Buffer rest = fe.readable(ascii("tail"));
        Buffer out = fe.writable(16);
        long table = fe.alloc(32, 16);
        Queue.writeDescriptor(fe.guest(table, 32), 0, rest.gpa(), rest.length(), DESC_F_NEXT, 1);
        Queue.writeDescriptor(fe.guest(table, 32), 1, out.gpa(), out.length(), DESC_F_WRITE, 0);
        int d0 = q.takeDescriptor();
        int d1 = q.takeDescriptor();
        q.writeDescriptor(d0, first.gpa(), first.length(), DESC_F_NEXT, d1);
        q.writeDescriptor(d1, table, 32, DESC_F_INDIRECT, 0);
        q.publish(d0, new int[] {d0, d1});
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(d0, 9));
        assertThat(new String(fe.read(out), US_ASCII)).startsWith("HEAD-TAIL");
    }

    @Test
    void hiprioQueueCarriesRequestsWithoutReply() throws Exception {
        AtomicInteger forgets = new AtomicInteger();
        VhostUserFsBackend b = backend((req, reply) -> {
            assertThat(reply.size()).isZero();
            forgets.incrementAndGet();
            return 0;
        }, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue hiprio = fe.queue(0);
        int head = hiprio.post(fe.readable(new byte[48]));
        assertThat(hiprio.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 0));
        assertThat(forgets).hasValue(1);
    }

    @ParameterizedTest(name = "event idx negotiated: {0}")
    @ValueSource(booleans = {true, false})
    void burstOf500RequestsLosesNothing(boolean eventIdx) throws Exception {
        VhostUserFsBackend b = backend((req, reply) -> {
            if (ThreadLocalRandom.current().nextInt(8) == 0) {
                Thread.onSpinWait();
                Thread.yield();
            }
            return upperEcho(req, reply);
        }, 4);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        long features = eventIdx ? DEFAULT_GUEST_FEATURES : DEFAULT_GUEST_FEATURES & ~TestFrontEnd.F_EVENT_IDX;
        fe.start(features, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        int total = 500;
        Map<Integer, String> expected = new HashMap<>();
        Map<Integer, Buffer> replies = new HashMap<>();
        int sent = 0;
        int done = 0;
        while (done < total) {
            while (sent < total && q.freeDescriptors() >= 2 && expected.size() < 200) {
                String text = "request number " + sent;
                Buffer out = fe.writable(32);
                int head = q.post(fe.readable(ascii(text)), out);
                expected.put(head, text.toUpperCase(Locale.ROOT));
                replies.put(head, out);
                sent++;
            }
            Used u = q.awaitUsed(TIMEOUT);
            String want = expected.remove(u.id());
            assertThat(want).as("used id %d", u.id()).isNotNull();
            assertThat(u.length()).isEqualTo(want.length());
            assertThat(new String(fe.read(replies.remove(u.id())), 0, u.length(), US_ASCII)).isEqualTo(want);
            done++;
        }
        assertThat(handled).hasValue(total);
        assertThat(q.usedIdx()).isEqualTo(total);
        assertThat(fatals).isEmpty();
        System.out.printf("burst (event idx %s): %d kicks, %d interrupts for %d requests%n", eventIdx, q.kicks(),
                q.interrupts(), total);
    }

    @Test
    void callFdSwapsWhileRunningLoseNoInterrupt() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        for (int i = 0; i < 50; i++) {
            q.swapCallFd();
            Completion c = q.call(ascii("swap " + i), 32, TIMEOUT);
            assertThat(new String(c.reply(), US_ASCII)).isEqualTo("SWAP " + i);
        }
    }

    @Test
    void anInterruptDueWithoutCallFdIsDeliveredWhenOneArrives() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        q.dropCallFd();
        int head = q.post(fe.readable(ascii("quiet")), fe.writable(8));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (q.usedIdx() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(q.usedIdx()).isEqualTo(1);
        q.swapCallFd();
        assertThat(q.drainCallFd()).as("interrupt owed while no call fd was set").isPositive();
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 5));
    }

    @Test
    void handlerExceptionAnswersWithLengthZeroAndServingGoesOn() throws Exception {
        VhostUserFsBackend b = backend((req, reply) -> {
            byte[] first = new byte[1];
            req.read(0, MemorySegment.ofArray(first));
            if (first[0] == 'x') {
                throw new IllegalStateException("handler bug");
            }
            return upperEcho(req, reply);
        }, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        assertThat(fe.queue(1).call(ascii("xx"), 8, TIMEOUT).usedLength()).isZero();
        assertThat(fe.queue(1).call(ascii("ok"), 8, TIMEOUT).reply()).isEqualTo(ascii("OK"));
        assertThat(fatals).isEmpty();
    }

    @Test
    void ringsStartEnabledWithoutProtocolFeatures() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.getU64(TestFrontEnd.GET_FEATURES);
        fe.send(TestFrontEnd.SET_OWNER, FLAGS, new byte[0]);
        fe.start(TestFrontEnd.F_VERSION_1 | TestFrontEnd.F_EVENT_IDX, QSIZE, 1); // no SET_VRING_ENABLE
        assertThat(fe.queue(1).call(ascii("plain"), 8, TIMEOUT).reply()).isEqualTo(ascii("PLAIN"));
    }

    @Test
    void aDisabledRingWaitsAndLosesNoKick() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.setFeatures(DEFAULT_GUEST_FEATURES);
        assertThat(fe.setMemTable(1)).isZero();
        Queue q = fe.setUpQueue(1, QSIZE, 0);
        int head = q.post(fe.readable(ascii("wait")), fe.writable(8));
        Thread.sleep(200);
        assertThat(q.usedIdx()).isZero();
        assertThat(handled).hasValue(0);
        fe.enable(1, true);
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 4));
    }

    @Test
    void ringStartedWithoutKickFdIsPolled() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 1);
        fe.send(TestFrontEnd.SET_VRING_KICK, FLAGS, u64(1 | TestFrontEnd.VRING_NOFD));
        fe.getU64(TestFrontEnd.GET_FEATURES); // barrier
        assertThat(fe.queue(1).call(ascii("poll"), 8, TIMEOUT).reply()).isEqualTo(ascii("POLL"));
    }

    // ---- hostile guests ----

    /** A hand-made bad chain: gets the queue and front-end, returns the head it published. */
    interface Hostile {
        int post(TestFrontEnd fe, Queue q) throws Exception;
    }

    static Stream<Arguments> hostileChains() {
        return Stream.of(
                Arguments.of("address beyond guest memory", (Hostile) (fe, q) -> single(q,
                        fe.gpaBase() + fe.ramSize() + 4096, 16, 0)),
                Arguments.of("address below guest memory", (Hostile) (fe, q) -> single(q, 0x1000, 16, 0)),
                Arguments.of("length running past the region", (Hostile) (fe, q) -> single(q,
                        fe.gpaBase() + fe.ramSize() - 8, 64, 0)),
                Arguments.of("address + length wrapping 2^64", (Hostile) (fe, q) -> single(q, -16L, 0x100, 0)),
                Arguments.of("maximal lengths", (Hostile) (fe, q) -> {
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, fe.gpaBase(), -1, DESC_F_NEXT, b);
                    q.writeDescriptor(b, fe.gpaBase(), -1, 0, 0);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("descriptor loop", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("loop"));
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, r.gpa(), r.length(), DESC_F_NEXT, b);
                    q.writeDescriptor(b, r.gpa(), r.length(), DESC_F_NEXT, a);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("self loop", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("self"));
                    int a = q.takeDescriptor();
                    q.writeDescriptor(a, r.gpa(), r.length(), DESC_F_NEXT, a);
                    q.publish(a, new int[] {a});
                    return a;
                }),
                Arguments.of("next index out of range", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("next"));
                    int a = q.takeDescriptor();
                    q.writeDescriptor(a, r.gpa(), r.length(), DESC_F_NEXT, q.size + 3);
                    q.publish(a, new int[] {a});
                    return a;
                }),
                Arguments.of("readable after writable", (Hostile) (fe, q) -> {
                    Buffer w = fe.writable(8);
                    Buffer r = fe.readable(ascii("late"));
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, w.gpa(), w.length(), DESC_F_WRITE | DESC_F_NEXT, b);
                    q.writeDescriptor(b, r.gpa(), r.length(), 0, 0);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("readable after an empty writable", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("late"));
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, fe.gpaBase(), 0, DESC_F_WRITE | DESC_F_NEXT, b);
                    q.writeDescriptor(b, r.gpa(), r.length(), 0, 0);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("indirect readable after an empty writable", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("late"));
                    long table = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(table, 16), 0, r.gpa(), r.length(), 0, 0);
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, fe.gpaBase(), 0, DESC_F_WRITE | DESC_F_NEXT, b);
                    q.writeDescriptor(b, table, 16, DESC_F_INDIRECT, 0);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("indirect inside indirect", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("deep"));
                    long inner = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(inner, 16), 0, r.gpa(), r.length(), 0, 0);
                    long outer = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(outer, 16), 0, inner, 16, DESC_F_INDIRECT, 0);
                    return single(q, outer, 16, DESC_F_INDIRECT);
                }),
                Arguments.of("indirect together with next", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("both"));
                    long table = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(table, 16), 0, r.gpa(), r.length(), 0, 0);
                    int a = q.takeDescriptor();
                    int b = q.takeDescriptor();
                    q.writeDescriptor(a, table, 16, DESC_F_INDIRECT | DESC_F_NEXT, b);
                    q.writeDescriptor(b, r.gpa(), r.length(), 0, 0);
                    q.publish(a, new int[] {a, b});
                    return a;
                }),
                Arguments.of("indirect table of 24 bytes", (Hostile) (fe, q) -> single(q, fe.alloc(32, 16), 24,
                        DESC_F_INDIRECT)),
                Arguments.of("empty indirect table", (Hostile) (fe, q) -> single(q, fe.alloc(16, 16), 0,
                        DESC_F_INDIRECT)),
                Arguments.of("indirect table outside memory", (Hostile) (fe, q) -> single(q,
                        fe.gpaBase() + fe.ramSize() - 16, 64, DESC_F_INDIRECT)),
                Arguments.of("loop inside an indirect table", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("iloop"));
                    long table = fe.alloc(32, 16);
                    MemorySegment t = fe.guest(table, 32);
                    Queue.writeDescriptor(t, 0, r.gpa(), r.length(), DESC_F_NEXT, 1);
                    Queue.writeDescriptor(t, 1, r.gpa(), r.length(), DESC_F_NEXT, 0);
                    return single(q, table, 32, DESC_F_INDIRECT);
                }),
                Arguments.of("next out of an indirect table", (Hostile) (fe, q) -> {
                    Buffer r = fe.readable(ascii("inext"));
                    long table = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(table, 16), 0, r.gpa(), r.length(), DESC_F_NEXT, 1);
                    return single(q, table, 16, DESC_F_INDIRECT);
                }),
                Arguments.of("buffer in an indirect table outside memory", (Hostile) (fe, q) -> {
                    long table = fe.alloc(16, 16);
                    Queue.writeDescriptor(fe.guest(table, 16), 0, fe.gpaBase() + fe.ramSize(), 8, 0, 0);
                    return single(q, table, 16, DESC_F_INDIRECT);
                }));
    }

    private static int single(Queue q, long addr, int length, int flags) throws Exception {
        int a = q.takeDescriptor();
        q.writeDescriptor(a, addr, length, flags, 0);
        q.publish(a, new int[] {a});
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileChains")
    void hostileChainIsAnsweredWithLengthZeroAndServingGoesOn(String name, Hostile hostile) throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        int head = hostile.post(fe, q);
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 0));
        assertThat(handled).hasValue(0);
        Completion good = q.call(ascii("still alive"), 32, TIMEOUT);
        assertThat(new String(good.reply(), US_ASCII)).isEqualTo("STILL ALIVE");
        assertThat(fatals).isEmpty();
        assertThat(q.errorSignals()).isZero();
    }

    @Test
    void indirectWithoutTheFeatureIsRefused() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES & ~TestFrontEnd.F_INDIRECT_DESC, 0, 1);
        Queue q = fe.queue(1);
        int head = q.postIndirect(List.of(fe.readable(ascii("no")), fe.writable(4)));
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 0));
        assertThat(q.call(ascii("yes"), 8, TIMEOUT).reply()).isEqualTo(ascii("YES"));
    }

    @Test
    void headIndexOutOfRangeBreaksOnlyThatRing() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        q.publishRaw(q.size + 7);
        awaitErrorSignal(q);
        assertThat(q.usedIdx()).isZero();
        // The other ring and the connection keep working.
        assertThat(fe.queue(0).call(ascii("other"), 8, TIMEOUT).reply()).isEqualTo(ascii("OTHER"));
        assertThat(fatals).isEmpty();
    }

    @Test
    void availIndexJumpingPastTheRingBreaksIt() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        Queue q = fe.queue(1);
        q.setAvailIdx(q.size + 1);
        q.kick();
        awaitErrorSignal(q);
        assertThat(handled).hasValue(0);
        assertThat(fatals).isEmpty();
        // A guest reset (stop + fresh rings) brings the ring back.
        fe.reboot(QSIZE, 0, 1);
        assertThat(fe.queue(1).call(ascii("reset"), 8, TIMEOUT).reply()).isEqualTo(ascii("RESET"));
    }

    /**
     * A guest that publishes a head again while the device still holds it (behind a slow request)
     * would have it served twice and grow the device's queue without end: the ring breaks instead.
     */
    @Test
    void aHeadPublishedAgainWhileInFlightBreaksTheRing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger served = new AtomicInteger();
        CountDownLatch entered = new CountDownLatch(1);
        RequestHandler blocking = syncBlocks(release);
        VhostUserFsBackend b = backend(new RequestHandler() {
            @Override
            public int handle(ScatterBuffer request, ScatterBuffer reply) {
                served.incrementAndGet();
                entered.countDown();
                return blocking.handle(request, reply);
            }

            @Override
            public int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
                return isSync(request) ? WOULD_BLOCK : handle(request, reply);
            }
        }, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        int head = q.post(fe.readable(ascii("sync")), fe.writable(64));
        // The device holds the chain (a worker serves it) before the guest publishes it again.
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        for (int i = 0; i < 100; i++) {
            q.publishRaw(head);
        }
        q.kick();

        awaitErrorSignal(q);
        release.countDown();
        assertThat(served).as("the re-published head is not served again").hasValue(1);
        assertThat(fe.queue(0).call(ascii("other"), 64, TIMEOUT).usedLength()).as("the other ring").isPositive();
        assertThat(fatals).isEmpty();
    }

    /** Requests in flight per ring are bounded: the rest wait in the guest's ring, nothing is lost. */
    @Test
    void aGuestPublishingFasterThanRequestsFinishIsHeldAtTheBound() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        RequestHandler blocking = syncBlocks(release);
        socketName = "fs" + SOCKETS.incrementAndGet() + ".sock";
        VhostUserFsBackend b = VhostUserFsBackend.listen(dir.resolve(socketName), new RequestHandler() {
            @Override
            public int handle(ScatterBuffer request, ScatterBuffer reply) {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    return blocking.handle(request, reply);
                } finally {
                    running.decrementAndGet();
                }
            }

        }, 8, 4, 10_000, fatals::add);
        cleanup.add(b);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        for (int i = 0; i < 8; i++) {
            q.post(fe.readable(ascii("sync")), fe.writable(64));
        }
        q.kick();

        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(most).as("chains served at once with 8 workers and a bound of 4").hasValue(4);
        release.countDown();
        for (int i = 0; i < 8; i++) {
            q.awaitUsed(TIMEOUT);
        }
        assertThat(q.usedIdx()).isEqualTo(8);
        assertThat(fatals).isEmpty();
    }

    /**
     * A guest can make a request the device judged quick (and serves on the kick thread) a slow one,
     * by changing it in its memory between the two reads: stopping the ring still returns within the
     * drain time, and the abandoned request ends on its own.
     */
    @Test
    void aRequestThatTurnsSlowOnTheKickThreadDoesNotHoldUpStoppingTheRing() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        socketName = "fs" + SOCKETS.incrementAndGet() + ".sock";
        VhostUserFsBackend b = VhostUserFsBackend.listen(dir.resolve(socketName), new RequestHandler() {
            @Override
            public int handle(ScatterBuffer request, ScatterBuffer reply) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }

            @Override
            public int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
                return handle(request, reply);
            }
        }, 2, 256, 300, fatals::add);
        cleanup.add(b);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        fe.queue(1).post(fe.readable(ascii("turns-slow")), fe.writable(8));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        long start = System.nanoTime();
        fe.getVringBase(1);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        release.countDown();
        assertThat(took).as("GET_VRING_BASE waited for the kick thread (ms)").isLessThan(5_000);
        assertThat(fatals).isEmpty();
    }

    private static void awaitErrorSignal(Queue q) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (q.errorSignals() == 0) {
            assertThat(System.nanoTime()).as("error eventfd signalled in time").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    // ---- ring stop, restart, reboot ----

    @Test
    void getVringBaseDrainsInFlightRequestsAndReturnsNextAvail() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        VhostUserFsBackend b = backend((req, reply) -> {
            entered.countDown();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return upperEcho(req, reply);
        }, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        for (int i = 0; i < 3; i++) {
            q.post(fe.readable(ascii("slow" + i)), fe.writable(8));
        }
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        // Disabling the ring before the device took the third chain would leave it on the ring.
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (q.availEvent() != 3) {
            assertThat(System.nanoTime()).as("the device took all three chains").isLessThan(deadline);
            Thread.sleep(5);
        }
        fe.enable(1, false);
        assertThat(fe.getVringBase(1)).isEqualTo(3);
        // Every request was completed into the used ring before the reply.
        assertThat(q.usedIdx()).isEqualTo(3);
        assertThat(handled).hasValue(3);

        // QMP stop/cont: the ring comes back at the base QEMU kept.
        fe.setUpQueue(1, QSIZE, 3);
        fe.enable(1, true);
        assertThat(fe.queue(1).call(ascii("again"), 8, TIMEOUT).reply()).isEqualTo(ascii("AGAIN"));
        assertThat(fe.getVringBase(1)).isEqualTo(4);
    }

    @Test
    void guestRebootRestartsTheUsedIndexFromMemory() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        for (int i = 0; i < 5; i++) {
            fe.queue(1).call(ascii("before" + i), 16, TIMEOUT);
        }
        assertThat(fe.queue(1).usedIdx()).isEqualTo(5);
        fe.reboot(QSIZE, 0, 1);
        Queue q = fe.queue(1);
        assertThat(q.usedIdx()).isZero();
        assertThat(q.call(ascii("after"), 16, TIMEOUT).reply()).isEqualTo(ascii("AFTER"));
        assertThat(q.usedIdx()).isEqualTo(1);
        assertThat(q.usedAt(0).length()).isEqualTo(5);
        assertThat(fatals).isEmpty();
        // The reset's GET_VRING_BASE stops every ring, but the connection lives on.
        assertThat(((VhostUserFsBackend) cleanup.get(0)).disconnected()).isNotDone();
    }

    @Test
    void newMemTableWhileRequestsRunIsUsedAtOnce() throws Exception {
        VhostUserFsBackend b = backend((req, reply) -> {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return upperEcho(req, reply);
        }, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.start(DEFAULT_GUEST_FEATURES, QSIZE, 0, 1);
        Queue q = fe.queue(1);
        List<Integer> heads = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            heads.add(q.post(fe.readable(ascii("m" + i)), fe.writable(8)));
        }
        // Mid-run: the same RAM described as two regions (two fds), then as one again.
        assertThat(fe.setMemTable(2)).isZero();
        for (int i = 0; i < 40; i++) {
            Used u = q.awaitUsed(TIMEOUT);
            assertThat(heads).contains(u.id());
            assertThat(u.length()).isPositive();
        }
        // A buffer straddling the boundary between the two regions is served as one.
        long half = fe.gpaBase() + fe.ramSize() / 2;
        Buffer request = new Buffer(half - 3, 6, false);
        fe.guest(request.gpa(), 6).copyFrom(MemorySegment.ofArray(ascii("across")));
        Buffer reply = new Buffer(fe.alloc(8, 8), 8, true);
        int head = q.post(request, reply);
        assertThat(q.awaitUsed(TIMEOUT)).isEqualTo(new Used(head, 6));
        assertThat(new String(fe.read(reply), 0, 6, US_ASCII)).isEqualTo("ACROSS");

        assertThat(fe.setMemTable(1)).isZero();
        assertThat(q.call(ascii("one region"), 16, TIMEOUT).reply()).isEqualTo(ascii("ONE REGION"));
        assertThat(fatals).isEmpty();
    }

    // ---- shutdown ----

    @Test
    void frontEndClosingTheSocketShutsEverythingDown() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        fe.queue(1).call(ascii("bye"), 8, TIMEOUT);
        VhostUserFsBackend b = (VhostUserFsBackend) cleanup.get(0);
        assertThat(deviceThreads()).isNotEmpty();
        fe.closeSocket();
        assertThat(b.awaitTermination(TIMEOUT)).isTrue();
        assertNoDeviceThreadsSoon();
        assertThat(fatals).isEmpty();
        // To the device QEMU exiting looks like this; the launcher, watching QEMU, tells them apart.
        assertThat(b.disconnected().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .isEqualTo("end of file on the vhost-user socket");
        assertThat(Files.exists(b.socketPath())).isTrue();
        b.close();
        b.close();
        assertThat(Files.exists(b.socketPath())).isFalse();
    }

    @Test
    void frontEndDyingWithAReplyUnreadIsNotAnError() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        fe.send(TestFrontEnd.GET_FEATURES, FLAGS, new byte[0]);
        fe.send(TestFrontEnd.GET_QUEUE_NUM, FLAGS, new byte[0]);
        Thread.sleep(100); // both replies now wait, unread, in the front-end's socket
        fe.closeSocket();
        assertThat(b.awaitTermination(TIMEOUT)).isTrue();
        assertThat(fatals).isEmpty();
        assertThat(b.disconnected()).isCompleted();
        assertNoDeviceThreadsSoon();
    }

    @Test
    void theDeviceSocketShutDownUnderItIsReportedAsADisconnectionNotAFailure() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        fe.queue(1).call(ascii("hi"), 8, TIMEOUT);
        VhostUserFsBackend b = (VhostUserFsBackend) cleanup.get(0);

        UnixSocket.shutdown(connectionFd(b.socketPath()), UnixSocket.SHUT_RDWR);

        assertThat(b.disconnected().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .isEqualTo("end of file on the vhost-user socket");
        assertThat(b.awaitTermination(TIMEOUT)).isTrue();
        assertThat(fe.awaitEof(TIMEOUT)).isTrue();
        assertThat(fatals).isEmpty();
        assertNoDeviceThreadsSoon();
    }

    /**
     * This process's descriptor of the device's end of the connection on {@code socketPath}: the
     * accepted socket is the only one still bound to that path once the device closed its listener.
     */
    private static int connectionFd(Path socketPath) throws Exception {
        String inode = Files.readAllLines(Path.of("/proc/net/unix")).stream().skip(1)
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 8 && f[7].equals(socketPath.toString()) && f[5].equals("03"))
                .map(f -> f[6]).findFirst().orElseThrow();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("socket:[" + inode + "]");
                } catch (java.io.IOException e) {
                    return false; // closed since it was listed
                }
            }).map(fd -> Integer.parseInt(fd.getFileName().toString())).findFirst().orElseThrow();
        }
    }

    @Test
    void closeWhileConnectedStopsTheDeviceAndDropsTheConnection() throws Exception {
        TestFrontEnd fe = started(DEFAULT_GUEST_FEATURES, 0, 1);
        fe.queue(1).call(ascii("hi"), 8, TIMEOUT);
        VhostUserFsBackend b = (VhostUserFsBackend) cleanup.get(0);
        b.close();
        assertThat(b.awaitTermination(Duration.ZERO)).isTrue();
        assertThat(b.disconnected()).isNotDone();
        assertThat(fe.awaitEof(TIMEOUT)).isTrue();
        // A pool reports termination as its threads leave their loop, a moment before they end.
        assertNoDeviceThreadsSoon();
        assertThat(Files.exists(b.socketPath())).isFalse();
        assertThat(fatals).isEmpty();
    }

    @Test
    void closeBeforeAnyConnection() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        assertThat(Files.exists(b.socketPath())).isTrue();
        b.close();
        assertThat(b.awaitTermination(Duration.ZERO)).isTrue();
        assertThat(deviceThreads()).isEmpty();
        assertThat(Files.exists(b.socketPath())).isFalse();
    }

    @Test
    void onlyOneConnectionIsAccepted() throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.getU64(TestFrontEnd.GET_FEATURES);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestFrontEnd.connect(b.socketPath(), 4096))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void onFatalMayCloseTheBackend() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        VhostUserFsBackend[] holder = new VhostUserFsBackend[1];
        socketName = "fatal-close.sock";
        Consumer<Throwable> onFatal = t -> {
            calls.incrementAndGet();
            holder[0].close();
        };
        holder[0] = VhostUserFsBackend.listen(dir.resolve(socketName), this::upperEcho, 2, onFatal);
        cleanup.add(holder[0]);
        TestFrontEnd fe = frontEnd(holder[0]);
        fe.send(TestFrontEnd.SET_VRING_NUM, FLAGS, TestFrontEnd.state(1, 3));
        assertThat(fe.awaitEof(TIMEOUT)).isTrue();
        assertThat(holder[0].awaitTermination(TIMEOUT)).isTrue();
        assertThat(calls).hasValue(1);
        assertNoDeviceThreadsSoon();
        assertThat(Files.exists(holder[0].socketPath())).isFalse();
    }

    // ---- protocol errors ----

    interface BadMessage {
        void send(TestFrontEnd fe) throws Exception;
    }

    static Stream<Arguments> protocolErrors() {
        return Stream.of(
                Arguments.of("queue size not a power of two",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_VRING_NUM, FLAGS, TestFrontEnd.state(1, 3))),
                Arguments.of("queue index beyond MAX_QUEUES",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_VRING_NUM, FLAGS, TestFrontEnd.state(9, 64))),
                Arguments.of("short SET_VRING_ADDR",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_VRING_ADDR, FLAGS, new byte[32])),
                Arguments.of("protocol version 2",
                        (BadMessage) fe -> fe.send(TestFrontEnd.GET_FEATURES, 0x2, new byte[0])),
                Arguments.of("reply flag on a request",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_OWNER, 0x5, new byte[0])),
                Arguments.of("huge payload size", (BadMessage) fe -> fe.send(TestFrontEnd.SET_OWNER, FLAGS,
                        new byte[5000])),
                Arguments.of("kick without fd and without the no-fd flag",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_VRING_KICK, FLAGS, u64(1))),
                Arguments.of("features never offered",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_FEATURES, FLAGS, u64(1L << 34))),
                Arguments.of("protocol features never offered",
                        (BadMessage) fe -> fe.send(TestFrontEnd.SET_PROTOCOL_FEATURES, FLAGS, u64(1L << 9))),
                Arguments.of("ring address before the memory table", (BadMessage) fe -> {
                    fe.send(TestFrontEnd.SET_VRING_NUM, FLAGS, TestFrontEnd.state(1, 64));
                    byte[] addr = new byte[40];
                    addr[0] = 1; // queue 1
                    fe.send(TestFrontEnd.SET_VRING_ADDR, FLAGS, addr);
                }),
                Arguments.of("memory table with fewer fds than regions", (BadMessage) fe -> {
                    byte[] p = new byte[8 + 32];
                    MemorySegment s = MemorySegment.ofArray(p);
                    s.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, 1);
                    s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16, 4096);
                    fe.send(TestFrontEnd.SET_MEM_TABLE, FLAGS_NEED_REPLY, p);
                    assertThat(fe.readReply(TestFrontEnd.SET_MEM_TABLE).u64()).isNotZero();
                }),
                Arguments.of("memory region larger than its file", (BadMessage) fe -> {
                    try (EventFd small = EventFd.create(0)) {
                        io.krunctl.nativeio.Fd memfd = io.krunctl.nativeio.Fd.adopt(
                                io.krunctl.nativeio.Libc.memfdCreate("small", io.krunctl.nativeio.Libc.MFD_CLOEXEC));
                        try (memfd) {
                            io.krunctl.nativeio.Libc.ftruncate(memfd.get(), 4096);
                            byte[] p = new byte[8 + 32];
                            MemorySegment s = MemorySegment.ofArray(p);
                            s.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, 1);
                            s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16, 1 << 20);
                            fe.send(TestFrontEnd.SET_MEM_TABLE, FLAGS_NEED_REPLY, p, memfd.get());
                            assertThat(fe.readReply(TestFrontEnd.SET_MEM_TABLE).u64()).isNotZero();
                        }
                    }
                }),
                Arguments.of("ring outside the memory table", (BadMessage) fe -> {
                    assertThat(fe.setMemTable(1)).isZero();
                    fe.send(TestFrontEnd.SET_VRING_NUM, FLAGS, TestFrontEnd.state(1, 64));
                    byte[] addr = new byte[40];
                    MemorySegment a = MemorySegment.ofArray(addr);
                    a.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, 1);
                    a.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8, 0x1000);
                    a.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16, 0x2000);
                    a.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 24, 0x3000);
                    fe.send(TestFrontEnd.SET_VRING_ADDR, FLAGS, addr);
                }),
                Arguments.of("a request the backend cannot answer",
                        (BadMessage) fe -> fe.send(24 /* GET_CONFIG */, FLAGS, new byte[12])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocolErrors")
    void protocolErrorCallsOnFatalOnceAndEndsTheConnection(String name, BadMessage bad) throws Exception {
        VhostUserFsBackend b = backend(this::upperEcho, 2);
        TestFrontEnd fe = frontEnd(b);
        fe.handshake();
        bad.send(fe);
        assertThat(fe.awaitEof(TIMEOUT)).isTrue();
        assertThat(b.awaitTermination(TIMEOUT)).isTrue();
        assertThat(fatals).hasSize(1);
        assertThat(fatals.getFirst()).isInstanceOf(VhostUserException.class);
        assertThat(b.disconnected()).isNotDone();
        assertNoDeviceThreadsSoon();
    }
}
