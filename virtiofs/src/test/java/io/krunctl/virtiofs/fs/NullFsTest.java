package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NullFsTest {
    private static final Context CTX = Context.ROOT;
    private static final long ROOT = InodeAllocator.ROOT_ID;

    private final NullFs fs = new NullFs();

    @Test
    void theRootIsAnEmptyDirectoryCachedForever() throws FsException {
        AttrReply root = fs.getattr(CTX, ROOT, OptionalLong.empty());

        assertThat(root.attr().inode()).isEqualTo(ROOT);
        assertThat(root.attr().mode()).isEqualTo(Linux.S_IFDIR | 0755);
        assertThat(root.attr().nlink()).isEqualTo(2);
        assertThat(root.attr().uid()).isZero();
        assertThat(root.attr().gid()).isZero();
        assertThat(root.timeout()).isEqualTo(Entry.FOREVER);
    }

    @Test
    void nothingCanBeLookedUp() {
        assertErrno(Errno.ENOENT, () -> fs.lookup(CTX, ROOT, Name.of("anything")));
    }

    @Test
    void noOtherInodeExists() {
        assertErrno(Errno.ENOENT, () -> fs.getattr(CTX, 2, OptionalLong.empty()));
        assertErrno(Errno.ENOENT, () -> fs.opendir(CTX, 2, 0));
    }

    @Test
    void theRootListsNothing() throws FsException {
        List<DirEntry> listed = new ArrayList<>();
        OpenResult dir = fs.opendir(CTX, ROOT, Fcntl.O_DIRECTORY);

        fs.readdir(CTX, ROOT, dir.handle(), 0, listed::add);
        fs.readdirplus(CTX, ROOT, dir.handle(), 0, (entry, attributes) -> listed.add(entry));
        fs.releasedir(CTX, ROOT, dir.handle(), 0);

        assertThat(listed).isEmpty();
    }

    @Test
    void statfsDescribesAnEmptyFilesystem() throws FsException {
        StatFs st = fs.statfs(CTX, ROOT);

        assertThat(st.blocks()).isZero();
        assertThat(st.files()).isZero();
        assertThat(st.blockSize()).isEqualTo(4096);
        assertThat(st.maxNameLength()).isEqualTo(255);
    }

    @Test
    void everythingElseIsUnsupported() {
        assertErrno(Errno.ENOSYS, () -> fs.mkdir(CTX, ROOT, Name.of("d"), 0755, 0));
        assertErrno(Errno.ENOSYS, () -> fs.create(CTX, ROOT, Name.of("f"), 0644, 0, 0, false));
        assertErrno(Errno.ENOSYS, () -> fs.getxattr(CTX, ROOT, Name.of("user.x"), 0));
    }

    @Test
    void forgetsAreIgnored() {
        fs.forget(ROOT, 1);
        fs.batchForget(List.of(new Forget(ROOT, 3)));
    }
}
