package io.krunctl.vmm.agent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One frame of the agent protocol ({@code guest/agent/PROTOCOL.md}): a session number, a kind and
 * a payload. The factories build well-formed frames; the accessors decode a received one, throwing
 * {@link ProtocolException} when its payload does not fit its kind.
 */
public record Frame(int session, Kind kind, byte[] payload) {
    /** Protocol version this side speaks. */
    public static final int VERSION = 1;
    /** Bytes before the payload: length, session, kind. */
    public static final int HEADER_BYTES = 9;
    /** Longest payload. */
    public static final int MAX_PAYLOAD = 65_536;
    /** Bytes of data a sender may have in flight per session and direction. */
    public static final int WINDOW = 262_144;

    /** The frame kinds, with their codes on the wire. */
    public enum Kind {
        HELLO(0x01), STARTED(0x10), STDOUT(0x11), STDERR(0x12), EXITED(0x13), FAILED(0x14), STDIN_CREDIT(0x15),
        EXEC(0x20), STDIN(0x21), SIGNAL(0x22), RESIZE(0x23), OUTPUT_CREDIT(0x24);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The kind with {@code code}, or null for a code this version does not know. */
        public static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }
    }

    public Frame {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(payload, "payload");
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    public static Frame hello() {
        return new Frame(0, Kind.HELLO, ByteBuffer.allocate(2).putShort((short) VERSION).array());
    }

    public static Frame exec(int session, ExecRequest request) {
        return new Frame(session, Kind.EXEC, request.toJson());
    }

    public static Frame data(int session, Kind kind, byte[] bytes, int offset, int length) {
        return new Frame(session, kind, Arrays.copyOfRange(bytes, offset, offset + length));
    }

    public static Frame endOfInput(int session) {
        return new Frame(session, Kind.STDIN, new byte[0]);
    }

    public static Frame signal(int session, int signal) {
        return new Frame(session, Kind.SIGNAL, u32(signal));
    }

    public static Frame resize(int session, int rows, int cols) {
        return new Frame(session, Kind.RESIZE, ByteBuffer.allocate(4).putShort((short) rows).putShort((short) cols)
                .array());
    }

    public static Frame credit(int session, Kind kind, int bytes) {
        return new Frame(session, kind, u32(bytes));
    }

    public static Frame started(int session, int pid) {
        return new Frame(session, Kind.STARTED, u32(pid));
    }

    /** The process exited with {@code status}, or was killed by signal {@code status} if {@code signaled}. */
    public static Frame exited(int session, boolean signaled, int status) {
        return new Frame(session, Kind.EXITED, ByteBuffer.allocate(5).put((byte) (signaled ? 1 : 0)).putInt(status)
                .array());
    }

    public static Frame failed(int session, int exitCode, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, MAX_PAYLOAD - 4);
        return new Frame(session, Kind.FAILED, ByteBuffer.allocate(4 + length).putInt(exitCode).put(text, 0, length)
                .array());
    }

    /** The number a {@code SIGNAL}, {@code STARTED} or credit frame carries. */
    public int number() throws ProtocolException {
        requireSize(4);
        return ByteBuffer.wrap(payload).getInt();
    }

    /** The version a {@code HELLO} announces. */
    public int version() throws ProtocolException {
        requireSize(2);
        return Short.toUnsignedInt(ByteBuffer.wrap(payload).getShort());
    }

    /** The exit code a shell would report for an {@code EXITED} or {@code FAILED} frame: N, or 128+N for signal N. */
    public int exitCode() throws ProtocolException {
        if (kind == Kind.FAILED) {
            if (payload.length < 4) {
                throw new ProtocolException(session, "FAILED needs at least 4 bytes, got " + payload.length);
            }
            return ByteBuffer.wrap(payload).getInt();
        }
        requireSize(5);
        ByteBuffer b = ByteBuffer.wrap(payload);
        int how = b.get();
        int value = b.getInt();
        return switch (how) {
            case 0 -> value & 0xff;
            case 1 -> 128 + value;
            default -> throw new ProtocolException(session, "EXITED: unknown way of ending " + how);
        };
    }

    /** The reason a {@code FAILED} frame gives. */
    public String reason() throws ProtocolException {
        if (payload.length < 4) {
            throw new ProtocolException(session, "FAILED needs at least 4 bytes, got " + payload.length);
        }
        return new String(payload, 4, payload.length - 4, StandardCharsets.UTF_8);
    }

    /** Rows and columns of a {@code RESIZE}. */
    public int[] size() throws ProtocolException {
        requireSize(4);
        ByteBuffer b = ByteBuffer.wrap(payload);
        return new int[] {Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort())};
    }

    private void requireSize(int size) throws ProtocolException {
        if (payload.length != size) {
            throw new ProtocolException(session, kind + " needs " + size + " bytes, got " + payload.length);
        }
    }

    private static byte[] u32(int value) {
        return ByteBuffer.allocate(4).putInt(value).array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.session == session && f.kind == kind && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * session + kind.hashCode()) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return kind + "[" + session + ", " + payload.length + " bytes]";
    }
}
