package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static io.krunctl.virtiofs.fs.HostFds.isOpen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.Fcntl;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HandleTableTest {
    private final HandleTable handles = new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED));

    @AfterEach
    void tearDown() {
        handles.removeAll();
    }

    private static int openDevNull() {
        return HostFds.open(Path.of("/dev/null"), Fcntl.O_RDONLY);
    }

    @Test
    void aReleaseDuringARequestClosesOnlyWhenTheRequestEnds() throws FsException {
        int fd = openDevNull();
        long handle = handles.add(fd, Fcntl.O_RDONLY).id;
        try (var file = handles.pin(handle)) {
            handles.remove(handle);
            assertThat(isOpen(file.fd())).as("still used by the request").isTrue();
            assertThat(file.flags()).isEqualTo(Fcntl.O_RDONLY);
        }
        assertThat(isOpen(fd)).isFalse();
        assertErrno(Errno.EBADF, () -> handles.pin(handle));
    }

    @Test
    void aLeaseIsGivenBackWhenTheRequestFails() throws FsException {
        int fd = openDevNull();
        long handle = handles.add(fd, Fcntl.O_RDONLY).id;
        assertThatThrownBy(() -> {
            try (var _ = handles.pin(handle)) {
                throw new IllegalStateException("request failed");
            }
        }).isInstanceOf(IllegalStateException.class);
        handles.remove(handle);
        assertThat(isOpen(fd)).as("no reference left behind").isFalse();
    }

    @Test
    void closingALeaseTwiceGivesBackOneReference() throws FsException {
        int fd = openDevNull();
        long handle = handles.add(fd, Fcntl.O_RDONLY).id;
        var lease = handles.pin(handle);
        lease.close();
        lease.close();
        assertThat(isOpen(fd)).as("the guest's handle still holds it").isTrue();
        handles.remove(handle);
        assertThat(isOpen(fd)).isFalse();
    }
}
