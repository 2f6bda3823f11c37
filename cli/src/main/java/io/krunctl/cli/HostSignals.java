package io.krunctl.cli;

import io.krunctl.nativeio.EventFd;
import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.Libc;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.PollFds;
import io.krunctl.nativeio.Signals;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The signals krunctl handles, and where they go: to the running VM while {@code run} has one
 * ({@link #route}), else the default action, which exits with 128+N after the shutdown hooks
 * (QEMU stopped, runtime directory removed, terminal restored).
 *
 * <p>How they arrive. The {@code krunctl} launcher starts the JVM with SIGHUP, SIGINT, SIGQUIT,
 * SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH blocked ({@code env --block-signal}), with {@code -Xrs}
 * so that the JVM neither unblocks nor handles any of them, and with its suspend/resume signal
 * moved off SIGUSR2 ({@code _JAVA_SR_SIGNUM}). Every thread then inherits the block, the signals
 * stay pending, and one thread reads them from a signalfd. This is the only way a JVM can take
 * SIGQUIT, which it otherwise keeps for thread dumps (printed on stdout, into the workload's
 * output) and never lets {@code sun.misc.Signal} have; with {@code -Xrs}, {@code sun.misc.Signal}
 * cannot take SIGINT, SIGTERM and SIGHUP either, hence the signalfd for all of them.
 *
 * <p>When krunctl runs without the launcher (an IDE, a test calling {@link Main#execute}), the
 * signals are not blocked and {@code sun.misc.Signal} handles what the JVM allows: everything but
 * SIGQUIT, which keeps the JVM's thread dump.
 *
 * <p>Before the JVM exits, {@link #stopReading} takes the reader out of its native wait: HotSpot's
 * exit waits up to 300 ms for threads that are inside native code, and a reader blocked on the
 * signalfd is one (measured: every {@code krunctl run} ended with those 300 ms of nothing).
 */
final class HostSignals {
    /** Log4j is loaded only when there is something to log: {@link #install} runs for every command. */
    private static final class Log {
        static final Logger LOG = LogManager.getLogger(HostSignals.class);
    }

    /** Signals passed on to the workload, plus SIGWINCH for the terminal's size. */
    static final List<Integer> HANDLED = List.of(Signals.SIGHUP, Signals.SIGINT, Signals.SIGQUIT, Signals.SIGTERM,
            Signals.SIGUSR1, Signals.SIGUSR2, Signals.SIGWINCH);

    /** How long {@link #stopReading} waits for the reader to leave its native wait. */
    private static final Duration STOP_WAIT = Duration.ofMillis(100);

    private static volatile IntConsumer route;
    private static final RepeatedSignals REPEATS = new RepeatedSignals();
    private static boolean installed;
    private static Thread reader;
    /** Set by {@link #stopReading}; the reader checks it before each wait. */
    private static volatile boolean stopping;
    /** The eventfd that wakes the reader, once it has made one. */
    private static volatile EventFd wakeUp;

    private HostSignals() {}

    /**
     * Starts handling the signals; call once, first thing in {@code main}. It costs no start-up
     * time: the signalfd is made and read by a background thread (linking the native calls takes a
     * few hundred milliseconds on a busy machine), and a signal arriving before that stays pending
     * until it is read.
     */
    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        if (blockedByLauncher()) {
            reader = Thread.ofPlatform().daemon().name("signals").start(HostSignals::readSignals);
            return;
        }
        List<String> refused = new ArrayList<>();
        for (String name : List.of("HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "WINCH")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> dispatch(s.getNumber()));
            } catch (IllegalArgumentException e) {
                refused.add("SIG" + name);
            }
        }
        Log.LOG.debug("signals not blocked by the launcher; handling them in the JVM, except {}", refused);
    }

    /**
     * Whether the handled signals are blocked in this thread, as the launcher leaves them, read from
     * {@code /proc} rather than asked of the C library so that nothing native is linked yet.
     */
    static boolean blockedByLauncher() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) {
                    long blocked = Long.parseUnsignedLong(line.substring("SigBlk:".length()).strip(), 16);
                    long wanted = 0;
                    for (int signal : HANDLED) {
                        wanted |= 1L << (signal - 1);
                    }
                    return (blocked & wanted) == wanted;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // No /proc: not the launcher's Linux.
        }
        return false;
    }

    private static void readSignals() {
        Fd fd;
        EventFd stop;
        try {
            fd = Signals.signalfd(HANDLED);
            stop = EventFd.create(EventFd.EFD_CLOEXEC);
        } catch (NativeException | RuntimeException e) {
            // Practically impossible (EMFILE, ENOMEM). The signals stay blocked: only SIGKILL can
            // stop krunctl now, so say so.
            Log.LOG.warn("cannot read signals ({}); krunctl can only be stopped with SIGKILL", e.getMessage());
            return;
        }
        // Published before the flag is read, and the flag is set before this is read by
        // stopReading: one of the two always sees the other.
        wakeUp = stop;
        readLoop(fd, stop);
    }

    private static void readLoop(Fd fd, EventFd stop) {
        try (Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 2);
            while (!stopping) {
                try {
                    fds.set(0, fd.get(), Libc.POLLIN);
                    fds.set(1, stop.fd(), Libc.POLLIN);
                    fds.poll(-1);
                    if (fds.has(0, Libc.POLLIN)) {
                        Signals.Received r = Signals.read(fd.get());
                        if (REPEATS.isRepeat(r.signal(), r.pid(), System.nanoTime())) {
                            Log.LOG.debug("received {} from pid {} again at once: one request", Signals.name(r.signal()),
                                    r.pid());
                            continue;
                        }
                        Log.LOG.debug("received {} from pid {}", Signals.name(r.signal()), r.pid());
                        dispatch(r.signal());
                    }
                } catch (NativeException | RuntimeException e) {
                    // Never let the reader die: the signals are blocked and nothing else would see them.
                    Log.LOG.debug("signal handling failed: {}", e.toString());
                }
            }
        }
    }

    /**
     * Ends the reader before the JVM exits: signals that arrive from now on stay pending and die
     * with the process. Waits at most {@link #STOP_WAIT}.
     */
    static void stopReading() {
        Thread t;
        synchronized (HostSignals.class) {
            t = reader;
        }
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        stopping = true;
        EventFd stop = wakeUp;
        try {
            if (stop != null) {
                stop.signal();
            }
            t.join(STOP_WAIT);
        } catch (NativeException e) {
            Log.LOG.debug("cannot wake the signal reader: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void dispatch(int signal) {
        IntConsumer target = route;
        if (target != null) {
            target.accept(signal);
        } else if (signal != Signals.SIGWINCH) {
            // What the signal would have done to an ordinary process, after cleaning up.
            Thread.ofPlatform().daemon().name("exit-on-signal").start(() -> {
                stopReading();
                System.exit(128 + signal);
            });
        }
    }

    /** Sends the signals to {@code target} from now on; {@code null} restores the default action. */
    static void route(IntConsumer target) {
        route = target;
    }
}
