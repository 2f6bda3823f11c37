package io.krunctl.vmm.agent;

import io.krunctl.vmm.stdio.OutputLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A foreground VM's door for {@code krunctl logs}: a unix socket on which a client sends one byte
 * (1 to follow, 0 not) and gets the {@link OutputLog}'s bytes as {@code STDOUT} and {@code STDERR}
 * frames (session 0), until the log ends; then the connection closes. A follower that falls more
 * than {@link #MAX_BEHIND} bytes behind is dropped, so a stalled reader never holds the workload up.
 */
public final class LogServer implements AutoCloseable {
    static final long MAX_BEHIND = 4L << 20;
    private static final Logger LOG = LogManager.getLogger(LogServer.class);
    private static final Frame END = new Frame(0, Frame.Kind.HELLO, new byte[0]);

    private final OutputLog log;
    private ClientDoor door;

    private LogServer(OutputLog log) {
        this.log = log;
    }

    /** Serves {@code log} on {@code socket} (mode 0600). */
    public static LogServer serve(Path socket, OutputLog log) throws IOException {
        LogServer server = new LogServer(log);
        server.door = ClientDoor.open(socket, "logs", server::serveClient);
        return server;
    }

    private void serveClient(SocketChannel client) {
        LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
        AtomicLong behind = new AtomicLong();
        OutputLog.Reader reader = new OutputLog.Reader() {
            @Override
            public void write(OutputLog.Stream stream, byte[] bytes, int offset, int length) {
                if (behind.addAndGet(length) > MAX_BEHIND) {
                    end();
                    return;
                }
                Frame.Kind kind = stream == OutputLog.Stream.STDOUT ? Frame.Kind.STDOUT : Frame.Kind.STDERR;
                for (int at = 0; at < length; at += Frame.MAX_PAYLOAD) {
                    queue.add(Frame.data(0, kind, bytes, offset + at, Math.min(Frame.MAX_PAYLOAD, length - at)));
                }
            }

            @Override
            public void end() {
                queue.add(END);
            }
        };
        try (client) {
            ByteBuffer follow = ByteBuffer.allocate(1);
            if (client.read(follow) != 1) {
                return;
            }
            log.read(reader, follow.get(0) == 1);
            for (Frame f = queue.take(); f != END; f = queue.take()) {
                FrameCodec.write(client, f);
                behind.addAndGet(-f.payload().length);
            }
        } catch (IOException e) {
            LOG.debug("logs client gone: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            log.forget(reader);
        }
    }

    @Override
    public void close() {
        door.close();
    }
}
