package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * Linux x86_64 C struct layouts used by the bindings, with explicit padding. Sizes and offsets are
 * pinned by tests. Every var handle takes {@code (MemorySegment, long baseOffset)} coordinates.
 */
public final class Structs {
    /** {@code struct iovec} (16 bytes). */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"))
            .withName("iovec");

    /** {@code struct msghdr} (56 bytes). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"),
            JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4))
            .withName("msghdr");

    /** {@code struct cmsghdr} (16 bytes); the data follows at {@code CMSG_DATA} = +16. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"),
            JAVA_INT.withName("cmsg_level"),
            JAVA_INT.withName("cmsg_type"))
            .withName("cmsghdr");

    /** {@code struct pollfd} (8 bytes). */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"))
            .withName("pollfd");

    /** Capacity of {@code sockaddr_un.sun_path}, terminating NUL included. */
    public static final int SUN_PATH_SIZE = 108;

    /** {@code struct sockaddr_un} (110 bytes). */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sun_family"),
            MemoryLayout.sequenceLayout(SUN_PATH_SIZE, JAVA_BYTE).withName("sun_path"))
            .withName("sockaddr_un");

    public static final VarHandle IOV_BASE = IOVEC.varHandle(groupElement("iov_base"));
    public static final VarHandle IOV_LEN = IOVEC.varHandle(groupElement("iov_len"));

    public static final VarHandle MSG_NAME = MSGHDR.varHandle(groupElement("msg_name"));
    public static final VarHandle MSG_NAMELEN = MSGHDR.varHandle(groupElement("msg_namelen"));
    public static final VarHandle MSG_IOV = MSGHDR.varHandle(groupElement("msg_iov"));
    public static final VarHandle MSG_IOVLEN = MSGHDR.varHandle(groupElement("msg_iovlen"));
    public static final VarHandle MSG_CONTROL = MSGHDR.varHandle(groupElement("msg_control"));
    public static final VarHandle MSG_CONTROLLEN = MSGHDR.varHandle(groupElement("msg_controllen"));
    public static final VarHandle MSG_FLAGS = MSGHDR.varHandle(groupElement("msg_flags"));

    public static final VarHandle CMSG_LEN = CMSGHDR.varHandle(groupElement("cmsg_len"));
    public static final VarHandle CMSG_LEVEL = CMSGHDR.varHandle(groupElement("cmsg_level"));
    public static final VarHandle CMSG_TYPE = CMSGHDR.varHandle(groupElement("cmsg_type"));

    public static final VarHandle POLL_FD = POLLFD.varHandle(groupElement("fd"));
    public static final VarHandle POLL_EVENTS = POLLFD.varHandle(groupElement("events"));
    public static final VarHandle POLL_REVENTS = POLLFD.varHandle(groupElement("revents"));

    public static final VarHandle SUN_FAMILY = SOCKADDR_UN.varHandle(groupElement("sun_family"));
    public static final long SUN_PATH_OFFSET = SOCKADDR_UN.byteOffset(groupElement("sun_path"));

    private Structs() {
    }

    /** {@code CMSG_ALIGN}: rounds up to the size of {@code long}. */
    public static long cmsgAlign(long length) {
        return (length + 7) & ~7L;
    }

    /** {@code CMSG_LEN(n)}: value of {@code cmsg_len} for {@code n} data bytes. */
    public static long cmsgLen(long dataLength) {
        return CMSGHDR.byteSize() + dataLength;
    }

    /** {@code CMSG_SPACE(n)}: control-buffer bytes one message with {@code n} data bytes takes. */
    public static long cmsgSpace(long dataLength) {
        return CMSGHDR.byteSize() + cmsgAlign(dataLength);
    }
}
