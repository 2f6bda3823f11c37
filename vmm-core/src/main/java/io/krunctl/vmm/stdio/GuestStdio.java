package io.krunctl.vmm.stdio;

import io.krunctl.nativeio.Terminal;
import io.krunctl.vmm.qemu.QemuCommand;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The workload's stdio as one run uses it: either the three stdio ports ({@link StdioRelay}),
 * with the console optionally streamed to stderr, or the console as the user's terminal
 * ({@link TerminalRelay}). Everything is bound before QEMU starts and started after.
 */
public final class GuestStdio implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(GuestStdio.class);

    private final StdioRelay pipes;
    private final ServerSocketChannel consoleStream;
    private final TerminalRelay terminal;

    private GuestStdio(StdioRelay pipes, ServerSocketChannel consoleStream, TerminalRelay terminal) {
        this.pipes = pipes;
        this.consoleStream = consoleStream;
        this.terminal = terminal;
    }

    /**
     * Listens on the sockets QEMU will connect to.
     *
     * @param terminal whether the console is the workload's terminal; otherwise {@code sockets}
     *                 must hold the stdio ports, and a console going to a socket is streamed to
     *                 stderr
     */
    public static GuestStdio bind(QemuCommand.Sockets sockets, QemuCommand.Console console, boolean terminal)
            throws IOException {
        if (terminal) {
            if (!(console instanceof QemuCommand.Console.ToSocket socket)) {
                throw new IllegalArgumentException("a terminal console needs a socket");
            }
            return new GuestStdio(null, null, TerminalRelay.bind(socket.socket()));
        }
        QemuCommand.StdioSockets s = sockets.stdio()
                .orElseThrow(() -> new IllegalArgumentException("the stdio ports need sockets"));
        StdioRelay pipes = StdioRelay.bind(s.stdin(), s.stdout(), s.stderr());
        try {
            ServerSocketChannel stream = console instanceof QemuCommand.Console.ToSocket socket
                    ? StdioRelay.streamConsole(socket.socket(), new FileOutputStream(FileDescriptor.err))
                    : null;
            return new GuestStdio(pipes, stream, null);
        } catch (IOException | RuntimeException e) {
            pipes.close();
            throw e;
        }
    }

    /**
     * Starts relaying, keeping the last of the output in {@code log}; in terminal mode this puts the
     * host terminal in raw mode.
     */
    public void start(OutputLog log) throws IOException {
        if (terminal != null) {
            terminal.start(log);
        } else {
            pipes.startWithProcessStdio(log);
        }
    }

    /** The host terminal's current size, in terminal mode. */
    public Optional<Terminal.WindowSize> windowSize() {
        return terminal == null ? Optional.empty() : TerminalRelay.windowSize();
    }

    /** Waits until the guest's output has all reached the host; see {@link StdioRelay#awaitOutputs}. */
    public boolean awaitOutput(Duration timeout) throws InterruptedException {
        return terminal != null ? terminal.awaitOutput(timeout) : pipes.awaitOutputs(timeout);
    }

    /** Puts the host terminal's settings back (terminal mode); safe to call more than once. */
    public void restoreTerminal() {
        if (terminal != null) {
            terminal.restore();
        }
    }

    @Override
    public void close() {
        if (terminal != null) {
            terminal.close();
        }
        if (pipes != null) {
            pipes.close();
        }
        if (consoleStream != null) {
            try {
                consoleStream.close();
            } catch (IOException e) {
                LOG.debug("closing the console stream: {}", e.toString());
            }
        }
    }
}
