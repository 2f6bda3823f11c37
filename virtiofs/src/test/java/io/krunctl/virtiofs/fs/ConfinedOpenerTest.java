package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfinedOpenerTest {
    @TempDir
    Path dir;

    private final WorkerState w = WorkerState.current();
    private int rootFd;
    private ConfinedOpener opener;

    @BeforeEach
    void setUp() {
        rootFd = HostFds.open(dir, Fcntl.O_PATH | Fcntl.O_DIRECTORY);
        opener = ConfinedOpener.probe(w, rootFd);
    }

    @AfterEach
    void tearDown() {
        FileCalls.close(rootFd);
    }

    @Test
    void onlyOnePathComponentIsAName() {
        for (String bad : new String[] {"..", ".", "a/b", ""}) {
            assertErrno(Errno.EINVAL, () -> ConfinedOpener.component(w.name, Name.of(bad)));
        }
    }

    @Test
    void aSymlinkIsOpenedAsTheLinkNeverItsTarget() throws Exception {
        Files.createSymbolicLink(dir.resolve("out"), Path.of("/etc/passwd"));
        int fd = opener.openPath(w, rootFd, ConfinedOpener.component(w.name, Name.of("out")));
        assertThat(fd).isNotNegative();
        try {
            assertThat(StatxDecoder.type(StatxDecoder.read(w, fd))).isEqualTo(Linux.S_IFLNK);
        } finally {
            FileCalls.close(fd);
        }
    }

    @Test
    void creatingANameThatExistsFailsEvenThroughASymlink() throws Exception {
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("missing"));
        int r = opener.openCreate(w, rootFd, ConfinedOpener.component(w.name, Name.of("link")),
                Fcntl.O_RDWR | Fcntl.O_CLOEXEC, 0644);
        assertThat(r).isEqualTo(-Errno.EEXIST.code());
        assertThat(dir.resolve("missing")).doesNotExist();
    }
}
