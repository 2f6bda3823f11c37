package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The device's arithmetic on the available and used rings of one split virtqueue (virtio 1.2
 * section 2.7): which chains the driver has made available, how a completed chain is put on the
 * used ring, and when either side must notify the other, with and without VIRTIO_F_EVENT_IDX.
 *
 * <pre>
 * avail : le16 flags; le16 idx; le16 ring[size]; le16 used_event
 * used  : le16 flags; le16 idx; {le32 id; le32 len}[size]; le16 avail_event
 * </pre>
 *
 * <p>Positions are free-running 16-bit counters like the indices in the rings: position p is slot
 * {@code p mod size}, and 0xffff is followed by 0. The device's own positions (the next chain to
 * take, the next used entry to fill) belong to the caller, which serializes them: this class holds
 * no state of its own beyond the two views, takes no lock and starts no thread. Index fields shared
 * with the driver are read with acquire and written with release semantics; full fences stand where
 * the notification protocol would otherwise lose a kick or an interrupt.
 */
final class SplitRing {
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int USED_F_NO_NOTIFY = 1;

    /** {@code (MemorySegment, long offset)} access to a 16-bit field. */
    private static final VarHandle U16 = ValueLayout.JAVA_SHORT.varHandle();

    /** The driver broke a rule of the ring; the device stops serving it until the driver resets it. */
    static final class RingViolation extends Exception {
        private static final long serialVersionUID = 1L;

        RingViolation(String message) {
            super(message, null, false, false);
        }
    }

    final int size;
    private final MemorySegment avail;
    private final MemorySegment used;
    private final int mask;

    /**
     * The rings of a queue of {@code size} entries (a power of two); {@code avail} and {@code used}
     * must hold at least {@link #availBytes} and {@link #usedBytes}.
     */
    SplitRing(MemorySegment avail, MemorySegment used, int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("queue size " + size + " is not a power of two");
        }
        if (avail.byteSize() < availBytes(size) || used.byteSize() < usedBytes(size)) {
            throw new IllegalArgumentException("rings of " + avail.byteSize() + " and " + used.byteSize()
                    + " bytes for a queue of " + size);
        }
        this.avail = avail;
        this.used = used;
        this.size = size;
        this.mask = size - 1;
    }

    static long availBytes(int size) {
        return 6L + 2L * size;
    }

    static long usedBytes(int size) {
        return 6L + 8L * size;
    }

    /** The position after {@code position}. */
    static int next(int position) {
        return (position + 1) & 0xffff;
    }

    /**
     * How many chains the driver has made available from {@code position} on; a violation if that is
     * more than the ring holds, since the driver cannot have filled more slots than there are.
     */
    int available(int position) throws RingViolation {
        int availIdx = availIdx();
        int pending = (availIdx - position) & 0xffff;
        if (pending > size) {
            throw new RingViolation(String.format("available index jumped from %d to %d on a ring of %d", position,
                    availIdx, size));
        }
        return pending;
    }

    /** Whether the driver has made nothing available from {@code position} on (so far). */
    boolean drained(int position) {
        return availIdx() == position;
    }

    /**
     * The head descriptor of the chain at available {@code position}; a violation if it names no
     * descriptor of the table.
     */
    int head(int position) throws RingViolation {
        int head = avail.get(JAVA_SHORT, 4L + 2L * (position & mask)) & 0xffff;
        if (head >= size) {
            throw new RingViolation("available ring entry " + position + " names descriptor " + head
                    + " of a ring of " + size);
        }
        return head;
    }

    /**
     * Asks the driver not to kick while the device is taking chains anyway. Without EVENT_IDX that is
     * the used ring's NO_NOTIFY flag; with it, the {@code avail_event} left from the last
     * {@link #rearmKicks} already says so, since the driver kicks only when it passes that index.
     */
    void suppressKicks(boolean eventIdx) {
        if (!eventIdx) {
            U16.setRelease(used, 0L, (short) USED_F_NO_NOTIFY);
        }
    }

    /**
     * After the device has taken every chain before {@code position}: asks the driver to kick for
     * the next one, then looks again, because a chain published between the last look and the
     * re-arming would get no kick. True if one was: the caller must go on taking chains.
     */
    boolean rearmKicks(int position, boolean eventIdx) {
        if (eventIdx) {
            U16.setRelease(used, 4L + 8L * size, (short) position);
        } else {
            U16.setRelease(used, 0L, (short) 0);
        }
        VarHandle.fullFence();
        return !drained(position);
    }

    /** The driver's {@code used->idx} as found in memory: 0 after a reset, or where an earlier device left it. */
    int usedIdx() {
        return (short) U16.getAcquire(used, 2L) & 0xffff;
    }

    /**
     * Puts the completed chain {@code (head, length)} at used {@code position} and then publishes
     * {@code used->idx = position + 1}, so the driver never sees the index before the entry. True if
     * the driver asked for an interrupt for it: with EVENT_IDX when the index passes its
     * {@code used_event}, without it unless it set NO_INTERRUPT.
     */
    boolean putUsed(int position, int head, int length, boolean eventIdx) {
        long offset = 4L + 8L * (position & mask);
        used.set(JAVA_INT, offset, head);
        used.set(JAVA_INT, offset + 4, length);
        int usedIdx = next(position);
        U16.setRelease(used, 2L, (short) usedIdx);
        // The new index must be visible before the driver's interrupt request is read.
        VarHandle.fullFence();
        if (eventIdx) {
            int usedEvent = (short) U16.getAcquire(avail, 4L + 2L * size) & 0xffff;
            return needEvent(usedEvent, usedIdx, position);
        }
        return ((short) U16.getAcquire(avail, 0L) & AVAIL_F_NO_INTERRUPT) == 0;
    }

    /**
     * virtio's {@code vring_need_event}: whether an index moving from {@code old} to {@code now}
     * passes {@code event}.
     */
    private static boolean needEvent(int event, int now, int old) {
        return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
    }

    private int availIdx() {
        return (short) U16.getAcquire(avail, 2L) & 0xffff;
    }
}
