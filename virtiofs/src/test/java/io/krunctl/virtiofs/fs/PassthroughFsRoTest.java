package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link PassthroughFsRo}: the same tree, reads work, every mutation is EROFS and changes nothing. */
class PassthroughFsRoTest {
    private static final long ROOT = InodeAllocator.ROOT_ID;
    private static final Context CTX = Context.ROOT;

    @org.junit.jupiter.api.io.TempDir
    static Path share;

    private static PassthroughFsRo fs;
    private static long file;
    private static long dir;
    private static long handle;
    private static long dirHandle;
    private static final Arena ARENA = Arena.ofShared();

    interface Mutation {
        void run() throws FsException;
    }

    @BeforeEach
    void setUp() throws Exception {
        if (fs != null) {
            return;
        }
        Files.writeString(share.resolve("file"), "contents");
        Files.createDirectories(share.resolve("dir/sub"));
        Files.createSymbolicLink(share.resolve("link"), Path.of("file"));
        fs = new PassthroughFsRo(share, new InodeAllocator(), PassthroughConfig.defaults().withWriteback(true));
        // A kernel without zero-message opendir, so that directories have handles to test with.
        assertThat(fs.init(-1L & ~InitFlags.NO_OPENDIR_SUPPORT) & InitFlags.WRITEBACK_CACHE).as("never writeback")
                .isZero();
        file = fs.lookup(CTX, ROOT, Name.of("file")).inode();
        dir = fs.lookup(CTX, ROOT, Name.of("dir")).inode();
        handle = fs.open(CTX, file, Fcntl.O_RDONLY, false).handle();
        dirHandle = fs.opendir(CTX, dir, 0).handle();
    }

    @AfterEach
    void unchanged() throws Exception {
        assertThat(Files.readString(share.resolve("file"))).isEqualTo("contents");
        try (Stream<Path> s = Files.list(share)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("file", "dir", "link");
        }
        try (Stream<Path> s = Files.list(share.resolve("dir"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("sub");
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void close() {
        fs.close();
    }

    static Name n(String s) {
        return Name.of(s);
    }

    static Stream<Arguments> mutations() {
        SetAttr chmod = new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0777, 0, 0);
        SetAttr truncate = new SetAttr(SetAttr.SIZE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        SetAttr touch = new SetAttr(SetAttr.MTIME | SetAttr.MTIME_NOW, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return Stream.of(
                Arguments.of("create", (Mutation) () -> fs.create(CTX, ROOT, n("new"), 0644, Fcntl.O_RDWR, 0, false)),
                Arguments.of("create existing", (Mutation) () -> fs.create(CTX, ROOT, n("file"), 0644, Fcntl.O_RDONLY,
                        0, false)),
                Arguments.of("mknod", (Mutation) () -> fs.mknod(CTX, ROOT, n("fifo"), Linux.S_IFIFO | 0644, 0, 0)),
                Arguments.of("mkdir", (Mutation) () -> fs.mkdir(CTX, dir, n("new"), 0755, 0)),
                Arguments.of("symlink", (Mutation) () -> fs.symlink(CTX, n("x"), ROOT, n("new"))),
                Arguments.of("link", (Mutation) () -> fs.link(CTX, file, dir, n("new"))),
                Arguments.of("unlink", (Mutation) () -> fs.unlink(CTX, ROOT, n("file"))),
                Arguments.of("rmdir", (Mutation) () -> fs.rmdir(CTX, dir, n("sub"))),
                Arguments.of("rename", (Mutation) () -> fs.rename(CTX, ROOT, n("file"), dir, n("file"), 0)),
                Arguments.of("chmod", (Mutation) () -> fs.setattr(CTX, file, chmod)),
                Arguments.of("truncate", (Mutation) () -> fs.setattr(CTX, file, truncate)),
                Arguments.of("touch", (Mutation) () -> fs.setattr(CTX, file, touch)),
                Arguments.of("open O_WRONLY", (Mutation) () -> fs.open(CTX, file, Fcntl.O_WRONLY, false)),
                Arguments.of("open O_RDWR", (Mutation) () -> fs.open(CTX, file, Fcntl.O_RDWR, false)),
                Arguments.of("open O_TRUNC", (Mutation) () -> fs.open(CTX, file, Fcntl.O_RDONLY | Fcntl.O_TRUNC,
                        false)),
                Arguments.of("open O_APPEND", (Mutation) () -> fs.open(CTX, file, Fcntl.O_RDONLY | Fcntl.O_APPEND,
                        false)),
                Arguments.of("write", (Mutation) () -> fs.write(CTX, file, handle, 0,
                        List.of(MemorySegment.ofArray(new byte[] {1})), 0, 0)),
                Arguments.of("fallocate", (Mutation) () -> fs.fallocate(CTX, file, handle, 0, 0, 100)),
                Arguments.of("copy_file_range", (Mutation) () -> fs.copyFileRange(CTX, file, handle, 0, file, handle,
                        4, 2, 0)),
                Arguments.of("setxattr", (Mutation) () -> fs.setxattr(CTX, file, n("user.x"), new byte[] {1}, 0, 0)),
                Arguments.of("removexattr", (Mutation) () -> fs.removexattr(CTX, file, n("user.x"))),
                Arguments.of("access W_OK", (Mutation) () -> fs.access(CTX, file, Linux.W_OK)));
    }

    @ParameterizedTest(name = "{0} is EROFS")
    @MethodSource("mutations")
    void everyMutationIsErofs(String what, Mutation mutation) {
        assertErrno(Errno.EROFS, mutation::run);
    }

    @Test
    void readsWork() throws Exception {
        MemorySegment buf = ARENA.allocate(64);
        int n = fs.read(CTX, file, handle, 0, List.of(buf), 0);
        assertThat(new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8)).isEqualTo("contents");
        assertThat(fs.getattr(CTX, file, OptionalLong.empty()).attr().size()).isEqualTo(8);
        assertThat(fs.readlink(CTX, fs.lookup(CTX, ROOT, n("link")).inode())).isEqualTo(n("file"));
        fs.access(CTX, file, Linux.R_OK);
        assertThat(fs.statfs(CTX, ROOT).blockSize()).isPositive();
        fs.fsync(CTX, file, false, handle);
        assertThat(fs.lseek(CTX, file, handle, 0, Fcntl.SEEK_DATA)).isZero();
        Map<String, Long> names = new java.util.HashMap<>();
        fs.readdirplus(CTX, dir, dirHandle, 0, (e, a) -> {
            names.put(e.name().toString(), a.inode());
            return true;
        });
        assertThat(names).containsKeys(".", "..", "sub");
        fs.forget(names.get("sub"), 1);
    }

    @Test
    void aMissingNameIsANegativeEntryNotErofs() throws Exception {
        Entry missing = fs.lookup(CTX, ROOT, n("missing"));
        assertThat(missing.inode()).isZero();
        assertThat(missing.entryTimeout()).isPositive();
    }
}
