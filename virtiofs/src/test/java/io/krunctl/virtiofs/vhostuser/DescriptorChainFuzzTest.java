package io.krunctl.virtiofs.vhostuser;

import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_INDIRECT;
import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_NEXT;
import static io.krunctl.virtiofs.vhostuser.DescriptorChain.F_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.virtiofs.Watchdog;
import io.krunctl.virtiofs.fuse.ScatterBuffer;
import io.krunctl.virtiofs.vhostuser.DescriptorChain.BadChainException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Fuzzes the descriptor-chain walker, {@link DescriptorChain#parse}, over real guest memory: a memfd
 * mapped as four regions, two of them adjacent, one after a gap and one ending at the top of the
 * 64-bit address space. Each try writes a descriptor table (random, or a well-formed chain with a few
 * fields spoiled) and indirect tables at fixed slots, one of them straddling two regions and one at
 * the top of the address space, then parses from a head.
 *
 * <p>The walker must either refuse the chain with {@link BadChainException} or return exactly what a
 * plain reading of the virtio rules describes: as many readable and writable bytes, holding the bytes
 * of those guest addresses, every segment inside one mapped region. It must throw nothing else,
 * allocate in proportion to the descriptors it may visit, and finish.
 *
 * <p>Budget: {@value #TRIES} tries, about 3 s on two cores. At least a fifth of the chains must be
 * accepted and a fifth refused, or the generators have drifted and the property fails.
 */
class DescriptorChainFuzzTest {
    static final int TRIES = 10_000;

    /**
     * A guest memory region: where the guest sees it, where the front end maps it, where it lies in the
     * file.
     */
    record Region(long gpa, long size, long uva, long fileOffset) {
        long end() {
            return gpa + size; // wraps to 0 for the region at the top
        }
    }

    static final Region R0 = new Region(0x1_0000L, 0x4000, 0x7000_0000L, 0x1000);
    static final Region R1 = new Region(0x1_4000L, 0x4000, 0x7100_0000L, 0x6000);
    static final Region R2 = new Region(0x4_0000L, 0x2000, 0x7200_0000L, 0xA000);
    static final Region TOP = new Region(0xFFFF_FFFF_FFFF_E000L, 0x2000, 0x7300_0000L, 0xC000);
    static final List<Region> REGIONS = List.of(R0, R1, R2, TOP);
    static final long FILE_SIZE = 0x10000;

    /** The queue's descriptor table sits at the start of R0, its rings right after. */
    static final long DESC_GPA = R0.gpa();
    static final int MAX_QUEUE = 64;

    /** Where indirect tables are written: inside R1, across the R0/R1 boundary, at the top of memory, in R2. */
    enum Slot {
        IN_R1(R1.gpa() + 0x100, 64),
        ACROSS_R0_R1(R1.gpa() - 0x20, 8),
        AT_THE_TOP(-0x100L, 16),
        IN_R2(R2.gpa(), 128);

        final long gpa;
        final int capacity;

        Slot(long gpa, int capacity) {
            this.gpa = gpa;
            this.capacity = capacity;
        }
    }

    private Fd memfd;
    private Arena arena;
    /** The test's own mapping of the whole file, through which it plays the driver. */
    private MemorySegment file;
    private GuestMemory memory;
    private final Map<Integer, RingView> views = new HashMap<>();
    private Watchdog watchdog;
    private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    @BeforeProperty
    void mapGuestMemory() throws Exception {
        memfd = Fd.adopt(Libc.memfdCreate("descriptor-chain-fuzz", Libc.MFD_CLOEXEC));
        Libc.ftruncate(memfd.get(), FILE_SIZE);
        arena = Arena.ofShared();
        file = Libc.mmap(FILE_SIZE, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, memfd.get(), 0, arena);
        for (long i = 0; i < FILE_SIZE; i++) {
            // Every byte tells where it is, so bytes read through a wrong translation differ.
            file.set(JAVA_BYTE, i, (byte) (i * 31 + (i >> 8)));
        }
        int[] fds = new int[REGIONS.size()];
        Arrays.fill(fds, memfd.get());
        memory = GuestMemory.map(REGIONS.stream()
                .map(r -> new GuestMemory.RegionSpec(r.gpa(), r.size(), r.uva(), r.fileOffset())).toList(), fds);
        for (int size = 1; size <= MAX_QUEUE; size *= 2) {
            assertThat(memory.retain()).isTrue();
            views.put(size, RingView.map(memory, size, R0.uva(), R0.uva() + 0x400, R0.uva() + 0x600));
        }
        watchdog = new Watchdog("descriptor-chain-fuzz", Duration.ofSeconds(10));
    }

    @AfterProperty
    void unmap() {
        watchdog.close();
        for (int i = 0; i <= views.size(); i++) {
            memory.release();
        }
        views.clear();
        arena.close();
        memfd.close();
    }

    // ---- the property ----

    @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void parseRefusesABadChainOrReturnsExactlyTheGuestMemoryItDescribes(@ForAll("chains") Chain chain)
            throws Exception {
        Described expected = assertParseAgreesWithTheRules(chain);
        Statistics.label("outcome").collect(expected == null ? "refused" : "accepted");
        Statistics.label("outcome").coverage(c -> {
            c.check("accepted").percentage(p -> p >= 20);
            c.check("refused").percentage(p -> p >= 20);
        });
    }

    /**
     * Found by the property: an empty writable descriptor followed by readable ones (here in an
     * indirect table) was accepted, since only non-empty writable buffers counted.
     */
    @Example
    void aReadableDescriptorAfterAnEmptyWritableOneIsRefused() throws Exception {
        Descriptor unused = new Descriptor(R0.gpa(), 0, 0, 0);
        List<Descriptor> table = new ArrayList<>(Collections.nCopies(16, unused));
        table.set(0, new Descriptor(R0.gpa(), 0, F_NEXT | F_WRITE, 1));
        table.set(1, new Descriptor(Slot.IN_R1.gpa, 16 * 3, F_INDIRECT, 0));
        Chain chain = new Chain(16, 0, true, table, Map.of(Slot.IN_R1, List.of(
                new Descriptor(R0.gpa(), 1, F_NEXT, 1),
                new Descriptor(R0.gpa(), 1, F_NEXT | F_WRITE, 2),
                new Descriptor(R0.gpa(), 1, F_WRITE, 0))));

        assertThat(assertParseAgreesWithTheRules(chain)).isNull();
    }

    /** Parses {@code chain} and checks the outcome against {@link #walk}, which it returns. */
    private Described assertParseAgreesWithTheRules(Chain chain) throws Exception {
        write(chain);
        Described expected = walk(chain);
        watchdog.run(() -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            DescriptorChain parsed = null;
            String refused = null;
            try {
                parsed = DescriptorChain.parse(views.get(chain.size()), chain.head(), chain.indirectAllowed());
            } catch (BadChainException e) {
                refused = e.getMessage();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("heap bytes the walk allocated")
                    .isLessThanOrEqualTo(16 * 1024 + 512L * chain.visitableDescriptors());
            if (refused != null) {
                assertThat(expected).as("refused (%s), but the chain is well formed", refused).isNull();
                return;
            }
            assertThat(expected).as("accepted a chain that breaks the rules").isNotNull();
            assertDescribes(parsed.request(), expected.readable(), "readable");
            assertDescribes(parsed.reply(), expected.writable(), "writable");
        });
        return expected;
    }

    /** The buffer holds the bytes of {@code ranges}, and each of its segments lies inside one mapped region. */
    private void assertDescribes(ScatterBuffer buffer, List<long[]> ranges, String what) {
        long total = ranges.stream().mapToLong(r -> r[1]).sum();
        assertThat(buffer.size()).as("%s bytes", what).isEqualTo(total);
        assertThat(total).as("%s bytes", what).isLessThanOrEqualTo(DescriptorChain.MAX_CHAIN_BYTES);
        for (MemorySegment s : buffer.slices(0, buffer.size())) {
            assertThat(REGIONS.stream().anyMatch(r -> {
                long base = memory.guestRange(r.gpa(), r.size()).address();
                return s.address() >= base && s.address() + s.byteSize() <= base + r.size();
            })).as("%s segment at 0x%x (+0x%x) inside one mapped region", what, s.address(), s.byteSize()).isTrue();
        }
        if (total <= 1 << 20) {
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            ranges.forEach(r -> expected.writeBytes(readGuest(r[0], r[1])));
            byte[] actual = new byte[(int) total];
            buffer.read(0, MemorySegment.ofArray(actual));
            assertThat(actual).as("%s bytes", what).isEqualTo(expected.toByteArray());
        }
    }

    // ---- the driver's side: writing the tables ----

    /** One descriptor as the driver writes it: {@code len} is a u32, {@code flags} and {@code next} u16s. */
    record Descriptor(long addr, long len, int flags, int next) {
        @Override
        public String toString() {
            return String.format("{0x%x +0x%x %s%s%s%s next %d}", addr, len,
                    (flags & F_NEXT) != 0 ? "N" : "", (flags & F_WRITE) != 0 ? "W" : "",
                    (flags & F_INDIRECT) != 0 ? "I" : "",
                    (flags & ~7) != 0 ? "+0x" + Integer.toHexString(flags & ~7) : "",
                    next);
        }
    }

    /** A queue of {@code size} descriptors, the head the driver offers, and what each indirect slot holds. */
    record Chain(int size, int head, boolean indirectAllowed, List<Descriptor> table,
            Map<Slot, List<Descriptor>> slots) {
        /**
         * The most descriptors a walk may visit: the queue's table, then one indirect table, which must
         * fit in one region.
         */
        long visitableDescriptors() {
            return size + REGIONS.stream().mapToLong(Region::size).max().orElseThrow() / 16;
        }
    }

    private void write(Chain chain) {
        for (int i = 0; i < MAX_QUEUE; i++) {
            putDescriptor(DESC_GPA + 16L * i,
                    i < chain.table().size() ? chain.table().get(i) : new Descriptor(0, 0, 0, 0));
        }
        for (Slot slot : Slot.values()) {
            List<Descriptor> entries = chain.slots().getOrDefault(slot, List.of());
            for (int i = 0; i < slot.capacity; i++) {
                putDescriptor(slot.gpa + 16L * i, i < entries.size() ? entries.get(i) : new Descriptor(0, 0, 0, 0));
            }
        }
    }

    private void putDescriptor(long gpa, Descriptor d) {
        MemorySegment s = guest(gpa, 16);
        s.set(JAVA_LONG_UNALIGNED, 0, d.addr());
        s.set(JAVA_INT_UNALIGNED, 8, (int) d.len());
        s.set(JAVA_SHORT_UNALIGNED, 12, (short) d.flags());
        s.set(JAVA_SHORT_UNALIGNED, 14, (short) d.next());
    }

    /** The test's view of guest-physical {@code [gpa, gpa + length)}, which must lie in one region. */
    private MemorySegment guest(long gpa, long length) {
        for (Region r : REGIONS) {
            long off = gpa - r.gpa();
            if (Long.compareUnsigned(off, r.size()) < 0 && length <= r.size() - off) {
                return file.asSlice(r.fileOffset() + off, length);
            }
        }
        throw new IllegalArgumentException(String.format("0x%x (+0x%x) is not in one region", gpa, length));
    }

    /** The guest bytes of a range that may cross adjacent regions. */
    private byte[] readGuest(long gpa, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long addr = gpa;
        long left = length;
        while (left > 0) {
            Region r = regionOf(addr);
            long take = Math.min(left, r.size() - (addr - r.gpa()));
            out.writeBytes(guest(addr, take).toArray(JAVA_BYTE));
            addr += take;
            left -= take;
        }
        return out.toByteArray();
    }

    private static Region regionOf(long gpa) {
        return REGIONS.stream().filter(r -> Long.compareUnsigned(gpa - r.gpa(), r.size()) < 0).findFirst()
                .orElseThrow();
    }

    // ---- the rules, as a driver reads them ----

    /** The readable and writable guest ranges, {addr, len}, in chain order. */
    record Described(List<long[]> readable, List<long[]> writable) {
        @Override
        public String toString() {
            return "readable " + show(readable) + ", writable " + show(writable);
        }

        private static String show(List<long[]> ranges) {
            return ranges.stream().map(r -> String.format("0x%x+0x%x", r[0], r[1])).toList().toString();
        }
    }

    /**
     * Walks the chain as the virtio rules say and returns what it describes, or null if it breaks a
     * rule: a next index outside its table, more descriptors than the table holds (a loop), an
     * indirect descriptor where none may be (feature not negotiated, inside an indirect table, with
     * NEXT) or of a bad size (not whole descriptors, none, more than 32768) or not inside one region, a
     * readable descriptor after a writable one (empty or not), a buffer not inside guest memory, more
     * than 2^32 - 1 bytes either way. A zero-length descriptor describes no memory, so its address
     * does not count.
     */
    private Described walk(Chain c) {
        List<long[]> readable = new ArrayList<>();
        List<long[]> writable = new ArrayList<>();
        long readBytes = 0;
        long writeBytes = 0;
        long table = DESC_GPA;
        long tableSize = c.size();
        boolean inIndirect = false;
        boolean writing = false;
        int index = c.head();
        int visited = 0;
        while (true) {
            if (index >= tableSize || ++visited > tableSize) {
                return null;
            }
            MemorySegment d = guest(table + 16L * index, 16);
            long addr = d.get(JAVA_LONG_UNALIGNED, 0);
            long len = Integer.toUnsignedLong(d.get(JAVA_INT_UNALIGNED, 8));
            int flags = Short.toUnsignedInt(d.get(JAVA_SHORT_UNALIGNED, 12));
            int next = Short.toUnsignedInt(d.get(JAVA_SHORT_UNALIGNED, 14));
            if ((flags & F_INDIRECT) != 0) {
                if (!c.indirectAllowed() || inIndirect || (flags & F_NEXT) != 0
                        || len == 0 || len % 16 != 0 || len / 16 > 32768 || !inOneRegion(addr, len)) {
                    return null;
                }
                table = addr;
                tableSize = len / 16;
                inIndirect = true;
                index = 0;
                visited = 0;
                continue;
            }
            boolean write = (flags & F_WRITE) != 0;
            if (!write && writing) {
                return null;
            }
            writing |= write;
            if (len > 0) {
                if (write) {
                    writeBytes += len;
                } else {
                    readBytes += len;
                }
                if (readBytes > 0xFFFF_FFFFL || writeBytes > 0xFFFF_FFFFL || !inGuestMemory(addr, len)) {
                    return null;
                }
                (write ? writable : readable).add(new long[] {addr, len});
            }
            if ((flags & F_NEXT) == 0) {
                return new Described(readable, writable);
            }
            index = next;
        }
    }

    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    private static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** Whether every byte of {@code [addr, addr + len)}, counted without wrapping, lies in some region. */
    private static boolean inGuestMemory(long addr, long len) {
        BigInteger pos = unsigned(addr);
        BigInteger end = pos.add(BigInteger.valueOf(len));
        while (pos.compareTo(end) < 0) {
            BigInteger at = pos;
            Region r = REGIONS.stream().filter(x -> unsigned(x.gpa()).compareTo(at) <= 0
                    && at.compareTo(unsigned(x.gpa()).add(BigInteger.valueOf(x.size()))) < 0).findFirst().orElse(null);
            if (r == null) {
                return false;
            }
            pos = unsigned(r.gpa()).add(BigInteger.valueOf(r.size())).min(end);
        }
        return end.compareTo(TWO_TO_64) <= 0;
    }

    private static boolean inOneRegion(long addr, long len) {
        return REGIONS.stream().anyMatch(r -> unsigned(r.gpa()).compareTo(unsigned(addr)) <= 0
                && unsigned(addr).add(BigInteger.valueOf(len))
                        .compareTo(unsigned(r.gpa()).add(BigInteger.valueOf(r.size()))) <= 0);
    }

    // ---- generators ----

    @Provide
    Arbitrary<Chain> chains() {
        return Arbitraries.of(1, 2, 4, 8, 16, 32, 64).flatMap(size -> Arbitraries.frequencyOf(
                Tuple.of(1, randomChains(size)),
                Tuple.of(2, spoiledChains(size))));
    }

    /** Every descriptor random, from addresses and sizes near the edges of memory. */
    private Arbitrary<Chain> randomChains(int size) {
        return Combinators.combine(Arbitraries.integers().between(0, size - 1), indirectAllowed(),
                descriptors(size).list().ofSize(size), slotContents(descriptors(64)))
                .as((head, indirect, table, slots) -> new Chain(size, head, indirect, table, slots));
    }

    /**
     * A well-formed chain from descriptor 0 (readable buffers, then writable ones, possibly ending in
     * an indirect table of the same kind), with up to three fields then overwritten with hostile values.
     */
    private Arbitrary<Chain> spoiledChains(int size) {
        Arbitrary<List<Descriptor>> wellFormed = Arbitraries.integers().between(1, size).flatMap(length ->
                Combinators.combine(buffers().list().ofSize(length), Arbitraries.integers().between(0, length),
                        Arbitraries.of(true, false))
                        .as((buffers, firstWritable, endsIndirect) -> {
                            List<Descriptor> out = new ArrayList<>();
                            for (int i = 0; i < length; i++) {
                                long[] b = buffers.get(i);
                                boolean last = i == length - 1;
                                if (last && endsIndirect) {
                                    out.add(new Descriptor(Slot.IN_R1.gpa, 16L * 3, F_INDIRECT, 0));
                                } else {
                                    out.add(new Descriptor(b[0], b[1], (last ? 0 : F_NEXT)
                                            | (i >= firstWritable ? F_WRITE : 0), last ? 0 : i + 1));
                                }
                            }
                            return out;
                        }));
        Arbitrary<List<Descriptor>> indirectTable = buffers().list().ofSize(3).map(buffers -> List.of(
                new Descriptor(buffers.get(0)[0], buffers.get(0)[1], F_NEXT, 1),
                new Descriptor(buffers.get(1)[0], buffers.get(1)[1], F_NEXT | F_WRITE, 2),
                new Descriptor(buffers.get(2)[0], buffers.get(2)[1], F_WRITE, 0)));
        Arbitrary<List<Spoil>> spoils = spoils(size).list().ofMaxSize(3);
        return Combinators.combine(wellFormed, indirectTable, spoils, indirectAllowed(),
                descriptors(size).list().ofSize(size))
                .as((chain, indirect, spoiled, allowed, filler) -> {
                    List<Descriptor> table = new ArrayList<>(filler);
                    for (int i = 0; i < chain.size(); i++) {
                        table.set(i, chain.get(i));
                    }
                    Map<Slot, List<Descriptor>> slots = new HashMap<>(Map.of(Slot.IN_R1, new ArrayList<>(indirect)));
                    for (Spoil s : spoiled) {
                        List<Descriptor> target = s.inIndirect() ? slots.get(Slot.IN_R1) : table;
                        int i = Math.floorMod(s.index(), target.size());
                        target.set(i, s.apply(target.get(i)));
                    }
                    return new Chain(size, 0, allowed, table, slots);
                });
    }

    /** One field of one descriptor (of the queue's table or the indirect one) replaced. */
    record Spoil(boolean inIndirect, int index, int field, long value) {
        Descriptor apply(Descriptor d) {
            return switch (field) {
                case 0 -> new Descriptor(value, d.len(), d.flags(), d.next());
                case 1 -> new Descriptor(d.addr(), value & 0xFFFF_FFFFL, d.flags(), d.next());
                case 2 -> new Descriptor(d.addr(), d.len(), (int) value & 0xFFFF, d.next());
                default -> new Descriptor(d.addr(), d.len(), d.flags(), (int) value & 0xFFFF);
            };
        }
    }

    private Arbitrary<Spoil> spoils(int size) {
        return Arbitraries.integers().between(0, 3).flatMap(field -> Combinators.combine(
                Arbitraries.of(false, true), Arbitraries.integers().between(0, MAX_QUEUE),
                switch (field) {
                    case 0 -> addresses();
                    case 1 -> lengths();
                    case 2 -> flags().map(Integer::longValue);
                    default -> nexts(size).map(Integer::longValue);
                }).as((indirect, index, value) -> new Spoil(indirect, index, field, value)));
    }

    private static Arbitrary<Boolean> indirectAllowed() {
        return Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false));
    }

    /** Tables for some of the indirect slots. */
    private static Arbitrary<Map<Slot, List<Descriptor>>> slotContents(Arbitrary<Descriptor> descriptors) {
        return Arbitraries.subsetOf(Slot.values()).flatMap(slots -> {
            List<Slot> chosen = List.copyOf(slots);
            return descriptors.list().ofMaxSize(16).list().ofSize(chosen.size()).map(tables -> {
                Map<Slot, List<Descriptor>> out = new HashMap<>();
                for (int i = 0; i < chosen.size(); i++) {
                    out.put(chosen.get(i), tables.get(i));
                }
                return out;
            });
        });
    }

    private Arbitrary<Descriptor> descriptors(int size) {
        return Combinators.combine(addresses(), lengths(), flags(), nexts(size)).as(Descriptor::new);
    }

    /** A buffer wholly inside one region, or crossing from R0 into R1. */
    private static Arbitrary<long[]> buffers() {
        Arbitrary<long[]> inOne = Arbitraries.of(REGIONS).flatMap(r -> Arbitraries.longs().between(0, r.size() - 1)
                .flatMap(off -> Arbitraries.longs().between(1, r.size() - off)
                        .map(len -> new long[] {r.gpa() + off, len})));
        Arbitrary<long[]> across = Combinators.combine(Arbitraries.longs().between(1, 0x100),
                Arbitraries.longs().between(1, 0x100))
                .as((before, after) -> new long[] {R1.gpa() - before, before + after});
        return Arbitraries.frequencyOf(Tuple.of(5, inOne), Tuple.of(1, across));
    }

    /** Addresses inside, at the edges of and outside the regions, and the indirect slots. */
    private static Arbitrary<Long> addresses() {
        Arbitrary<Long> inside = Arbitraries.of(REGIONS).flatMap(r -> Arbitraries.longs().between(0, r.size() - 1)
                .map(off -> r.gpa() + off));
        Arbitrary<Long> nearEnds = Combinators.combine(Arbitraries.of(REGIONS), Arbitraries.longs().between(0, 64))
                .as((r, back) -> r.end() - back);
        Arbitrary<Long> slots = Arbitraries.of(Slot.values()).map(s -> s.gpa);
        Arbitrary<Long> outside = Arbitraries.of(0L, 0xFFFFL, R0.gpa() - 1, R1.end(), R2.gpa() - 1, R2.end(),
                -1L, Long.MIN_VALUE, Long.MAX_VALUE, TOP.gpa() - 1);
        return Arbitraries.frequencyOf(Tuple.of(4, inside), Tuple.of(2, nearEnds), Tuple.of(2, slots),
                Tuple.of(1, outside), Tuple.of(1, Arbitraries.longs()));
    }

    /** Sizes of buffers and of indirect tables, up to 2^32 - 1. */
    private static Arbitrary<Long> lengths() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0L)),
                Tuple.of(4, Arbitraries.longs().between(1, 64)),
                Tuple.of(2, Arbitraries.longs().between(0, 0x8000)),
                Tuple.of(2, Arbitraries.integers().between(1, 70).map(n -> 16L * n)),
                Tuple.of(1, Arbitraries.of(0xFFFF_FFFFL, 0x8000_0000L, 0xFFFF_FFF0L, 16L * 32768, 16L * 32769, 8L,
                        24L)),
                Tuple.of(1, Arbitraries.longs().between(0, 0xFFFF_FFFFL)));
    }

    private static Arbitrary<Integer> flags() {
        return Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.integers().between(0, 7)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xFFFF)));
    }

    private static Arbitrary<Integer> nexts(int size) {
        return Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.integers().between(0, size)),
                Tuple.of(1, Arbitraries.integers().between(0, 0xFFFF)));
    }
}
