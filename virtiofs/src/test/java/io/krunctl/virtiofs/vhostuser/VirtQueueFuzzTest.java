package io.krunctl.virtiofs.vhostuser;

import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_INDIRECT;
import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_NEXT;
import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.virtiofs.Watchdog;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fuse.FuseServer;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Queue;
import io.krunctl.virtiofs.vhostuser.TestFrontEnd.Used;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Fuzzes the virtqueue walker through the real device: a {@link VhostUserFsBackend} serving a
 * {@link FuseServer} is driven over its unix socket by the test front end, which writes random and
 * hostile descriptors into the request queue's table and indirect tables into guest RAM (addresses in
 * and outside it, lengths up to 2^32 - 1, every flag combination, loops, next indexes out of range),
 * then makes one to three chains available, now and then naming a head past the table.
 *
 * <p>Whatever the garbage, the device must go on: every chain comes back on the used ring, or the
 * ring breaks and the error eventfd is signalled (the front end then resets the rings); either way a
 * well-formed FUSE_INIT right after gets its normal answer. The device must never hang, report a
 * fatal failure, stop, or have the FUSE server count an unexpected failure. Device-writable
 * addresses inside guest RAM are kept to a scratch area and the end of RAM, so whatever the server
 * writes there cannot change the rings the front end reads. The queue's log, which reports every
 * broken ring as an error, is silenced meanwhile.
 *
 * <p>Budget: {@value #TRIES} tries on one device, about 3 s on two cores; each try has a watchdog of
 * 10 s.
 */
class VirtQueueFuzzTest {
    static final int TRIES = 2000;
    private static final int QUEUE_SIZE = 16;
    private static final long RAM = 64L << 20;
    private static final int SCRATCH = 64 << 10;
    /** Indirect tables live in the upper half of the scratch area, 64 descriptors apart. */
    private static final int SLOTS = 4;
    private static final int SLOT_ENTRIES = 64;
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private Path dir;
    private final List<Throwable> fatals = new CopyOnWriteArrayList<>();
    private FuseServer server;
    private VhostUserFsBackend backend;
    private TestFrontEnd frontEnd;
    private long scratch;
    /** The well-formed FUSE_INIT's buffers, used again by every try so that guest RAM lasts. */
    private TestFrontEnd.Buffer initRequest;
    private TestFrontEnd.Buffer initReply;
    private long unique;
    private Watchdog watchdog;
    private Level queueLogLevel;

    @BeforeProperty
    void startDevice() throws Exception {
        // Every broken ring is logged as an error; here they are expected by the dozen.
        queueLogLevel = LogManager.getLogger(VirtQueue.class).getLevel();
        Configurator.setLevel(VirtQueue.class.getName(), Level.OFF);
        dir = Files.createTempDirectory("virtqueue-fuzz");
        server = new FuseServer(new AugmentFs(new NullFs(), new InodeAllocator(), Map.of(), code -> { }));
        backend = VhostUserFsBackend.listen(dir.resolve("fs.sock"), RequestHandler.serving(server), 2, fatals::add);
        frontEnd = TestFrontEnd.connect(backend.socketPath(), RAM);
        frontEnd.handshake();
        frontEnd.start(TestFrontEnd.DEFAULT_GUEST_FEATURES, QUEUE_SIZE, 0, 1);
        scratch = frontEnd.alloc(SCRATCH, 4096);
        initRequest = frontEnd.readable(new byte[40 + 64]);
        initReply = frontEnd.writable(4096);
        watchdog = new Watchdog("virtqueue-fuzz", DEADLINE);
        assertInitIsAnswered(frontEnd.queue(1));
    }

    @AfterProperty
    void stopDevice() throws IOException {
        watchdog.close();
        frontEnd.close();
        backend.close();
        Files.deleteIfExists(dir.resolve("fs.sock"));
        Files.deleteIfExists(dir);
        Configurator.setLevel(VirtQueue.class.getName(), queueLogLevel);
    }

    // ---- the property ----

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    void garbageChainsAreRefusedOrBreakTheRingAndTheDeviceServesOn(@ForAll("garbage") List<Garbage> chains)
            throws Exception {
        watchdog.run(() -> {
            Queue q = frontEnd.queue(1);
            List<Integer> published = new ArrayList<>();
            for (Garbage g : chains) {
                g.writeInto(q, frontEnd, scratch);
            }
            for (Garbage g : chains) {
                q.publishRaw(g.head());
                published.add(g.head());
            }
            if (!answeredOrBroken(q, published)) {
                // The front end's part after the error signal: reset the rings as on a reboot.
                frontEnd.reboot(QUEUE_SIZE, 0, 1);
            }
            assertInitIsAnswered(frontEnd.queue(1));
            assertThat(fatals).as("fatal device failures").isEmpty();
            assertThat(server.unexpectedFailures()).as("unexpected failures in the FUSE server").isZero();
            assertThat(backend.awaitTermination(Duration.ZERO)).as("the device stopped").isFalse();
        });
    }

    /**
     * Waits until every head in {@code published} is on the used ring (true), or the error eventfd
     * says the ring broke (false).
     */
    private static boolean answeredOrBroken(Queue q, List<Integer> published) throws Exception {
        List<Integer> pending = new ArrayList<>(published);
        long deadline = System.nanoTime() + DEADLINE.toNanos() / 2;
        while (!pending.isEmpty()) {
            Used u = q.pollUsed();
            if (u != null) {
                assertThat(pending).as("used element for chain %d", u.id()).contains(u.id());
                pending.remove(Integer.valueOf(u.id()));
                continue;
            }
            if (q.errorSignals() > 0) {
                return false;
            }
            assertThat(System.nanoTime()).as("chains %s neither answered nor refused in time (used idx %d)",
                    pending, q.usedIdx()).isLessThan(deadline);
            TimeUnit.MICROSECONDS.sleep(200);
        }
        return q.errorSignals() == 0;
    }

    /** A FUSE_INIT in a well-formed chain gets its 80-byte answer, error 0, for its own unique. */
    private void assertInitIsAnswered(Queue q) throws Exception {
        long id = ++unique;
        ByteBuffer init = ByteBuffer.allocate(initRequest.length()).order(ByteOrder.LITTLE_ENDIAN);
        init.putInt(initRequest.length()).putInt(26).putLong(id).putLong(0).putInt(0).putInt(0).putInt(1).putInt(0);
        init.putInt(7).putInt(38).putInt(128 * 1024).putInt(-1).putInt(-1);
        MemorySegment.copy(MemorySegment.ofArray(init.array()), 0, frontEnd.guest(initRequest.gpa(),
                initRequest.length()), 0, initRequest.length());
        int head = q.post(initRequest, initReply);
        Used used = q.awaitUsed(DEADLINE);
        assertThat(used.id()).as("chain answered").isEqualTo(head);
        assertThat(used.length()).as("used length of FUSE_INIT").isEqualTo(16 + 64);
        ByteBuffer reply = ByteBuffer.wrap(frontEnd.read(initReply)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(reply.getInt(0)).as("reply length").isEqualTo(80);
        assertThat(reply.getInt(4)).as("reply error").isZero();
        assertThat(reply.getLong(8)).as("reply unique").isEqualTo(id);
    }

    // ---- garbage ----

    /** One descriptor as the driver writes it. */
    record Descriptor(long addr, long len, int flags, int next) {
        @Override
        public String toString() {
            return String.format("{0x%x +0x%x flags 0x%x next %d}", addr, len, flags, next);
        }
    }

    /** Where a descriptor points, resolved against the scratch area when written. */
    sealed interface Address {
        long resolve(long scratch);
    }

    /** An offset into the scratch area (possibly past its end). */
    record InScratch(long offset) implements Address {
        @Override
        public long resolve(long scratch) {
            return scratch + offset;
        }
    }

    /** The indirect table slot {@code slot}. */
    record Slot(int slot) implements Address {
        @Override
        public long resolve(long scratch) {
            return scratch + SCRATCH / 2 + (long) slot * 16 * SLOT_ENTRIES;
        }
    }

    /** A guest-physical address that does not depend on the scratch area: the edges of RAM, outside it. */
    record Absolute(long gpa) implements Address {
        @Override
        public long resolve(long scratch) {
            return gpa;
        }

        @Override
        public String toString() {
            return "Absolute[0x" + Long.toHexString(gpa) + "]";
        }
    }

    record Entry(int index, Address addr, long len, int flags, int next) {
    }

    /**
     * A chain the guest makes available at {@code head}: the descriptors it writes into the queue's
     * table first, and what it puts in indirect table slots.
     */
    record Garbage(int head, List<Entry> table, Map<Integer, List<Entry>> slots) {
        void writeInto(Queue q, TestFrontEnd fe, long scratch) {
            for (Entry e : table) {
                q.writeDescriptor(Math.floorMod(e.index(), QUEUE_SIZE), e.addr().resolve(scratch), (int) e.len(),
                        e.flags(), e.next());
            }
            slots.forEach((slot, entries) -> {
                MemorySegment t = fe.guest(new Slot(slot).resolve(scratch), 16L * SLOT_ENTRIES);
                t.fill((byte) 0);
                for (int i = 0; i < Math.min(entries.size(), SLOT_ENTRIES); i++) {
                    Entry e = entries.get(i);
                    Queue.writeDescriptor(t, i, e.addr().resolve(scratch), (int) e.len(), e.flags(), e.next());
                }
            });
        }
    }

    @Provide
    Arbitrary<List<Garbage>> garbage() {
        Arbitrary<Integer> heads = Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.integers().between(0, QUEUE_SIZE - 1)),
                Tuple.of(1, Arbitraries.integers().between(QUEUE_SIZE, 0xFFFF)));
        Arbitrary<Map<Integer, List<Entry>>> slots = Arbitraries.integers().between(0, SLOTS - 1).set().ofMaxSize(2)
                .flatMap(chosen -> entries(SLOT_ENTRIES).list().ofMaxSize(12).list().ofSize(chosen.size())
                        .map(tables -> {
                            Map<Integer, List<Entry>> out = new HashMap<>();
                            List<Integer> keys = List.copyOf(chosen);
                            for (int i = 0; i < keys.size(); i++) {
                                out.put(keys.get(i), tables.get(i));
                            }
                            return out;
                        }));
        Arbitrary<Garbage> one = Combinators.combine(heads, entries(QUEUE_SIZE).list().ofMinSize(1).ofMaxSize(8), slots)
                .as(Garbage::new);
        return one.list().ofMinSize(1).ofMaxSize(3);
    }

    private Arbitrary<Entry> entries(int tableSize) {
        Arbitrary<Integer> flags = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(0, F_NEXT, F_WRITE, F_NEXT | F_WRITE, F_INDIRECT, F_INDIRECT | F_NEXT,
                        F_INDIRECT | F_WRITE, 7)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xFFFF)));
        Arbitrary<Integer> nexts = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(0, tableSize)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xFFFF)));
        return Combinators.combine(Arbitraries.integers().between(0, tableSize - 1), addresses(), lengths(), flags,
                nexts).as(Entry::new);
    }

    private Arbitrary<Address> addresses() {
        long gpaBase = TestFrontEnd.GPA_BASE;
        long ramEnd = gpaBase + RAM;
        Arbitrary<Address> inScratch = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(0, SCRATCH / 2 - 1)),
                Tuple.of(1, Arbitraries.longs().between(SCRATCH - 64, SCRATCH + 64))).map(InScratch::new);
        Arbitrary<Address> slot = Arbitraries.integers().between(0, SLOTS - 1).map(Slot::new);
        Arbitrary<Address> edges = Arbitraries.oneOf(
                Arbitraries.longs().between(ramEnd - 64, ramEnd + 64),
                Arbitraries.longs().between(gpaBase - 64, gpaBase - 1),
                Arbitraries.of(0L, -1L, -16L, Long.MIN_VALUE, Long.MAX_VALUE),
                Arbitraries.longs()).map(Absolute::new);
        return Arbitraries.frequencyOf(Tuple.of(5, inScratch), Tuple.of(2, slot), Tuple.of(2, edges));
    }

    private static Arbitrary<Long> lengths() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0L)),
                Tuple.of(4, Arbitraries.longs().between(1, 256)),
                Tuple.of(2, Arbitraries.integers().between(1, 16).map(n -> 16L * n)),
                Tuple.of(1, Arbitraries.longs().between(0, SCRATCH)),
                Tuple.of(1, Arbitraries.of(0xFFFF_FFFFL, 0x8000_0000L, 0xFFFF_FFF0L, 16L * 32768, 16L * 32769)),
                Tuple.of(1, Arbitraries.longs().between(0, 0xFFFF_FFFFL)));
    }
}
