package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/** Host descriptors for the filesystem tests: opened as the code under test opens them. */
final class HostFds {
    private HostFds() {
    }

    /** {@code openat(AT_FDCWD, path, flags | O_CLOEXEC, mode)}, which must succeed. */
    static int open(Path path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = FileCalls.openat(FileCalls.AT_FDCWD, arena.allocateFrom(path.toString()),
                    flags | Fcntl.O_CLOEXEC, mode);
            assertThat(fd).as("open " + path).isNotNegative();
            return fd;
        }
    }

    static int open(Path path, int flags) {
        return open(path, flags, 0);
    }

    /** Whether {@code fd} is an open descriptor of this process. */
    static boolean isOpen(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }
}
