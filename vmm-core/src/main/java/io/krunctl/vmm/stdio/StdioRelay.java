package io.krunctl.vmm.stdio;

import io.krunctl.vmm.qemu.ChardevSocket;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Moves the workload's stdin, stdout and stderr between the host and the guest's
 * {@code krun-stdin}/{@code krun-stdout}/{@code krun-stderr} virtio-serial ports.
 *
 * <p>QEMU connects each port's chardev to a unix socket this class listens on. Copies are blocking
 * with a fixed buffer, so a slow consumer on the host slows the guest down instead of making krunctl
 * buffer without bound. End of host stdin is passed on by half-closing the socket: QEMU then marks
 * the port disconnected and the guest's reads return end of file. Output ports carry bytes
 * unchanged and stay separate streams.
 */
public final class StdioRelay implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(StdioRelay.class);
    private static final int BUFFER_SIZE = 64 * 1024;

    private final ServerSocketChannel stdinListener;
    private final ServerSocketChannel stdoutListener;
    private final ServerSocketChannel stderrListener;
    private final List<Thread> outputThreads = new ArrayList<>(2);
    private Thread inputThread;
    /** The process's own stdin when {@link #startWithProcessStdio} relays it; woken by {@link #close}. */
    private volatile WakeableStdin processStdin;

    private StdioRelay(ServerSocketChannel in, ServerSocketChannel out, ServerSocketChannel err) {
        this.stdinListener = in;
        this.stdoutListener = out;
        this.stderrListener = err;
    }

    /** Binds the three sockets; QEMU must be started after this returns. */
    public static StdioRelay bind(Path stdin, Path stdout, Path stderr) throws IOException {
        ServerSocketChannel in = ChardevSocket.listen(stdin);
        try {
            ServerSocketChannel out = ChardevSocket.listen(stdout);
            try {
                return new StdioRelay(in, out, ChardevSocket.listen(stderr));
            } catch (IOException | RuntimeException e) {
                out.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Starts relaying between the given host streams and the guest ports. */
    public void start(InputStream hostIn, OutputStream hostOut, OutputStream hostErr) {
        inputThread = Thread.ofPlatform().daemon().name("stdio-in").start(() -> pumpIn(hostIn));
        outputThreads.add(Thread.ofPlatform().daemon().name("stdio-out")
                .start(() -> pumpOut(stdoutListener, hostOut, "stdout")));
        outputThreads.add(Thread.ofPlatform().daemon().name("stdio-err")
                .start(() -> pumpOut(stderrListener, hostErr, "stderr")));
    }

    /**
     * Starts relaying the process's own stdin, stdout and stderr, bypassing Java's buffers, and
     * keeping the last of the output in {@code log}.
     */
    public void startWithProcessStdio(OutputLog log) throws IOException {
        processStdin = new WakeableStdin(BUFFER_SIZE);
        start(processStdin, log.tee(new FileOutputStream(FileDescriptor.out), OutputLog.Stream.STDOUT),
                log.tee(new FileOutputStream(FileDescriptor.err), OutputLog.Stream.STDERR));
    }

    /**
     * Waits for both output streams to reach end of file (QEMU closes them when it exits), so that
     * every byte the guest wrote has reached the host before krunctl exits.
     *
     * @return whether both finished within the timeout
     */
    public boolean awaitOutputs(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : outputThreads) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    private void pumpIn(InputStream hostIn) {
        try (SocketChannel guest = stdinListener.accept()) {
            byte[] buf = new byte[BUFFER_SIZE];
            int n;
            while ((n = hostIn.read(buf)) >= 0) {
                ByteBuffer chunk = ByteBuffer.wrap(buf, 0, n);
                while (chunk.hasRemaining()) {
                    guest.write(chunk);
                }
            }
            guest.shutdownOutput();
            // Keep the connection open until QEMU closes it: closing both directions early would
            // drop bytes the guest has not consumed yet.
            ByteBuffer sink = ByteBuffer.allocate(1);
            while (guest.read(sink) >= 0) {
                sink.clear();
            }
        } catch (IOException e) {
            LOG.debug("stdin relay ended: {}", e.toString());
        } finally {
            if (hostIn == processStdin) {
                processStdin.close();
            }
        }
    }

    private static void pumpOut(ServerSocketChannel listener, OutputStream host, String stream) {
        try (SocketChannel guest = listener.accept()) {
            copyToHost(guest, host, stream);
        } catch (IOException e) {
            LOG.debug("{} relay ended: {}", stream, e.toString());
        }
    }

    /**
     * Copies what the guest sends on {@code guest} to {@code host} until end of file, one blocking
     * write per read, so a slow reader slows the guest down instead of growing a buffer. When the
     * host side goes away ({@code | head -1}) the rest is read and discarded: a port whose host end
     * stops reading would block the guest's writes forever instead of failing them.
     */
    static void copyToHost(SocketChannel guest, OutputStream host, String stream) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE);
        boolean hostGone = false;
        while (guest.read(buf) >= 0) {
            if (!hostGone) {
                try {
                    host.write(buf.array(), 0, buf.position());
                    host.flush();
                } catch (IOException e) {
                    LOG.debug("host {} closed, discarding the rest: {}", stream, e.toString());
                    hostGone = true;
                }
            }
            buf.clear();
        }
    }

    /**
     * Relays the guest console, read from a socket QEMU connects to, to {@code host} (stderr for
     * {@code --verbose}) until QEMU closes it. Returns the listener; QEMU must start after this.
     */
    public static ServerSocketChannel streamConsole(Path socket, OutputStream host) throws IOException {
        ServerSocketChannel listener = ChardevSocket.listen(socket);
        Thread.ofPlatform().daemon().name("console-out").start(() -> pumpOut(listener, host, "console"));
        return listener;
    }

    @Override
    public void close() {
        WakeableStdin stdin = processStdin;
        if (stdin != null) {
            stdin.wake();
        }
        for (ServerSocketChannel c : List.of(stdinListener, stdoutListener, stderrListener)) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing stdio listener: {}", e.toString());
            }
        }
    }
}
