package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatxDecoderTest {
    @TempDir
    Path dir;

    private static MemorySegment statx(Path path) throws FsException {
        int fd = HostFds.open(path, Fcntl.O_PATH | Fcntl.O_NOFOLLOW);
        try {
            return StatxDecoder.read(WorkerState.current(), fd);
        } finally {
            FileCalls.close(fd);
        }
    }

    @Test
    void aFileIsKnownByItsDeviceAndInodeNumber() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "data");
        Map<String, Object> unix = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
        InodeTable.Key key = StatxDecoder.key(statx(file));
        long dev = (Long) unix.get("dev");
        long major = ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
        long minor = ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
        assertThat(key.ino()).isEqualTo(unix.get("ino"));
        assertThat(key.dev()).isEqualTo(major << 32 | minor);
        Files.createLink(dir.resolve("g"), file);
        assertThat(StatxDecoder.key(statx(dir.resolve("g")))).as("a hard link is the same file").isEqualTo(key);
    }

    @Test
    void theAttributesAreTheHostFilesWithTheFlagsGiven() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "data");
        Files.setAttribute(file, "unix:mode", 0640);
        Attr attr = StatxDecoder.attr(statx(file), Attr.ATTR_SUBMOUNT);
        assertThat(attr.mode()).isEqualTo(Linux.S_IFREG | 0640);
        assertThat(attr.size()).isEqualTo(4);
        assertThat(attr.nlink()).isEqualTo(1);
        assertThat(attr.flags()).isEqualTo(Attr.ATTR_SUBMOUNT);
        assertThat(StatxDecoder.type(statx(dir))).isEqualTo(Linux.S_IFDIR);
    }

    @Test
    void aDeviceNodesNumberIsEncodedAsTheKernelDoesForFuse() throws Exception {
        assertThat(StatxDecoder.attr(statx(Path.of("/dev/null")), 0).rdev()).isEqualTo(StatxDecoder.encodeDev(1, 3));
        assertThat(StatxDecoder.encodeDev(1, 3)).isEqualTo(0x103);
        assertThat(StatxDecoder.encodeDev(300, 70000)).isEqualTo(0x11112c70);
    }
}
