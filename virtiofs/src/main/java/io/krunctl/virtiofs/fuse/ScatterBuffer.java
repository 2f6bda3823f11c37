package io.krunctl.virtiofs.fuse;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The bytes of one FUSE request or one reply buffer: an ordered list of memory segments seen as one
 * contiguous, bounds-checked byte range.
 *
 * <p>On the device it wraps the device-readable (request) or device-writable (reply) descriptors of
 * one virtqueue chain, already translated into views of guest memory; in tests it wraps heap or
 * arena segments. Offsets are relative to the start of the first segment. Every access outside
 * {@code [0, size())} throws {@link IndexOutOfBoundsException}, which the FUSE server turns into an
 * error reply: a guest that lies about lengths never makes the device touch memory it was not given.
 */
public final class ScatterBuffer {
    private final MemorySegment[] segments;
    private final long[] starts;
    private final long size;

    public ScatterBuffer(List<MemorySegment> segments) {
        this.segments = segments.toArray(MemorySegment[]::new);
        this.starts = new long[this.segments.length];
        long total = 0;
        for (int i = 0; i < this.segments.length; i++) {
            Objects.requireNonNull(this.segments[i], "segment");
            starts[i] = total;
            total = Math.addExact(total, this.segments[i].byteSize());
        }
        this.size = total;
    }

    public static ScatterBuffer of(MemorySegment... segments) {
        return new ScatterBuffer(List.of(segments));
    }

    /** Total number of bytes across all segments. */
    public long size() {
        return size;
    }

    /** Copies {@code dst.byteSize()} bytes starting at {@code offset} into {@code dst}. */
    public void read(long offset, MemorySegment dst) {
        copy(offset, dst, true);
    }

    /** Copies all of {@code src} into this buffer starting at {@code offset}. */
    public void write(long offset, MemorySegment src) {
        copy(offset, src, false);
    }

    /**
     * Moves {@code other}'s length of bytes between {@code other} and {@code [offset, ...)} of this
     * buffer, segment by segment; every request header and reply goes through here, so it makes no
     * garbage, unlike {@link #slices}.
     */
    private void copy(long offset, MemorySegment other, boolean intoOther) {
        long length = other.byteSize();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        int i = segmentIndex(offset);
        long within = offset - starts[i];
        long done = 0;
        while (done < length) {
            MemorySegment seg = segments[i];
            long take = Math.min(length - done, seg.byteSize() - within);
            if (intoOther) {
                MemorySegment.copy(seg, within, other, done, take);
            } else {
                MemorySegment.copy(other, done, seg, within, take);
            }
            done += take;
            within = 0;
            i++;
        }
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IndexOutOfBoundsException(
                    "range [" + offset + ", +" + length + ") outside buffer of " + size + " bytes");
        }
    }

    /**
     * Views of {@code [offset, offset + length)} without copying, one per underlying segment touched;
     * the way file data moves straight between guest memory and a host file descriptor.
     */
    public List<MemorySegment> slices(long offset, long length) {
        checkRange(offset, length);
        List<MemorySegment> out = new ArrayList<>(2);
        if (length == 0) {
            return out;
        }
        int i = segmentIndex(offset);
        long remaining = length;
        long within = offset - starts[i];
        while (remaining > 0) {
            MemorySegment seg = segments[i];
            long take = Math.min(remaining, seg.byteSize() - within);
            if (take > 0) {
                out.add(seg.asSlice(within, take));
                remaining -= take;
            }
            within = 0;
            i++;
        }
        return out;
    }

    private int segmentIndex(long offset) {
        int lo = 0;
        int hi = segments.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        // Skip empty segments that start at the same offset.
        while (lo < segments.length - 1 && offset - starts[lo] >= segments[lo].byteSize()) {
            lo++;
        }
        return lo;
    }
}
