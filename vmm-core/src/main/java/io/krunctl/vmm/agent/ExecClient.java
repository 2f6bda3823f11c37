package io.krunctl.vmm.agent;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code krunctl exec}'s side of one session: it connects to a VM's {@link ExecRelay}, sends the
 * request, passes its input on within the stdin credit the guest grants, writes the process's
 * stdout and stderr as they come (granting output credit once written), and answers how the process
 * ended. {@link #signal} and {@link #resize} may be called from any thread while {@link #run} runs.
 */
public final class ExecClient implements AutoCloseable {
    /** The client's number for its one session. */
    static final int SESSION = 1;
    private static final Logger LOG = LogManager.getLogger(ExecClient.class);
    private static final int CHUNK = Frame.MAX_PAYLOAD;

    /**
     * How the process ended: its exit code (128+N for signal N), and the reason when it could not
     * be run or reached at all.
     */
    public record Outcome(int exitCode, Optional<String> failure) {}

    private final SocketChannel socket;
    private final Object writeLock = new Object();
    private final Object creditLock = new Object();
    private long stdinCredit = Frame.WINDOW;
    private boolean over;

    private ExecClient(SocketChannel socket) {
        this.socket = socket;
    }

    /** Connects to the relay listening on {@code socket}. */
    public static ExecClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new ExecClient(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Runs {@code request} in the guest until the process has ended and its output is written.
     *
     * @param stdin what to pass to the process's stdin, read on a thread of its own; null for
     *              nothing (the process sees end of file at once)
     * @throws IOException if the VM goes away before the process ends
     */
    public Outcome run(ExecRequest request, InputStream stdin, OutputStream stdout, OutputStream stderr)
            throws IOException {
        send(Frame.exec(SESSION, request));
        if (stdin == null) {
            send(Frame.endOfInput(SESSION));
        } else {
            Thread.ofPlatform().daemon().name("exec-stdin").start(() -> pump(stdin));
        }
        try {
            while (true) {
                Frame f = FrameCodec.read(socket);
                if (f == null) {
                    throw new EOFException("the VM stopped before the process ended");
                }
                switch (f.kind()) {
                    case STARTED -> LOG.debug("exec: started as pid {} in the guest", f.number());
                    case STDOUT -> pass(f, stdout);
                    case STDERR -> pass(f, stderr);
                    case STDIN_CREDIT -> {
                        synchronized (creditLock) {
                            stdinCredit += f.number();
                            creditLock.notifyAll();
                        }
                    }
                    case EXITED -> {
                        return new Outcome(f.exitCode(), Optional.empty());
                    }
                    case FAILED -> {
                        return new Outcome(f.exitCode(), Optional.of(f.reason()));
                    }
                    default -> throw new ProtocolException(f.session(), "unexpected " + f.kind());
                }
            }
        } finally {
            synchronized (creditLock) {
                over = true;
                creditLock.notifyAll();
            }
        }
    }

    /** Passes signal {@code signal} to the process (with a terminal, to its process group). */
    public void signal(int signal) {
        trySend(Frame.signal(SESSION, signal));
    }

    /** The terminal's new size, for a session with a terminal. */
    public void resize(int rows, int cols) {
        trySend(Frame.resize(SESSION, rows, cols));
    }

    private void pass(Frame f, OutputStream out) throws IOException {
        out.write(f.payload());
        out.flush();
        send(Frame.credit(SESSION, Frame.Kind.OUTPUT_CREDIT, f.payload().length));
    }

    private void pump(InputStream stdin) {
        byte[] buffer = new byte[CHUNK];
        try {
            while (true) {
                int allowed;
                synchronized (creditLock) {
                    while (stdinCredit == 0 && !over) {
                        creditLock.wait();
                    }
                    if (over) {
                        return;
                    }
                    allowed = (int) Math.min(CHUNK, stdinCredit);
                }
                int n = stdin.read(buffer, 0, allowed);
                if (n < 0) {
                    send(Frame.endOfInput(SESSION));
                    return;
                }
                if (n > 0) {
                    synchronized (creditLock) {
                        stdinCredit -= n;
                    }
                    send(Frame.data(SESSION, Frame.Kind.STDIN, buffer, 0, n));
                }
            }
        } catch (IOException e) {
            LOG.debug("exec: stdin: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(Frame frame) throws IOException {
        synchronized (writeLock) {
            FrameCodec.write(socket, frame);
        }
    }

    private void trySend(Frame frame) {
        try {
            send(frame);
        } catch (IOException e) {
            LOG.debug("exec: cannot send {}: {}", frame, e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
