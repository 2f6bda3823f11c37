package io.krunctl.virtiofs.fuse;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Hand-encodes FUSE requests and decodes replies the way the guest kernel does, for tests. */
final class Wire {
    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;

    private Wire() {
    }

    /** Little-endian argument bytes. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u16(int v) {
            return put(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array());
        }

        Bytes u32(long v) {
            return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Bytes u64(long v) {
            return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        /** A string with its NUL terminator. */
        Bytes cstring(String s) {
            put(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return this;
        }

        /** Bytes as given, no terminator. */
        Bytes raw(String s) {
            return put(s.getBytes(StandardCharsets.UTF_8));
        }

        Bytes put(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes zeros(int n) {
            return put(new byte[n]);
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }

    static Bytes args() {
        return new Bytes();
    }

    /** A complete request whose header length matches its size. */
    static byte[] request(int opcode, long unique, long nodeId, byte[] args) {
        return request(opcode, unique, nodeId, args, IN_HEADER + args.length);
    }

    /** A request whose header claims {@code declaredLength} bytes, whatever it really holds. */
    static byte[] request(int opcode, long unique, long nodeId, byte[] args, long declaredLength) {
        return request(opcode, unique, nodeId, args, declaredLength, WORKLOAD_PID);
    }

    /** The pid of the guest task behind every request unless a test says otherwise. */
    static final int WORKLOAD_PID = 4242;

    /** A request from the guest task {@code pid}. */
    static byte[] requestFrom(int pid, Opcode opcode, long unique, long nodeId, Bytes args) {
        byte[] a = args.toArray();
        return request(opcode.code(), unique, nodeId, a, IN_HEADER + a.length, pid);
    }

    private static byte[] request(int opcode, long unique, long nodeId, byte[] args, long declaredLength, int pid) {
        return args().u32(declaredLength).u32(opcode).u64(unique).u64(nodeId)
                .u32(1000).u32(1001).u32(pid).u16(0).u16(0)
                .put(args).toArray();
    }

    static byte[] request(Opcode opcode, long unique, long nodeId, Bytes args) {
        return request(opcode.code(), unique, nodeId, args.toArray());
    }

    /**
     * The bytes spread over confined segments, cut at the given offsets: the way a guest's descriptor
     * chain can split a request anywhere.
     */
    static ScatterBuffer scatter(Arena arena, byte[] bytes, int... cuts) {
        List<MemorySegment> parts = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            parts.add(segmentOf(arena, Arrays.copyOfRange(bytes, from, cut)));
            from = cut;
        }
        parts.add(segmentOf(arena, Arrays.copyOfRange(bytes, from, bytes.length)));
        return new ScatterBuffer(parts);
    }

    /** A reply area of {@code size} bytes filled with 0xAA, cut at the given offsets. */
    static ScatterBuffer replyArea(Arena arena, int size, int... cuts) {
        byte[] fill = new byte[size];
        Arrays.fill(fill, (byte) 0xAA);
        return scatter(arena, fill, cuts);
    }

    private static MemorySegment segmentOf(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(Math.max(bytes.length, 0), 1);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** A decoded reply: header fields and the payload. */
    record Reply(int len, int error, long unique, ByteBuffer payload) {
        int u32(int offset) {
            return payload.getInt(offset);
        }

        long u64(int offset) {
            return payload.getLong(offset);
        }

        int u16(int offset) {
            return Short.toUnsignedInt(payload.getShort(offset));
        }

        byte[] bytes(int offset, int length) {
            byte[] out = new byte[length];
            payload.get(offset, out);
            return out;
        }

        String string(int offset, int length) {
            return new String(bytes(offset, length), StandardCharsets.UTF_8);
        }

        int payloadLength() {
            return payload.capacity();
        }
    }

    /** Reads back the {@code written} bytes of a reply. */
    static Reply parse(ScatterBuffer reply, int written) {
        byte[] all = new byte[written];
        reply.read(0, MemorySegment.ofArray(all));
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer payload = ByteBuffer.wrap(Arrays.copyOfRange(all, OUT_HEADER, written)).order(ByteOrder.LITTLE_ENDIAN);
        return new Reply(b.getInt(0), b.getInt(4), b.getLong(8), payload);
    }

    /** The whole reply area, to check nothing was written. */
    static byte[] contents(ScatterBuffer buffer) {
        byte[] all = new byte[(int) buffer.size()];
        buffer.read(0, MemorySegment.ofArray(all));
        return all;
    }
}
