package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import io.krunctl.nativeio.UnixSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The socket of one vhost-user connection, seen as messages: reads the front-end's messages with
 * the descriptors they carry, and writes the back-end's replies. Message thread only.
 *
 * <p>Every wait also watches the device's stop eventfd, so a read blocked on a silent front-end
 * returns null as soon as the device is told to stop.
 */
final class Channel {
    private static final Logger LOG = LogManager.getLogger(Channel.class);

    private final int fd;
    private final MemorySegment header;
    private final MemorySegment payload;
    private final MemorySegment reply;
    private final PollFds pollFds;

    Channel(int fd, int stopFd, Arena arena) {
        this.fd = fd;
        this.header = arena.allocate(Protocol.HEADER_SIZE, 8);
        this.payload = arena.allocate(Protocol.MAX_PAYLOAD, 8);
        this.reply = arena.allocate(Protocol.HEADER_SIZE + Protocol.U64_SIZE, 8);
        this.pollFds = new PollFds(arena, 2);
        pollFds.set(0, fd, Libc.POLLIN);
        pollFds.set(1, stopFd, Libc.POLLIN);
    }

    /** The next message, or null at end of file or when the device is asked to stop. */
    Message read() throws IOException {
        if (!awaitReadable()) {
            return null;
        }
        UnixSocket.Received r = UnixSocket.receive(fd, header, Protocol.MAX_FDS, 0);
        int[] fds = r.fds();
        boolean ok = false;
        try {
            if (r.bytes() == 0) {
                LOG.debug("vhost-user front-end closed the connection");
                return null;
            }
            if (r.controlTruncated()) {
                throw new VhostUserException("message carried more than " + Protocol.MAX_FDS + " fds");
            }
            if (r.bytes() < Protocol.HEADER_SIZE && !readFully(header.asSlice(r.bytes()))) {
                LOG.warn("vhost-user front-end closed the connection inside a message header");
                return null;
            }
            int request = header.get(JAVA_INT, 0);
            int flags = header.get(JAVA_INT, 4);
            int size = header.get(JAVA_INT, 8);
            if ((flags & Protocol.VERSION_MASK) != Protocol.VERSION) {
                throw new VhostUserException(Protocol.name(request) + ": protocol version "
                        + (flags & Protocol.VERSION_MASK) + ", expected 1");
            }
            if ((flags & Protocol.FLAG_REPLY) != 0) {
                throw new VhostUserException(Protocol.name(request) + ": front-end message with the reply flag");
            }
            if (size < 0 || size > Protocol.MAX_PAYLOAD) {
                throw new VhostUserException(Protocol.name(request) + ": payload size "
                        + Integer.toUnsignedString(size) + " exceeds " + Protocol.MAX_PAYLOAD);
            }
            MemorySegment body = payload.asSlice(0, size);
            if (size > 0 && !readFully(body)) {
                LOG.warn("vhost-user front-end closed the connection inside a {} message", Protocol.name(request));
                return null;
            }
            ok = true;
            return new Message(request, flags, body, fds);
        } finally {
            if (!ok) {
                for (int f : fds) {
                    Fd.closeQuietly(f);
                }
            }
        }
    }

    private boolean awaitReadable() throws NativeException {
        pollFds.poll(-1);
        return !pollFds.has(1, Libc.POLLIN);
    }

    private boolean readFully(MemorySegment dst) throws NativeException {
        long done = 0;
        while (done < dst.byteSize()) {
            if (!awaitReadable()) {
                return false;
            }
            long n = UnixSocket.recv(fd, dst.asSlice(done), 0);
            if (n == 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    void sendU64(int request, long value) throws NativeException {
        reply.set(JAVA_INT, 0, request);
        reply.set(JAVA_INT, 4, Protocol.REPLY_FLAGS);
        reply.set(JAVA_INT, 8, Protocol.U64_SIZE);
        reply.set(JAVA_LONG_UNALIGNED, 12, value);
        UnixSocket.sendAll(fd, reply, new int[0]);
        LOG.debug("-> {} u64 0x{}", Protocol.name(request), Long.toHexString(value));
    }

    void trySendU64(int request, long value) {
        try {
            sendU64(request, value);
        } catch (NativeException e) {
            LOG.debug("cannot send the failure reply: {}", e.getMessage());
        }
    }

    void sendState(int request, int index, int num) throws NativeException {
        reply.set(JAVA_INT, 0, request);
        reply.set(JAVA_INT, 4, Protocol.REPLY_FLAGS);
        reply.set(JAVA_INT, 8, Protocol.STATE_SIZE);
        reply.set(JAVA_INT_UNALIGNED, 12, index);
        reply.set(JAVA_INT_UNALIGNED, 16, num);
        UnixSocket.sendAll(fd, reply, new int[0]);
        LOG.debug("-> {} state {{}, {}}", Protocol.name(request), index, num);
    }
}
