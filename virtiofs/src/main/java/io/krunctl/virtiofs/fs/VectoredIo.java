package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;
import static io.krunctl.virtiofs.fs.HostCall.error;

import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.Structs;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * File data moved between a host descriptor and the guest's buffers, in order, with one
 * {@code preadv}/{@code pwritev} straight on them (guest memory) when they are native. A short read
 * is the end of the file; a short write is continued until done or failed.
 */
final class VectoredIo {
    /** {@code IOV_MAX}: the most buffers one {@code preadv}/{@code pwritev} takes. */
    static final int IOV_MAX = 1024;

    private VectoredIo() {
    }

    /** Reads from {@code fd} at {@code offset} into the segments; the bytes read. */
    static long read(WorkerState w, int fd, List<MemorySegment> destination, long offset) throws FsException {
        return transfer(w, fd, destination, offset, false);
    }

    /** Writes the segments to {@code fd} at {@code offset}; the bytes written. */
    static long write(WorkerState w, int fd, List<MemorySegment> source, long offset) throws FsException {
        return transfer(w, fd, source, offset, true);
    }

    private static long transfer(WorkerState w, int fd, List<MemorySegment> segments, long offset, boolean write)
            throws FsException {
        int count = segments.size();
        long total = 0;
        boolean allNative = true;
        for (int i = 0; i < count; i++) {
            MemorySegment s = segments.get(i);
            total += s.byteSize();
            allNative &= s.isNative();
        }
        if (total == 0) {
            return 0;
        }
        if (!allNative) {
            return bounced(w, fd, segments, offset, write);
        }
        if (count > IOV_MAX) {
            // More buffers than one vectored call takes (never from a Linux guest: 1 MiB is 257 pages).
            long done = 0;
            for (int from = 0; from < count; from += IOV_MAX) {
                List<MemorySegment> part = segments.subList(from, Math.min(count, from + IOV_MAX));
                long size = 0;
                for (MemorySegment s : part) {
                    size += s.byteSize();
                }
                long n = transfer(w, fd, part, offset + done, write);
                done += n;
                if (n < size) {
                    break;
                }
            }
            return done;
        }
        long done;
        if (count == 1) {
            MemorySegment s = segments.get(0);
            done = write ? FileCalls.pwrite(fd, s, offset) : FileCalls.pread(fd, s, offset);
        } else {
            MemorySegment iov = w.iov(count);
            for (int i = 0; i < count; i++) {
                MemorySegment s = segments.get(i);
                long at = i * Structs.IOVEC.byteSize();
                Structs.IOV_BASE.set(iov, at, s);
                Structs.IOV_LEN.set(iov, at, s.byteSize());
            }
            done = write ? FileCalls.pwritev(fd, iov, count, offset) : FileCalls.preadv(fd, iov, count, offset);
        }
        check(done);
        if (!write || done == total || done == 0) {
            return done;
        }
        return continueWrite(fd, segments, offset, done);
    }

    private static long continueWrite(int fd, List<MemorySegment> segments, long offset, long done) {
        long position = done;
        long start = 0;
        for (MemorySegment s : segments) {
            long end = start + s.byteSize();
            while (position < end) {
                long n = FileCalls.pwrite(fd, s.asSlice(position - start), offset + position);
                if (n <= 0) {
                    return position;
                }
                position += n;
            }
            start = end;
        }
        return position;
    }

    /** The slow path for heap segments (tests, never guest memory): through a native buffer. */
    private static long bounced(WorkerState w, int fd, List<MemorySegment> segments, long offset, boolean write)
            throws FsException {
        long position = 0;
        for (MemorySegment s : segments) {
            long size = s.byteSize();
            long within = 0;
            while (within < size) {
                MemorySegment buffer = w.bounce(size - within);
                long n;
                if (write) {
                    MemorySegment.copy(s, within, buffer, 0, buffer.byteSize());
                    n = FileCalls.pwrite(fd, buffer, offset + position);
                } else {
                    n = FileCalls.pread(fd, buffer, offset + position);
                    if (n > 0) {
                        MemorySegment.copy(buffer, 0, s, within, n);
                    }
                }
                if (n < 0) {
                    if (position > 0) {
                        return position;
                    }
                    throw error(n);
                }
                if (n == 0) {
                    return position;
                }
                within += n;
                position += n;
            }
        }
        return position;
    }
}
