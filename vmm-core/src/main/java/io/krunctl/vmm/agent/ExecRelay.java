package io.krunctl.vmm.agent;

import io.krunctl.vmm.Durations;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The supervisor's door for {@code krunctl exec}: a unix socket on which each client speaks the
 * agent protocol for one session. The relay opens a guest session per client and passes frames
 * both ways, numbering them for the guest and back for the client.
 *
 * <p>Each client has two virtual threads: one reads the client, one writes to it from a queue, so
 * that a slow client never holds up the port's reader (and with it every other session). The queue
 * holds at most a window of output, since the guest sends no more than the client's credit allows; a
 * guest that sends more breaks the session.
 */
public final class ExecRelay implements AutoCloseable {
    /** How long an exec into a booting VM waits for the agent's HELLO. */
    public static final Duration AGENT_WAIT = Duration.ofSeconds(60);
    /** The exit code of an exec that could not reach the process (as {@code docker exec} has it). */
    public static final int CANNOT_EXEC = 125;
    private static final Logger LOG = LogManager.getLogger(ExecRelay.class);
    private static final int SIGKILL = 9;
    private static final Frame END = new Frame(0, Frame.Kind.HELLO, new byte[0]);

    private final AgentChannel agent;
    private final Duration agentWait;
    private ClientDoor door;

    private ExecRelay(AgentChannel agent, Duration agentWait) {
        this.agent = agent;
        this.agentWait = agentWait;
    }

    /** Serves exec clients on {@code socket} (mode 0600) through {@code agent}. */
    public static ExecRelay serve(Path socket, AgentChannel agent) throws IOException {
        return serve(socket, agent, AGENT_WAIT);
    }

    /**
     * Serves exec clients on {@code socket} (mode 0600) through {@code agent}; an exec fails if the
     * agent has not said HELLO within {@code agentWait} of it.
     */
    public static ExecRelay serve(Path socket, AgentChannel agent, Duration agentWait) throws IOException {
        ExecRelay relay = new ExecRelay(agent, agentWait);
        relay.door = ClientDoor.open(socket, "exec", relay::serveClient);
        return relay;
    }

    private void serveClient(SocketChannel client) {
        try (client) {
            Frame exec = FrameCodec.read(client);
            if (exec == null) {
                return;
            }
            int clientSession = exec.session();
            if (exec.kind() != Frame.Kind.EXEC) {
                FrameCodec.write(client, Frame.failed(clientSession, CANNOT_EXEC, "the first frame must be EXEC"));
                return;
            }
            ExecRequest request = ExecRequest.fromJson(clientSession, exec.payload());
            try {
                agent.ready().get(agentWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                FrameCodec.write(client, Frame.failed(clientSession, CANNOT_EXEC, "the guest agent did not answer"
                        + " within " + Durations.format(agentWait) + " of the exec (a guest without the agent, or"
                        + " one that has not booted)"));
                return;
            } catch (ExecutionException e) {
                FrameCodec.write(client, Frame.failed(clientSession, CANNOT_EXEC, "the VM has stopped"));
                return;
            }
            relay(client, clientSession, request);
        } catch (IOException e) {
            LOG.debug("exec client: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void relay(SocketChannel client, int clientSession, ExecRequest request)
            throws IOException, InterruptedException {
        LinkedBlockingQueue<Frame> toClient = new LinkedBlockingQueue<>();
        AtomicLong queuedOutput = new AtomicLong();
        AtomicBoolean over = new AtomicBoolean();
        AgentChannel.SessionListener listener = new AgentChannel.SessionListener() {
            @Override
            public void frame(Frame f) {
                if (f.kind() == Frame.Kind.STDOUT || f.kind() == Frame.Kind.STDERR) {
                    if (queuedOutput.addAndGet(f.payload().length) > Frame.WINDOW) {
                        broken("the guest sent more output than the client's credit allowed");
                        return;
                    }
                }
                toClient.add(new Frame(clientSession, f.kind(), f.payload()));
                if (f.kind() == Frame.Kind.EXITED || f.kind() == Frame.Kind.FAILED) {
                    over.set(true);
                    toClient.add(END);
                }
            }

            @Override
            public void broken(String reason) {
                over.set(true);
                toClient.add(Frame.failed(clientSession, CANNOT_EXEC, reason));
                toClient.add(END);
            }
        };
        int guestSession = agent.open(request, listener);
        Thread writer = Thread.ofVirtual().name("exec-client-writer").start(() -> {
            try {
                for (Frame f = toClient.take(); f != END; f = toClient.take()) {
                    FrameCodec.write(client, f);
                }
            } catch (IOException | InterruptedException e) {
                LOG.debug("exec client gone: {}", e.toString());
            } finally {
                try {
                    client.shutdownOutput();
                } catch (IOException e) {
                    // Already closed.
                }
            }
        });
        try {
            Frame f;
            while ((f = FrameCodec.read(client)) != null) {
                switch (f.kind()) {
                    case STDIN, SIGNAL, RESIZE -> agent.send(new Frame(guestSession, f.kind(), f.payload()));
                    case OUTPUT_CREDIT -> {
                        queuedOutput.addAndGet(-f.number());
                        agent.send(new Frame(guestSession, f.kind(), f.payload()));
                    }
                    default -> throw new ProtocolException(clientSession, "a client may not send " + f.kind());
                }
            }
        } catch (IOException e) {
            LOG.debug("exec client: {}", e.toString());
        } finally {
            if (!over.get()) {
                // The client went away (or broke the protocol) while its process runs: nothing can
                // read its output any more.
                agent.forget(guestSession);
                try {
                    agent.send(Frame.signal(guestSession, SIGKILL));
                } catch (IOException e) {
                    LOG.debug("cannot kill an abandoned exec: {}", e.toString());
                }
                toClient.add(END);
            }
            writer.join();
        }
    }

    @Override
    public void close() {
        door.close();
    }
}
