package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Terminal calls: {@code isatty}, {@code tcgetattr}/{@code tcsetattr} and the window size
 * ({@code ioctl(TIOCGWINSZ)}). Layouts are glibc's on Linux x86_64 and pinned by tests; failures
 * throw {@link NativeException} with {@code errno}.
 */
public final class Terminal {
    /** {@code tcsetattr} now. */
    public static final int TCSANOW = 0;
    /** {@code tcsetattr} after the output written so far has been transmitted. */
    public static final int TCSADRAIN = 1;
    /** Like {@link #TCSADRAIN}, and discard input not read yet. */
    public static final int TCSAFLUSH = 2;
    /** {@code ioctl} request: read the window size into a {@code struct winsize}. */
    public static final long TIOCGWINSZ = 0x5413;
    /** {@code ioctl} request: set the window size from a {@code struct winsize}. */
    public static final long TIOCSWINSZ = 0x5414;

    /** glibc's {@code struct termios} (60 bytes; the kernel's is smaller, glibc converts). */
    public static final StructLayout TERMIOS = MemoryLayout.structLayout(
            JAVA_INT.withName("c_iflag"),
            JAVA_INT.withName("c_oflag"),
            JAVA_INT.withName("c_cflag"),
            JAVA_INT.withName("c_lflag"),
            JAVA_BYTE.withName("c_line"),
            MemoryLayout.sequenceLayout(Termios.NCCS, JAVA_BYTE).withName("c_cc"),
            MemoryLayout.paddingLayout(3),
            JAVA_INT.withName("c_ispeed"),
            JAVA_INT.withName("c_ospeed"))
            .withName("termios");

    /** {@code struct winsize} (8 bytes). */
    public static final StructLayout WINSIZE = MemoryLayout.structLayout(
            JAVA_SHORT.withName("ws_row"),
            JAVA_SHORT.withName("ws_col"),
            JAVA_SHORT.withName("ws_xpixel"),
            JAVA_SHORT.withName("ws_ypixel"))
            .withName("winsize");

    private static final VarHandle C_IFLAG = TERMIOS.varHandle(groupElement("c_iflag"));
    private static final VarHandle C_OFLAG = TERMIOS.varHandle(groupElement("c_oflag"));
    private static final VarHandle C_CFLAG = TERMIOS.varHandle(groupElement("c_cflag"));
    private static final VarHandle C_LFLAG = TERMIOS.varHandle(groupElement("c_lflag"));
    private static final VarHandle C_LINE = TERMIOS.varHandle(groupElement("c_line"));
    private static final long C_CC_OFFSET = TERMIOS.byteOffset(groupElement("c_cc"));
    private static final VarHandle C_ISPEED = TERMIOS.varHandle(groupElement("c_ispeed"));
    private static final VarHandle C_OSPEED = TERMIOS.varHandle(groupElement("c_ospeed"));
    private static final VarHandle WS_ROW = WINSIZE.varHandle(groupElement("ws_row"));
    private static final VarHandle WS_COL = WINSIZE.varHandle(groupElement("ws_col"));

