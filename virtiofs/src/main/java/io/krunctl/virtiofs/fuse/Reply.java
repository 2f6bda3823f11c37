package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.FuseStructs.putInt;
import static io.krunctl.virtiofs.fuse.FuseStructs.putLong;

import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fuse.FuseStructs.OutHeader;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The reply to one request, written into the guest's device-writable buffers: {@code fuse_out_header}
 * first, then the payload. Each method that completes the reply returns the number of bytes written,
 * which the transport reports to the guest as the used length.
 */
final class Reply {
    private final ScatterBuffer buffer;
    private final long unique;

    Reply(ScatterBuffer buffer, long unique) {
        this.buffer = buffer;
        this.unique = unique;
    }

    /** Room for payload after the header. */
    long capacity() {
        return Math.max(0, buffer.size() - OutHeader.SIZE);
    }

    /**
     * Fails unless {@code payload} bytes fit. Operations call it before they change anything, so a
     * guest that offers too little room gets ERANGE instead of a lookup or open it never hears of.
     */
    void require(long payload) {
        if (payload > capacity()) {
            throw new RequestRejected(Errno.ERANGE, "reply of " + payload + " bytes does not fit in "
                    + capacity());
        }
    }

    int empty() {
        return finish(0);
    }

    int send(MemorySegment payload) {
        require(payload.byteSize());
        buffer.write(OutHeader.SIZE, payload);
        return finish(payload.byteSize());
    }

    int send(MemorySegment first, MemorySegment second) {
        long total = first.byteSize() + second.byteSize();
        require(total);
        buffer.write(OutHeader.SIZE, first);
        buffer.write(OutHeader.SIZE + first.byteSize(), second);
        return finish(total);
    }

    /** Views of the payload area {@code [0, length)}, for data the filesystem writes in place. */
    List<MemorySegment> payloadSlices(long length) {
        require(length);
        return buffer.slices(OutHeader.SIZE, length);
    }

    /** Writes {@code part} at {@code payloadOffset} in the payload area; {@link #finish} follows. */
    void put(long payloadOffset, MemorySegment part) {
        require(payloadOffset + part.byteSize());
        buffer.write(OutHeader.SIZE + payloadOffset, part);
    }

    /** Writes the success header for a payload of {@code payloadLength} bytes already in place. */
    int finish(long payloadLength) {
        long total = OutHeader.SIZE + payloadLength;
        writeHeader(buffer, total, 0, unique);
        return Math.toIntExact(total);
    }

    /** Answers with {@code errno} alone; 0 if there is not even room for a header. */
    static int error(ScatterBuffer buffer, long unique, Errno errno) {
        if (buffer.size() < OutHeader.SIZE) {
            return 0;
        }
        writeHeader(buffer, OutHeader.SIZE, -errno.code(), unique);
        return (int) OutHeader.SIZE;
    }

    private static void writeHeader(ScatterBuffer buffer, long length, int error, long unique) {
        MemorySegment header = MemorySegment.ofArray(new byte[(int) OutHeader.SIZE]);
        putInt(header, OutHeader.LEN, (int) length);
        putInt(header, OutHeader.ERROR, error);
        putLong(header, OutHeader.UNIQUE, unique);
        buffer.write(0, header);
    }
}
