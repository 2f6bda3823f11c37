package io.krunctl.virtiofs.vhostuser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.virtiofs.vhostuser.SplitRing.RingViolation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The split-ring arithmetic on one block of memory laid out as a driver lays out a queue of 8:
 * descriptor table, available ring, then the used ring at the next 4-byte boundary. The test plays
 * the driver by writing and reading the ring fields as the virtio spec places them.
 */
class SplitRingTest {
    private static final int SIZE = 8;
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment avail;
    private final MemorySegment used;
    private final SplitRing ring;

    SplitRingTest() {
        long descBytes = DescriptorChain.DESCRIPTOR_SIZE * SIZE;
        long usedAt = (descBytes + SplitRing.availBytes(SIZE) + 3) & ~3L;
        MemorySegment queue = arena.allocate(usedAt + SplitRing.usedBytes(SIZE), 16);
        avail = queue.asSlice(descBytes, SplitRing.availBytes(SIZE));
        used = queue.asSlice(usedAt, SplitRing.usedBytes(SIZE));
        ring = new SplitRing(avail, used, SIZE);
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    // ---- the driver's side ----

    /** Puts {@code heads} on the available ring from position {@code from} and publishes the index after them. */
    private void offer(int from, int... heads) {
        int position = from;
        for (int head : heads) {
            avail.set(LE16, 4L + 2L * (position % SIZE), (short) head);
            position = (position + 1) & 0xffff;
        }
        avail.set(LE16, 2, (short) position);
    }

    private void setAvailFlags(int flags) {
        avail.set(LE16, 0, (short) flags);
    }

    private void setUsedEvent(int index) {
        avail.set(LE16, 4L + 2L * SIZE, (short) index);
    }

    private int usedIdx() {
        return used.get(LE16, 2) & 0xffff;
    }

    private int usedFlags() {
        return used.get(LE16, 0) & 0xffff;
    }

    private int availEvent() {
        return used.get(LE16, 4L + 8L * SIZE) & 0xffff;
    }

    /** The used element in slot {@code slot}: {id, len}. */
    private List<Integer> usedElement(int slot) {
        return List.of(used.get(LE32, 4L + 8L * slot), used.get(LE32, 8L + 8L * slot));
    }

    /** What the device does on a kick: takes every available head from {@code position}. */
    private List<Integer> takeAll(int position) throws RingViolation {
        List<Integer> heads = new ArrayList<>();
        int p = position;
        while (ring.available(p) > 0) {
            heads.add(ring.head(p));
            p = SplitRing.next(p);
        }
        return heads;
    }

    @Nested
    class AvailableRing {
        @Test
        void headsAreTakenInTheOrderTheDriverOfferedThem() throws Exception {
            offer(0, 5, 2, 7);

            assertThat(ring.available(0)).isEqualTo(3);
            assertThat(takeAll(0)).containsExactly(5, 2, 7);
            assertThat(ring.drained(3)).isTrue();
            assertThat(ring.drained(2)).isFalse();
        }

        @Test
        void positionsWrapAtSixteenBitsAndSlotsAtTheRingSize() throws Exception {
            // The device is at 0xfffd; the driver published 5 more, so avail->idx wrapped to 2.
            offer(0xfffd, 1, 3, 5, 0, 6);

            assertThat(avail.get(LE16, 2) & 0xffff).isEqualTo(2);
            assertThat(ring.available(0xfffd)).isEqualTo(5);
            assertThat(takeAll(0xfffd)).containsExactly(1, 3, 5, 0, 6);
            assertThat(SplitRing.next(0xffff)).isZero();
            assertThat(ring.drained(2)).isTrue();
        }

        @Test
        void aFullRingIsFineButAnIndexBeyondItIsAViolation() throws Exception {
            offer(0xfffc, 0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(ring.available(0xfffc)).isEqualTo(SIZE);

            avail.set(LE16, 2, (short) ((0xfffc + SIZE + 1) & 0xffff));
            assertThatThrownBy(() -> ring.available(0xfffc)).isInstanceOf(RingViolation.class)
                    .hasMessage("available index jumped from 65532 to 5 on a ring of 8");
        }

        @Test
        void aHeadOutsideTheTableIsAViolation() {
            offer(0, SIZE);

            assertThatThrownBy(() -> ring.head(0)).isInstanceOf(RingViolation.class)
                    .hasMessage("available ring entry 0 names descriptor 8 of a ring of 8");
        }
    }

    @Nested
    class UsedRing {
        @Test
        void entriesAppearInCompletionOrderAndTheIndexCoversExactlyThem() {
            ring.putUsed(0, 6, 100, false);
            assertThat(usedIdx()).isEqualTo(1);
            ring.putUsed(1, 2, 0, false);
            ring.putUsed(2, 4, 4096, false);

            assertThat(usedIdx()).isEqualTo(3);
            assertThat(usedElement(0)).containsExactly(6, 100);
            assertThat(usedElement(1)).containsExactly(2, 0);
            assertThat(usedElement(2)).containsExactly(4, 4096);
            assertThat(usedElement(3)).as("not yet published").containsExactly(0, 0);
        }

        @Test
        void theIndexWrapsAtSixteenBitsAndTheSlotAtTheRingSize() {
            ring.putUsed(0xffff, 3, 7, false);
            assertThat(usedIdx()).isZero();
            assertThat(usedElement(0xffff % SIZE)).containsExactly(3, 7);

            ring.putUsed(0, 1, 9, false);
            assertThat(usedIdx()).isEqualTo(1);
            assertThat(usedElement(0)).containsExactly(1, 9);
        }

        @Test
        void theUsedIndexLeftInMemoryIsWhereTheDeviceResumes() {
            used.set(LE16, 2, (short) 0xfff0);

            assertThat(ring.usedIdx()).isEqualTo(0xfff0);
        }
    }

    @Nested
    class InterruptsWithoutEventIdx {
        @Test
        void everyCompletionInterruptsUnlessTheDriverSaidNoInterrupt() {
            assertThat(ring.putUsed(0, 0, 1, false)).isTrue();

            setAvailFlags(SplitRing.AVAIL_F_NO_INTERRUPT);
            assertThat(ring.putUsed(1, 1, 1, false)).isFalse();
            assertThat(usedIdx()).as("published all the same").isEqualTo(2);

            setAvailFlags(0);
            assertThat(ring.putUsed(2, 2, 1, false)).isTrue();
        }
    }

    @Nested
    class InterruptsWithEventIdx {
        @Test
        void onlyTheCompletionThatPassesUsedEventInterrupts() {
            setUsedEvent(2);
            List<Boolean> notified = new ArrayList<>();
            for (int position = 0; position < 5; position++) {
                notified.add(ring.putUsed(position, position, 1, true));
            }

            // used->idx goes 0->1, 1->2, 2->3 (passes used_event 2), 3->4, 4->5.
            assertThat(notified).containsExactly(false, false, true, false, false);
        }

        @Test
        void usedEventIsComparedAcrossTheSixteenBitWrap() {
            setUsedEvent(0xffff);

            assertThat(ring.putUsed(0xfffe, 0, 1, true)).as("0xfffe -> 0xffff").isFalse();
            assertThat(ring.putUsed(0xffff, 1, 1, true)).as("0xffff -> 0").isTrue();
            assertThat(ring.putUsed(0, 2, 1, true)).as("0 -> 1").isFalse();
        }

        @Test
        void theNoInterruptFlagIsIgnored() {
            setAvailFlags(SplitRing.AVAIL_F_NO_INTERRUPT);
            setUsedEvent(0);

            assertThat(ring.putUsed(0, 0, 1, true)).isTrue();
        }
    }

    @Nested
    class Kicks {
        @Test
        void withoutEventIdxTheNoNotifyFlagIsSetWhileTakingAndClearedAfter() {
            ring.suppressKicks(false);
            assertThat(usedFlags()).isEqualTo(SplitRing.USED_F_NO_NOTIFY);

            assertThat(ring.rearmKicks(0, false)).isFalse();
            assertThat(usedFlags()).isZero();
        }

        @Test
        void withEventIdxTheDriverIsAskedToKickForTheNextPosition() {
            ring.suppressKicks(true);
            assertThat(usedFlags()).as("the flag is not used with EVENT_IDX").isZero();
            offer(0xffff);

            assertThat(ring.rearmKicks(0xffff, true)).isFalse();
            assertThat(availEvent()).isEqualTo(0xffff);
        }

        @Test
        void aChainPublishedBeforeTheRearmIsReportedSoItIsNotLeftWithoutAKick() {
            offer(4, 1);

            assertThat(ring.rearmKicks(4, true)).isTrue();
            assertThat(ring.rearmKicks(4, false)).isTrue();
            assertThat(ring.rearmKicks(5, true)).isFalse();
        }
    }

    @Test
    void aRingThatIsNotAPowerOfTwoOrDoesNotFitIsRefused() {
        assertThatThrownBy(() -> new SplitRing(avail, used, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SplitRing(avail, used, 16)).isInstanceOf(IllegalArgumentException.class);
    }
}
