package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatxTest {
    @TempDir
    Path dir;

    private static MemorySegment statx(Arena arena, Path path) {
        MemorySegment buffer = Statx.allocate(arena);
        int r = FileCalls.statx(FileCalls.AT_FDCWD, arena.allocateFrom(path.toString()),
                FileCalls.AT_SYMLINK_NOFOLLOW, FileCalls.STATX_BASIC_STATS | FileCalls.STATX_MNT_ID, buffer);
        assertThat(r).isZero();
        return buffer;
    }

    @Test
    void aStructStatxIs256Bytes() {
        assertThat(Statx.sizeof()).isEqualTo(256);
    }

    @Test
    void eachFieldReadsWhatTheHostReportsForAFile() throws Exception {
        Path file = Files.write(dir.resolve("f"), new byte[5000]);
        Files.setAttribute(file, "unix:mode", 04751);
        Files.createLink(dir.resolve("g"), file);
        Instant mtime = Instant.parse("2024-02-29T12:34:56.123456789Z");
        Files.setLastModifiedTime(file, FileTime.from(mtime));
        Map<String, Object> unix = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = statx(arena, file);
            assertThat(Statx.mask(s) & FileCalls.STATX_BASIC_STATS).isEqualTo(FileCalls.STATX_BASIC_STATS);
            assertThat(Statx.mode(s)).isEqualTo(0100000 | 04751);
            assertThat(Statx.ino(s)).isEqualTo(unix.get("ino"));
            assertThat(Statx.size(s)).isEqualTo(5000);
            assertThat(Statx.nlink(s)).isEqualTo(2);
            assertThat(Statx.uid(s)).isEqualTo(unix.get("uid"));
            assertThat(Statx.gid(s)).isEqualTo(unix.get("gid"));
            assertThat(Statx.mtimeSec(s)).isEqualTo(mtime.getEpochSecond());
            assertThat(Statx.mtimeNsec(s)).isEqualTo(mtime.getNano());
            FileTime ctime = (FileTime) unix.get("ctime");
            assertThat(Statx.ctimeSec(s)).isEqualTo(ctime.toInstant().getEpochSecond());
            assertThat(Statx.ctimeNsec(s)).isEqualTo(ctime.toInstant().getNano());
            long dev = (Long) unix.get("dev");
            // glibc's gnu_dev_major/minor of the st_dev that stat reports.
            assertThat(Statx.devMajor(s)).isEqualTo((int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL)));
            assertThat(Statx.devMinor(s)).isEqualTo((int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL)));
            assertThat(Statx.blksize(s)).isPositive();
            assertThat(Statx.blocks(s)).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void aDeviceNodeReportsTheDeviceItStandsFor() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = statx(arena, Path.of("/dev/null"));
            assertThat(Statx.rdevMajor(s)).isEqualTo(1);
            assertThat(Statx.rdevMinor(s)).isEqualTo(3);
            assertThat(Statx.mode(s) & 0170000).isEqualTo(0020000);
        }
    }

    @Test
    void theMountIdIsZeroWhereTheKernelDidNotFillIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = statx(arena, dir);
            if ((Statx.mask(s) & FileCalls.STATX_MNT_ID) != 0) {
                assertThat(Statx.mntId(s)).isPositive();
            }
            s.set(JAVA_INT, FileStructs.STX_MASK, FileCalls.STATX_BASIC_STATS);
            assertThat(Statx.mntId(s)).isZero();
        }
    }
}
