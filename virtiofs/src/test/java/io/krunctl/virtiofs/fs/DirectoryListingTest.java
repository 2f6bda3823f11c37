package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryListingTest {
    @TempDir
    Path dir;

    private final HandleTable handles = new HandleTable(new DescriptorBudget(PassthroughConfig.UNBOUNDED));
    private int procSelfFd;
    private InodeTable inodes;
    private DirectoryListing listing;

    @BeforeEach
    void setUp() throws Exception {
        for (String name : List.of("a", "b", "c", "d")) {
            Files.createFile(dir.resolve(name));
        }
        procSelfFd = HostFds.open(Path.of("/proc/self/fd"), Fcntl.O_PATH);
        inodes = new InodeTable(new InodeAllocator(), HostFds.open(dir, Fcntl.O_PATH), new InodeTable.Key(1, 1, 1),
                new DescriptorBudget(PassthroughConfig.UNBOUNDED));
        listing = new DirectoryListing(handles, procSelfFd);
    }

    @AfterEach
    void tearDown() {
        handles.removeAll();
        inodes.closeAll();
        FileCalls.close(procSelfFd);
    }

    private static List<String> names(List<DirEntry> entries) {
        return entries.stream().map(e -> e.name().toString()).filter(n -> !n.equals(".") && !n.equals("..")).toList();
    }

    @Test
    void aListingStoppedByAFullReplyResumesFromTheLastOffsetTheGuestGot() throws FsException {
        try (var root = inodes.pin(InodeAllocator.ROOT_ID)) {
            long handle = listing.openHandle(root);
            List<DirEntry> first = new ArrayList<>();
            try (var open = listing.open(root, handle)) {
                open.list(0, DirectoryListing.READDIR_BUFFER, (w, e) -> first.size() < 3 && first.add(e));
            }
            List<DirEntry> rest = new ArrayList<>();
            try (var open = listing.open(root, handle)) {
                open.list(first.getLast().offset(), DirectoryListing.READDIR_BUFFER, (w, e) -> rest.add(e));
            }
            List<String> all = new ArrayList<>(names(first));
            all.addAll(names(rest));
            assertThat(all).containsExactlyInAnyOrder("a", "b", "c", "d");
        }
    }

    @Test
    void aHandlelessListingClosesTheDirectoryItOpened() throws Exception {
        try (var root = inodes.pin(InodeAllocator.ROOT_ID)) {
            int fd;
            List<DirEntry> entries = new ArrayList<>();
            try (var open = listing.open(root, DirectoryListing.NO_HANDLE)) {
                fd = open.fd();
                open.list(0, DirectoryListing.READDIRPLUS_BUFFER, (w, e) -> entries.add(e));
            }
            assertThat(names(entries)).containsExactlyInAnyOrder("a", "b", "c", "d");
            assertThat(HostFds.isOpen(fd)).isFalse();
            assertThat(handles.size()).isZero();
        }
    }

    @Test
    void anUnknownHandleIsEbadf() throws FsException {
        try (var root = inodes.pin(InodeAllocator.ROOT_ID)) {
            assertErrno(Errno.EBADF, () -> listing.open(root, 42));
        }
    }
}
