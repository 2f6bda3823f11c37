package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.ThreadCredentials;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PassthroughFs} through the {@link FileSystem} interface, on a real temporary directory with
 * real system calls: each operation's success and its error paths, descriptors, confinement,
 * ownership, data integrity and concurrency.
 */
class PassthroughFsTest {
    static final long ROOT = InodeAllocator.ROOT_ID;
    static final Context CTX = Context.ROOT;
    static final long ALL_CAPABLE = -1L;
    /**
     * A kernel that opens every directory it lists (no zero-message opendir), the default here so
     * that the handle-based paths stay tested; {@code HandlelessDirectories} covers the other.
     */
    static final long OPENS_DIRECTORIES = ALL_CAPABLE & ~InitFlags.NO_OPENDIR_SUPPORT;
    static final boolean IS_ROOT = ThreadCredentials.geteuid() == 0;

    @TempDir
    Path tmp;

    Path share;
    Path outside;
    PassthroughFs fs;
    final Arena arena = Arena.ofShared();

    @BeforeEach
    void setUp() throws IOException {
        share = Files.createDirectory(tmp.resolve("share"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "host secret\n");
        fs = open(PassthroughConfig.defaults());
    }

    @AfterEach
    void tearDown() {
        if (fs != null) {
            fs.close();
        }
        arena.close();
    }

    PassthroughFs open(PassthroughConfig config) throws IOException {
        PassthroughFs f = new PassthroughFs(share, new InodeAllocator(), config);
        f.init(OPENS_DIRECTORIES);
        return f;
    }

    // ---- helpers ----

    static Name n(String s) {
        return Name.of(s);
    }

    Entry lookup(String name) throws FsException {
        return fs.lookup(CTX, ROOT, n(name));
    }

    long inode(String name) throws FsException {
        return lookup(name).inode();
    }

    /** Empty files f0, f1, ... in the share's root. */
    void emptyFiles(int count) throws IOException {
        for (int i = 0; i < count; i++) {
            Files.writeString(share.resolve("f" + i), "");
        }
    }

    /**
     * Lists the root through {@code handle} the way the kernel does, in replies that hold
     * {@code batchSize} entries, each call starting at the offset of the last entry it got; adds
     * the inodes handed out to {@code held} and answers the names, each of which must come once.
     */
    Set<String> listRootInBatches(long handle, int batchSize, List<Long> held) throws FsException {
        Set<String> seen = new HashSet<>();
        long offset = 0;
        while (true) {
            List<DirEntry> batch = new ArrayList<>();
            fs.readdirplus(CTX, ROOT, handle, offset, (e, a) -> {
                if (batch.size() == batchSize) {
                    return false;
                }
                batch.add(e);
                if (a.inode() != 0) {
                    held.add(a.inode());
                }
                return true;
            });
            if (batch.isEmpty()) {
                return seen;
            }
            batch.forEach(e -> assertThat(seen.add(e.name().toString())).as(e.name().toString()).isTrue());
            offset = batch.getLast().offset();
        }
    }

    static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    MemorySegment bytes(byte[] data) {
        MemorySegment s = arena.allocate(Math.max(1, data.length));
        MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, 0, data.length);
        return s.asSlice(0, data.length);
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} at {@code offset} through {@code handle}, split into segments of these sizes. */
    int write(long inode, long handle, long offset, byte[] data, int... cuts) throws FsException {
        List<MemorySegment> parts = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            parts.add(bytes(java.util.Arrays.copyOfRange(data, from, cut)).asReadOnly());
            from = cut;
        }
        parts.add(bytes(java.util.Arrays.copyOfRange(data, from, data.length)).asReadOnly());
        return fs.write(CTX, inode, handle, offset, parts, 0, 0);
    }

    byte[] read(long inode, long handle, long offset, int size, int... cuts) throws FsException {
        List<MemorySegment> parts = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            parts.add(arena.allocate(cut - from));
            from = cut;
        }
        parts.add(arena.allocate(size - from));
        int n = fs.read(CTX, inode, handle, offset, parts, 0);
        byte[] out = new byte[n];
        int at = 0;
        for (MemorySegment p : parts) {
            int take = (int) Math.min(p.byteSize(), n - at);
            MemorySegment.copy(p, ValueLayout.JAVA_BYTE, 0, out, at, take);
            at += take;
            if (at == n) {
                break;
            }
        }
        return out;
    }

    Created create(String name, int mode, int flags) throws FsException {
        return fs.create(CTX, ROOT, n(name), mode, flags, 022, false);
    }

    int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    int gid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    List<DirEntry> listAll(long dirInode, long handle, int perCall) throws FsException {
        List<DirEntry> all = new ArrayList<>();
        long offset = 0;
        while (true) {
            List<DirEntry> batch = new ArrayList<>();
            fs.readdir(CTX, dirInode, handle, offset, e -> {
                if (batch.size() == perCall) {
                    return false;
                }
                batch.add(e);
                return true;
            });
            if (batch.isEmpty()) {
                return all;
            }
            all.addAll(batch);
            offset = batch.getLast().offset();
        }
    }

    // ---- tests ----

    @Nested
    class Construction {
        @Test
        void aMissingRootIsAnIoException() {
            assertThatThrownBy(() -> new PassthroughFs(tmp.resolve("missing"), new InodeAllocator(),
                    PassthroughConfig.defaults())).isInstanceOf(IOException.class).hasMessageContaining("missing");
        }

        @Test
        void aFileAsRootIsRefused() throws IOException {
            Path file = Files.writeString(tmp.resolve("file"), "x");
            assertThatThrownBy(() -> new PassthroughFs(file, new InodeAllocator(), PassthroughConfig.defaults()))
                    .isInstanceOf(IOException.class).hasMessageContaining("Not a directory");
        }

        @Test
        void closeReleasesEveryDescriptor() throws Exception {
            fs.close();
            fs = null;
            long before = openDescriptors();
            PassthroughFs f = open(PassthroughConfig.defaults());
            Files.writeString(share.resolve("a"), "a");
            Files.createDirectory(share.resolve("d"));
            long a = f.lookup(CTX, ROOT, n("a")).inode();
            f.open(CTX, a, Fcntl.O_RDONLY, false);
            long d = f.lookup(CTX, ROOT, n("d")).inode();
            f.opendir(CTX, d, 0);
            assertThat(openDescriptors()).as("/proc/self/fd, root, two inodes, two handles").isEqualTo(before + 6);
            f.close();
            f.close();
            assertThat(openDescriptors()).isEqualTo(before);
        }

        @Test
        void initAsksForReaddirplusAndWhatThePolicyNeeds() throws IOException {
            assertThat(fs.init(ALL_CAPABLE)).isEqualTo(InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO
                    | InitFlags.NO_OPENDIR_SUPPORT);
            assertThat(fs.init(OPENS_DIRECTORIES)).isEqualTo(InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO);
            try (PassthroughFs never = open(PassthroughConfig.of(CachePolicy.NEVER));
                    PassthroughFs always = open(PassthroughConfig.of(CachePolicy.ALWAYS).withWriteback(true))) {
                assertThat(never.init(ALL_CAPABLE)).as("nothing cached, so directories are opened").isZero();
                assertThat(always.init(ALL_CAPABLE)).isEqualTo(InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO
                        | InitFlags.CACHE_SYMLINKS | InitFlags.WRITEBACK_CACHE | InitFlags.NO_OPENDIR_SUPPORT);
            }
        }
    }

    @Nested
    class Lookup {
        @Test
        void findsAFileWithTheHostsAttributes() throws Exception {
            Path f = Files.writeString(share.resolve("hello"), "hello world");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
            Entry e = lookup("hello");
            assertThat(e.inode()).isGreaterThan(ROOT);
            assertThat(e.generation()).isZero();
            assertThat(e.attr().inode()).isEqualTo(Files.getAttribute(f, "unix:ino"));
            assertThat(e.attr().mode()).isEqualTo(Linux.S_IFREG | 0640);
            assertThat(e.attr().size()).isEqualTo(11);
            assertThat(e.attr().nlink()).isEqualTo(1);
            assertThat(e.attr().uid()).isEqualTo(uid(f));
            assertThat(e.attr().mtime()).isEqualTo(Files.getLastModifiedTime(f).toInstant().getEpochSecond());
            assertThat(e.attr().blksize()).isPositive();
            assertThat(e.attr().flags()).isZero();
            assertThat(e.entryTimeout()).isEqualTo(PassthroughConfig.AUTO_TIMEOUT);
            assertThat(e.attrTimeout()).isEqualTo(PassthroughConfig.AUTO_TIMEOUT);
        }

        @Test
        void underCacheNeverAMissingNameIsEnoent() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.of(CachePolicy.NEVER));
            assertErrno(Errno.ENOENT, () -> lookup("nope"));
        }

        @Test
        void underCacheAutoAMissingNameIsRememberedForOneSecondAtMost() throws Exception {
            Entry e = lookup("nope");
            assertThat(e.inode()).as("a negative entry").isZero();
            assertThat(e.entryTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(fs.inodeCount()).as("it holds nothing").isEqualTo(1);

            fs.close();
            fs = open(PassthroughConfig.defaults().withTimeouts(Duration.ofMillis(200), Duration.ofMillis(200)));
            assertThat(lookup("nope").entryTimeout()).as("never longer than names are trusted")
                    .isEqualTo(Duration.ofMillis(200));
        }

        @Test
        void underAFileIsEnotdir() throws Exception {
            Files.writeString(share.resolve("f"), "");
            long f = inode("f");
            assertErrno(Errno.ENOTDIR, () -> fs.lookup(CTX, f, n("x")));
        }

        @Test
        void anUnknownParentIsEbadf() {
            assertErrno(Errno.EBADF, () -> fs.lookup(CTX, 12345, n("x")));
        }

        @Test
        void namesThatAreNotOneComponentAreRefused() {
            for (String bad : List.of("..", ".", "a/b", "/etc", "")) {
                assertErrno(Errno.EINVAL, () -> lookup(bad));
            }
        }

        @Test
        void aTooLongNameIsEnametoolong() {
            assertErrno(Errno.ENAMETOOLONG, () -> lookup("x".repeat(300)));
        }

        @Test
        void hardLinksAndRepeatedLookupsAreOneInode() throws Exception {
            Files.writeString(share.resolve("a"), "a");
            Files.createLink(share.resolve("b"), share.resolve("a"));
            Entry a = lookup("a");
            assertThat(lookup("a").inode()).isEqualTo(a.inode());
            assertThat(lookup("b").inode()).isEqualTo(a.inode());
            assertThat(a.attr().nlink()).isEqualTo(2);
            assertThat(fs.inodeCount()).isEqualTo(2);
        }

        @Test
        void eachLookupInANestedTreeUsesItsParent() throws Exception {
            Files.createDirectories(share.resolve("a/b/c"));
            Files.writeString(share.resolve("a/b/c/leaf"), "leaf");
            long a = inode("a");
            long b = fs.lookup(CTX, a, n("b")).inode();
            long c = fs.lookup(CTX, b, n("c")).inode();
            Entry leaf = fs.lookup(CTX, c, n("leaf"));
            assertThat(leaf.attr().size()).isEqualTo(4);
            assertThat(fs.lookup(CTX, c, n("leaf")).inode()).isEqualTo(leaf.inode());
        }

        @Test
        void underCacheAlwaysAMissingNameIsANegativeEntry() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.of(CachePolicy.ALWAYS));
            Entry e = lookup("nope");
            assertThat(e.inode()).isZero();
            assertThat(e.entryTimeout()).isEqualTo(PassthroughConfig.ALWAYS_TIMEOUT);
        }
    }

    @Nested
    class Forgetting {
        @Test
        void aLookedUpInodeHoldsOneDescriptorUntilItsLastLookupIsForgotten() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long before = openDescriptors();
            long f = inode("f");
            inode("f");
            inode("f");
            assertThat(openDescriptors()).isEqualTo(before + 1);
            fs.forget(f, 2);
            assertThat(openDescriptors()).isEqualTo(before + 1);
            fs.getattr(CTX, f, OptionalLong.empty());
            fs.forget(f, 1);
            assertThat(openDescriptors()).isEqualTo(before);
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertErrno(Errno.EBADF, () -> fs.getattr(CTX, f, OptionalLong.empty()));
        }

        @Test
        void batchForgetDropsManyAndIgnoresWhatTheGuestDoesNotHold() throws Exception {
            long before = openDescriptors();
            List<Forget> forgets = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Files.writeString(share.resolve("f" + i), "x");
                forgets.add(new Forget(inode("f" + i), 1));
            }
            assertThat(openDescriptors()).isEqualTo(before + 20);
            forgets.add(new Forget(999_999, 3));
            forgets.add(new Forget(ROOT, 10));
            fs.batchForget(forgets);
            assertThat(openDescriptors()).isEqualTo(before);
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertThat(fs.getattr(CTX, ROOT, OptionalLong.empty()).attr().mode() & Linux.S_IFMT)
                    .isEqualTo(Linux.S_IFDIR);
        }

        @Test
        void aNewLookupAfterForgettingGetsANewInodeNumber() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long first = inode("f");
            fs.forget(first, 1);
            assertThat(inode("f")).isNotEqualTo(first);
        }

        /**
         * A guest that opens without releasing and looks up without forgetting pins host
         * descriptors: beyond the device's budget it gets EMFILE and ENFILE, and whatever it gives
         * back (or a reset) makes room again.
         */
        @Test
        void descriptorsTheGuestHoldsAreBoundedAndComeBack() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.defaults().withMaxDescriptors(4));
            fs.init(OPENS_DIRECTORIES);
            for (String name : List.of("a", "b", "c", "d")) {
                Files.writeString(share.resolve(name), name);
            }
            long a = inode("a");
            long h1 = fs.open(CTX, a, Fcntl.O_RDONLY, false).handle();
            fs.open(CTX, a, Fcntl.O_RDONLY, false);
            long b = inode("b");
            long before = openDescriptors();

            assertErrno(Errno.EMFILE, () -> fs.open(CTX, b, Fcntl.O_RDONLY, false));
            assertErrno(Errno.ENFILE, () -> lookup("c"));
            assertErrno(Errno.ENFILE, () -> create("new", Linux.S_IFREG | 0644, Fcntl.O_RDWR));
            assertThat(openDescriptors()).as("nothing leaked by the refusals").isEqualTo(before);
            assertThat(fs.inodeCount()).isEqualTo(3);

            fs.release(CTX, a, h1, 0, 0, 0);
            assertThat(fs.open(CTX, b, Fcntl.O_RDONLY, false).handle()).isPositive();
            fs.forget(b, 1);
            assertThat(lookup("c").inode()).isPositive();

            fs.destroy();
            fs.init(OPENS_DIRECTORIES);
            assertThat(lookup("d").inode()).as("a reset gives every descriptor back").isPositive();
            assertThat(fs.open(CTX, inode("a"), Fcntl.O_RDONLY, false).handle()).isPositive();
        }

        @Test
        void destroyDropsEveryInodeAndHandleButTheRoot() throws Exception {
            long before = openDescriptors();
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            fs.destroy();
            assertThat(openDescriptors()).isEqualTo(before);
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertThat(fs.handleCount()).isZero();
            assertErrno(Errno.EBADF, () -> read(f, h, 0, 10));
            fs.init(OPENS_DIRECTORIES);
            assertThat(lookup("f").attr().size()).isEqualTo(1);
        }
    }

    @Nested
    class Attributes {
        @Test
        void getattrOfTheRootAndOfAFile() throws Exception {
            AttrReply root = fs.getattr(CTX, ROOT, OptionalLong.empty());
            assertThat(root.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFDIR);
            assertThat(root.attr().inode()).isEqualTo(Files.getAttribute(share, "unix:ino"));
            assertThat(root.timeout()).isEqualTo(PassthroughConfig.AUTO_TIMEOUT);
            Files.writeString(share.resolve("f"), "12345");
            long f = inode("f");
            Files.writeString(share.resolve("f"), "1234567");
            assertThat(fs.getattr(CTX, f, OptionalLong.empty()).attr().size()).isEqualTo(7);
        }

        @Test
        void chmodThroughTheInodeAndThroughAHandle() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            AttrReply r = fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 04711, 0, 0));
            assertThat(r.attr().mode()).isEqualTo(Linux.S_IFREG | 04711);
            assertThat(mode(p) & 07777).isEqualTo(04711);
            long h = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE | SetAttr.HANDLE, h, 0, 0, 0, 0, 0, 0, 0, 0, 0600, 0, 0));
            assertThat(mode(p) & 07777).isEqualTo(0600);
        }

        @Test
        void chmodOfASymlinkIsEopnotsupp() throws Exception {
            Files.createSymbolicLink(share.resolve("l"), Path.of("f"));
            long l = inode("l");
            assertErrno(Errno.EOPNOTSUPP, () -> fs.setattr(CTX, l,
                    new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0600, 0, 0)));
        }

        @Test
        void chownOfAFileAndOfASymlinkItself() throws Exception {
            assumeTrue(IS_ROOT, "chown needs root");
            Path p = Files.writeString(share.resolve("f"), "x");
            Files.createSymbolicLink(share.resolve("l"), p);
            long f = inode("f");
            long l = inode("l");
            fs.setattr(CTX, f, new SetAttr(SetAttr.UID | SetAttr.GID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1234, 5678));
            assertThat(uid(p)).isEqualTo(1234);
            assertThat(gid(p)).isEqualTo(5678);
            AttrReply r = fs.setattr(CTX, l, new SetAttr(SetAttr.UID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4321, 0));
            assertThat(r.attr().uid()).isEqualTo(4321);
            assertThat(uid(share.resolve("l"))).isEqualTo(4321);
            assertThat(uid(p)).as("the target is untouched").isEqualTo(1234);
        }

        @Test
        void chownClearsSetuidOnTheHostAsLinuxDoes() throws Exception {
            assumeTrue(IS_ROOT, "chown needs root");
            Path p = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 04755, 0, 0));
            fs.setattr(CTX, f, new SetAttr(SetAttr.UID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 0));
            assertThat(mode(p) & 07777).isEqualTo(0755);
        }

        @Test
        void truncateAndExtendThroughTheInodeAndThroughAHandle() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "0123456789");
            long f = inode("f");
            AttrReply r = fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            assertThat(r.attr().size()).isEqualTo(4);
            assertThat(Files.readString(p)).isEqualTo("0123");
            long h = fs.open(CTX, f, Fcntl.O_RDWR, false).handle();
            fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE | SetAttr.HANDLE, h, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            assertThat(Files.readAllBytes(p)).containsExactly('0', '1', '2', '3', 0, 0);
        }

        @Test
        void truncatingADirectoryIsEisdir() throws Exception {
            Files.createDirectory(share.resolve("d"));
            long d = inode("d");
            assertErrno(Errno.EISDIR, () -> fs.setattr(CTX, d, new SetAttr(SetAttr.SIZE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0)));
        }

        @Test
        void truncationFlaggedKillSuidgidClearsSetuidAndGroupExecutableSetgid() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "0123456789");
            Path q = Files.writeString(share.resolve("g"), "0123456789");
            long f = inode("f");
            long g = inode("g");
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 06755, 0, 0));
            fs.setattr(CTX, g, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 06745, 0, 0));
            fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE | SetAttr.KILL_SUIDGID, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            fs.setattr(CTX, g, new SetAttr(SetAttr.SIZE | SetAttr.KILL_SUIDGID, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            assertThat(mode(p) & 07777).isEqualTo(0755);
            assertThat(mode(q) & 07777).as("setgid without group execute is not a privilege").isEqualTo(02745);
            // Without the flag (a privileged guest caller) the bits stay.
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 06755, 0, 0));
            fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            assertThat(mode(p) & 07777).isEqualTo(06755);
        }

        @Test
        void timesExplicitNowAndOmitted() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            AttrReply r = fs.setattr(CTX, f, new SetAttr(SetAttr.ATIME | SetAttr.MTIME, 0, 0, 0,
                    1_000_000, 5, 2_000_000, 7, 0, 0, 0, 0, 0));
            assertThat(r.attr().atime()).isEqualTo(1_000_000);
            assertThat(r.attr().atimeNanos()).isEqualTo(5);
            assertThat(r.attr().mtime()).isEqualTo(2_000_000);
            assertThat(r.attr().mtimeNanos()).isEqualTo(7);
            assertThat(Files.getLastModifiedTime(p)).isEqualTo(FileTime.from(java.time.Instant.ofEpochSecond(2_000_000,
                    7)));
            long now = java.time.Instant.now().getEpochSecond();
            r = fs.setattr(CTX, f, new SetAttr(SetAttr.MTIME | SetAttr.MTIME_NOW | SetAttr.CTIME, 0, 0, 0, 0, 0, 0,
                    0, 5, 0, 0, 0, 0));
            assertThat(r.attr().mtime()).isBetween(now - 5, now + 5);
            assertThat(r.attr().atime()).as("atime omitted").isEqualTo(1_000_000);
        }

        @Test
        void timesOfASymlinkItself() throws Exception {
            Path target = Files.writeString(share.resolve("t"), "x");
            Files.setLastModifiedTime(target, FileTime.fromMillis(0));
            Files.createSymbolicLink(share.resolve("l"), Path.of("t"));
            long l = inode("l");
            fs.setattr(CTX, l, new SetAttr(SetAttr.MTIME, 0, 0, 0, 0, 0, 3_000_000, 0, 0, 0, 0, 0, 0));
            assertThat(Files.getLastModifiedTime(share.resolve("l"), LinkOption.NOFOLLOW_LINKS).toMillis())
                    .isEqualTo(3_000_000_000L);
            assertThat(Files.getLastModifiedTime(target).toMillis()).isZero();
        }

        @Test
        void setattrOnAnUnknownHandleIsEbadf() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            assertErrno(Errno.EBADF, () -> fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE | SetAttr.HANDLE, 77, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0)));
        }

        @Test
        void statfsDescribesTheHostFilesystem() throws Exception {
            StatFs s = fs.statfs(CTX, ROOT);
            assertThat(s.blockSize()).isPositive();
            assertThat(s.blocks()).isPositive();
            assertThat(s.maxNameLength()).isEqualTo(255);
            assertThat(s.blocksAvailable()).isLessThanOrEqualTo(s.blocksFree());
        }

        @Test
        void accessChecksTheCallersBits() throws Exception {
            assumeTrue(IS_ROOT, "needs root to give the file another owner");
            Path p = Files.writeString(share.resolve("f"), "x");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r-----"));
            Files.setAttribute(p, "unix:uid", 4000);
            Files.setAttribute(p, "unix:gid", 4001);
            long f = inode("f");
            fs.access(CTX, f, Linux.F_OK);
            fs.access(CTX, f, Linux.R_OK | Linux.W_OK);
            assertErrno(Errno.EACCES, () -> fs.access(CTX, f, Linux.X_OK));
            fs.access(new Context(4000, 1, 1), f, Linux.R_OK | Linux.W_OK);
            assertErrno(Errno.EACCES, () -> fs.access(new Context(4000, 1, 1), f, Linux.X_OK));
            fs.access(new Context(5, 4001, 1), f, Linux.R_OK);
            assertErrno(Errno.EACCES, () -> fs.access(new Context(5, 4001, 1), f, Linux.W_OK));
            assertErrno(Errno.EACCES, () -> fs.access(new Context(5, 5, 1), f, Linux.R_OK));
            fs.access(new Context(5, 5, 1), f, Linux.F_OK);
            fs.access(new Context(Context.INVALID_ID, Context.INVALID_ID, 1), f, Linux.X_OK);
            assertErrno(Errno.EBADF, () -> fs.access(CTX, 9999, Linux.F_OK));
        }
    }

    @Nested
    class Creation {
        @Test
        void mkdirKeepsTheModeTheGuestSentWhateverTheProcessUmask() throws Exception {
            Entry e = fs.mkdir(CTX, ROOT, n("d"), 01777, 0);
            assertThat(e.attr().mode()).isEqualTo(Linux.S_IFDIR | 01777);
            assertThat(mode(share.resolve("d")) & 07777).isEqualTo(01777);
            assertThat(lookup("d").inode()).isEqualTo(e.inode());
            assertErrno(Errno.EEXIST, () -> fs.mkdir(CTX, ROOT, n("d"), 0755, 0));
        }

        @Test
        void createReturnsTheNewInodeAndAnOpenHandle() throws Exception {
            Created c = create("new", 0666, Fcntl.O_RDWR | Fcntl.O_CREAT | Fcntl.O_EXCL);
            Path p = share.resolve("new");
            assertThat(mode(p) & 07777).isEqualTo(0666);
            assertThat(c.entry().attr().mode()).isEqualTo(Linux.S_IFREG | 0666);
            assertThat(c.entry().attr().inode()).isEqualTo(Files.getAttribute(p, "unix:ino"));
            assertThat(c.open().openFlags()).isZero();
            long f = c.entry().inode();
            assertThat(write(f, c.open().handle(), 0, "created".getBytes(StandardCharsets.UTF_8))).isEqualTo(7);
            assertThat(new String(read(f, c.open().handle(), 0, 100), StandardCharsets.UTF_8)).isEqualTo("created");
            assertThat(lookup("new").inode()).isEqualTo(f);
            fs.release(CTX, f, c.open().handle(), 0, 0, 0);
            assertThat(fs.handleCount()).isZero();
        }

        @Test
        void createWithOExclOverAnExistingNameIsEexist() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            assertErrno(Errno.EEXIST, () -> create("f", 0644, Fcntl.O_RDWR | Fcntl.O_CREAT | Fcntl.O_EXCL));
        }

        @Test
        void createWithoutOExclOpensWhatIsThereAndTruncatesOnRequest() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "old contents");
            Created c = create("f", 0600, Fcntl.O_WRONLY | Fcntl.O_CREAT | Fcntl.O_TRUNC);
            assertThat(Files.size(p)).isZero();
            assertThat(c.entry().inode()).isEqualTo(inode("f"));
            write(c.entry().inode(), c.open().handle(), 0, "new".getBytes(StandardCharsets.UTF_8));
            assertThat(Files.readString(p)).isEqualTo("new");
        }

        @Test
        void mknodMakesAFifoThatIsNeverOpenedOnTheHost() throws Exception {
            Entry e = fs.mknod(CTX, ROOT, n("fifo"), Linux.S_IFIFO | 0644, 0, 0);
            assertThat(e.attr().mode()).isEqualTo(Linux.S_IFIFO | 0644);
            assertThat(Files.isRegularFile(share.resolve("fifo"), LinkOption.NOFOLLOW_LINKS)).isFalse();
            // Opening a FIFO would block a worker until a writer came: refused.
            assertErrno(Errno.ENXIO, () -> fs.open(CTX, e.inode(), Fcntl.O_RDONLY, false));
            assertErrno(Errno.EEXIST, () -> fs.mknod(CTX, ROOT, n("fifo"), Linux.S_IFIFO | 0644, 0, 0));
        }

        @Test
        void deviceNodesAreRefusedByDefaultButTheWhiteoutDevice() throws Exception {
            assertErrno(Errno.EPERM, () -> fs.mknod(CTX, ROOT, n("sda"), Linux.S_IFBLK | 0666, StatxDecoder.encodeDev(8, 0),
                    0));
            assertErrno(Errno.EPERM, () -> fs.mknod(CTX, ROOT, n("mem"), Linux.S_IFCHR | 0666, StatxDecoder.encodeDev(1, 1),
                    0));
            assertThat(share.resolve("sda")).doesNotExist();
            assumeTrue(IS_ROOT, "mknod of a device needs root");
            Entry whiteout = fs.mknod(CTX, ROOT, n("wh"), Linux.S_IFCHR, 0, 0);
            assertThat(whiteout.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFCHR);
        }

        @Test
        void mknodOfADeviceCarriesItsNumberAndIsNeverOpened() throws Exception {
            assumeTrue(IS_ROOT, "mknod of a device needs root");
            fs.close();
            fs = open(PassthroughConfig.defaults().withDeviceNodes(true));
            int rdev = StatxDecoder.encodeDev(1, 3);
            Entry e = fs.mknod(CTX, ROOT, n("null"), Linux.S_IFCHR | 0666, rdev, 0);
            assertThat(e.attr().mode()).isEqualTo(Linux.S_IFCHR | 0666);
            assertThat(e.attr().rdev()).isEqualTo(0x103);
            assertThat(Files.getAttribute(share.resolve("null"), "unix:rdev")).isEqualTo(0x103L);
            assertErrno(Errno.ENXIO, () -> fs.open(CTX, e.inode(), Fcntl.O_RDWR, false));
            // CREATE without O_EXCL over it (a guest racing its own mknod) must not open it either.
            assertErrno(Errno.ENXIO, () -> create("null", 0666, Fcntl.O_RDWR | Fcntl.O_CREAT));
        }

        @Test
        void aLargeDeviceNumberRoundTrips() {
            assertThat(StatxDecoder.encodeDev(300, 70000)).isEqualTo(0x11112c70);
        }

        @Test
        void symlinkAndReadlink() throws Exception {
            Entry e = fs.symlink(CTX, n("../some/where"), ROOT, n("l"));
            assertThat(e.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFLNK);
            assertThat(e.attr().size()).isEqualTo(13);
            assertThat(Files.readSymbolicLink(share.resolve("l"))).isEqualTo(Path.of("../some/where"));
            assertThat(fs.readlink(CTX, e.inode())).isEqualTo(n("../some/where"));
            assertErrno(Errno.EEXIST, () -> fs.symlink(CTX, n("x"), ROOT, n("l")));
        }

        @Test
        void readlinkOfAFileIsEinval() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            assertErrno(Errno.EINVAL, () -> fs.readlink(CTX, f));
        }

        @Test
        void linkMakesASecondNameOfTheSameInode() throws Exception {
            Files.writeString(share.resolve("a"), "a");
            long a = inode("a");
            Entry b = fs.link(CTX, a, ROOT, n("b"));
            assertThat(b.inode()).isEqualTo(a);
            assertThat(b.attr().nlink()).isEqualTo(2);
            assertThat(Files.isSameFile(share.resolve("a"), share.resolve("b"))).isTrue();
            assertErrno(Errno.EEXIST, () -> fs.link(CTX, a, ROOT, n("b")));
        }

        @Test
        void linkingADirectoryIsRefused() throws Exception {
            Files.createDirectory(share.resolve("d"));
            long d = inode("d");
            assertErrno(Errno.EPERM, () -> fs.link(CTX, d, ROOT, n("d2")));
        }

        @Test
        void creationInADirectoryThatIsGoneIsEnoent() throws Exception {
            Files.createDirectory(share.resolve("d"));
            long d = inode("d");
            Files.delete(share.resolve("d"));
            assertErrno(Errno.ENOENT, () -> fs.mkdir(CTX, d, n("x"), 0755, 0));
            assertErrno(Errno.ENOENT, () -> fs.create(CTX, d, n("x"), 0644, Fcntl.O_RDWR, 0, false));
        }
    }

    @Nested
    class Ownership {
        @Test
        void filesTheGuestUserCreatesAreTheirsEvenWhereOnlyTheGuestsGroupsAllowedIt() throws Exception {
            assumeTrue(IS_ROOT, "creating as another user needs root");
            // Only root may write here on the host; the guest kernel decided uid 1000 may.
            Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-xr-x"));
            Context user = new Context(1000, 1001, 77);
            Created c = fs.create(user, ROOT, n("file"), 0640, Fcntl.O_RDWR, 022, false);
            Entry d = fs.mkdir(user, ROOT, n("dir"), 0750, 022);
            Entry s = fs.symlink(user, n("file"), ROOT, n("link"));
            Entry f = fs.mknod(user, ROOT, n("fifo"), Linux.S_IFIFO | 0600, 0, 022);
            for (String name : List.of("file", "dir", "link", "fifo")) {
                assertThat(uid(share.resolve(name))).as(name).isEqualTo(1000);
                assertThat(gid(share.resolve(name))).as(name).isEqualTo(1001);
            }
            assertThat(c.entry().attr().uid()).isEqualTo(1000);
            assertThat(d.attr().gid()).isEqualTo(1001);
            assertThat(s.attr().uid()).isEqualTo(1000);
            assertThat(f.attr().uid()).isEqualTo(1000);
            // The worker thread is root again afterwards.
            fs.create(CTX, ROOT, n("rootfile"), 0644, Fcntl.O_RDWR, 0, false);
            assertThat(uid(share.resolve("rootfile"))).isZero();
            assertThat(gid(share.resolve("rootfile"))).isZero();
        }

        @Test
        void aSetgidDirectoryGivesItsGroupAsTheKernelDoes() throws Exception {
            assumeTrue(IS_ROOT, "needs root");
            Path d = Files.createDirectory(share.resolve("shared"));
            Files.setAttribute(d, "unix:gid", 50);
            Files.setAttribute(d, "unix:mode", 02777);
            long dir = inode("shared");
            Context user = new Context(1000, 1000, 1);
            fs.create(user, dir, n("f"), 0644, Fcntl.O_RDWR, 0, false);
            Entry sub = fs.mkdir(user, dir, n("sub"), 0755, 0);
            assertThat(gid(d.resolve("f"))).isEqualTo(50);
            assertThat(uid(d.resolve("f"))).isEqualTo(1000);
            assertThat(sub.attr().gid()).isEqualTo(50);
            assertThat(sub.attr().mode() & 02000).as("inherits setgid").isNotZero();
        }

        @Test
        void idmappedRequestsWithoutIdsCreateAsThisProcess() throws Exception {
            Context unmapped = new Context(Context.INVALID_ID, Context.INVALID_ID, 1);
            fs.mkdir(unmapped, ROOT, n("d"), 0755, 0);
            assertThat(uid(share.resolve("d"))).isEqualTo(ThreadCredentials.geteuid());
        }
    }

    @Nested
    class Removal {
        @Test
        void unlinkAndItsErrors() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            Files.createDirectory(share.resolve("d"));
            fs.unlink(CTX, ROOT, n("f"));
            assertThat(share.resolve("f")).doesNotExist();
            assertErrno(Errno.ENOENT, () -> fs.unlink(CTX, ROOT, n("f")));
            assertErrno(Errno.EISDIR, () -> fs.unlink(CTX, ROOT, n("d")));
            assertErrno(Errno.EINVAL, () -> fs.unlink(CTX, ROOT, n("..")));
        }

        @Test
        void rmdirAndItsErrors() throws Exception {
            Files.createDirectories(share.resolve("full/x"));
            Files.createDirectory(share.resolve("empty"));
            Files.writeString(share.resolve("f"), "x");
            fs.rmdir(CTX, ROOT, n("empty"));
            assertThat(share.resolve("empty")).doesNotExist();
            assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(CTX, ROOT, n("full")));
            assertErrno(Errno.ENOTDIR, () -> fs.rmdir(CTX, ROOT, n("f")));
            assertErrno(Errno.ENOENT, () -> fs.rmdir(CTX, ROOT, n("empty")));
        }

        @Test
        void anUnlinkedOpenFileStaysReadableThroughItsHandle() throws Exception {
            Files.writeString(share.resolve("f"), "still here");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            fs.unlink(CTX, ROOT, n("f"));
            assertThat(new String(read(f, h, 0, 64), StandardCharsets.UTF_8)).isEqualTo("still here");
            assertThat(fs.getattr(CTX, f, OptionalLong.empty()).attr().nlink()).isZero();
        }
    }

    @Nested
    class Renaming {
        @Test
        void renameMovesBetweenDirectoriesAndReplaces() throws Exception {
            Files.createDirectory(share.resolve("a"));
            Files.createDirectory(share.resolve("b"));
            Files.writeString(share.resolve("a/f"), "moved");
            Files.writeString(share.resolve("b/g"), "replaced");
            long a = inode("a");
            long b = inode("b");
            fs.rename(CTX, a, n("f"), b, n("g"), 0);
            assertThat(Files.readString(share.resolve("b/g"))).isEqualTo("moved");
            assertThat(share.resolve("a/f")).doesNotExist();
        }

        @Test
        void noReplaceRefusesAnExistingTarget() throws Exception {
            Files.writeString(share.resolve("x"), "x");
            Files.writeString(share.resolve("y"), "y");
            assertErrno(Errno.EEXIST, () -> fs.rename(CTX, ROOT, n("x"), ROOT, n("y"), FileCalls.RENAME_NOREPLACE));
            fs.rename(CTX, ROOT, n("x"), ROOT, n("z"), FileCalls.RENAME_NOREPLACE);
            assertThat(Files.readString(share.resolve("z"))).isEqualTo("x");
        }

        @Test
        void exchangeSwapsTwoNames() throws Exception {
            Files.writeString(share.resolve("x"), "x");
            Files.createDirectory(share.resolve("d"));
            fs.rename(CTX, ROOT, n("x"), ROOT, n("d"), FileCalls.RENAME_EXCHANGE);
            assertThat(Files.isDirectory(share.resolve("x"))).isTrue();
            assertThat(Files.readString(share.resolve("d"))).isEqualTo("x");
            assertErrno(Errno.ENOENT, () -> fs.rename(CTX, ROOT, n("x"), ROOT, n("missing"), FileCalls.RENAME_EXCHANGE));
        }

        @Test
        void whiteoutLeavesAWhiteoutDevice() throws Exception {
            assumeTrue(IS_ROOT, "RENAME_WHITEOUT needs CAP_MKNOD");
            Files.writeString(share.resolve("x"), "x");
            fs.rename(CTX, ROOT, n("x"), ROOT, n("y"), FileCalls.RENAME_WHITEOUT);
            assertThat(Files.readString(share.resolve("y"))).isEqualTo("x");
            Entry w = lookup("x");
            assertThat(w.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFCHR);
            assertThat(w.attr().rdev()).isZero();
        }

        @Test
        void unknownFlagsAreEinval() throws Exception {
            Files.writeString(share.resolve("x"), "x");
            assertErrno(Errno.EINVAL, () -> fs.rename(CTX, ROOT, n("x"), ROOT, n("y"), 8));
            assertErrno(Errno.EINVAL, () -> fs.rename(CTX, ROOT, n("x"), ROOT, n(".."), 0));
        }

        @Test
        void renameErrors() throws Exception {
            Files.createDirectories(share.resolve("full/x"));
            Files.createDirectory(share.resolve("d"));
            Files.writeString(share.resolve("f"), "x");
            assertErrno(Errno.ENOENT, () -> fs.rename(CTX, ROOT, n("missing"), ROOT, n("y"), 0));
            assertErrno(Errno.ENOTEMPTY, () -> fs.rename(CTX, ROOT, n("d"), ROOT, n("full"), 0));
            assertErrno(Errno.EISDIR, () -> fs.rename(CTX, ROOT, n("f"), ROOT, n("d"), 0));
            assertErrno(Errno.ENOTDIR, () -> fs.rename(CTX, ROOT, n("d"), ROOT, n("f"), 0));
            long d = inode("d");
            assertErrno(Errno.EINVAL, () -> fs.rename(CTX, ROOT, n("d"), d, n("inside"), 0));
        }
    }

    @Nested
    class Data {
        @Test
        void writesAtOffsetsFsyncAndReadBackByteExact() throws Exception {
            Created c = create("data", 0644, Fcntl.O_RDWR);
            long f = c.entry().inode();
            long h = c.open().handle();
            byte[] a = random(1 << 20, 1);
            byte[] b = random(12345, 2);
            assertThat(write(f, h, 0, a, 1, 4096, 4097, 300_000)).isEqualTo(a.length);
            assertThat(write(f, h, 777_777, b, 5000)).isEqualTo(b.length);
            fs.fsync(CTX, f, false, h);
            fs.fsync(CTX, f, true, h);
            byte[] expected = a.clone();
            System.arraycopy(b, 0, expected, 777_777, b.length);
            assertThat(Files.readAllBytes(share.resolve("data"))).isEqualTo(expected);
            assertThat(read(f, h, 0, a.length, 3, 4096, 65536, 700_000)).isEqualTo(expected);
            assertThat(read(f, h, 1000, 10)).isEqualTo(java.util.Arrays.copyOfRange(expected, 1000, 1010));
        }

        @Test
        void moreBuffersThanOneVectoredCallTakes() throws Exception {
            Created c = create("many", 0644, Fcntl.O_RDWR);
            long f = c.entry().inode();
            long h = c.open().handle();
            byte[] data = random(1500 * 3, 9);
            int[] cuts = new int[1499];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = (i + 1) * 3;
            }
            assertThat(write(f, h, 0, data, cuts)).isEqualTo(data.length);
            assertThat(Files.readAllBytes(share.resolve("many"))).isEqualTo(data);
            assertThat(read(f, h, 0, data.length, cuts)).isEqualTo(data);
        }

        @Test
        void readsStopAtTheEndOfTheFile() throws Exception {
            Files.writeString(share.resolve("f"), "short");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            assertThat(read(f, h, 0, 4096, 2)).containsExactly('s', 'h', 'o', 'r', 't');
            assertThat(read(f, h, 3, 100)).containsExactly('r', 't');
            assertThat(read(f, h, 5, 100)).isEmpty();
            assertThat(read(f, h, 1 << 30, 100)).isEmpty();
        }

        @Test
        void heapSegmentsWorkToo() throws Exception {
            Created c = create("h", 0644, Fcntl.O_RDWR);
            long f = c.entry().inode();
            long h = c.open().handle();
            byte[] data = random(100_000, 3);
            int n = fs.write(CTX, f, h, 10, List.of(MemorySegment.ofArray(data.clone()).asReadOnly()), 0, 0);
            assertThat(n).isEqualTo(data.length);
            byte[] back = new byte[data.length];
            assertThat(fs.read(CTX, f, h, 10, List.of(MemorySegment.ofArray(back)), 0)).isEqualTo(data.length);
            assertThat(back).isEqualTo(data);
        }

        @Test
        void openWithTruncAndWithAppend() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "0123456789");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_WRONLY | Fcntl.O_APPEND, false).handle();
            write(f, h, 0, "ab".getBytes(StandardCharsets.UTF_8));
            assertThat(Files.readString(p)).isEqualTo("0123456789ab");
            fs.open(CTX, f, Fcntl.O_WRONLY | Fcntl.O_TRUNC, false);
            assertThat(Files.size(p)).isZero();
        }

        @Test
        void oDirectIsDroppedSoUnalignedIoWorks() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_RDWR | Fcntl.O_DIRECT, false).handle();
            assertThat(write(f, h, 3, "xyz".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
            assertThat(Files.size(p)).isEqualTo(6);
        }

        @Test
        void theHandleKeepsTheAccessModeAskedFor() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            long ro = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            long wo = fs.open(CTX, f, Fcntl.O_WRONLY, false).handle();
            assertErrno(Errno.EBADF, () -> write(f, ro, 0, new byte[] {1}));
            assertErrno(Errno.EBADF, () -> read(f, wo, 0, 1));
            assertErrno(Errno.EBADF, () -> read(f, 4711, 0, 1));
        }

        @Test
        void aWriteFlaggedKillSuidgidClearsSetuid() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 06755, 0, 0));
            long h = fs.open(CTX, f, Fcntl.O_WRONLY, false).handle();
            fs.write(CTX, f, h, 0, List.of(bytes(new byte[] {'y'})), 0, 0);
            assertThat(mode(p) & 07777).as("root's own write keeps the bits").isEqualTo(06755);
            fs.write(CTX, f, h, 0, List.of(bytes(new byte[] {'z'})), FsFlags.WRITE_KILL_SUIDGID, 0);
            assertThat(mode(p) & 07777).isEqualTo(0755);
        }

        @Test
        void anOpenForTruncationFlaggedKillSuidgidClearsSetuid() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            fs.setattr(CTX, f, new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 04755, 0, 0));
            fs.open(CTX, f, Fcntl.O_WRONLY, true);
            assertThat(mode(p) & 07777).as("no truncation, nothing to kill").isEqualTo(04755);
            fs.open(CTX, f, Fcntl.O_WRONLY | Fcntl.O_TRUNC, true);
            assertThat(mode(p) & 07777).isEqualTo(0755);
        }

        @Test
        void flushIsEnosysSoTheGuestStopsSendingIt() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_RDONLY, false).handle();
            assertErrno(Errno.ENOSYS, () -> fs.flush(CTX, f, h, 0));
        }

        @Test
        void fsyncOfAnUnknownHandleIsEbadf() {
            assertErrno(Errno.EBADF, () -> fs.fsync(CTX, ROOT, false, 999));
            assertErrno(Errno.EBADF, () -> fs.release(CTX, ROOT, 999, 0, 0, 0));
        }

        @Test
        void fallocateModesAndSeekDataAndHole() throws Exception {
            Created c = create("sparse", 0644, Fcntl.O_RDWR);
            long f = c.entry().inode();
            long h = c.open().handle();
            fs.fallocate(CTX, f, h, 0, 0, 8192);
            assertThat(Files.size(share.resolve("sparse"))).isEqualTo(8192);
            fs.fallocate(CTX, f, h, 1, 8192, 8192);
            assertThat(Files.size(share.resolve("sparse"))).as("KEEP_SIZE").isEqualTo(8192);
            write(f, h, 1 << 20, new byte[4096]);
            long data = fs.lseek(CTX, f, h, 100_000, Fcntl.SEEK_DATA);
            assertThat(data).isEqualTo(1 << 20);
            assertThat(fs.lseek(CTX, f, h, 100_000, Fcntl.SEEK_HOLE)).isEqualTo(100_000);
            assertErrno(Errno.ENXIO, () -> fs.lseek(CTX, f, h, (1 << 20) + 8192, Fcntl.SEEK_DATA));
            write(f, h, 0, random(8192, 4));
            fs.fallocate(CTX, f, h, 0x01 | 0x02, 0, 4096);
            assertThat(read(f, h, 0, 4096)).containsOnly(0);
            assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(CTX, f, h, 0x02, 0, 4096));
        }

        @Test
        void copyFileRangeCopiesBetweenHandles() throws Exception {
            Files.writeString(share.resolve("in"), "0123456789");
            long in = inode("in");
            long hin = fs.open(CTX, in, Fcntl.O_RDONLY, false).handle();
            Created out = create("out", 0644, Fcntl.O_RDWR);
            long n = fs.copyFileRange(CTX, in, hin, 2, out.entry().inode(), out.open().handle(), 1, 5, 0);
            assertThat(n).isEqualTo(5);
            assertThat(Files.readAllBytes(share.resolve("out"))).containsExactly(0, '2', '3', '4', '5', '6');
            assertErrno(Errno.EBADF, () -> fs.copyFileRange(CTX, in, hin, 0, out.entry().inode(), hin, 0, 5, 0));
        }

        @Test
        void ioctlIsEnotty() {
            assertErrno(Errno.ENOTTY, () -> fs.ioctl(CTX, ROOT, 0, 0, 0x5401, 0, new byte[0], 0));
        }

        @Test
        void locksAreRefusedSoTheGuestKeepsThemLocal() {
            assertErrno(Errno.ENOSYS, () -> fs.getlk(CTX, ROOT, 0, 0, new FileLock(0, 0, 0, 0), 0));
            assertErrno(Errno.ENOSYS, () -> fs.setlk(CTX, ROOT, 0, 0, new FileLock(0, 0, 0, 0), 0, false));
        }
    }

    /** A version 2 {@code security.capability}: CAP_NET_RAW permitted, nothing effective. */
    static final byte[] CAP_NET_RAW_PERMITTED = {0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** {@code system.posix_acl_access} for u::rw-,u:1234:r--,g::r--,m::r--,o::r--. */
    static final byte[] ACL_USER_1234_READ = {2, 0, 0, 0,
            1, 0, 6, 0, -1, -1, -1, -1,
            2, 0, 4, 0, (byte) 0xD2, 4, 0, 0,
            4, 0, 4, 0, -1, -1, -1, -1,
            0x10, 0, 4, 0, -1, -1, -1, -1,
            0x20, 0, 4, 0, -1, -1, -1, -1};

    /** The value of host attribute {@code name} of {@code path} (followed), or null if it has none. */
    byte[] hostGet(Path path, String name) {
        MemorySegment value = arena.allocate(WorkerState.XATTR_MAX);
        long n = FileCalls.getxattr(arena.allocateFrom(path.toString()), arena.allocateFrom(name), value);
        if (n == -Errno.ENODATA.code()) {
            return null;
        }
        assertThat(n).as("getxattr %s %s", path, name).isNotNegative();
        return value.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    void hostSet(Path path, String name, byte[] value) {
        MemorySegment v = arena.allocate(Math.max(1, value.length)).asSlice(0, value.length);
        MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
        assertThat(FileCalls.setxattr(arena.allocateFrom(path.toString()), arena.allocateFrom(name), v, 0))
                .as("setxattr %s %s", path, name).isZero();
    }

    /** The host's names of {@code path}'s attributes. */
    List<String> hostList(Path path) {
        MemorySegment list = arena.allocate(WorkerState.XATTR_MAX);
        long n = FileCalls.listxattr(arena.allocateFrom(path.toString()), list);
        assertThat(n).as("listxattr %s", path).isNotNegative();
        List<String> names = new ArrayList<>();
        for (String name : new String(list.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)
                .split("\0")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    @Nested
    class ExtendedAttributes {
        @BeforeEach
        void needUserXattrs() throws IOException {
            Path probe = Files.writeString(tmp.resolve("probe"), "");
            try {
                java.nio.file.attribute.UserDefinedFileAttributeView v = Files.getFileAttributeView(probe,
                        java.nio.file.attribute.UserDefinedFileAttributeView.class);
                v.write("probe", java.nio.ByteBuffer.wrap(new byte[] {1}));
            } catch (IOException e) {
                assumeTrue(false, "no user xattrs on the temporary directory's filesystem: " + e);
            }
        }

        @Test
        void setGetListRemove() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            fs.setxattr(CTX, f, n("user.one"), "1".getBytes(StandardCharsets.UTF_8), 0, 0);
            fs.setxattr(CTX, f, n("user.two"), new byte[0], 0, 0);
            assertThat(fs.getxattr(CTX, f, n("user.one"), 0)).containsExactly('1');
            assertThat(fs.getxattr(CTX, f, n("user.two"), 100)).isEmpty();
            assertThat(fs.listxattr(CTX, f, 0)).contains(n("user.one"), n("user.two"));
            fs.removexattr(CTX, f, n("user.one"));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, f, n("user.one"), 10));
            assertErrno(Errno.ENODATA, () -> fs.removexattr(CTX, f, n("user.one")));
        }

        @Test
        void createAndReplaceFlags() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            assertErrno(Errno.ENODATA, () -> fs.setxattr(CTX, f, n("user.k"), new byte[] {1}, FileCalls.XATTR_REPLACE, 0));
            fs.setxattr(CTX, f, n("user.k"), new byte[] {1}, FileCalls.XATTR_CREATE, 0);
            assertErrno(Errno.EEXIST, () -> fs.setxattr(CTX, f, n("user.k"), new byte[] {2}, FileCalls.XATTR_CREATE, 0));
            fs.setxattr(CTX, f, n("user.k"), new byte[] {3}, FileCalls.XATTR_REPLACE, 0);
            assertThat(fs.getxattr(CTX, f, n("user.k"), 0)).containsExactly(3);
        }

        @Test
        void aLargeValueRoundTrips() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            byte[] big = random(3000, 5);
            fs.setxattr(CTX, f, n("user.big"), big, 0, 0);
            assertThat(fs.getxattr(CTX, f, n("user.big"), 0)).isEqualTo(big);
            assertErrno(Errno.E2BIG, () -> fs.setxattr(CTX, f, n("user.huge"), new byte[70_000], 0, 0));
        }

        @Test
        void onASymlinkTheyAreTheLinksOwnNeverTheTargets() throws Exception {
            Path target = Files.writeString(outside.resolve("target"), "x");
            hostSet(target, "user.mark", new byte[] {7});
            Files.createSymbolicLink(share.resolve("l"), target);
            long l = inode("l");
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, l, n("user.mark"), 0));
            assertThat(fs.listxattr(CTX, l, 0)).doesNotContain(n("user.mark"));
            // Linux keeps user.* attributes, and so the guest's mapped trusted.*, off symlinks.
            assertErrno(Errno.EPERM, () -> fs.setxattr(CTX, l, n("user.mark"), new byte[] {8}, 0, 0));
            assertErrno(Errno.EPERM, () -> fs.setxattr(CTX, l, n("trusted.mark"), new byte[] {8}, 0, 0));
            assertThat(hostGet(target, "user.mark")).containsExactly(7);
            assertThat(hostList(target)).containsExactly("user.mark");
        }

        @Test
        void aGuestsTrustedAttributeIsKrunctlsUserAttributeOnTheHost() throws Exception {
            Path dir = Files.createDirectory(share.resolve("upper"));
            long d = inode("upper");
            fs.setxattr(CTX, d, n("trusted.overlay.opaque"), new byte[] {'y'}, 0, 0);

            assertThat(hostGet(dir, "user.krunctl.trusted.overlay.opaque")).containsExactly('y');
            assertThat(hostGet(dir, "trusted.overlay.opaque")).as("an overlay on the host would obey it").isNull();
            assertThat(fs.getxattr(CTX, d, n("trusted.overlay.opaque"), 0)).containsExactly('y');
            assertThat(fs.listxattr(CTX, d, 0)).contains(n("trusted.overlay.opaque"))
                    .noneMatch(name -> name.toString().startsWith("user.krunctl."));

            fs.removexattr(CTX, d, n("trusted.overlay.opaque"));
            assertThat(hostList(dir)).doesNotContain("user.krunctl.trusted.overlay.opaque");
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, d, n("trusted.overlay.opaque"), 0));
        }

        @Test
        void aGuestsFileCapabilityNeverTakesEffectOnTheHost() throws Exception {
            Path file = Files.writeString(share.resolve("tool"), "#!/bin/sh\n");
            long f = inode("tool");
            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);

            assertThat(hostGet(file, "security.capability")).isNull();
            assertThat(hostGet(file, "user.krunctl.security.capability")).isEqualTo(CAP_NET_RAW_PERMITTED);
            assertThat(fs.getxattr(CTX, f, n("security.capability"), 0)).isEqualTo(CAP_NET_RAW_PERMITTED);
            assertThat(fs.listxattr(CTX, f, 0)).contains(n("security.capability"));
        }

        @Test
        void theHostsOwnPrivilegedAttributesAreHiddenFromTheGuest() throws Exception {
            assumeTrue(IS_ROOT, "trusted.* needs root");
            Path dir = Files.createDirectory(share.resolve("upper"));
            hostSet(dir, "trusted.overlay.opaque", new byte[] {'y'});
            hostSet(dir, "user.visible", new byte[] {1});
            long d = inode("upper");

            assertThat(fs.listxattr(CTX, d, 0)).contains(n("user.visible"))
                    .doesNotContain(n("trusted.overlay.opaque"));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, d, n("trusted.overlay.opaque"), 0));
            assertErrno(Errno.ENODATA, () -> fs.removexattr(CTX, d, n("trusted.overlay.opaque")));
            assertThat(hostGet(dir, "trusted.overlay.opaque")).containsExactly('y');
        }

        @Test
        void theGuestCannotForgeOrReadKrunctlsNamesDirectly() throws Exception {
            Path dir = Files.createDirectory(share.resolve("upper"));
            long d = inode("upper");
            fs.setxattr(CTX, d, n("trusted.overlay.opaque"), new byte[] {'y'}, 0, 0);

            assertErrno(Errno.EPERM, () -> fs.setxattr(CTX, d, n("user.krunctl.trusted.overlay.opaque"),
                    new byte[] {'n'}, 0, 0));
            assertErrno(Errno.EPERM, () -> fs.setxattr(CTX, d, n("user.krunctl.trusted.overlay.redirect"),
                    "/elsewhere".getBytes(StandardCharsets.UTF_8), 0, 0));
            assertErrno(Errno.EPERM, () -> fs.removexattr(CTX, d, n("user.krunctl.trusted.overlay.opaque")));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, d, n("user.krunctl.trusted.overlay.opaque"), 0));
            assertThat(hostList(dir)).containsExactly("user.krunctl.trusted.overlay.opaque");
            assertThat(hostGet(dir, "user.krunctl.trusted.overlay.opaque")).containsExactly('y');
        }

        @Test
        void aWriteTruncationOrChownTheGuestFlagsDropsTheGuestsFileCapability() throws Exception {
            Path p = Files.writeString(share.resolve("tool"), "0123456789");
            long f = inode("tool");
            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);
            long h = fs.open(CTX, f, Fcntl.O_WRONLY, false).handle();
            fs.write(CTX, f, h, 0, List.of(bytes(new byte[] {'y'})), FsFlags.WRITE_KILL_SUIDGID, 0);
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, f, n("security.capability"), 0));
            assertThat(hostList(p)).isEmpty();

            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);
            fs.setattr(CTX, f, new SetAttr(SetAttr.SIZE | SetAttr.KILL_SUIDGID, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, f, n("security.capability"), 0));

            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);
            fs.open(CTX, f, Fcntl.O_WRONLY | Fcntl.O_TRUNC, true);
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, f, n("security.capability"), 0));

            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);
            int uid = IS_ROOT ? 4242 : ThreadCredentials.geteuid();
            fs.setattr(CTX, f, new SetAttr(SetAttr.UID | SetAttr.KILL_SUIDGID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, uid, 0));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, f, n("security.capability"), 0));

            // Unflagged (the guest kernel drops it itself, or a privileged caller wrote), it stays.
            fs.setxattr(CTX, f, n("security.capability"), CAP_NET_RAW_PERMITTED, 0, 0);
            fs.write(CTX, f, h, 0, List.of(bytes(new byte[] {'z'})), 0, 0);
            assertThat(fs.getxattr(CTX, f, n("security.capability"), 0)).isEqualTo(CAP_NET_RAW_PERMITTED);
        }

        @Test
        void aclsPassThroughUnchanged() throws Exception {
            Path file = Files.writeString(share.resolve("f"), "x");
            long f = inode("f");
            try {
                fs.setxattr(CTX, f, n("system.posix_acl_access"), ACL_USER_1234_READ, 0, 0);
            } catch (FsException e) {
                assumeTrue(e.errno() != Errno.EOPNOTSUPP, "no POSIX ACLs on the temporary directory's filesystem");
                throw e;
            }
            assertThat(hostGet(file, "system.posix_acl_access")).isEqualTo(ACL_USER_1234_READ);
            assertThat(fs.getxattr(CTX, f, n("system.posix_acl_access"), 0)).isEqualTo(ACL_USER_1234_READ);
            assertThat(fs.listxattr(CTX, f, 0)).contains(n("system.posix_acl_access"));
        }

        @Test
        void turnedOffTheyAreEnosys() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.defaults().withXattr(false));
            assertErrno(Errno.ENOSYS, () -> fs.getxattr(CTX, ROOT, n("user.x"), 0));
            assertErrno(Errno.ENOSYS, () -> fs.listxattr(CTX, ROOT, 0));
            assertErrno(Errno.ENOSYS, () -> fs.setxattr(CTX, ROOT, n("user.x"), new byte[0], 0, 0));
            assertErrno(Errno.ENOSYS, () -> fs.removexattr(CTX, ROOT, n("user.x")));
        }
    }

    @Nested
    class Directories {
        @Test
        void readdirListsEveryNameOnceAcrossManySmallReplies() throws Exception {
            Set<String> expected = new HashSet<>(List.of(".", ".."));
            for (int i = 0; i < 500; i++) {
                String name = "entry-" + i + "-" + "x".repeat(i % 40);
                Files.writeString(share.resolve(name), "");
                expected.add(name);
            }
            long h = fs.opendir(CTX, ROOT, 0).handle();
            List<DirEntry> all = listAll(ROOT, h, 7);
            assertThat(all).extracting(e -> e.name().toString()).containsExactlyInAnyOrderElementsOf(expected);
            DirEntry some = all.stream().filter(e -> e.name().toString().startsWith("entry-1-")).findFirst()
                    .orElseThrow();
            assertThat(some.type()).isEqualTo(Linux.DT_REG);
            assertThat(some.inode()).isEqualTo(Files.getAttribute(share.resolve(some.name().toString()),
                    "unix:ino"));
            // Starting over from offset 0 sees the directory as it is now.
            Files.createDirectory(share.resolve("late"));
            assertThat(listAll(ROOT, h, 1000)).hasSize(expected.size() + 1);
            fs.releasedir(CTX, ROOT, h, 0);
            assertThat(fs.handleCount()).isZero();
        }

        @Test
        void readdirplusTakesOneLookupPerEntryButDotAndDotDot() throws Exception {
            for (String s : List.of("a", "b", "c")) {
                Files.writeString(share.resolve(s), s);
            }
            Files.createDirectory(share.resolve("d"));
            long before = openDescriptors();
            long h = fs.opendir(CTX, ROOT, 0).handle();
            List<Entry> entries = new ArrayList<>();
            List<DirEntry> names = new ArrayList<>();
            fs.readdirplus(CTX, ROOT, h, 0, (e, a) -> {
                names.add(e);
                entries.add(a);
                return true;
            });
            assertThat(names).extracting(e -> e.name().toString())
                    .containsExactlyInAnyOrder(".", "..", "a", "b", "c", "d");
            for (int i = 0; i < names.size(); i++) {
                boolean dot = names.get(i).name().isDotOrDotDot();
                assertThat(entries.get(i).inode() == 0).as(names.get(i).name().toString()).isEqualTo(dot);
                if (!dot) {
                    assertThat(entries.get(i).attr().inode()).isEqualTo(names.get(i).inode());
                    assertThat(entries.get(i).attr().mode() & Linux.S_IFMT)
                            .isEqualTo(names.get(i).type() << 12);
                }
            }
            assertThat(fs.inodeCount()).isEqualTo(5);
            assertThat(openDescriptors()).as("four inodes and the handle").isEqualTo(before + 5);
            for (Entry e : entries) {
                fs.forget(e.inode(), 1);
            }
            fs.releasedir(CTX, ROOT, h, 0);
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertThat(openDescriptors()).isEqualTo(before);
        }

        @Test
        void aFullReaddirplusReplyGivesBackTheLookupItTook() throws Exception {
            emptyFiles(50);
            long h = fs.opendir(CTX, ROOT, 0).handle();
            List<Long> held = new ArrayList<>();
            Set<String> seen = listRootInBatches(h, 4, held);
            assertThat(seen).hasSize(52);
            assertThat(held).hasSize(50);
            assertThat(fs.inodeCount()).isEqualTo(51);
            held.forEach(i -> fs.forget(i, 1));
            assertThat(fs.inodeCount()).as("refused entries took nothing").isEqualTo(1);
        }

        @Test
        void aReplyThatSaysItIsFullGetsNoFurtherEntryNorLookup() throws Exception {
            emptyFiles(20);
            long h = fs.opendir(CTX, ROOT, 0).handle();
            List<Long> held = new ArrayList<>();
            fs.readdirplus(CTX, ROOT, h, 0, new DirectoryPlusSink() {
                @Override
                public boolean add(DirEntry entry, Entry attributes) {
                    assertThat(held.size()).as("entries added after the sink was full").isLessThan(5);
                    if (attributes.inode() != 0) {
                        held.add(attributes.inode());
                    }
                    return true;
                }

                @Override
                public boolean fits(Name name) {
                    return held.size() < 5;
                }
            });
            assertThat(held).hasSize(5);
            assertThat(fs.inodeCount()).as("the root and the five listed").isEqualTo(6);
            held.forEach(i -> fs.forget(i, 1));
            fs.releasedir(CTX, ROOT, h, 0);
        }

        @Test
        void namesOfTheLongestLengthAreListedEveryOne() throws Exception {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                String name = String.valueOf((char) ('a' + i)).repeat(255);
                Files.writeString(share.resolve(name), "");
                names.add(name);
            }
            long h = fs.opendir(CTX, ROOT, 0).handle();
            List<Long> held = new ArrayList<>();
            Set<String> seen = listRootInBatches(h, Integer.MAX_VALUE, held);
            assertThat(seen).containsAll(names).hasSize(names.size() + 2);
            held.forEach(i -> fs.forget(i, 1));
            fs.releasedir(CTX, ROOT, h, 0);
        }

        @Test
        void opendirOfAFileIsEnotdirAndReleasingTwiceIsEbadf() throws Exception {
            Files.writeString(share.resolve("f"), "");
            long f = inode("f");
            assertErrno(Errno.ENOTDIR, () -> fs.opendir(CTX, f, 0));
            long h = fs.opendir(CTX, ROOT, 0).handle();
            fs.releasedir(CTX, ROOT, h, 0);
            assertErrno(Errno.EBADF, () -> fs.releasedir(CTX, ROOT, h, 0));
            assertErrno(Errno.EBADF, () -> fs.readdir(CTX, ROOT, h, 0, e -> true));
        }

        @Test
        void fsyncdirAndLseekOnADirectory() throws Exception {
            long h = fs.opendir(CTX, ROOT, 0).handle();
            fs.fsyncdir(CTX, ROOT, false, h);
            fs.fsyncdir(CTX, ROOT, true, h);
            assertErrno(Errno.EINVAL, () -> fs.lseek(CTX, ROOT, h, 0, Fcntl.SEEK_DATA));
        }
    }

    /** A kernel with zero-message opendir: it lists and syncs directories with handle 0. */
    @Nested
    class HandlelessDirectories {
        @BeforeEach
        void kernelThatSkipsOpendir() {
            fs.init(ALL_CAPABLE);
        }

        @Test
        void opendirAnswersEnosysSoTheKernelStopsSendingIt() throws Exception {
            Files.createDirectory(share.resolve("d"));
            assertErrno(Errno.ENOSYS, () -> fs.opendir(CTX, ROOT, 0));
            Files.writeString(share.resolve("f"), "");
            long f = inode("f");
            assertErrno(Errno.ENOTDIR, () -> fs.opendir(CTX, f, 0));
            assertThat(fs.handleCount()).isZero();
        }

        @Test
        void listingsInManySmallRepliesSeeEveryNameOnceAndLeaveNoDescriptor() throws Exception {
            emptyFiles(300);
            long before = openDescriptors();
            List<Long> held = new ArrayList<>();
            Set<String> seen = listRootInBatches(0, 7, held);
            assertThat(seen).hasSize(302);
            assertThat(openDescriptors()).as("one O_PATH descriptor per listed inode").isEqualTo(before + 300);
            held.forEach(i -> fs.forget(i, 1));
            assertThat(openDescriptors()).isEqualTo(before);

            List<String> plain = new ArrayList<>();
            fs.readdir(CTX, ROOT, 0, 0, e -> plain.add(e.name().toString()));
            assertThat(plain).hasSize(302).containsAll(seen);
            assertThat(openDescriptors()).isEqualTo(before);
        }

        @Test
        void fsyncdirAndListingOfAFileWithoutAHandle() throws Exception {
            Files.createDirectory(share.resolve("d"));
            fs.fsyncdir(CTX, inode("d"), false, 0);
            fs.fsyncdir(CTX, inode("d"), true, 0);
            Files.writeString(share.resolve("f"), "");
            long f = inode("f");
            assertErrno(Errno.ENOTDIR, () -> fs.readdir(CTX, f, 0, 0, e -> true));
            assertErrno(Errno.ENOTDIR, () -> fs.fsyncdir(CTX, f, false, 0));
        }

        @Test
        void cacheNeverKeepsOpeningDirectories() throws Exception {
            fs.close();
            fs = new PassthroughFs(share, new InodeAllocator(), PassthroughConfig.of(CachePolicy.NEVER));
            fs.init(ALL_CAPABLE);
            long h = fs.opendir(CTX, ROOT, 0).handle();
            assertThat(h).isNotZero();
            fs.releasedir(CTX, ROOT, h, 0);
        }
    }

    @Nested
    class CachePolicies {
        @Test
        void neverBypassesThePageCacheAndTrustsNothing() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.of(CachePolicy.NEVER));
            Files.writeString(share.resolve("f"), "x");
            Entry e = lookup("f");
            assertThat(e.entryTimeout()).isZero();
            assertThat(e.attrTimeout()).isZero();
            assertThat(fs.open(CTX, e.inode(), Fcntl.O_RDONLY, false).openFlags()).isEqualTo(OpenResult.DIRECT_IO);
            assertThat(fs.opendir(CTX, ROOT, 0).openFlags()).isZero();
        }

        @Test
        void alwaysKeepsDataAndListings() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.of(CachePolicy.ALWAYS));
            Files.writeString(share.resolve("f"), "x");
            Entry e = lookup("f");
            assertThat(e.entryTimeout()).isEqualTo(Duration.ofDays(1));
            assertThat(fs.open(CTX, e.inode(), Fcntl.O_RDONLY, false).openFlags()).isEqualTo(OpenResult.KEEP_CACHE);
            assertThat(fs.opendir(CTX, ROOT, 0).openFlags()).isEqualTo(OpenResult.CACHE_DIR | OpenResult.KEEP_CACHE);
            assertThat(fs.create(CTX, ROOT, n("g"), 0644, Fcntl.O_RDWR, 0, false).open().openFlags())
                    .isEqualTo(OpenResult.KEEP_CACHE);
        }

        @Test
        void autoTrustsNamesAndAttributesForOneSecondAsVirtiofsdDoes() throws Exception {
            Files.writeString(share.resolve("f"), "x");
            Entry e = lookup("f");
            assertThat(e.entryTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(e.attrTimeout()).isEqualTo(Duration.ofSeconds(1));
        }

        @Test
        void autoKeepsTheGuestsPagesOfAFileReopenedUnchanged() throws Exception {
            settle(Files.writeString(share.resolve("f"), "program"));
            long f = inode("f");
            assertThat(openFlags(f)).as("first open: nothing cached yet to keep").isZero();
            assertThat(openFlags(f)).as("unchanged").isEqualTo(OpenResult.KEEP_CACHE);
            assertThat(openFlags(f)).as("still unchanged").isEqualTo(OpenResult.KEEP_CACHE);
        }

        @Test
        void autoDropsTheGuestsPagesOfAFileTheHostChanged() throws Exception {
            Path p = settle(Files.writeString(share.resolve("f"), "version 1"));
            long f = inode("f");
            openFlags(f);
            assertThat(openFlags(f)).isEqualTo(OpenResult.KEEP_CACHE);
            Files.writeString(p, "version 2");
            assertThat(openFlags(f)).as("rewritten, same size").isZero();
            settle(p);
            openFlags(f);
            assertThat(openFlags(f)).as("unchanged since").isEqualTo(OpenResult.KEEP_CACHE);
            Files.writeString(p, "!", java.nio.file.StandardOpenOption.APPEND);
            assertThat(openFlags(f)).as("appended").isZero();
            settle(p);
            openFlags(f);
            Files.write(p, new byte[0]);
            assertThat(openFlags(f)).as("truncated").isZero();
        }

        @Test
        void autoSeesARewriteThatRestoresSizeAndModificationTime() throws Exception {
            Path p = Files.writeString(share.resolve("f"), "aaaa");
            FileTime mtime = FileTime.fromMillis(1_000_000_000_000L);
            settle(Files.setLastModifiedTime(p, mtime));
            long f = inode("f");
            openFlags(f);
            assertThat(openFlags(f)).isEqualTo(OpenResult.KEEP_CACHE);
            Files.writeString(p, "bbbb");
            Files.setLastModifiedTime(p, mtime);
            assertThat(openFlags(f)).as("same size and mtime, new ctime").isZero();
        }

        @Test
        void autoDropsThePagesAfterTheGuestsOwnWrite() throws Exception {
            settle(Files.writeString(share.resolve("f"), "aaaa"));
            long f = inode("f");
            openFlags(f);
            long h = fs.open(CTX, f, Fcntl.O_RDWR, false).handle();
            write(f, h, 0, "bbbb".getBytes(StandardCharsets.UTF_8));
            fs.release(CTX, f, h, 0, 0, 0);
            assertThat(openFlags(f)).isZero();
        }

        @Test
        void neverAndAlwaysIgnoreWhetherTheFileChanged() throws Exception {
            Path p = settle(Files.writeString(share.resolve("f"), "x"));
            for (CachePolicy policy : List.of(CachePolicy.NEVER, CachePolicy.ALWAYS)) {
                fs.close();
                fs = open(PassthroughConfig.of(policy));
                long f = inode("f");
                int expected = policy == CachePolicy.NEVER ? OpenResult.DIRECT_IO : OpenResult.KEEP_CACHE;
                assertThat(openFlags(f)).as(policy.toString()).isEqualTo(expected);
                Files.writeString(p, "yy");
                assertThat(openFlags(f)).as(policy + ", changed").isEqualTo(expected);
            }
        }

        /**
         * Waits until {@code p}'s change time is old enough to tell it from the next change
         * ({@link DataVersion#SETTLE_MILLIS}): a file just written could be rewritten within the same
         * clock tick, so the device does not trust it yet.
         */
        Path settle(Path p) throws Exception {
            FileTime ctime = (FileTime) Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
            long wait = ctime.toMillis() + DataVersion.SETTLE_MILLIS + 2 - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
            return p;
        }

        /** Opens {@code f} read-only, closes it again, and answers the FOPEN flags of that open. */
        int openFlags(long f) throws FsException {
            OpenResult o = fs.open(CTX, f, Fcntl.O_RDONLY, false);
            fs.release(CTX, f, o.handle(), 0, 0, 0);
            return o.openFlags();
        }

        @Test
        void explicitTimeoutsAreUsed() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.defaults().withTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(3)));
            Files.writeString(share.resolve("f"), "x");
            Entry e = lookup("f");
            assertThat(e.entryTimeout()).isEqualTo(Duration.ofMillis(1500));
            assertThat(e.attrTimeout()).isEqualTo(Duration.ofSeconds(3));
            assertThat(fs.getattr(CTX, e.inode(), OptionalLong.empty()).timeout()).isEqualTo(Duration.ofSeconds(3));
        }

        @Test
        void writebackOpensWriteOnlyFilesReadWriteAndWithoutAppend() throws Exception {
            fs.close();
            fs = open(PassthroughConfig.defaults().withWriteback(true));
            Path p = Files.writeString(share.resolve("f"), "0123456789");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_WRONLY | Fcntl.O_APPEND, false).handle();
            assertThat(read(f, h, 0, 4)).as("the guest kernel reads around partial pages").containsExactly('0', '1',
                    '2', '3');
            write(f, h, 2, "AB".getBytes(StandardCharsets.UTF_8));
            assertThat(Files.readString(p)).as("the guest positions appends itself").isEqualTo("01AB456789");
        }

        @Test
        void writebackIsOnlyUsedWhenTheGuestKernelAgreed() throws Exception {
            fs.close();
            fs = new PassthroughFs(share, new InodeAllocator(), PassthroughConfig.defaults().withWriteback(true));
            fs.init(OPENS_DIRECTORIES & ~InitFlags.WRITEBACK_CACHE);
            Files.writeString(share.resolve("f"), "0123");
            long f = inode("f");
            long h = fs.open(CTX, f, Fcntl.O_WRONLY, false).handle();
            assertErrno(Errno.EBADF, () -> read(f, h, 0, 4));
        }
    }

    @Nested
    class Confinement {
        @Test
        void aSymlinkToEtcPasswdIsTheLinkItselfNeverItsTarget() throws Exception {
            Files.createSymbolicLink(share.resolve("passwd"), Path.of("/etc/passwd"));
            Entry e = lookup("passwd");
            assertThat(e.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFLNK);
            assertThat(e.attr().size()).isEqualTo("/etc/passwd".length());
            assertThat(fs.readlink(CTX, e.inode())).isEqualTo(n("/etc/passwd"));
            assertErrno(Errno.ELOOP, () -> fs.open(CTX, e.inode(), Fcntl.O_RDONLY, false));
            assertErrno(Errno.ELOOP, () -> fs.open(CTX, e.inode(), Fcntl.O_WRONLY | Fcntl.O_TRUNC, false));
            assertErrno(Errno.ENOTDIR, () -> fs.opendir(CTX, e.inode(), 0));
            assertErrno(Errno.ENOTDIR, () -> fs.lookup(CTX, e.inode(), n("x")));
            assertThat(fs.getattr(CTX, e.inode(), OptionalLong.empty()).attr().mode() & Linux.S_IFMT)
                    .isEqualTo(Linux.S_IFLNK);
        }

        @Test
        void aRelativeSymlinkOutOfTheShareLeadsNowhere() throws Exception {
            Files.createSymbolicLink(share.resolve("up"), Path.of("../outside"));
            Files.createSymbolicLink(share.resolve("root"), Path.of("/"));
            long up = inode("up");
            long root = inode("root");
            for (long link : List.of(up, root)) {
                assertErrno(Errno.ENOTDIR, () -> fs.lookup(CTX, link, n("secret")));
                assertErrno(Errno.ENOTDIR, () -> fs.create(CTX, link, n("planted"), 0644, Fcntl.O_RDWR, 0, false));
                assertErrno(Errno.ENOTDIR, () -> fs.mkdir(CTX, link, n("planted"), 0755, 0));
                assertErrno(Errno.ENOTDIR, () -> fs.symlink(CTX, n("x"), link, n("planted")));
                assertErrno(Errno.ENOTDIR, () -> fs.unlink(CTX, link, n("secret")));
                assertErrno(Errno.ENOTDIR, () -> fs.rename(CTX, link, n("secret"), ROOT, n("stolen"), 0));
                assertErrno(Errno.ENOTDIR, () -> fs.rename(CTX, ROOT, n("up"), link, n("x"), 0));
            }
            assertThat(outside.resolve("planted")).doesNotExist();
            assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("host secret\n");
            assertThat(share.resolve("stolen")).doesNotExist();
        }

        @Test
        void aSymlinkInTheLastComponentIsNeverFollowedByCreation() throws Exception {
            Files.createSymbolicLink(share.resolve("trap"), outside.resolve("secret"));
            assertErrno(Errno.EEXIST, () -> create("trap", 0644, Fcntl.O_RDWR | Fcntl.O_CREAT | Fcntl.O_EXCL));
            assertErrno(Errno.ELOOP, () -> create("trap", 0644, Fcntl.O_RDWR | Fcntl.O_CREAT | Fcntl.O_TRUNC));
            assertErrno(Errno.EEXIST, () -> fs.mkdir(CTX, ROOT, n("trap"), 0755, 0));
            assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("host secret\n");
        }

        @Test
        void aHardLinkToAnOutsideFileCannotBeMade() throws Exception {
            // The guest can only name inodes inside the tree; the nearest it gets is a link to a symlink.
            Files.createSymbolicLink(share.resolve("s"), outside.resolve("secret"));
            long s = inode("s");
            Entry linked = fs.link(CTX, s, ROOT, n("hard"));
            assertThat(linked.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFLNK);
            assertThat(Files.isSymbolicLink(share.resolve("hard"))).isTrue();
            assertThat(Files.getAttribute(outside.resolve("secret"), "unix:nlink")).isEqualTo(1);
            assertErrno(Errno.ELOOP, () -> fs.open(CTX, linked.inode(), Fcntl.O_RDONLY, false));
        }

        @Test
        void procSelfFdSymlinksAreJustText() throws Exception {
            Files.createSymbolicLink(share.resolve("fd"), Path.of("/proc/self/fd/0"));
            Files.createSymbolicLink(share.resolve("cwd"), Path.of("/proc/self/cwd"));
            for (String name : List.of("fd", "cwd")) {
                Entry e = lookup(name);
                assertThat(e.attr().mode() & Linux.S_IFMT).isEqualTo(Linux.S_IFLNK);
                assertErrno(Errno.ELOOP, () -> fs.open(CTX, e.inode(), Fcntl.O_RDONLY, false));
                assertErrno(Errno.ENOTDIR, () -> fs.lookup(CTX, e.inode(), n("etc")));
            }
            assertThat(lookup("proc").inode()).as("the host's /proc is not in the share").isZero();
        }

        @Test
        void dotDotAndPathsAreRefusedEverywhere() throws Exception {
            Files.createDirectory(share.resolve("d"));
            long d = inode("d");
            assertErrno(Errno.EINVAL, () -> fs.lookup(CTX, d, n("..")));
            assertErrno(Errno.EINVAL, () -> fs.lookup(CTX, d, n("../outside")));
            assertErrno(Errno.EINVAL, () -> fs.mkdir(CTX, ROOT, n("../outside/x"), 0755, 0));
            assertErrno(Errno.EINVAL, () -> fs.create(CTX, ROOT, n("/tmp/x"), 0644, Fcntl.O_RDWR, 0, false));
            assertErrno(Errno.EINVAL, () -> fs.symlink(CTX, n("x"), ROOT, n("..")));
            assertErrno(Errno.EINVAL, () -> fs.link(CTX, d, ROOT, n("a/b")));
            assertErrno(Errno.EINVAL, () -> fs.mknod(CTX, ROOT, n("."), Linux.S_IFIFO | 0600, 0, 0));
            assertErrno(Errno.EINVAL, () -> fs.rmdir(CTX, d, n("..")));
            assertThat(outside.resolve("x")).doesNotExist();
        }

        @Test
        void mountPointsInsideTheShareAreCrossedAsSubmountsAndRenamesAcrossThemFail() throws Exception {
            Path mnt = Files.createDirectory(share.resolve("mnt"));
            assumeTrue(mount("tmpfs", mnt), "cannot mount a tmpfs here (not root, or no mount namespace rights)");
            try {
                Files.writeString(mnt.resolve("inner"), "on tmpfs");
                Files.writeString(share.resolve("outer"), "on the share's fs");
                Entry m = lookup("mnt");
                assertThat(m.attr().flags() & Attr.ATTR_SUBMOUNT).isEqualTo(Attr.ATTR_SUBMOUNT);
                Entry inner = fs.lookup(CTX, m.inode(), n("inner"));
                assertThat(inner.attr().flags()).isZero();
                assertThat(inner.attr().size()).isEqualTo(8);
                assertErrno(Errno.EXDEV, () -> fs.rename(CTX, ROOT, n("outer"), m.inode(), n("moved"), 0));
                assertErrno(Errno.EXDEV, () -> fs.link(CTX, inner.inode(), ROOT, n("linked")));
                fs.close();
                fs = open(PassthroughConfig.defaults().withAnnounceSubmounts(false));
                assertThat(lookup("mnt").attr().flags()).isZero();
            } finally {
                fs.close();
                fs = null;
                unmount(mnt);
            }
        }

        @Test
        void renameAcrossHostFilesystemsIsExdev() throws Exception {
            Path shm = Path.of("/dev/shm");
            assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)),
                    "/dev/shm is not a separate filesystem here");
            Path root = Files.createTempDirectory(shm, "passthrough-");
            try (PassthroughFs shmFs = new PassthroughFs(Path.of("/"), new InodeAllocator(),
                    PassthroughConfig.defaults())) {
                // A share whose tree holds both: the host root. Walk to both directories.
                long a = walk(shmFs, root);
                long b = walk(shmFs, share);
                Files.writeString(root.resolve("f"), "x");
                assertErrno(Errno.EXDEV, () -> shmFs.rename(CTX, a, n("f"), b, n("f"), 0));
                long f = shmFs.lookup(CTX, a, n("f")).inode();
                assertErrno(Errno.EXDEV, () -> shmFs.link(CTX, f, b, n("f")));
            } finally {
                Files.deleteIfExists(root.resolve("f"));
                Files.delete(root);
            }
        }

        long walk(PassthroughFs f, Path absolute) throws FsException {
            long inode = ROOT;
            for (Path part : absolute) {
                inode = f.lookup(CTX, inode, n(part.toString())).inode();
            }
            return inode;
        }

        boolean mount(String type, Path where) throws Exception {
            if (!IS_ROOT) {
                return false;
            }
            Process p = new ProcessBuilder("mount", "-t", type, "none", where.toString()).redirectErrorStream(true)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        }

        void unmount(Path where) throws Exception {
            new ProcessBuilder("umount", "-l", where.toString()).redirectErrorStream(true).start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Nested
    class Concurrency {
        @Test
        void manyThreadsCreatingWritingReadingAndUnlinkingLeaveNothingBehind() throws Exception {
            Files.writeString(share.resolve("shared"), "shared contents");
            long before = openDescriptors();
            int threads = 8;
            int rounds = 150;
            ExecutorService pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().unstarted(r));
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    done.add(pool.submit(() -> {
                        Context who = id % 2 == 0 ? CTX : new Context(1000 + id, 1000 + id, id);
                        for (int i = 0; i < rounds; i++) {
                            String name = "t" + id + "-" + i;
                            byte[] data = random(1000 + i * 13, id * 1000L + i);
                            Created c = fs.create(who, ROOT, n(name), 0644, Fcntl.O_RDWR, 0, false);
                            long f = c.entry().inode();
                            long h = c.open().handle();
                            assertThat(write(f, h, 0, data, data.length / 2)).isEqualTo(data.length);
                            assertThat(read(f, h, 0, data.length + 10, 7)).isEqualTo(data);
                            assertThat(fs.getattr(CTX, f, OptionalLong.empty()).attr().size())
                                    .isEqualTo(data.length);
                            Entry shared = fs.lookup(CTX, ROOT, n("shared"));
                            long sh = fs.open(CTX, shared.inode(), Fcntl.O_RDONLY, false).handle();
                            assertThat(read(shared.inode(), sh, 0, 64)).hasSize(15);
                            fs.release(CTX, shared.inode(), sh, 0, 0, 0);
                            fs.forget(shared.inode(), 1);
                            fs.release(CTX, f, h, 0, 0, 0);
                            fs.unlink(CTX, ROOT, n(name));
                            fs.forget(f, 1);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (Stream<Path> s = Files.list(share)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactly("shared");
            }
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertThat(fs.handleCount()).isZero();
            assertThat(openDescriptors()).isEqualTo(before);
        }

        @Test
        void lookupsRacingForgetsOfTheSameFileNeverLoseOrLeakTheDescriptor() throws Exception {
            Files.writeString(share.resolve("hot"), "x");
            long before = openDescriptors();
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> Thread.ofPlatform().unstarted(r));
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 2000; i++) {
                            Entry e = fs.lookup(CTX, ROOT, n("hot"));
                            assertThat(fs.getattr(CTX, e.inode(), OptionalLong.empty()).attr().size()).isEqualTo(1);
                            fs.forget(e.inode(), 1);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(fs.inodeCount()).isEqualTo(1);
            assertThat(openDescriptors()).isEqualTo(before);
        }

        @Test
        void parallelListingsOfOneHandleStayConsistent() throws Exception {
            for (int i = 0; i < 200; i++) {
                Files.writeString(share.resolve("e" + i), "");
            }
            long h = fs.opendir(CTX, ROOT, 0).handle();
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> Thread.ofPlatform().unstarted(r));
            try {
                List<Future<List<DirEntry>>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(pool.submit(() -> listAll(ROOT, h, 5)));
                }
                for (Future<List<DirEntry>> f : done) {
                    assertThat(f.get(60, TimeUnit.SECONDS)).hasSize(202);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
