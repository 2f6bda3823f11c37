package io.krunctl.vmm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
                "loglevel=7").doesNotContain("quiet");
    }

    @Test
    void hostNamesThatCouldInjectParametersAreRefused() {
        assertThatThrownBy(() -> KernelCommandLine.build("a b", true, "/dev/root", false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelCommandLine.build("x\"init=/bin/sh", true, "/dev/root", false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
