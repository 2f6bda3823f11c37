package io.krunctl.vmm.agent;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** Reads and writes agent-protocol frames on a byte channel. */
public final class FrameCodec {
    private FrameCodec() {}

    /**
     * The next frame, or null at a clean end of stream (between frames).
     *
     * @throws ProtocolException breaking the stream if the length is over {@link Frame#MAX_PAYLOAD},
     *                           for the frame's session if its kind is unknown (the frame is consumed)
     * @throws EOFException      if the stream ends inside a frame
     */
    public static Frame read(ReadableByteChannel in) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_BYTES);
        if (!fill(in, header, true)) {
            return null;
        }
        header.flip();
        long length = Integer.toUnsignedLong(header.getInt());
        int session = header.getInt();
        int code = Byte.toUnsignedInt(header.get());
        if (length > Frame.MAX_PAYLOAD) {
            throw ProtocolException.outOfStep("a frame of " + length + " bytes, over the limit of " + Frame.MAX_PAYLOAD);
        }
        ByteBuffer payload = ByteBuffer.allocate((int) length);
        fill(in, payload, false);
        Frame.Kind kind = Frame.Kind.of(code);
        if (kind == null) {
            throw new ProtocolException(session, "unknown frame kind 0x" + Integer.toHexString(code));
        }
        return new Frame(session, kind, payload.array());
    }

    /** Writes {@code frame} whole; callers serialise writers. */
    public static void write(WritableByteChannel out, Frame frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + frame.payload().length);
        b.putInt(frame.payload().length).putInt(frame.session()).put((byte) frame.kind().code()).put(frame.payload());
        b.flip();
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** Fills {@code buffer}; false if the stream ended before its first byte and {@code mayEnd}. */
    private static boolean fill(ReadableByteChannel in, ByteBuffer buffer, boolean mayEnd) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer) < 0) {
                if (mayEnd && buffer.position() == 0) {
                    return false;
                }
                throw new EOFException("the stream ended inside a frame");
            }
        }
        return true;
    }
}
