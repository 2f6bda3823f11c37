package io.krunctl.vmm.stdio;

import io.krunctl.nativeio.Errno;
import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The process's stdin (fd 0) as a stream whose blocked read another thread can end with
 * {@link #wake}: the read then returns end of file. Both relays of the host's input read through
 * it: the terminal's, so that keystrokes typed after the VM ended stay with the user's shell, and
 * the pipe's, since a {@code FileInputStream} on fd 0 cannot be woken and a thread left blocked in
 * its native read makes HotSpot's exit wait 300 ms for it (the workload ended while a producer
 * still held the pipe open).
 *
 * <p>For the one thread that reads; {@link #wake} and {@link #close} may come from any thread.
 */
public final class WakeableStdin extends InputStream {
    private static final int STDIN = 0;

    private final EventFd wakeUp;
    private final Arena arena = Arena.ofShared();
    private final PollFds fds = new PollFds(arena, 2);
    private final MemorySegment buffer;
    private volatile boolean woken;
    /** Guarded by {@code this}: no wake-up is written to a descriptor number close has released. */
    private boolean closed;

    public WakeableStdin(int bufferSize) throws NativeException {
        this.wakeUp = EventFd.create(EventFd.EFD_CLOEXEC);
        this.buffer = arena.allocate(bufferSize);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!woken) {
            fds.set(0, STDIN, Libc.POLLIN);
            fds.set(1, wakeUp.fd(), Libc.POLLIN);
            fds.poll(-1);
            if (fds.revents(1) != 0) {
                break;
            }
            if (fds.has(0, Libc.POLLNVAL)) {
                return -1;
            }
            if (fds.revents(0) == 0) {
                continue;
            }
            long n;
            try {
                n = Libc.read(STDIN, buffer.asSlice(0, Math.min(len, buffer.byteSize())));
            } catch (NativeException e) {
                if (e.errno() == Errno.EAGAIN) {
                    // A stdin left non-blocking by whoever shares it: poll again.
                    continue;
                }
                throw e;
            }
            if (n == 0) {
                return -1;
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
            return (int) n;
        }
        return -1;
    }

    /** Ends the current or next {@link #read} with end of file. */
    public synchronized void wake() {
        woken = true;
        if (closed) {
            return;
        }
        try {
            wakeUp.signal();
        } catch (NativeException e) {
            // The flag alone still stops the next read.
        }
    }

    /**
     * Releases the eventfd and the buffer; only once the reading thread is done with them. Does not
     * close fd 0.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeUp.close();
        arena.close();
    }
}
