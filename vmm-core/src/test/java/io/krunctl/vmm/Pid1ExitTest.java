package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class Pid1ExitTest {
    private static String panic(String status) {
        return "[    3.101] Kernel panic - not syncing: Attempted to kill init! exitcode=0x" + status + "\n"
                + "[    3.102] CPU: 0 PID: 1 Comm: sh Not tainted\n";
    }

    @Test
    void anExitStatusIsTheWorkloadsCode() {
        assertThat(Pid1Exit.code(panic("00000700"), Optional.of("guest-reset"))).hasValue(7);
        assertThat(Pid1Exit.code(panic("00000000"), Optional.empty())).hasValue(0);
        assertThat(Pid1Exit.code(panic("0000ff00"), Optional.empty())).hasValue(255);
    }

    @Test
    void aFatalSignalIs128PlusItsNumber() {
        assertThat(Pid1Exit.code(panic("0000000b"), Optional.empty())).hasValue(139);
        // A core dump sets bit 7; the signal is the same.
        assertThat(Pid1Exit.code(panic("00000086"), Optional.empty())).hasValue(134);
    }

    @Test
    void powerOffOrRebootWithoutPanicIsSuccessAndAnythingElseIsUnknown() {
        assertThat(Pid1Exit.code("", Optional.of("guest-shutdown"))).hasValue(0);
        assertThat(Pid1Exit.code("", Optional.of("guest-reset"))).hasValue(0);
        assertThat(Pid1Exit.code("Kernel panic - not syncing: VFS: Unable to mount root fs", Optional.of("guest-reset")))
                .isEmpty();
        assertThat(Pid1Exit.code("", Optional.empty())).isEmpty();
    }
}
