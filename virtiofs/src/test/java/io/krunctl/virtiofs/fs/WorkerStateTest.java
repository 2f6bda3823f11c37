package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerStateTest {
    private final WorkerState w = WorkerState.current();

    private static String cString(MemorySegment s) {
        return s.getString(0);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 9, 10, 99, 100, 4711, Integer.MAX_VALUE})
    void aDescriptorIsNamedByItsDecimalNumber(int fd) {
        assertThat(cString(w.fdName(fd))).isEqualTo(Integer.toString(fd));
        assertThat(cString(w.procPath(fd))).isEqualTo("/proc/self/fd/" + fd);
    }

    @Test
    void aShorterNumberAfterALongerOneLeavesNoDigitsBehind() {
        w.procPath(123456);
        assertThat(cString(w.fdName(42))).isEqualTo("42");
    }
}
