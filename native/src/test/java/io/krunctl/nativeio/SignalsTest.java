package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SignalsTest {
    private static final Linker LINKER = Linker.nativeLinker();
    /** Test-only: a thread-directed signal, so no other thread of the test JVM can take it. */
    private static final MethodHandle PTHREAD_SELF = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("pthread_self"), FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle PTHREAD_KILL = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("pthread_kill"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));

    @Test
    void maskBitsFollowTheKernelsNumbering() {
        assertThat(Signals.mask(List.of(Signals.SIGHUP))).isEqualTo(1L);
        assertThat(Signals.mask(List.of(Signals.SIGINT, Signals.SIGTERM))).isEqualTo((1L << 1) | (1L << 14));
        assertThat(Signals.mask(List.of(64))).isEqualTo(Long.MIN_VALUE);
        assertThatThrownBy(() -> Signals.mask(List.of(0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Signals.mask(List.of(65))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesForTheForwardedSignals() {
        assertThat(Signals.name(Signals.SIGTERM)).isEqualTo("SIGTERM");
        assertThat(Signals.name(Signals.SIGWINCH)).isEqualTo("SIGWINCH");
        assertThat(Signals.name(40)).isEqualTo("signal 40");
    }

    @Test
    void aBlockedSignalIsReadFromTheSignalfdWithItsSender() throws Exception {
        // A fresh thread, so the block does not leak into the test runner's threads.
        CompletableFuture<Signals.Received> got = CompletableFuture.supplyAsync(() -> {
            List<Integer> usr1 = List.of(Signals.SIGUSR1);
            Signals.blockInCallingThread(usr1);
            try (Fd fd = Signals.signalfd(usr1)) {
                assertThat(Signals.blocked(Signals.SIGUSR1)).isTrue();
                int r = (int) PTHREAD_KILL.invokeExact((long) PTHREAD_SELF.invokeExact(), Signals.SIGUSR1);
                assertThat(r).isZero();
                return Signals.read(fd.get());
            } catch (Throwable t) {
                throw new AssertionError(t);
            } finally {
                Signals.unblockInCallingThread(usr1);
                assertThat(Signals.blocked(Signals.SIGUSR1)).isFalse();
            }
        }, r -> Thread.ofPlatform().start(r));

        Signals.Received r = got.get(10, TimeUnit.SECONDS);
        assertThat(r.signal()).isEqualTo(Signals.SIGUSR1);
        assertThat(r.pid()).isEqualTo((int) ProcessHandle.current().pid());
    }

    @Test
    void killSignalsAnotherProcessAndAMissingOneIsEsrch() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        Signals.kill(sleeper.pid(), Signals.SIGTERM);

        assertThat(sleeper.waitFor()).as("died of SIGTERM").isEqualTo(128 + 15);
        assertThatThrownBy(() -> Signals.kill(sleeper.pid(), Signals.SIGTERM))
                .isInstanceOfSatisfying(NativeException.class,
                        e -> assertThat(e.errno()).isEqualTo(Errno.ESRCH));
    }

    @Test
    void signalNamesParseWithOrWithoutTheirPrefixAndAsNumbers() {
        assertThat(Signals.parse("TERM")).hasValue(15);
        assertThat(Signals.parse("sigkill")).hasValue(9);
        assertThat(Signals.parse("10")).hasValue(10);
        assertThat(Signals.parse("65")).isEmpty();
        assertThat(Signals.parse("BOGUS")).isEmpty();
    }
}
