package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * AF_UNIX stream sockets: {@code socket}, {@code bind}, {@code listen}, {@code accept4},
 * {@code connect}, {@code socketpair}, {@code shutdown}, {@code send}/{@code recv}, and
 * {@code sendmsg}/{@code recvmsg} carrying file descriptors as {@code SCM_RIGHTS} ancillary data.
 *
 * <p>All sockets are created close-on-exec, received descriptors too ({@code MSG_CMSG_CLOEXEC}).
 * Sends use {@code MSG_NOSIGNAL}: a vanished peer is an {@code EPIPE} error, never a signal.
 */
public final class UnixSocket {
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int SOCK_CLOEXEC = Fcntl.O_CLOEXEC;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITALL = 0x100;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** Linux's {@code SCM_MAX_FD}: the most descriptors one message can carry. */
    public static final int MAX_FDS_PER_MESSAGE = 253;

    private static final MethodHandle SOCKET = Linkage.withErrno("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = Linkage.withErrno("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle BIND = Linkage.withErrno("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Linkage.withErrno("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Linkage.withErrno("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = Linkage.withErrno("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Linkage.withErrno("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SEND = Linkage.withErrno("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = Linkage.withErrno("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDMSG = Linkage.withErrno("sendmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = Linkage.withErrno("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * What {@link #receive} got: the byte count (0 = peer closed), the descriptors that arrived
     * (now owned by the caller) and the {@code msg_flags} of {@code recvmsg}.
     */
    public record Received(long bytes, int[] fds, int flags) {
        /** True if the kernel dropped ancillary data for lack of control-buffer space. */
        public boolean controlTruncated() {
            return (flags & MSG_CTRUNC) != 0;
        }

        @Override
        public String toString() {
            return "Received[bytes=" + bytes + ", fds=" + Arrays.toString(fds) + ", flags=0x"
                    + Integer.toHexString(flags) + "]";
        }
    }

    private UnixSocket() {
    }

    /** A new AF_UNIX stream socket (close-on-exec, plus {@code extraTypeFlags} such as SOCK_NONBLOCK). */
    public static Fd socket(int extraTypeFlags) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) SOCKET.invokeExact(err, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extraTypeFlags, 0);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("socket", Linkage.errno(err));
        }
        return Fd.adopt(r);
    }

    /** A connected pair of AF_UNIX stream sockets. */
    public static Fd[] pair() throws NativeException {
        MemorySegment sv = Linkage.scratch().asSlice(0, 8);
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) SOCKETPAIR.invokeExact(err, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("socketpair", Linkage.errno(err));
        }
        return new Fd[] {Fd.adopt(sv.get(JAVA_INT, 0)), Fd.adopt(sv.get(JAVA_INT, 4))};
    }

    /**
     * A socket bound to {@code path} and listening. The path must not exist. On failure the socket
     * is closed; if {@code bind} succeeded and {@code listen} failed, the socket file remains.
     */
    public static Fd listen(Path path, int backlog) throws IOException {
        Fd fd = socket(0);
        boolean ok = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = sockaddr(arena, path);
            MemorySegment err = Linkage.errnoSegment();
            int r;
            try {
                r = (int) BIND.invokeExact(err, fd.get(), addr, (int) addr.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r < 0) {
                throw new NativeException("bind(" + path + ")", Linkage.errno(err));
            }
            try {
                r = (int) LISTEN.invokeExact(err, fd.get(), backlog);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r < 0) {
                throw new NativeException("listen", Linkage.errno(err));
            }
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                fd.close();
            }
        }
    }

    /** Accepts one connection (close-on-exec, plus {@code extraFlags} such as SOCK_NONBLOCK). */
    public static Fd accept(int listenFd, int extraFlags) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) ACCEPT4.invokeExact(err, listenFd, MemorySegment.NULL, MemorySegment.NULL,
                        SOCK_CLOEXEC | extraFlags);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return Fd.adopt(r);
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("accept4", errno);
            }
        }
    }

    /** A socket connected to the listener at {@code path}. */
    public static Fd connect(Path path) throws IOException {
        Fd fd = socket(0);
        boolean ok = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = sockaddr(arena, path);
            MemorySegment err = Linkage.errnoSegment();
            int r;
            try {
                r = (int) CONNECT.invokeExact(err, fd.get(), addr, (int) addr.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r < 0) {
                throw new NativeException("connect(" + path + ")", Linkage.errno(err));
            }
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                fd.close();
            }
        }
    }

    /** {@code shutdown(fd, how)}. */
    public static void shutdown(int fd, int how) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) SHUTDOWN.invokeExact(err, fd, how);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("shutdown", Linkage.errno(err));
        }
    }

    /** {@code send(fd, data, flags | MSG_NOSIGNAL)}; returns the bytes sent. */
    public static long send(int fd, MemorySegment data, int flags) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) SEND.invokeExact(err, fd, data, data.byteSize(), flags | MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("send", errno);
            }
        }
    }

    /** {@code recv(fd, buf, flags)}; returns the bytes received, 0 if the peer closed. */
    public static long recv(int fd, MemorySegment buf, int flags) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) RECV.invokeExact(err, fd, buf, buf.byteSize(), flags);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("recv", errno);
            }
        }
    }

    /**
     * One {@code sendmsg} of {@code data} with {@code fds} attached as {@code SCM_RIGHTS} (none if
     * empty). Returns the bytes sent, which on a stream socket may be fewer than asked; the
     * descriptors travel with the first byte. The caller keeps ownership of {@code fds}.
     */
    public static long send(int fd, MemorySegment data, int[] fds) throws NativeException {
        if (fds.length > MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException("at most " + MAX_FDS_PER_MESSAGE + " fds per message");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iov = arena.allocate(Structs.IOVEC);
            Structs.IOV_BASE.set(iov, 0L, data);
            Structs.IOV_LEN.set(iov, 0L, data.byteSize());
            MemorySegment msg = arena.allocate(Structs.MSGHDR);
            Structs.MSG_IOV.set(msg, 0L, iov);
            Structs.MSG_IOVLEN.set(msg, 0L, 1L);
            if (fds.length > 0) {
                long dataLen = 4L * fds.length;
                MemorySegment control = arena.allocate(Structs.cmsgSpace(dataLen), 8);
                Structs.CMSG_LEN.set(control, 0L, Structs.cmsgLen(dataLen));
                Structs.CMSG_LEVEL.set(control, 0L, SOL_SOCKET);
                Structs.CMSG_TYPE.set(control, 0L, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, Structs.CMSGHDR.byteSize() + 4L * i, fds[i]);
                }
                Structs.MSG_CONTROL.set(msg, 0L, control);
                Structs.MSG_CONTROLLEN.set(msg, 0L, control.byteSize());
            }
            MemorySegment err = Linkage.errnoSegment();
            while (true) {
                long r;
                try {
                    r = (long) SENDMSG.invokeExact(err, fd, msg, MSG_NOSIGNAL);
                } catch (Throwable t) {
                    throw Linkage.rethrow(t);
                }
                if (r >= 0) {
                    return r;
                }
                int errno = Linkage.errno(err);
                if (errno != Errno.EINTR) {
                    throw new NativeException("sendmsg", errno);
                }
            }
        }
    }

    /**
     * Sends all of {@code data}, the {@code fds} attached to the first {@code sendmsg}; loops over
     * short sends.
     */
    public static void sendAll(int fd, MemorySegment data, int[] fds) throws NativeException {
        long sent = send(fd, data, fds);
        while (sent < data.byteSize()) {
            long n = send(fd, data.asSlice(sent), 0);
            sent += n;
        }
    }

    /**
     * One {@code recvmsg} into {@code buf}, accepting up to {@code maxFds} descriptors. Every
     * descriptor that arrived is returned (and owned by the caller), even when the control data was
     * truncated ({@link Received#controlTruncated()}); descriptors the kernel had to drop are
     * already closed by it.
     */
    public static Received receive(int fd, MemorySegment buf, int maxFds, int flags) throws NativeException {
        if (maxFds < 0 || maxFds > MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException("maxFds out of range: " + maxFds);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iov = arena.allocate(Structs.IOVEC);
            Structs.IOV_BASE.set(iov, 0L, buf);
            Structs.IOV_LEN.set(iov, 0L, buf.byteSize());
            MemorySegment msg = arena.allocate(Structs.MSGHDR);
            Structs.MSG_IOV.set(msg, 0L, iov);
            Structs.MSG_IOVLEN.set(msg, 0L, 1L);
            MemorySegment control = MemorySegment.NULL;
            if (maxFds > 0) {
                control = arena.allocate(Structs.cmsgSpace(4L * maxFds), 8);
                Structs.MSG_CONTROL.set(msg, 0L, control);
                Structs.MSG_CONTROLLEN.set(msg, 0L, control.byteSize());
            }
            MemorySegment err = Linkage.errnoSegment();
            long r;
            while (true) {
                try {
                    r = (long) RECVMSG.invokeExact(err, fd, msg, flags | MSG_CMSG_CLOEXEC);
                } catch (Throwable t) {
                    throw Linkage.rethrow(t);
                }
                if (r >= 0) {
                    break;
                }
                int errno = Linkage.errno(err);
                if (errno != Errno.EINTR) {
                    throw new NativeException("recvmsg", errno);
                }
            }
            int msgFlags = (int) Structs.MSG_FLAGS.get(msg, 0L);
            long controlLen = (long) Structs.MSG_CONTROLLEN.get(msg, 0L);
            int[] fds = controlLen > 0 ? parseRights(control, controlLen) : new int[0];
            return new Received(r, fds, msgFlags);
        }
    }

    /** Walks the control messages like {@code CMSG_FIRSTHDR}/{@code CMSG_NXTHDR}, collecting SCM_RIGHTS fds. */
    private static int[] parseRights(MemorySegment control, long controlLen) {
        long limit = Math.min(controlLen, control.byteSize());
        long header = Structs.CMSGHDR.byteSize();
        int[] out = new int[0];
        long off = 0;
        while (off + header <= limit) {
            MemorySegment cmsg = control.asSlice(off, header);
            long len = (long) Structs.CMSG_LEN.get(cmsg, 0L);
            if (len < header || off + len > limit) {
                break;
            }
            int level = (int) Structs.CMSG_LEVEL.get(cmsg, 0L);
            int type = (int) Structs.CMSG_TYPE.get(cmsg, 0L);
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int n = (int) ((len - header) / 4);
                int base = out.length;
                out = Arrays.copyOf(out, base + n);
                for (int i = 0; i < n; i++) {
                    out[base + i] = control.get(JAVA_INT, off + header + 4L * i);
                }
            }
            off += Structs.cmsgAlign(len);
        }
        return out;
    }

    private static MemorySegment sockaddr(Arena arena, Path path) throws IOException {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length >= Structs.SUN_PATH_SIZE) {
            throw new IOException("unix socket path must be 1.." + (Structs.SUN_PATH_SIZE - 1)
                    + " bytes, is " + bytes.length + ": " + path);
        }
        MemorySegment addr = arena.allocate(Structs.SOCKADDR_UN);
        Structs.SUN_FAMILY.set(addr, 0L, (short) AF_UNIX);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, addr, Structs.SUN_PATH_OFFSET, bytes.length);
        return addr;
    }
}
