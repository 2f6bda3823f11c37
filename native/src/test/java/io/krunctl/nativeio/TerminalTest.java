package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Layouts pinned against glibc x86_64, raw mode checked against glibc's own cfmakeraw, calls on a real pty. */
class TerminalTest {
    /** Test-only downcalls: open(2) for the terminal side and glibc's cfmakeraw to compare with. */
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CFMAKERAW = handle("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS));
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0400;

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), d);
    }

    /** A pseudo-terminal: the controller (master) side and the terminal (slave) side. */
    private record Pty(Fd controller, Fd terminal) implements AutoCloseable {
        static Pty open() throws Throwable {
            PseudoTerminal.Pair pair = PseudoTerminal.open();
            assertThat(pair.slave().toString()).startsWith("/dev/pts/");
            int slave;
            try (Arena arena = Arena.ofConfined()) {
                slave = (int) OPEN.invokeExact(arena.allocateFrom(pair.slave().toString()), O_RDWR | O_NOCTTY);
            }
            assertThat(slave).isNotNegative();
            return new Pty(pair.master(), Fd.adopt(slave));
        }

        @Override
        public void close() {
            terminal.close();
            controller.close();
        }
    }

    static Stream<Arguments> offsets() {
        return Stream.of(
                Arguments.of("c_iflag", 0L), Arguments.of("c_oflag", 4L), Arguments.of("c_cflag", 8L),
                Arguments.of("c_lflag", 12L), Arguments.of("c_line", 16L), Arguments.of("c_cc", 17L),
                Arguments.of("c_ispeed", 52L), Arguments.of("c_ospeed", 56L));
    }

    @ParameterizedTest(name = "termios.{0} at {1}")
    @MethodSource("offsets")
    void termiosLayoutIsGlibcs(String field, long offset) {
        assertThat(Terminal.TERMIOS.byteSize()).isEqualTo(60);
        assertThat(Terminal.TERMIOS.byteOffset(groupElement(field))).isEqualTo(offset);
    }

    @Test
    void winsizeLayout() {
        assertThat(Terminal.WINSIZE.byteSize()).isEqualTo(8);
        assertThat(Terminal.WINSIZE.byteOffset(groupElement("ws_row"))).isEqualTo(0);
        assertThat(Terminal.WINSIZE.byteOffset(groupElement("ws_col"))).isEqualTo(2);
    }

    @Test
    void rawIsExactlyWhatGlibcsCfmakerawMakes() throws Throwable {
        try (Pty pty = Pty.open(); Arena arena = Arena.ofConfined()) {
            Termios cooked = Terminal.getAttributes(pty.terminal().get());
            MemorySegment t = arena.allocate(Terminal.TERMIOS);
            Terminal.write(cooked, t);
            CFMAKERAW.invokeExact(t);

            assertThat(cooked.raw()).isEqualTo(Terminal.read(t));
            assertThat(cooked.raw()).isNotEqualTo(cooked);
            assertThat(cooked.raw().lflag() & (Termios.ICANON | Termios.ECHO | Termios.ISIG)).isZero();
            assertThat(cooked.raw().cc()[Termios.VMIN]).isEqualTo((byte) 1);
        }
    }

    @Test
    void settingsRoundTripThroughTheKernelAndRestoreExactly() throws Throwable {
        try (Pty pty = Pty.open()) {
            int fd = pty.terminal().get();
            Termios saved = Terminal.getAttributes(fd);

            Terminal.setAttributes(fd, Terminal.TCSANOW, saved.raw());
            assertThat(Terminal.getAttributes(fd)).isEqualTo(saved.raw());

            Terminal.setAttributes(fd, Terminal.TCSADRAIN, saved);
            assertThat(Terminal.getAttributes(fd)).isEqualTo(saved);
        }
    }

    @Test
    void windowSizeIsReadWithTheVariadicIoctl() throws Throwable {
        try (Pty pty = Pty.open()) {
            Terminal.setWindowSize(pty.controller().get(), new Terminal.WindowSize(40, 120));
            assertThat(Terminal.windowSize(pty.terminal().get())).isEqualTo(new Terminal.WindowSize(40, 120));
            Terminal.setWindowSize(pty.controller().get(), new Terminal.WindowSize(65535, 1));
            assertThat(Terminal.windowSize(pty.terminal().get())).isEqualTo(new Terminal.WindowSize(65535, 1));
        }
    }

    @Test
    void aPtyIsATerminalAndAnEventfdIsNot() throws Throwable {
        try (Pty pty = Pty.open(); EventFd e = EventFd.create(0)) {
            assertThat(Terminal.isatty(pty.terminal().get())).isTrue();
            assertThat(Terminal.isatty(e.fd())).isFalse();
            assertThat(Terminal.isatty(-1)).isFalse();
            assertThatThrownBy(() -> Terminal.getAttributes(e.fd()))
                    .isInstanceOfSatisfying(NativeException.class, x -> {
                        assertThat(x.errno()).isEqualTo(Errno.ENOTTY);
                        assertThat(x.call()).isEqualTo("tcgetattr");
                    });
            assertThatThrownBy(() -> Terminal.windowSize(e.fd()))
                    .isInstanceOfSatisfying(NativeException.class, x -> {
                        assertThat(x.errno()).isEqualTo(Errno.ENOTTY);
                        assertThat(x.call()).isEqualTo("ioctl(TIOCGWINSZ)");
                    });
        }
    }
}
