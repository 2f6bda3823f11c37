package io.krunctl.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ResourceLimitsTest {

    @Test
    void theLayoutIsTwoUnsignedLongs() {
        assertThat(ResourceLimits.RLIMIT.byteSize()).isEqualTo(16);
    }

    @Test
    void raisingOpenFilesLeavesTheSoftLimitAtTheHardOne() throws NativeException {
        ResourceLimits.Limit before = ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE);

        long soft = ResourceLimits.raiseOpenFilesToHardLimit();

        ResourceLimits.Limit after = ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE);
        assertThat(after.hard()).isEqualTo(before.hard());
        assertThat(after.soft()).isEqualTo(soft).isEqualTo(before.hard());
        assertThat(ResourceLimits.raiseOpenFilesToHardLimit()).as("idempotent").isEqualTo(soft);
    }

    @Test
    void aSoftLimitAboveTheHardOneIsRefused() throws NativeException {
        ResourceLimits.Limit now = ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE);
        // Even root cannot raise a hard limit above fs.nr_open.
        assertThatThrownBy(() -> ResourceLimits.set(ResourceLimits.RLIMIT_NOFILE,
                new ResourceLimits.Limit(Long.MAX_VALUE, Long.MAX_VALUE)))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.call()).isEqualTo("setrlimit(7)");
                    assertThat(e.errno()).isIn(Errno.EINVAL, Errno.EPERM);
                });
        assertThat(ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE)).isEqualTo(now);
    }
}
