package io.krunctl.cli.oci;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How {@code start} tells a created container's supervisor to boot: a Unix socket in the
 * container's directory (runc uses a FIFO; a socket refuses at once when nobody listens, so a
 * {@code start} of a container whose supervisor died fails instead of hanging). {@code start}
 * sends {@value #START} and waits for {@value #STARTED}, which the supervisor answers once the VM
 * has been launched.
 */
public final class StartSignal implements AutoCloseable {
    static final String START = "start";
    static final String STARTED = "started";

    /** What ended the wait. */
    public sealed interface Request {
        /** {@code start} asked; {@link #started} answers it. */
        record Start(SocketChannel client) implements Request {
            public void started() throws IOException {
                client.write(ByteBuffer.wrap((STARTED + "\n").getBytes(StandardCharsets.US_ASCII)));
                client.close();
            }
        }

        /** A signal came first: the container ends without running its program. */
        record Abandoned(int signal) implements Request {}
    }

    private final ServerSocketChannel server;
    private final Path path;
    private volatile int abandonedBy;

    private StartSignal(ServerSocketChannel server, Path path) {
        this.server = server;
        this.path = path;
    }

    /** Listens at {@code path}. */
    public static StartSignal listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        return new StartSignal(server, path);
    }

    /** Waits for {@code start}, or for {@link #abandon}. */
    public Request await() throws IOException {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (abandonedBy != 0) {
                    return new Request.Abandoned(abandonedBy);
                }
                throw e;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                    StandardCharsets.US_ASCII));
            if (START.equals(in.readLine())) {
                return new Request.Start(client);
            }
            client.close();
        }
    }

    /** Ends {@link #await} with {@code signal}, from a signal handler's thread. */
    public void abandon(int signal) {
        abandonedBy = signal;
        close();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // Closed already.
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // The container's directory goes with delete.
        }
    }

    /**
     * Asks the supervisor listening at {@code path} to boot, and waits for its answer.
     *
     * @throws OciException if nobody listens (the supervisor is gone) or no answer comes in time
     */
    public static void request(Path path, Duration timeout) throws OciException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            channel.write(ByteBuffer.wrap((START + "\n").getBytes(StandardCharsets.US_ASCII)));
            // A blocking channel's read has no timeout of its own: closing the channel ends it.
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(timeout);
                    channel.close();
                } catch (InterruptedException | IOException e) {
                    // Answered in time.
                }
            });
            try {
                String answer = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                        StandardCharsets.US_ASCII)).readLine();
                if (!STARTED.equals(answer)) {
                    throw new OciException("the container's supervisor did not start it (it ended first)");
                }
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            throw new OciException("the container's supervisor does not answer (" + e.getMessage()
                    + "); it has ended");
        }
    }
}
