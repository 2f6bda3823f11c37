package io.krunctl.vmm.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A supervisor's unix socket for other krunctl processes of the same user (mode 0600): each client
 * is served on a virtual thread of its own until {@link #close()}, which also removes the socket.
 */
final class ClientDoor implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ClientDoor.class);

    private final ServerSocketChannel listener;
    private final Path socket;

    private ClientDoor(ServerSocketChannel listener, Path socket) {
        this.listener = listener;
        this.socket = socket;
    }

    /** Listens on {@code socket} and hands each client to {@code serve} (which closes it). */
    static ClientDoor open(Path socket, String name, Consumer<SocketChannel> serve) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        ClientDoor door = new ClientDoor(listener, socket);
        Thread.ofVirtual().name(name + "-accept").start(() -> {
            while (true) {
                SocketChannel client;
                try {
                    client = listener.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofVirtual().name(name + "-client").start(() -> serve.accept(client));
            }
        });
        return door;
    }

    @Override
    public void close() {
        try {
            listener.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("closing {}: {}", socket, e.toString());
        }
    }
}
