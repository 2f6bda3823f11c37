package io.krunctl.virtiofs.vhostuser;

import java.lang.foreign.MemorySegment;

/**
 * The three parts of one split virtqueue, translated into one {@link GuestMemory} generation: the
 * descriptor table ({@code size x {le64 addr; le32 len; le16 flags; le16 next}}), which
 * {@link DescriptorChain} reads, and the available and used rings, which {@link SplitRing} works on.
 */
final class RingView {
    final GuestMemory memory;
    final MemorySegment desc;
    final SplitRing ring;
    final int size;

    private RingView(GuestMemory memory, MemorySegment desc, SplitRing ring, int size) {
        this.memory = memory;
        this.desc = desc;
        this.ring = ring;
        this.size = size;
    }

    /**
     * Translates the ring addresses (front-end virtual addresses) of a queue of {@code size}
     * entries. Takes over one reference to {@code memory} on success; on failure the caller keeps it.
     */
    static RingView map(GuestMemory memory, int size, long descUva, long availUva, long usedUva)
            throws VhostUserException {
        MemorySegment desc = part(memory, "descriptor table", descUva, DescriptorChain.DESCRIPTOR_SIZE * size, 16);
        MemorySegment avail = part(memory, "available ring", availUva, SplitRing.availBytes(size), 2);
        MemorySegment used = part(memory, "used ring", usedUva, SplitRing.usedBytes(size), 4);
        return new RingView(memory, desc, new SplitRing(avail, used, size), size);
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
}
