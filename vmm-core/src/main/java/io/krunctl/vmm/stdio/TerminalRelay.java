package io.krunctl.vmm.stdio;

import io.krunctl.vmm.qemu.ChardevSocket;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Terminal;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The user's terminal as the workload's terminal: the guest console (hvc0) is relayed byte for
 * byte to and from the host terminal, which is in raw mode meanwhile, so that the guest's line
 * discipline does all the terminal work (echo, line editing, ^C to SIGINT).
 *
 * <p>The host terminal's settings are saved before raw mode and always put back ({@link RawTerminal}):
 * by {@link #restore()} when the run ends, normally or by an exception, and by a shutdown hook if the
 * JVM exits first.
 *
 * <p>Host input is read through a {@link WakeableStdin} rather than a blocking read, so the relay
 * stops reading the moment the VM ends and keystrokes typed after that stay with the user's shell.
 */
public final class TerminalRelay implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TerminalRelay.class);
    private static final int STDIN = 0;
    private static final int BUFFER_SIZE = 16 * 1024;

    private final ServerSocketChannel listener;
    private final CompletableFuture<SocketChannel> console = new CompletableFuture<>();
    private final CompletableFuture<Void> outputDone = new CompletableFuture<>();
    private final WakeableStdin stdin;
    private final RawTerminal terminal;
    private Thread input;
    private volatile OutputLog log;

    private TerminalRelay(ServerSocketChannel listener, WakeableStdin stdin, RawTerminal terminal) {
        this.listener = listener;
        this.stdin = stdin;
        this.terminal = terminal;
    }

    /** Whether stdin, stdout and stderr are all terminals: the condition for terminal mode. */
    public static boolean interactive() {
        return Terminal.isatty(0) && Terminal.isatty(1) && Terminal.isatty(2);
    }

    /** The host terminal's window size, if it has one. */
    public static Optional<Terminal.WindowSize> windowSize() {
        try {
            Terminal.WindowSize size = Terminal.windowSize(STDIN);
            return size.rows() > 0 && size.cols() > 0 ? Optional.of(size) : Optional.empty();
        } catch (NativeException e) {
            LOG.debug("no window size: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Saves the host terminal's settings and listens on {@code consoleSocket}; QEMU must be started
     * after this returns. The terminal is not touched until {@link #start()}.
     */
    public static TerminalRelay bind(Path consoleSocket) throws IOException {
        RawTerminal terminal = RawTerminal.save(STDIN);
        ServerSocketChannel channel = ChardevSocket.listen(consoleSocket);
        try {
            return new TerminalRelay(channel, new WakeableStdin(BUFFER_SIZE), terminal);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Puts the host terminal in raw mode and starts relaying, keeping the last of the output in {@code log}. */
    public void start(OutputLog log) throws IOException {
        this.log = log;
        terminal.enter();
        Thread.ofPlatform().daemon().name("tty-accept").start(() -> {
            try {
                console.complete(listener.accept());
            } catch (IOException e) {
                console.completeExceptionally(e);
            }
        });
        Thread.ofPlatform().daemon().name("tty-out").start(this::pumpOut);
        input = Thread.ofPlatform().daemon().name("tty-in").start(this::pumpIn);
    }

    private void pumpOut() {
        try {
            SocketChannel guest = console.get();
            StdioRelay.copyToHost(guest, log.tee(new FileOutputStream(FileDescriptor.out), OutputLog.Stream.STDOUT),
                    "terminal");
        } catch (Exception e) {
            LOG.debug("terminal output relay ended: {}", e.toString());
        } finally {
            outputDone.complete(null);
        }
    }

    private void pumpIn() {
        try {
            SocketChannel guest = console.get();
            byte[] buf = new byte[BUFFER_SIZE];
            int n;
            while ((n = stdin.read(buf, 0, buf.length)) > 0) {
                ByteBuffer chunk = ByteBuffer.wrap(buf, 0, n);
                while (chunk.hasRemaining()) {
                    guest.write(chunk);
                }
            }
            // Woken because the VM ended, or the terminal hung up (the kernel sends SIGHUP, which is
            // forwarded).
            LOG.debug("terminal input ended");
        } catch (Exception e) {
            LOG.debug("terminal input relay ended: {}", e.toString());
        } finally {
            stdin.close();
        }
    }

    /**
     * Waits until the guest console's output has all been written to the terminal (QEMU closes the
     * socket when it exits).
     */
    public boolean awaitOutput(Duration timeout) throws InterruptedException {
        try {
            outputDone.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    /** Stops reading the terminal and puts its settings back; safe to call more than once. */
    public void restore() {
        stdin.wake();
        terminal.restore();
    }

    @Override
    public void close() {
        restore();
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debug("closing the console listener: {}", e.toString());
        }
        console.thenAccept(c -> {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing the console: {}", e.toString());
            }
        });
        // Once started, the input relay releases the stream when it ends.
        if (input == null) {
            stdin.close();
        }
    }
}
