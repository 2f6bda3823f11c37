package io.krunctl.virtiofs.fs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A NUL-free byte string as the guest kernel sends it: a path component, a symlink target or an
 * extended attribute name.
 *
 * <p>Linux names are bytes, not text; a guest may create a name that is not UTF-8 and must get exactly
 * those bytes back from {@code readdir}. Keeping them as bytes end to end is what lets a passthrough
 * filesystem hand them to {@code *at} syscalls unchanged. Immutable.
 */
public final class Name {
    private static final byte NUL = 0;
    private static final byte SLASH = '/';
    private static final byte DOT = '.';

    private final byte[] bytes;
    private final int hash;

    private Name(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** The UTF-8 encoding of {@code text}. */
    public static Name of(String text) {
        return of(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code bytes}, which must not contain NUL. */
    public static Name of(byte[] bytes) {
        byte[] copy = bytes.clone();
        for (byte b : copy) {
            if (b == NUL) {
                throw new IllegalArgumentException("name contains NUL");
            }
        }
        return new Name(copy);
    }

    public int length() {
        return bytes.length;
    }

    public byte byteAt(int index) {
        return bytes[index];
    }

    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Copies the bytes (no terminator) into {@code dst} at {@code offset}. */
    public void copyTo(MemorySegment dst, long offset) {
        MemorySegment.copy(bytes, 0, dst, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    public boolean containsSlash() {
        for (byte b : bytes) {
            if (b == SLASH) {
                return true;
            }
        }
        return false;
    }

    /** {@code "."} or {@code ".."}, which the kernel resolves itself and a server must never act on. */
    public boolean isDotOrDotDot() {
        return (bytes.length == 1 && bytes[0] == DOT) || (bytes.length == 2 && bytes[0] == DOT && bytes[1] == DOT);
    }

    /** True if this is a name a directory can hold: non-empty, no '/', not "." or "..". */
    public boolean isPathComponent() {
        return !isEmpty() && !containsSlash() && !isDotOrDotDot();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Name other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The bytes decoded as UTF-8, malformed sequences replaced; for display, not for round trips. */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
