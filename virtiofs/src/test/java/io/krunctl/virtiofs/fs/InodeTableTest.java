package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static io.krunctl.virtiofs.fs.HostFds.isOpen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.Fcntl;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InodeTableTest {
    @TempDir
    Path dir;

    private InodeTable table;

    @BeforeEach
    void setUp() {
        table = new InodeTable(new InodeAllocator(), open(), new InodeTable.Key(1, 1, 1),
                new DescriptorBudget(PassthroughConfig.UNBOUNDED));
    }

    @AfterEach
    void tearDown() {
        table.closeAll();
    }

    private int open() {
        return HostFds.open(dir, Fcntl.O_PATH);
    }

    @Test
    void theSameFileFoundTwiceIsOneInodeAndTheSecondDescriptorIsClosed() throws FsException {
        int first = open();
        int second = open();
        InodeTable.Inode a = table.found(first, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        InodeTable.Inode b = table.found(second, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        assertThat(b).isSameAs(a);
        assertThat(a.id).isEqualTo(InodeAllocator.ROOT_ID + 1);
        assertThat(a.lookups.get()).isEqualTo(2);
        assertThat(isOpen(first)).isTrue();
        assertThat(isOpen(second)).isFalse();
    }

    @Test
    void aDifferentMountIdIsADifferentInode() throws FsException {
        InodeTable.Inode a = table.found(open(), Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        InodeTable.Inode b = table.found(open(), Linux.S_IFDIR, new InodeTable.Key(1, 7, 2));
        assertThat(b.id).isNotEqualTo(a.id);
    }

    @Test
    void theDescriptorIsClosedWhenTheLastLookupIsForgotten() throws FsException {
        int fd = open();
        InodeTable.Inode a = table.found(fd, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        table.found(open(), Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        table.forget(a.id, 1);
        assertThat(isOpen(fd)).isTrue();
        table.forget(a.id, 1);
        assertThat(isOpen(fd)).isFalse();
        assertThat(table.size()).isEqualTo(1);
        assertErrno(Errno.EBADF, () -> table.pin(a.id));
    }

    /**
     * The device stops waiting for slow requests after a while and closes the filesystem: a request
     * still running must keep its descriptor, or a recycled number would point it at another file.
     */
    @Test
    void closingTheTableLeavesARunningRequestItsDescriptorsUntilItEnds() throws FsException {
        int fd = open();
        InodeTable.Inode a = table.found(fd, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        InodeTable.Lease late = table.pin(a.id);
        InodeTable.Lease lateRoot = table.pin(InodeAllocator.ROOT_ID);
        int rootFd = lateRoot.fd();

        table.closeAll();

        assertThat(isOpen(fd)).as("the late request's inode").isTrue();
        assertThat(isOpen(rootFd)).as("the late request's root").isTrue();
        late.close();
        lateRoot.close();
        assertThat(isOpen(fd)).isFalse();
        assertThat(isOpen(rootFd)).isFalse();
        assertThat(table.size()).isZero();
        table = new InodeTable(new InodeAllocator(), open(), new InodeTable.Key(1, 1, 1),
                new DescriptorBudget(PassthroughConfig.UNBOUNDED));
    }

    @Test
    void aForgetDuringAnOperationClosesOnlyAfterIt() throws FsException {
        int fd = open();
        InodeTable.Inode a = table.found(fd, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        try (var inUse = table.pin(a.id)) {
            // A hostile guest forgets far more than it holds while its own request runs.
            table.forget(a.id, 1_000_000);
            assertThat(isOpen(inUse.fd())).as("still used by the request").isTrue();
        }
        assertThat(isOpen(fd)).isFalse();
    }

    @Test
    void aLeaseIsGivenBackWhenTheRequestFails() throws FsException {
        int fd = open();
        InodeTable.Inode a = table.found(fd, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        assertThatThrownBy(() -> {
            try (var _ = table.pin(a.id)) {
                throw new FsException(Errno.EIO);
            }
        }).isInstanceOf(FsException.class);
        table.forget(a.id, 1);
        assertThat(isOpen(fd)).as("no reference left behind").isFalse();
    }

    @Test
    void closingALeaseTwiceGivesBackOneReference() throws FsException {
        int fd = open();
        InodeTable.Inode a = table.found(fd, Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        var lease = table.pin(a.id);
        lease.close();
        lease.close();
        assertThat(isOpen(fd)).as("the guest's lookup still holds it").isTrue();
        table.forget(a.id, 1);
        assertThat(isOpen(fd)).isFalse();
    }

    @Test
    void aLookupAfterTheLastForgetMakesANewInodeNeverRevivesTheOldOne() throws FsException {
        InodeTable.Inode a = table.found(open(), Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        table.forget(a.id, 1);
        InodeTable.Inode b = table.found(open(), Linux.S_IFDIR, new InodeTable.Key(1, 7, 1));
        assertThat(b.id).isNotEqualTo(a.id);
        try (var lease = table.pin(b.id)) {
            assertThat(lease.inode()).isSameAs(b);
        }
    }

    @Test
    void theRootIsNeverForgotten() throws FsException {
        int rootFd = table.root().fd;
        table.forget(InodeAllocator.ROOT_ID, 5);
        table.forgetAll();
        try (var lease = table.pin(InodeAllocator.ROOT_ID)) {
            assertThat(lease.inode()).isSameAs(table.root());
        }
        assertThat(isOpen(rootFd)).isTrue();
    }
}
