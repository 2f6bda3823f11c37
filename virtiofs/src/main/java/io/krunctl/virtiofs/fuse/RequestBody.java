package io.krunctl.virtiofs.fuse;

import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.Name;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The argument bytes of one request (everything after {@code fuse_in_header}), read front to back.
 *
 * <p>The bytes are a private copy taken once: guest memory stays writable by the guest while we work,
 * and a value checked in guest memory could change before it is used.
 */
final class RequestBody {
    /** FUSE_NAME_MAX: the kernel never sends a longer name. */
    static final int NAME_MAX = 1024;
    /**
     * The longest symlink target: PATH_MAX (4096) with its terminator, what symlink(2) takes. Not
     * {@link #NAME_MAX}: a target is a path, not a name, and the guest kernel sends it whole.
     */
    static final int TARGET_MAX = 4095;

    private final byte[] bytes;
    private final MemorySegment segment;
    private int position;

    private RequestBody(byte[] bytes) {
        this.bytes = bytes;
        this.segment = MemorySegment.ofArray(bytes);
    }

    /** Copies {@code length} bytes of {@code request} from {@code offset}. */
    static RequestBody copyOf(ScatterBuffer request, long offset, long length) {
        byte[] bytes = new byte[Math.toIntExact(length)];
        request.read(offset, MemorySegment.ofArray(bytes));
        return new RequestBody(bytes);
    }

    /**
     * The unsigned 32-bit field at {@code offset} from the start, without moving on; -1 if the body
     * is too short to hold it.
     */
    long peekUnsignedInt(long offset) {
        if (offset < 0 || offset + Integer.BYTES > bytes.length) {
            return -1;
        }
        return Integer.toUnsignedLong(segment.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, offset));
    }

    long remaining() {
        return bytes.length - position;
    }

    /** The next {@code size} bytes (a fixed-size struct), as a segment. */
    MemorySegment struct(long size) {
        if (size > remaining()) {
            throw new RequestRejected(Errno.EINVAL, "request arguments truncated: need " + size
                    + " bytes, have " + remaining());
        }
        MemorySegment s = segment.asSlice(position, size);
        position += (int) size;
        return s;
    }

    /** The next {@code length} bytes, copied. */
    byte[] bytes(long length) {
        if (length < 0 || length > remaining()) {
            throw new RequestRejected(Errno.EINVAL, "request data of " + length + " bytes exceeds the "
                    + remaining() + " bytes sent");
        }
        byte[] out = Arrays.copyOfRange(bytes, position, position + (int) length);
        position += (int) length;
        return out;
    }

    /** The next NUL-terminated string of at most {@link #NAME_MAX} bytes, without its terminator. */
    Name string() {
        return string(NAME_MAX);
    }

    /** The next NUL-terminated string of at most {@code max} bytes, without its terminator. */
    private Name string(int max) {
        int end = position;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        if (end == bytes.length) {
            throw new RequestRejected(Errno.EINVAL, "name without NUL terminator");
        }
        if (end - position > max) {
            throw new RequestRejected(Errno.ENAMETOOLONG, "name of " + (end - position) + " bytes");
        }
        Name name = Name.of(Arrays.copyOfRange(bytes, position, end));
        position = end + 1;
        return name;
    }

    /** The next NUL-terminated string, which must not be empty (an xattr name). */
    Name nonEmptyString() {
        return nonEmpty(string());
    }

    /**
     * The next NUL-terminated string as a symlink target: not empty, and at most
     * {@link #TARGET_MAX} bytes (ENAMETOOLONG beyond, as symlink(2) answers).
     */
    Name symlinkTarget() {
        return nonEmpty(string(TARGET_MAX));
    }

    private static Name nonEmpty(Name name) {
        if (name.isEmpty()) {
            throw new RequestRejected(Errno.EINVAL, "empty name");
        }
        return name;
    }

    /**
     * The next NUL-terminated string, which must be one path component: the guest kernel resolves
     * "." and ".." and splits at '/' itself, so a server that acted on them could be walked out of its
     * directory.
     */
    Name component() {
        Name name = string();
        if (!name.isPathComponent()) {
            throw new RequestRejected(Errno.EINVAL, "not a path component: \"" + name + "\"");
        }
        return name;
    }
}
