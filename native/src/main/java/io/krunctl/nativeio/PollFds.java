package io.krunctl.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A reusable {@code struct pollfd} array for {@link Libc#poll}. Not thread-safe. */
public final class PollFds {
    private final MemorySegment fds;
    private final int count;

    /** An array of {@code count} entries allocated in {@code arena}, all with fd -1 (ignored). */
    public PollFds(Arena arena, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        this.count = count;
        this.fds = arena.allocate(Structs.POLLFD, count);
        for (int i = 0; i < count; i++) {
            set(i, -1, (short) 0);
        }
    }

    /** Sets entry {@code i} to wait for {@code events} on {@code fd} (-1 to ignore the entry). */
    public void set(int i, int fd, short events) {
        MemorySegment e = entry(i);
        Structs.POLL_FD.set(e, 0L, fd);
        Structs.POLL_EVENTS.set(e, 0L, events);
        Structs.POLL_REVENTS.set(e, 0L, (short) 0);
    }

    /** Events the last {@link #poll} returned for entry {@code i}. */
    public short revents(int i) {
        return (short) Structs.POLL_REVENTS.get(entry(i), 0L);
    }

    /** True if entry {@code i} has any of {@code mask} in its returned events. */
    public boolean has(int i, short mask) {
        return (revents(i) & mask) != 0;
    }

    /** Waits; returns the number of ready entries, 0 on timeout. Negative timeout waits forever. */
    public int poll(int timeoutMillis) throws NativeException {
        for (int i = 0; i < count; i++) {
            Structs.POLL_REVENTS.set(entry(i), 0L, (short) 0);
        }
        return Libc.poll(fds, count, timeoutMillis);
    }

    public int count() {
        return count;
    }

    private MemorySegment entry(int i) {
        return fds.asSlice(i * Structs.POLLFD.byteSize(), Structs.POLLFD.byteSize());
    }
}