    /** {@code isatty} reports "not a terminal" through errno, which is not an error here. */
    private static final MethodHandle ISATTY = Linkage.plain("isatty",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle TCGETATTR = Linkage.withErrno("tcgetattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle TCSETATTR = Linkage.withErrno("tcsetattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    /** {@code int ioctl(int fd, unsigned long request, ...)} with one pointer variadic argument. */
    private static final MethodHandle IOCTL_PTR = Linkage.withErrno("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));

    /**
     * A terminal's size in character cells.
     *
     * @param rows number of lines
     * @param cols number of columns
     */
    public record WindowSize(int rows, int cols) {
        public WindowSize {
            if (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff) {
                throw new IllegalArgumentException("window size out of range: " + rows + "x" + cols);
            }
        }
    }

    private Terminal() {
    }

    /** Whether {@code fd} is an open terminal. */
    public static boolean isatty(int fd) {
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
    }

    /** {@code tcgetattr(fd)}: the terminal's current settings. */
    public static Termios getAttributes(int fd) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(TERMIOS);
            MemorySegment err = Linkage.errnoSegment();
            int r;
            try {
                r = (int) TCGETATTR.invokeExact(err, fd, t);
            } catch (Throwable e) {
                throw Linkage.rethrow(e);
            }
            if (r < 0) {
                throw new NativeException("tcgetattr", Linkage.errno(err));
            }
            return read(t);
        }
    }

    /**
     * {@code tcsetattr(fd, when, termios)}; {@code when} is {@link #TCSANOW}, {@link #TCSADRAIN} or
     * {@link #TCSAFLUSH}. Retried when a signal interrupts it.
     */
    public static void setAttributes(int fd, int when, Termios termios) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(TERMIOS);
            write(termios, t);
            MemorySegment err = Linkage.errnoSegment();
            while (true) {
                int r;
                try {
                    r = (int) TCSETATTR.invokeExact(err, fd, when, t);
                } catch (Throwable e) {
                    throw Linkage.rethrow(e);
                }
                if (r == 0) {
                    return;
                }
                int errno = Linkage.errno(err);
                if (errno != Errno.EINTR) {
                    throw new NativeException("tcsetattr", errno);
                }
            }
        }
    }

    /** {@code ioctl(fd, TIOCGWINSZ)}: the terminal's window size. */
    public static WindowSize windowSize(int fd) throws NativeException {
        MemorySegment ws = Linkage.scratch().asSlice(0, WINSIZE.byteSize());
        ws.fill((byte) 0);
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) IOCTL_PTR.invokeExact(err, fd, TIOCGWINSZ, ws);
        } catch (Throwable e) {
            throw Linkage.rethrow(e);
        }
        if (r < 0) {
            throw new NativeException("ioctl(TIOCGWINSZ)", Linkage.errno(err));
        }
        return new WindowSize(Short.toUnsignedInt((short) WS_ROW.get(ws, 0L)),
                Short.toUnsignedInt((short) WS_COL.get(ws, 0L)));
    }

    /** {@code ioctl(fd, TIOCSWINSZ)}: sets the window size (pixel sizes 0); the kernel sends SIGWINCH. */
    public static void setWindowSize(int fd, WindowSize size) throws NativeException {
        MemorySegment ws = Linkage.scratch().asSlice(0, WINSIZE.byteSize());
        ws.fill((byte) 0);
        WS_ROW.set(ws, 0L, (short) size.rows());
        WS_COL.set(ws, 0L, (short) size.cols());
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) IOCTL_PTR.invokeExact(err, fd, TIOCSWINSZ, ws);
        } catch (Throwable e) {
            throw Linkage.rethrow(e);
        }
        if (r < 0) {
            throw new NativeException("ioctl(TIOCSWINSZ)", Linkage.errno(err));
        }
    }

    /** Decodes a {@link #TERMIOS} struct. */
    static Termios read(MemorySegment t) {
        byte[] cc = t.asSlice(C_CC_OFFSET, Termios.NCCS).toArray(JAVA_BYTE);
        return new Termios((int) C_IFLAG.get(t, 0L), (int) C_OFLAG.get(t, 0L), (int) C_CFLAG.get(t, 0L),
                (int) C_LFLAG.get(t, 0L), (byte) C_LINE.get(t, 0L), cc, (int) C_ISPEED.get(t, 0L),
                (int) C_OSPEED.get(t, 0L));
    }

    /** Encodes {@code termios} into a {@link #TERMIOS} struct. */
    static void write(Termios termios, MemorySegment t) {
        t.fill((byte) 0);
        C_IFLAG.set(t, 0L, termios.iflag());
        C_OFLAG.set(t, 0L, termios.oflag());
        C_CFLAG.set(t, 0L, termios.cflag());
        C_LFLAG.set(t, 0L, termios.lflag());
        C_LINE.set(t, 0L, termios.line());
        MemorySegment.copy(termios.cc(), 0, t, JAVA_BYTE, C_CC_OFFSET, Termios.NCCS);
        C_ISPEED.set(t, 0L, termios.ispeed());
        C_OSPEED.set(t, 0L, termios.ospeed());
    }
}
