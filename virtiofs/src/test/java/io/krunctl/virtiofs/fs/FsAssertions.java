package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions the filesystem tests share. */
final class FsAssertions {
    private FsAssertions() {
    }

    /** {@code call} fails with an {@link FsException} carrying {@code expected}. */
    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.errno()).as("errno").isEqualTo(expected));
    }
}
