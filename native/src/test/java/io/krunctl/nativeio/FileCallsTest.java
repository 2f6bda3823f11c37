package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCallsTest {
    @TempDir
    Path dir;

    private final Arena arena = Arena.ofShared();
    private int dirFd = -1;

    @BeforeEach
    void openDir() {
        dirFd = FileCalls.openat(FileCalls.AT_FDCWD, c(dir.toString()),
                Fcntl.O_PATH | Fcntl.O_DIRECTORY | Fcntl.O_CLOEXEC, 0);
        assertThat(dirFd).isNotNegative();
    }

    @AfterEach
    void close() {
        FileCalls.close(dirFd);
        arena.close();
    }

    private MemorySegment c(String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }

    private MemorySegment empty() {
        return c("");
    }

    private int create(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
        int fd = FileCalls.openat(dirFd, c(name), Fcntl.O_RDWR | Fcntl.O_CLOEXEC, 0);
        assertThat(fd).isNotNegative();
        return fd;
    }

    @Test
    void failuresReturnNegativeErrnoInsteadOfThrowing() {
        assertThat(FileCalls.openat(dirFd, c("missing"), Fcntl.O_RDONLY | Fcntl.O_CLOEXEC, 0))
                .isEqualTo(-Errno.ENOENT);
        assertThat(FileCalls.close(-1)).isEqualTo(-Errno.EBADF);
        assertThat(FileCalls.mkdirat(dirFd, c("d"), 0755)).isZero();
        assertThat(FileCalls.mkdirat(dirFd, c("d"), 0755)).isEqualTo(-Errno.EEXIST);
        assertThat(FileCalls.fsync(-1)).isEqualTo(-Errno.EBADF);
    }

    @Test
    void statxOnAnOPathDescriptorReportsTypeSizeInodeAndMountId() throws IOException {
        int fd = create("f", "hello");
        FileCalls.close(fd);
        int path = FileCalls.openat(dirFd, c("f"), Fcntl.O_PATH | Fcntl.O_NOFOLLOW | Fcntl.O_CLOEXEC, 0);
        MemorySegment stx = arena.allocate(FileStructs.STATX);
        int r = FileCalls.statx(path, empty(), FileCalls.AT_EMPTY_PATH | FileCalls.AT_SYMLINK_NOFOLLOW,
                FileCalls.STATX_BASIC_STATS | FileCalls.STATX_MNT_ID, stx);
        assertThat(r).isZero();
        assertThat(stx.get(JAVA_INT, FileStructs.STX_MASK) & FileCalls.STATX_MNT_ID).isNotZero();
        assertThat(stx.get(JAVA_SHORT, FileStructs.STX_MODE) & 0170000).isEqualTo(0100000);
        assertThat(stx.get(JAVA_LONG, FileStructs.STX_SIZE)).isEqualTo(5);
        assertThat(stx.get(JAVA_LONG, FileStructs.STX_INO)).isEqualTo(Files.getAttribute(dir.resolve("f"), "unix:ino"));
        assertThat(stx.get(JAVA_LONG, FileStructs.STX_MNT_ID)).isPositive();
        FileCalls.close(path);
    }

    @Test
    void openat2ResolvesOnlyBeneathAndWithoutSymlinks() throws IOException {
        Files.createSymbolicLink(dir.resolve("link"), Path.of("/etc/passwd"));
        MemorySegment how = arena.allocate(FileStructs.OPEN_HOW);
        how.set(JAVA_LONG, FileStructs.HOW_FLAGS, Fcntl.O_PATH | Fcntl.O_NOFOLLOW | Fcntl.O_CLOEXEC);
        how.set(JAVA_LONG, FileStructs.HOW_RESOLVE, FileCalls.RESOLVE_BENEATH | FileCalls.RESOLVE_NO_SYMLINKS
                | FileCalls.RESOLVE_NO_MAGICLINKS);
        assertThat(FileCalls.openat2(dirFd, c("../x"), how)).isEqualTo(-Errno.EXDEV);
        assertThat(FileCalls.openat2(dirFd, c("/etc/passwd"), how)).isEqualTo(-Errno.EXDEV);
        // O_PATH|O_NOFOLLOW opens the last component's link itself; through it, nothing resolves.
        int link = FileCalls.openat2(dirFd, c("link"), how);
        assertThat(link).isNotNegative();
        how.set(JAVA_LONG, FileStructs.HOW_FLAGS, Fcntl.O_RDONLY | Fcntl.O_CLOEXEC);
        assertThat(FileCalls.openat2(dirFd, c("link"), how)).isEqualTo(-Errno.ELOOP);
        MemorySegment target = arena.allocate(256);
        long n = FileCalls.readlinkat(link, empty(), target);
        assertThat(target.asSlice(0, n).toArray(JAVA_BYTE)).isEqualTo("/etc/passwd".getBytes(StandardCharsets.UTF_8));
        FileCalls.close(link);
    }

    @Test
    void vectoredReadAndWriteMoveBytesStraightBetweenSegmentsAndTheFile() throws IOException {
        int fd = create("data", "");
        MemorySegment a = arena.allocateFrom("abc", StandardCharsets.US_ASCII).asSlice(0, 3).asReadOnly();
        MemorySegment b = arena.allocateFrom("defgh", StandardCharsets.US_ASCII).asSlice(0, 5);
        assertThat(FileCalls.pwrite(fd, a, 10)).isEqualTo(3);
        MemorySegment iov = arena.allocate(Structs.IOVEC, 2);
        Structs.IOV_BASE.set(iov, 0L, a);
        Structs.IOV_LEN.set(iov, 0L, a.byteSize());
        Structs.IOV_BASE.set(iov, 16L, b);
        Structs.IOV_LEN.set(iov, 16L, b.byteSize());
        assertThat(FileCalls.pwritev(fd, iov, 2, 13)).isEqualTo(8);
        assertThat(Files.readAllBytes(dir.resolve("data"))).hasSize(21)
                .endsWith("abcabcdefgh".getBytes(StandardCharsets.US_ASCII));

        MemorySegment x = arena.allocate(4);
        MemorySegment y = arena.allocate(100);
        Structs.IOV_BASE.set(iov, 0L, x);
        Structs.IOV_LEN.set(iov, 0L, x.byteSize());
        Structs.IOV_BASE.set(iov, 16L, y);
        Structs.IOV_LEN.set(iov, 16L, y.byteSize());
        assertThat(FileCalls.preadv(fd, iov, 2, 12)).isEqualTo(9);
        assertThat(new String(x.toArray(JAVA_BYTE), StandardCharsets.US_ASCII)).isEqualTo("cabc");
        assertThat(new String(y.asSlice(0, 5).toArray(JAVA_BYTE), StandardCharsets.US_ASCII)).isEqualTo("defgh");
        assertThat(FileCalls.pread(fd, arena.allocate(8), 100)).isZero();
        FileCalls.close(fd);
    }

    @Test
    void getdents64ListsEveryName() throws IOException {
        for (String n : List.of("a", "bb", "ccc")) {
            Files.writeString(dir.resolve(n), n);
        }
        int fd = FileCalls.openat(dirFd, c("."), Fcntl.O_RDONLY | Fcntl.O_DIRECTORY | Fcntl.O_CLOEXEC, 0);
        MemorySegment buf = arena.allocate(4096, 8);
        List<String> names = new ArrayList<>();
        long n;
        while ((n = FileCalls.getdents64(fd, buf)) > 0) {
            for (long off = 0; off < n; off += Short.toUnsignedInt(buf.get(JAVA_SHORT, off + FileStructs.D_RECLEN))) {
                names.add(buf.getString(off + FileStructs.D_NAME));
            }
        }
        assertThat(n).isZero();
        assertThat(names).containsExactlyInAnyOrder(".", "..", "a", "bb", "ccc");
        FileCalls.close(fd);
    }

    @Test
    void renameat2HonoursNoReplaceAndExchange() throws IOException {
        Files.writeString(dir.resolve("one"), "1");
        Files.writeString(dir.resolve("two"), "2");
        assertThat(FileCalls.renameat2(dirFd, c("one"), dirFd, c("two"), FileCalls.RENAME_NOREPLACE))
                .isEqualTo(-Errno.EEXIST);
        assertThat(FileCalls.renameat2(dirFd, c("one"), dirFd, c("two"), FileCalls.RENAME_EXCHANGE)).isZero();
        assertThat(Files.readString(dir.resolve("one"))).isEqualTo("2");
        assertThat(Files.readString(dir.resolve("two"))).isEqualTo("1");
    }

    @Test
    void seekDataAndHoleFindTheHole() throws IOException {
        int fd = create("sparse", "");
        assertThat(FileCalls.pwrite(fd, arena.allocate(4096), 1 << 20)).isEqualTo(4096);
        long data = FileCalls.lseek(fd, 0, Fcntl.SEEK_DATA);
        assertThat(data).isEqualTo(1 << 20);
        assertThat(FileCalls.lseek(fd, 0, Fcntl.SEEK_HOLE)).isZero();
        assertThat(FileCalls.lseek(fd, (1 << 20) + 8192, Fcntl.SEEK_DATA)).isEqualTo(-Errno.ENXIO);
        FileCalls.close(fd);
    }

    @Test
    void copyFileRangeAdvancesBothOffsets() throws IOException {
        int in = create("in", "0123456789");
        int out = create("out", "");
        MemorySegment offsets = arena.allocate(16, 8);
        offsets.set(JAVA_LONG, 0, 2);
        offsets.set(JAVA_LONG, 8, 1);
        assertThat(FileCalls.copyFileRange(in, offsets.asSlice(0, 8), out, offsets.asSlice(8, 8), 5, 0)).isEqualTo(5);
        assertThat(offsets.get(JAVA_LONG, 0)).isEqualTo(7);
        assertThat(Files.readAllBytes(dir.resolve("out"))).isEqualTo(new byte[] {0, '2', '3', '4', '5', '6'});
        FileCalls.close(in);
        FileCalls.close(out);
    }

    @Test
    void extendedAttributesThroughProcSelfFd() throws IOException {
        int fd = create("x", "");
        MemorySegment path = c("/proc/self/fd/" + fd);
        int r = FileCalls.setxattr(path, c("user.k"), arena.allocateFrom("v1", StandardCharsets.US_ASCII)
                .asSlice(0, 2), FileCalls.XATTR_CREATE);
        assumeTrue(r != -Errno.EOPNOTSUPP, "no user xattrs on the temporary directory's filesystem");
        assertThat(r).isZero();
        assertThat(FileCalls.getxattr(path, c("user.k"), MemorySegment.NULL)).isEqualTo(2);
        MemorySegment value = arena.allocate(16);
        assertThat(FileCalls.getxattr(path, c("user.k"), value)).isEqualTo(2);
        assertThat(value.getString(0)).isEqualTo("v1");
        MemorySegment list = arena.allocate(256);
        long n = FileCalls.listxattr(path, list);
        assertThat(new String(list.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.US_ASCII)).contains("user.k\0");
        assertThat(FileCalls.removexattr(path, c("user.k"))).isZero();
        assertThat(FileCalls.getxattr(path, c("user.k"), value)).isEqualTo(-Errno.ENODATA);
        FileCalls.close(fd);
    }

    @Test
    void utimensatAndFchownatWorkOnOPathDescriptorsOfSymlinks() throws IOException {
        assumeTrue(ThreadCredentials.geteuid() == 0, "needs root to chown");
        Files.createSymbolicLink(dir.resolve("l"), Path.of("target"));
        int l = FileCalls.openat(dirFd, c("l"), Fcntl.O_PATH | Fcntl.O_NOFOLLOW | Fcntl.O_CLOEXEC, 0);
        MemorySegment times = arena.allocate(FileStructs.TIMESPEC, 2);
        times.set(JAVA_LONG, 0, 1000);
        times.set(JAVA_LONG, 8, FileCalls.UTIME_OMIT);
        times.set(JAVA_LONG, 16, 2000);
        times.set(JAVA_LONG, 24, 5);
        assertThat(FileCalls.utimensat(l, empty(), times, FileCalls.AT_EMPTY_PATH | FileCalls.AT_SYMLINK_NOFOLLOW))
                .isZero();
        assertThat(FileCalls.fchownat(l, empty(), 1234, 5678, FileCalls.AT_EMPTY_PATH)).isZero();
        PosixFileAttributes a = Files.readAttributes(dir.resolve("l"), PosixFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        assertThat(a.lastModifiedTime().toMillis()).isEqualTo(2_000_000);
        assertThat(Files.getAttribute(dir.resolve("l"), "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(1234);
        FileCalls.close(l);
    }

    @Test
    void fsuidChangesOnlyTheCallingThreadAndCapsetRestoresItsOverride() throws Exception {
        assumeTrue(ThreadCredentials.geteuid() == 0, "needs root to switch ids");
        CountDownLatch switched = new CountDownLatch(1);
        CountDownLatch mainCreated = new CountDownLatch(1);
        CompletableFuture<List<Integer>> other = CompletableFuture.supplyAsync(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment header = a.allocate(FileStructs.CAP_HEADER);
                header.set(JAVA_INT, 0, ThreadCredentials.CAPABILITY_VERSION_3);
                MemorySegment caps = a.allocate(FileStructs.CAP_DATA, 2);
                ThreadCredentials.capget(header, caps);
                ThreadCredentials.setfsgid(4321);
                ThreadCredentials.setfsuid(1234);
                int flags = Fcntl.O_CREAT | Fcntl.O_EXCL | Fcntl.O_WRONLY | Fcntl.O_CLOEXEC;
                // The temporary directory is 0700 root: without CAP_DAC_OVERRIDE uid 1234 may not create.
                int denied = FileCalls.openat(dirFd, a.allocateFrom("theirs"), flags, 0644);
                int raised = ThreadCredentials.capset(header, caps);
                switched.countDown();
                int fd = FileCalls.openat(dirFd, a.allocateFrom("theirs"), flags, 0644);
                FileCalls.close(fd);
                mainCreated.await(10, TimeUnit.SECONDS);
                int previousUid = ThreadCredentials.setfsuid(0);
                int previousGid = ThreadCredentials.setfsgid(0);
                return List.of(denied, raised, fd >= 0 ? 0 : fd, previousUid, previousGid);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        switched.await(10, TimeUnit.SECONDS);
        int fd = FileCalls.openat(dirFd, c("mine"),
                Fcntl.O_CREAT | Fcntl.O_EXCL | Fcntl.O_WRONLY | Fcntl.O_CLOEXEC, 0644);
        assertThat(fd).isNotNegative();
        FileCalls.close(fd);
        mainCreated.countDown();
        assertThat(other.get(10, TimeUnit.SECONDS)).containsExactly(-Errno.EACCES, 0, 0, 1234, 4321);
        assertThat(Files.getAttribute(dir.resolve("mine"), "unix:uid")).isEqualTo(0);
        assertThat(Files.getAttribute(dir.resolve("theirs"), "unix:uid")).isEqualTo(1234);
        assertThat(Files.getAttribute(dir.resolve("theirs"), "unix:gid")).isEqualTo(4321);
    }

    @Test
    void capgetReadsTheThreadsCapabilities() {
        MemorySegment header = arena.allocate(FileStructs.CAP_HEADER);
        header.set(JAVA_INT, 0, ThreadCredentials.CAPABILITY_VERSION_3);
        MemorySegment data = arena.allocate(FileStructs.CAP_DATA, 2);
        assertThat(ThreadCredentials.capget(header, data)).isZero();
        int effective = data.get(JAVA_INT, FileStructs.CAP_EFFECTIVE);
        assertThat(ThreadCredentials.capset(header, data)).isZero();
        if (ThreadCredentials.geteuid() == 0) {
            assertThat(effective & 0b11).as("CAP_CHOWN, CAP_DAC_OVERRIDE").isEqualTo(0b11);
        }
    }

    @Test
    void fallocatePunchesAHole() throws IOException {
        int fd = create("p", "x".repeat(16384));
        int r = FileCalls.fallocate(fd, 0x01 | 0x02, 4096, 4096);
        assumeTrue(r != -Errno.EOPNOTSUPP, "no hole punching here");
        assertThat(r).isZero();
        byte[] data = Files.readAllBytes(dir.resolve("p"));
        assertThat(data).hasSize(16384);
        assertThat(data[4096]).isZero();
        assertThat(data[8192]).isEqualTo((byte) 'x');
        FileCalls.close(fd);
    }
}
