package io.krunctl.vmm.stdio;

import io.krunctl.vmm.qemu.ChardevSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * krunctl's end of the {@code krun-control} virtio-serial port. QEMU connects to the socket this
 * listens on when it starts; messages sent before that wait here, and messages sent before the
 * guest opens its end wait in the socket (QEMU reads a port's chardev only while the guest has it
 * open), so nothing is lost to timing: a signal sent while the VM boots reaches the workload once
 * the init listens.
 *
 * <p>Messages are a few bytes each and few (a signal, a resize, the time every 5 s), so a blocking
 * write under a lock is enough.
 */
public final class ControlChannel implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ControlChannel.class);

    private final ServerSocketChannel listener;
    private final List<ControlMessage> early = new ArrayList<>();
    private SocketChannel connection;
    private boolean closed;

    private ControlChannel(ServerSocketChannel listener) {
        this.listener = listener;
    }

    /** Listens on {@code path} and accepts QEMU's connection in the background. */
    public static ControlChannel listen(Path path) throws IOException {
        ControlChannel control = new ControlChannel(ChardevSocket.listen(path));
        Thread.ofPlatform().daemon().name("control-accept").start(control::accept);
        return control;
    }

    private void accept() {
        try {
            SocketChannel c = listener.accept();
            synchronized (this) {
                if (closed) {
                    c.close();
                    return;
                }
                connection = c;
                for (ControlMessage m : early) {
                    write(m);
                }
                early.clear();
            }
        } catch (IOException e) {
            LOG.debug("control port: no connection: {}", e.toString());
        }
    }

    /** Sends {@code message}, or keeps it until QEMU connects. Failures are logged, never thrown. */
    public synchronized void send(ControlMessage message) {
        if (closed) {
            return;
        }
        if (connection == null) {
            early.add(message);
            return;
        }
        write(message);
    }

    private void write(ControlMessage message) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(message.encode());
            while (bytes.hasRemaining()) {
                connection.write(bytes);
            }
            LOG.debug("control port: sent {}", message);
        } catch (IOException e) {
            LOG.debug("control port: cannot send {}: {}", message, e.toString());
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        try {
            listener.close();
            SocketChannel c;
            synchronized (this) {
                c = connection;
            }
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            LOG.debug("closing the control port: {}", e.toString());
        }
    }
}
