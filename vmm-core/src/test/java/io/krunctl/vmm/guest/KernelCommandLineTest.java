package io.krunctl.vmm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.Terminal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KernelCommandLineTest {

    @Test
    void initramfsBootLeavesTheRootToStageZero() {
        String line = KernelCommandLine.build("builder", true, "/dev/root", false);

        assertThat(line.split(" ")).contains("console=hvc0", "quiet", "panic=-1", "HOSTNAME=builder")
                .doesNotContain("init=/init.krun");
    }

    @Test
    void builtInDriversBootStraightFromTheVirtioFsRoot() {
        String line = KernelCommandLine.build("vm1", false, "/dev/root", true);

        assertThat(line.split(" ")).contains("rootfstype=virtiofs", "root=/dev/root", "init=/init.krun",
                "loglevel=7", "printk.time=1").doesNotContain("quiet");
    }

    @Test
    void theApicTimerCanBeLeftUncalibrated() {
        assertThat(KernelCommandLine.withoutApicTimer("console=hvc0 quiet").split(" "))
                .containsExactly("console=hvc0", "quiet", "noapictimer");
    }

    @Test
    void aTerminalConsoleCarriesItsInitialWindowSize() {
        String line = KernelCommandLine.build("vm1", true, "/dev/root", false,
                Optional.of(new Terminal.WindowSize(40, 120)));

        assertThat(line).endsWith(" KRUN_TTY_ROWS=40 KRUN_TTY_COLS=120");
        assertThat(KernelCommandLine.build("vm1", true, "/dev/root", false)).doesNotContain("KRUN_TTY");
    }

    @Test
    void variablesAreAppendedOnlyWhenTheyStayOneWord() {
        assertThat(KernelCommandLine.append("quiet", List.of("KRUN_DHCP=1", "KRUN_RLIMITS=\"7=1:2\"")))
                .isEqualTo("quiet KRUN_DHCP=1 KRUN_RLIMITS=\"7=1:2\"");
        for (String unsafe : List.of("KRUN_WORKDIR=/a b", "KRUN_X=a\"b", "KRUN_X=\"a b\"", "KRUN_X=tab\there",
                "KRUN_X=caf\u00e9", "=x", "A B=x", "noequals")) {
            assertThatThrownBy(() -> KernelCommandLine.append("quiet", List.of(unsafe)))
                    .as(unsafe).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(KernelCommandLine.isSafeUnquoted("commit=60,errors=remount-ro")).isTrue();
        assertThat(KernelCommandLine.isSafeUnquoted("")).isTrue();
    }

    @Test
    void hostNamesThatCouldInjectParametersAreRefused() {
        assertThatThrownBy(() -> KernelCommandLine.build("a b", true, "/dev/root", false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelCommandLine.build("x\"init=/bin/sh", true, "/dev/root", false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
