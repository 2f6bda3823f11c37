package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The three parts of one split virtqueue, translated into one {@link GuestMemory} generation.
 *
 * <pre>
 * desc  : size x {le64 addr; le32 len; le16 flags; le16 next}
 * avail : le16 flags; le16 idx; le16 ring[size]; le16 used_event
 * used  : le16 flags; le16 idx; {le32 id; le32 len}[size]; le16 avail_event
 * </pre>
 *
 * Index fields shared with the guest are read with acquire and written with release semantics;
 * callers add full fences where the virtio notification protocol needs them.
 */
final class RingView {
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int USED_F_NO_NOTIFY = 1;

    /** {@code (MemorySegment, long offset)} access to a 16-bit field. */
    private static final VarHandle U16 = ValueLayout.JAVA_SHORT.varHandle();

    final GuestMemory memory;
    final MemorySegment desc;
    final MemorySegment avail;
    final MemorySegment used;
    final int size;
    private final int mask;

    private RingView(GuestMemory memory, MemorySegment desc, MemorySegment avail, MemorySegment used, int size) {
        this.memory = memory;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.size = size;
        this.mask = size - 1;
    }

    /**
     * Translates the ring addresses (front-end virtual addresses) of a queue of {@code size}
     * entries. Takes over one reference to {@code memory} on success; on failure the caller keeps it.
     */
    static RingView map(GuestMemory memory, int size, long descUva, long availUva, long usedUva)
            throws VhostUserException {
        MemorySegment desc = part(memory, "descriptor table", descUva, 16L * size, 16);
        MemorySegment avail = part(memory, "available ring", availUva, 6L + 2L * size, 2);
        MemorySegment used = part(memory, "used ring", usedUva, 6L + 8L * size, 4);
        return new RingView(memory, desc, avail, used, size);
    }

    private static MemorySegment part(GuestMemory memory, String what, long uva, long length, int alignment)
            throws VhostUserException {
        MemorySegment s = memory.userRange(uva, length);
        if (s == null) {
            throw new VhostUserException(what + " at 0x" + Long.toHexString(uva) + " (+0x" + Long.toHexString(length)
                    + ") is not inside one guest memory region");
        }
        if (s.address() % alignment != 0) {
            throw new VhostUserException(what + " at 0x" + Long.toHexString(uva) + " is not " + alignment
                    + "-byte aligned");
        }
        return s;
    }

    int availFlags() {
        return (short) U16.getAcquire(avail, 0L) & 0xffff;
    }

    /** The driver's {@code avail->idx}, read with acquire semantics. */
    int availIdx() {
        return (short) U16.getAcquire(avail, 2L) & 0xffff;
    }

    /** The head descriptor index the driver put at free-running position {@code position}. */
    int availRing(int position) {
        return avail.get(JAVA_SHORT, 4L + 2L * (position & mask)) & 0xffff;
    }

    /** {@code used_event} (EVENT_IDX): the used index after which the driver wants an interrupt. */
    int usedEvent() {
        return (short) U16.getAcquire(avail, 4L + 2L * size) & 0xffff;
    }

    int usedIdx() {
        return (short) U16.getAcquire(used, 2L) & 0xffff;
    }

    /** Writes used element number {@code position} (free running); publish with {@link #publishUsedIdx}. */
    void putUsed(int position, int id, int length) {
        long off = 4L + 8L * (position & mask);
        used.set(JAVA_INT, off, id);
        used.set(JAVA_INT, off + 4, length);
    }

    /** Stores {@code used->idx} with release semantics, after the elements it covers. */
    void publishUsedIdx(int idx) {
        U16.setRelease(used, 2L, (short) idx);
    }

    void setUsedFlags(int flags) {
        U16.setRelease(used, 0L, (short) flags);
    }

    /** {@code avail_event} (EVENT_IDX): the driver kicks when it publishes this avail index. */
    void setAvailEvent(int idx) {
        U16.setRelease(used, 4L + 8L * size, (short) idx);
    }
}
