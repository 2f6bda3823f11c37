package io.krunctl.vmm.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;

/**
 * The host end of a QEMU {@code -chardev socket,path=...}: krunctl listens before QEMU starts, so
 * QEMU connects as a client and nothing races. Each chardev carries exactly one connection.
 */
public final class ChardevSocket {
    private ChardevSocket() {}

    /** Binds and listens on {@code path}; the caller owns (and closes) the returned channel. */
    public static ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), 1);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
