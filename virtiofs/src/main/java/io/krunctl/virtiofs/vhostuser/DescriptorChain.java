package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import io.krunctl.virtiofs.fuse.ScatterBuffer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One descriptor chain of a split virtqueue, resolved into the device-readable bytes (the request)
 * and the device-writable bytes (the reply area), each a {@link ScatterBuffer} of guest-memory views.
 *
 * <p>The guest is not trusted: every rule of the virtio spec a driver can break is checked, and a
 * chain that breaks one is refused with {@link BadChainException} (the device then completes it
 * with used length 0). No descriptor is followed beyond the table, no buffer view reaches outside
 * the mapped regions, and a loop ends after as many descriptors as the table holds.
 */
record DescriptorChain(ScatterBuffer request, ScatterBuffer reply) {
    static final int F_NEXT = 1;
    static final int F_WRITE = 2;
    static final int F_INDIRECT = 4;
    static final long DESCRIPTOR_SIZE = 16;
    /** Total bytes one chain may describe (the spec caps a chain at 2^32 bytes). */
    static final long MAX_CHAIN_BYTES = 0xffff_ffffL;

    /** A descriptor chain that breaks the virtio rules. */
    static final class BadChainException extends Exception {
        private static final long serialVersionUID = 1L;

        BadChainException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Resolves the chain starting at descriptor {@code head} (already checked to be below the
     * queue size) of {@code ring}.
     */
    static DescriptorChain parse(RingView ring, int head, boolean indirectAllowed) throws BadChainException {
        List<MemorySegment> readable = new ArrayList<>(4);
        List<MemorySegment> writable = new ArrayList<>(4);
        long readableBytes = 0;
        long writableBytes = 0;

        MemorySegment table = ring.desc;
        int tableSize = ring.size;
        boolean indirect = false;
        // Set by the first device-writable descriptor, empty or not: every one after it must be writable too.
        boolean writing = false;
        int index = head;
        int visited = 0;
        while (true) {
            if (index >= tableSize) {
                throw new BadChainException("next index " + index + " outside a table of " + tableSize
                        + (indirect ? " indirect descriptors" : " descriptors"));
            }
            if (++visited > tableSize) {
                throw new BadChainException("chain longer than its table of " + tableSize + " descriptors (a loop?)");
            }
            long off = index * DESCRIPTOR_SIZE;
            long addr = table.get(JAVA_LONG_UNALIGNED, off);
            long len = table.get(JAVA_INT_UNALIGNED, off + 8) & 0xffff_ffffL;
            int flags = table.get(JAVA_SHORT_UNALIGNED, off + 12) & 0xffff;
            int next = table.get(JAVA_SHORT_UNALIGNED, off + 14) & 0xffff;

            if ((flags & F_INDIRECT) != 0) {
                if (!indirectAllowed) {
                    throw new BadChainException("indirect descriptor, but VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
                }
                if (indirect) {
                    throw new BadChainException("indirect descriptor inside an indirect table");
                }
                if ((flags & F_NEXT) != 0) {
                    throw new BadChainException("descriptor has both INDIRECT and NEXT");
                }
                if (len == 0 || len % DESCRIPTOR_SIZE != 0 || len / DESCRIPTOR_SIZE > Protocol.MAX_QUEUE_SIZE) {
                    throw new BadChainException("indirect table of " + len + " bytes");
                }
                MemorySegment t = ring.memory.guestRange(addr, len);
                if (t == null) {
                    throw new BadChainException(String.format(
                            "indirect table [0x%x, +0x%x) is not inside one guest memory region", addr, len));
                }
                table = t;
                tableSize = (int) (len / DESCRIPTOR_SIZE);
                indirect = true;
                index = 0;
                visited = 0;
                continue;
            }

            boolean write = (flags & F_WRITE) != 0;
            if (write) {
                writing = true;
            } else if (writing) {
                throw new BadChainException("device-readable descriptor after a device-writable one");
            }
            if (len > 0) {
                if (write) {
                    writableBytes += len;
                } else {
                    readableBytes += len;
                }
                if (readableBytes > MAX_CHAIN_BYTES || writableBytes > MAX_CHAIN_BYTES) {
                    throw new BadChainException("chain describes more than 4 GiB");
                }
                if (!ring.memory.guestRanges(addr, len, write ? writable : readable)) {
                    throw new BadChainException(String.format(
                            "buffer [0x%x, +0x%x) lies outside guest memory", addr, len));
                }
            }
            if ((flags & F_NEXT) == 0) {
                break;
            }
            index = next;
        }
        return new DescriptorChain(new ScatterBuffer(readable), new ScatterBuffer(writable));
    }
}
