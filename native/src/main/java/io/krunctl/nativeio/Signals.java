package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Collection;
import java.util.Map;

/**
 * Reading signals as data: {@code signalfd(2)} over a set of signals, and the calling thread's
 * signal mask. A signal is only queued for a signalfd while every thread of the process blocks it;
 * the {@code krunctl} launcher arranges that before the JVM starts (see {@code krunctl(1)}).
 */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGWINCH = 28;

    /** {@code SFD_CLOEXEC}. */
    private static final int SFD_CLOEXEC = Fcntl.O_CLOEXEC;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_UNBLOCK = 1;
    /** glibc's {@code sigset_t} is 1024 bits; the kernel reads the first 64. */
    private static final long SIGSET_SIZE = 128;
    /** The kernel's sigset size, which {@code signalfd} passes to the system call. */
    private static final int KERNEL_SIGSET_BITS = 64;
    /** {@code struct signalfd_siginfo} is 128 bytes; {@code ssi_signo} is its first field. */
    public static final long SIGNALFD_SIGINFO_SIZE = 128;
    /** Offset of {@code ssi_pid} in {@code struct signalfd_siginfo}. */
    public static final long SSI_PID_OFFSET = 12;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(SIGHUP, "SIGHUP"), Map.entry(SIGINT, "SIGINT"), Map.entry(SIGQUIT, "SIGQUIT"),
            Map.entry(SIGKILL, "SIGKILL"), Map.entry(SIGUSR1, "SIGUSR1"), Map.entry(SIGUSR2, "SIGUSR2"),
            Map.entry(SIGPIPE, "SIGPIPE"), Map.entry(SIGTERM, "SIGTERM"), Map.entry(SIGCONT, "SIGCONT"), Map.entry(SIGWINCH, "SIGWINCH"));

    private static final MethodHandle SIGNALFD = Linkage.withErrno("signalfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle KILL = Linkage.withErrno("kill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    /** Returns an error number instead of setting errno. */
    private static final MethodHandle PTHREAD_SIGMASK = Linkage.plain("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    /**
     * One signal read from a signalfd.
     *
     * @param signal the signal number
     * @param pid    the sending process, 0 when the kernel sent it (e.g. a terminal's ^C)
     */
    public record Received(int signal, int pid) {}

    private Signals() {
    }

    /** The signal's conventional name, e.g. {@code SIGTERM}, or {@code signal N} for others. */
    public static String name(int signal) {
        return NAMES.getOrDefault(signal, "signal " + signal);
    }

    /** {@code kill(pid, signal)}: sends {@code signal} to process {@code pid}. */
    public static void kill(long pid, int signal) throws NativeException {
        checkRange(signal);
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("not a single process: " + pid);
        }
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) KILL.invokeExact(err, (int) pid, signal);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("kill(" + pid + ", " + name(signal) + ")", Linkage.errno(err));
        }
    }

    /** The number of a signal named like {@code TERM}, {@code SIGTERM} or {@code 15}; empty if unknown. */
    public static java.util.OptionalInt parse(String text) {
        String t = text.toUpperCase(java.util.Locale.ROOT);
        if (t.matches("\\d{1,2}")) {
            int n = Integer.parseInt(t);
            return n >= 1 && n <= 64 ? java.util.OptionalInt.of(n) : java.util.OptionalInt.empty();
        }
        String full = t.startsWith("SIG") ? t : "SIG" + t;
        return NAMES.entrySet().stream().filter(e -> e.getValue().equals(full))
                .mapToInt(Map.Entry::getKey).findFirst();
    }

    /** Whether the calling thread blocks {@code signal}. */
    public static boolean blocked(int signal) {
        checkRange(signal);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGSET_SIZE, 8);
            int r;
            try {
                r = (int) PTHREAD_SIGMASK.invokeExact(SIG_BLOCK, MemorySegment.NULL, old);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r != 0) {
                throw new IllegalStateException("pthread_sigmask: " + Libc.strerror(r));
            }
            return (old.get(JAVA_LONG, 0) & bit(signal)) != 0;
        }
    }

    /** Adds {@code signals} to the calling thread's signal mask ({@code pthread_sigmask(SIG_BLOCK)}). */
    public static void blockInCallingThread(Collection<Integer> signals) {
        changeMask(SIG_BLOCK, signals);
    }

    /** Removes {@code signals} from the calling thread's signal mask ({@code pthread_sigmask(SIG_UNBLOCK)}). */
    public static void unblockInCallingThread(Collection<Integer> signals) {
        changeMask(SIG_UNBLOCK, signals);
    }

    private static void changeMask(int how, Collection<Integer> signals) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(SIGSET_SIZE, 8);
            set.set(JAVA_LONG, 0, mask(signals));
            int r;
            try {
                r = (int) PTHREAD_SIGMASK.invokeExact(how, set, MemorySegment.NULL);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r != 0) {
                throw new IllegalStateException("pthread_sigmask: " + Libc.strerror(r));
            }
        }
    }

    /**
     * {@code signalfd(-1, signals, SFD_CLOEXEC)}: a descriptor from which the given signals are read
     * once they are pending. It does not block them: that is the caller's business.
     */
    public static Fd signalfd(Collection<Integer> signals) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(SIGSET_SIZE, 8);
            set.set(JAVA_LONG, 0, mask(signals));
            MemorySegment err = Linkage.errnoSegment();
            int r;
            try {
                r = (int) SIGNALFD.invokeExact(err, -1, set, SFD_CLOEXEC);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r < 0) {
                throw new NativeException("signalfd", Linkage.errno(err));
            }
            return Fd.adopt(r);
        }
    }

    /** Blocks until a signal arrives on the signalfd {@code fd}, and returns it. */
    public static Received read(int fd) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGNALFD_SIGINFO_SIZE, 8);
            long n = Libc.read(fd, info);
            if (n != SIGNALFD_SIGINFO_SIZE) {
                throw new NativeException("read(signalfd)", Errno.EIO);
            }
            return new Received(info.get(JAVA_INT, 0), info.get(JAVA_INT, SSI_PID_OFFSET));
        }
    }

    /** The first word of a {@code sigset_t} holding {@code signals}. */
    static long mask(Collection<Integer> signals) {
        long mask = 0;
        for (int s : signals) {
            checkRange(s);
            mask |= bit(s);
        }
        return mask;
    }

    private static long bit(int signal) {
        return 1L << (signal - 1);
    }

    private static void checkRange(int signal) {
        if (signal < 1 || signal > KERNEL_SIGSET_BITS) {
            throw new IllegalArgumentException("no such signal: " + signal);
        }
    }
}
