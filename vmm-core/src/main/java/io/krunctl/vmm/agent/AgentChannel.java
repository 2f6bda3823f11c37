package io.krunctl.vmm.agent;

import io.krunctl.vmm.qemu.ChardevSocket;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * krunctl's end of the {@code krun-agent} virtio-serial port: QEMU connects to the socket this
 * listens on, and the guest agent speaks {@link Frame frames} through it. Sessions are opened with
 * {@link #open}; each one's frames from the guest go to its {@link SessionListener}.
 *
 * <p>One platform thread reads the port; listeners run on it and must not block (the relay hands
 * frames to a queue of its own). Writers are serialised. A frame that breaks the protocol ends its
 * session (and the agent is told to kill the process); one that breaks the stream (an oversized
 * length) ends every session, and exec into this VM is then refused: the stream cannot be read in
 * step again.
 */
public final class AgentChannel implements AutoCloseable {
    /** The virtio-serial port name the agent looks for. */
    public static final String PORT_NAME = "krun-agent";
    private static final Logger LOG = LogManager.getLogger(AgentChannel.class);
    private static final int SIGKILL = 9;

    /** Hears one session's frames from the guest; called on the channel's reader thread. */
    public interface SessionListener {
        /** STARTED, STDOUT, STDERR, STDIN_CREDIT, and last EXITED or FAILED. */
        void frame(Frame frame);

        /** The session ended without EXITED or FAILED: a broken frame, a restarted agent, the VM gone. */
        void broken(String reason);
    }

    private final ServerSocketChannel listener;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Map<Integer, SessionListener> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextSession = new AtomicInteger(1);
    private final Object writeLock = new Object();
    private volatile SocketChannel connection;
    private volatile String dead;

    private AgentChannel(ServerSocketChannel listener) {
        this.listener = listener;
    }

    /** Listens on {@code socket}; QEMU's connection is accepted and read in the background. */
    public static AgentChannel listen(Path socket) throws IOException {
        AgentChannel channel = new AgentChannel(ChardevSocket.listen(socket));
        Thread.ofPlatform().daemon().name("agent-port").start(channel::serve);
        return channel;
    }

    /** Completes when the agent has said HELLO: sessions can be opened. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /**
     * Opens a session: sends EXEC for {@code request}; the guest's frames go to {@code listener}.
     * Call only once {@link #ready()} has completed.
     *
     * @return the session number
     */
    public int open(ExecRequest request, SessionListener listener) throws IOException {
        if (dead != null) {
            throw new IOException(dead);
        }
        int session = nextSession.getAndIncrement();
        sessions.put(session, listener);
        try {
            send(Frame.exec(session, request));
        } catch (IOException e) {
            sessions.remove(session);
            throw e;
        }
        return session;
    }

    /** Sends a frame of an open session (STDIN, SIGNAL, RESIZE, OUTPUT_CREDIT). */
    public void send(Frame frame) throws IOException {
        SocketChannel c = connection;
        if (c == null || dead != null) {
            throw new IOException(dead != null ? dead : "the guest agent is not connected");
        }
        synchronized (writeLock) {
            FrameCodec.write(c, frame);
        }
    }

    /** Forgets {@code session} (its client went away); later frames of it are dropped. */
    public void forget(int session) {
        sessions.remove(session);
    }

    private void serve() {
        try (SocketChannel c = listener.accept()) {
            connection = c;
            readLoop(c);
        } catch (IOException e) {
            LOG.debug("agent port: {}", e.toString());
        } finally {
            endAll(dead != null ? dead : "the VM has stopped");
        }
    }

    private void readLoop(SocketChannel c) throws IOException {
        while (true) {
            Frame frame;
            try {
                frame = FrameCodec.read(c);
            } catch (ProtocolException e) {
                if (e.breaksStream()) {
                    dead = "the guest agent broke the protocol (" + e.getMessage() + "); exec into this VM is off";
                    LOG.warn(dead);
                    return;
                }
                breakSession(e.session(), e.getMessage());
                continue;
            }
            if (frame == null) {
                return;
            }
            dispatch(frame);
        }
    }

    private void dispatch(Frame frame) {
        if (frame.kind() == Frame.Kind.HELLO) {
            try {
                int version = frame.version();
                if (version != Frame.VERSION) {
                    LOG.warn("the guest agent speaks protocol version {}, krunctl {}", version, Frame.VERSION);
                }
            } catch (ProtocolException e) {
                LOG.debug("agent port: {}", e.getMessage());
            }
            // A HELLO after the first is a restarted agent: its sessions are gone.
            endAll("the guest agent restarted");
            ready.complete(null);
            return;
        }
        SessionListener l = sessions.get(frame.session());
        if (l == null) {
            LOG.debug("agent port: {} for no session", frame);
            return;
        }
        switch (frame.kind()) {
            case STARTED, STDOUT, STDERR, STDIN_CREDIT -> l.frame(frame);
            case EXITED, FAILED -> {
                sessions.remove(frame.session());
                l.frame(frame);
            }
            default -> breakSession(frame.session(), "the guest sent " + frame.kind() + ", a host-to-guest frame");
        }
    }

    private void breakSession(int session, String reason) {
        SessionListener l = sessions.remove(session);
        if (l == null) {
            return;
        }
        try {
            send(Frame.signal(session, SIGKILL));
        } catch (IOException e) {
            LOG.debug("agent port: cannot kill session {}: {}", session, e.toString());
        }
        l.broken("the guest agent broke the protocol: " + reason);
    }

    private void endAll(String reason) {
        for (Integer session : List.copyOf(sessions.keySet())) {
            SessionListener l = sessions.remove(session);
            if (l != null) {
                l.broken(reason);
            }
        }
    }

    @Override
    public void close() {
        dead = "the VM has stopped";
        try {
            listener.close();
            SocketChannel c = connection;
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            LOG.debug("closing the agent port: {}", e.toString());
        }
        endAll(dead);
        ready.completeExceptionally(new IOException(dead));
    }
}
