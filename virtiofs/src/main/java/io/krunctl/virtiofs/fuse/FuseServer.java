package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.FuseStructs.getInt;
import static io.krunctl.virtiofs.fuse.FuseStructs.getLong;

import io.krunctl.virtiofs.fs.Context;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FileSystem;
import io.krunctl.virtiofs.fs.FsException;
import io.krunctl.virtiofs.fuse.FuseStructs.InHeader;
import io.krunctl.virtiofs.fuse.FuseStructs.ReadIn;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteIn;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The FUSE protocol end of the virtio-fs device: takes one request as the guest wrote it, has the
 * {@link FileSystem} carry it out and writes the reply into the guest's reply buffers.
 *
 * <p>Speaks protocol 7.27, as libkrun does. Thread-safe: the transport may call {@link #handle} from
 * several worker threads at once. Whatever the guest sends, {@link #handle} does not throw: malformed
 * requests get an error reply (EINVAL for bad framing or arguments, ERANGE when the reply would not
 * fit, ENOMEM for a request or a reply buffer asked for above 1 MiB, ENOSYS for unknown opcodes, EIO
 * when the filesystem itself fails unexpectedly). Until a FUSE_INIT succeeds, and again after
 * DESTROY, every request but INIT and DESTROY gets EIO and none reaches the filesystem.
 */
public final class FuseServer {
    /** libkrun's and virtiofsd's limit: a maximal write plus a page of headers. */
    static final long MAX_REQUEST = Operations.MAX_WRITE + 0x1000L;
    /** Reads and writes above this many bytes may take long enough to be served off the kick thread. */
    static final long LARGE_TRANSFER = 128 * 1024;

    private static final Logger LOG = LogManager.getLogger(FuseServer.class);

    private final Operations operations;
    private final LongAdder unexpectedFailures = new LongAdder();

    public FuseServer(FileSystem fs) {
        this.operations = new Operations(Objects.requireNonNull(fs, "fs"));
    }

    /**
     * How many requests were answered by the safety net rather than by a deliberate check: an
     * exception no layer meant to throw (a bug in the parser or the filesystem) or a read past the
     * request's end that the parser should have refused first. The guest sees EIO either way, like
     * many honest failures, so this count is what tells a bug apart.
     */
    public long unexpectedFailures() {
        return unexpectedFailures.sum();
    }

    /**
     * Handles one request.
     *
     * @param request the device-readable bytes of the request: {@code fuse_in_header} and arguments
     * @param reply   the device-writable area for the reply
     * @return the number of reply bytes written; 0 for requests that get no reply (FORGET,
     *     BATCH_FORGET, INTERRUPT) and when the reply area cannot hold even a reply header
     */
    public int handle(ScatterBuffer request, ScatterBuffer reply) {
        return handle(request, reply, false);
    }

    /** What {@link #handleIfQuick} answers for a request it left alone. */
    public static final int WOULD_BLOCK = -1;

    /**
     * As {@link #handle}, unless serving the request may take long: the opcodes of
     * {@link Opcode#mayBlock()}, and reads and writes of more than {@link #LARGE_TRANSFER} bytes,
     * which a slow disk makes slow and which parallel streams should not queue behind. Those are left
     * untouched, with {@link #WOULD_BLOCK}. The decision is taken on the private copy of the header and
     * arguments that the request is then served from, so a guest rewriting the request in guest memory
     * meanwhile cannot turn a quick request into a blocking one on the caller's thread.
     */
    public int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
        return handle(request, reply, true);
    }

    private int handle(ScatterBuffer request, ScatterBuffer reply, boolean onlyIfQuick) {
        long unique = 0;
        boolean answers = true;
        try {
            if (request.size() < InHeader.SIZE) {
                return reject(reply, unique, Errno.EINVAL, "request of " + request.size() + " bytes has no header");
            }
            MemorySegment header = MemorySegment.ofArray(new byte[(int) InHeader.SIZE]);
            request.read(0, header);
            unique = getLong(header, InHeader.UNIQUE);
            long length = Integer.toUnsignedLong(getInt(header, InHeader.LEN));
            int code = getInt(header, InHeader.OPCODE);
            Opcode opcode = Opcode.of(code);
            answers = opcode == null || opcode.expectsReply();
            if (length < InHeader.SIZE || length > request.size()) {
                return answers ? reject(reply, unique, Errno.EINVAL, "header length " + length
                        + " disagrees with a request of " + request.size() + " bytes") : 0;
            }
            if (length > MAX_REQUEST) {
                return answers ? reject(reply, unique, Errno.ENOMEM, "request of " + length + " bytes") : 0;
            }
            long nodeId = getLong(header, InHeader.NODEID);
            long bodyLength = length - InHeader.SIZE;
            if (!answers) {
                LOG.trace("{} unique={} nodeid={}", opcode, unique, nodeId);
                operations.dispatchWithoutReply(opcode, nodeId, RequestBody.copyOf(request, InHeader.SIZE, bodyLength));
                return 0;
            }
            if (reply.size() < FuseStructs.OutHeader.SIZE) {
                // Nowhere to say what happened, so better not to do it.
                LOG.debug("request {} opcode {}: reply area of {} bytes cannot hold a header; dropped", unique, code,
                        reply.size());
                return 0;
            }
            if (opcode == null) {
                return reject(reply, unique, Errno.ENOSYS, "unknown opcode " + code);
            }
            if (LOG.isTraceEnabled()) {
                LOG.trace("{} unique={} nodeid={} len={}", opcode, unique, nodeId, length);
            }
            // WRITE data stays in guest memory for the filesystem to read in place; copy only its header.
            long copied = opcode == Opcode.WRITE ? Math.min(bodyLength, WriteIn.SIZE) : bodyLength;
            RequestBody body = RequestBody.copyOf(request, InHeader.SIZE, copied);
            if (onlyIfQuick && mayBlock(opcode, body)) {
                return WOULD_BLOCK;
            }
            Context ctx = new Context(getInt(header, InHeader.UID), getInt(header, InHeader.GID),
                    getInt(header, InHeader.PID));
            Request r = new Request(opcode, unique, nodeId, ctx, request, bodyLength, body, new Reply(reply, unique));
            return operations.dispatch(r);
        } catch (FsException e) {
            LOG.trace("request {}: {}", unique, e.errno());
            return answers ? safeError(reply, unique, e.errno()) : 0;
        } catch (RequestRejected e) {
            return answers ? reject(reply, unique, e.errno(), e.getMessage()) : 0;
        } catch (IndexOutOfBoundsException e) {
            // A buffer shorter than it claimed to be; ScatterBuffer refused to go past it.
            unexpectedFailures.increment();
            return answers ? reject(reply, unique, Errno.EIO, e.getMessage()) : 0;
        } catch (RuntimeException e) {
            LOG.debug("request {}: filesystem failed", unique, e);
            unexpectedFailures.increment();
            return answers ? safeError(reply, unique, Errno.EIO) : 0;
        }
    }

    private static boolean mayBlock(Opcode op, RequestBody body) {
        if (op.mayBlock()) {
            return true;
        }
        long size = switch (op) {
            case READ -> body.peekUnsignedInt(ReadIn.READ_SIZE);
            case WRITE -> body.peekUnsignedInt(WriteIn.WRITE_SIZE);
            default -> -1;
        };
        return size > LARGE_TRANSFER;
    }

    private static int reject(ScatterBuffer reply, long unique, Errno errno, String why) {
        LOG.debug("request {} rejected with {}: {}", unique, errno, why);
        return safeError(reply, unique, errno);
    }

    private static int safeError(ScatterBuffer reply, long unique, Errno errno) {
        try {
            return Reply.error(reply, unique, errno);
        } catch (RuntimeException e) {
            LOG.debug("request {}: could not write the error reply", unique, e);
            return 0;
        }
    }
}
