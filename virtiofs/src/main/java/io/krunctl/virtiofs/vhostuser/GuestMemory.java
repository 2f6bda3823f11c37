package io.krunctl.virtiofs.vhostuser;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One generation of the guest's memory table: the regions of a SET_MEM_TABLE, each mapped
 * {@code MAP_SHARED} from the descriptor the front-end sent.
 *
 * <p>Reference counted: the backend holds one reference while the table is current, every ring
 * view and every request in flight holds another. When a new table replaces this one, the mappings
 * stay valid until the last holder releases them; only then is the shared arena closed, which
 * unmaps every region. So a worker never touches an unmapped page, whatever the timing.
 */
final class GuestMemory {
    /** One region as the front-end described it, plus the view of its mapping. */
    record Region(long guestPhysAddr, long size, long userAddr, long mmapOffset, MemorySegment data) {
        @Override
        public String toString() {
            return String.format("[gpa 0x%x size 0x%x uva 0x%x offset 0x%x]", guestPhysAddr, size, userAddr,
                    mmapOffset);
        }
    }

    /** A region as described in a SET_MEM_TABLE payload, before mapping. */
    record RegionSpec(long guestPhysAddr, long size, long userAddr, long mmapOffset) {
    }

    private final Region[] regions;
    private final Arena arena;
    private final AtomicInteger refs = new AtomicInteger(1);

    private GuestMemory(Region[] regions, Arena arena) {
        this.regions = regions;
        this.arena = arena;
    }

    /**
     * Validates and maps {@code specs}, region {@code i} from {@code fds[i]}. The descriptors stay
     * owned by the caller (who closes them after the call, mapped or not). The result holds one
     * reference, owned by the caller.
     */
    static GuestMemory map(List<RegionSpec> specs, int[] fds) throws VhostUserException {
        if (specs.size() != fds.length) {
            throw new VhostUserException("memory table has " + specs.size() + " regions but " + fds.length
                    + " file descriptors");
        }
        for (RegionSpec s : specs) {
            validate(s);
        }
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try {
            Region[] regions = new Region[specs.size()];
            for (int i = 0; i < regions.length; i++) {
                RegionSpec s = specs.get(i);
                long end = s.mmapOffset() + s.size();
                checkFileSize(fds[i], end, s);
                // Like libvhost-user: map from file offset 0 and slice, so that mmap_offset needs no
                // page (or huge page) alignment.
                MemorySegment whole;
                try {
                    whole = Libc.mmap(end, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_NORESERVE,
                            fds[i], 0, arena);
                } catch (NativeException e) {
                    throw new VhostUserException("cannot map guest memory region " + s, e);
                }
                regions[i] = new Region(s.guestPhysAddr(), s.size(), s.userAddr(), s.mmapOffset(),
                        whole.asSlice(s.mmapOffset(), s.size()));
            }
            ok = true;
            return new GuestMemory(regions, arena);
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    private static void validate(RegionSpec s) throws VhostUserException {
        if (s.size() <= 0) {
            throw new VhostUserException("memory region with size 0x" + Long.toHexString(s.size()) + ": " + s);
        }
        if (s.mmapOffset() < 0 || s.mmapOffset() > Long.MAX_VALUE - s.size()) {
            throw new VhostUserException("memory region offset out of range: " + s);
        }
        if (Long.compareUnsigned(s.guestPhysAddr() + s.size() - 1, s.guestPhysAddr()) < 0
                || Long.compareUnsigned(s.userAddr() + s.size() - 1, s.userAddr()) < 0) {
            throw new VhostUserException("memory region wraps around the address space: " + s);
        }
    }

    /** Mapping past the end of the file would turn guest accesses into SIGBUS; refuse it up front. */
    private static void checkFileSize(int fd, long end, RegionSpec s) throws VhostUserException {
        long fileSize;
        try {
            fileSize = Libc.lseek(fd, 0, Fcntl.SEEK_END);
        } catch (NativeException e) {
            return; // Not seekable: nothing to check against.
        }
        if (fileSize < end) {
            throw new VhostUserException("memory region " + s + " ends at 0x" + Long.toHexString(end)
                    + " but its file holds only 0x" + Long.toHexString(fileSize) + " bytes");
        }
    }

    /** Adds a reference; false if the table was already released for good. */
    boolean retain() {
        while (true) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one unmaps every region. */
    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            arena.close();
        } else if (r < 0) {
            throw new IllegalStateException("guest memory released too often");
        }
    }

    /**
     * The view of {@code [uva, uva + length)} in the front-end's address space (how vring addresses
     * are given), or null unless one region holds all of it.
     */
    MemorySegment userRange(long uva, long length) {
        for (Region r : regions) {
            long off = uva - r.userAddr();
            if (Long.compareUnsigned(off, r.size()) < 0 && length <= r.size() - off) {
                return r.data().asSlice(off, length);
            }
        }
        return null;
    }

    /**
     * The view of guest-physical {@code [gpa, gpa + length)} (how descriptors address buffers), or
     * null unless one region holds all of it.
     */
    MemorySegment guestRange(long gpa, long length) {
        for (Region r : regions) {
            long off = gpa - r.guestPhysAddr();
            if (Long.compareUnsigned(off, r.size()) < 0 && length <= r.size() - off) {
                return r.data().asSlice(off, length);
            }
        }
        return null;
    }

    /**
     * Appends views of guest-physical {@code [gpa, gpa + length)} to {@code out}, one per region the
     * range crosses; false (with {@code out} possibly extended) if any byte lies outside every
     * region. {@code length} must be positive.
     */
    boolean guestRanges(long gpa, long length, List<MemorySegment> out) {
        long addr = gpa;
        long remaining = length;
        while (remaining > 0) {
            Region hit = null;
            long off = 0;
            for (Region r : regions) {
                off = addr - r.guestPhysAddr();
                if (Long.compareUnsigned(off, r.size()) < 0) {
                    hit = r;
                    break;
                }
            }
            if (hit == null) {
                return false;
            }
            long take = Math.min(remaining, hit.size() - off);
            out.add(hit.data().asSlice(off, take));
            remaining -= take;
            if (remaining > 0 && Long.compareUnsigned(addr + take, addr) < 0) {
                return false; // the range wraps past the top of the address space
            }
            addr += take;
        }
        return true;
    }

    int regionCount() {
        return regions.length;
    }

    @Override
    public String toString() {
        return "GuestMemory" + List.of(regions);
    }
}
