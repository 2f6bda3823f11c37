package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.FsAssertions.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.nativeio.Fcntl;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugmentFsTest {
    private static final Context CTX = Context.ROOT;
    private static final long ROOT = InodeAllocator.ROOT_ID;
    private static final byte[] THOUSAND = new byte[1000];
    private static final String MOTD = "welcome\n";

    private final InodeAllocator inodes = new InodeAllocator();
    private final List<Integer> exitCodes = new CopyOnWriteArrayList<>();

    private static Map<String, VirtualEntry> bootEntries() {
        return Map.of(
                "init.krun", VirtualEntry.file(THOUSAND, 0755, true),
                "data", VirtualEntry.file(new byte[512], 0600, false),
                "empty", VirtualEntry.file(new byte[0], 0444, false),
                "dev", VirtualEntry.directory(Map.of(), 0755),
                "etc", VirtualEntry.directory(Map.of(
                        "motd", VirtualEntry.file(MOTD.getBytes(StandardCharsets.UTF_8), 0644, false),
                        "once", VirtualEntry.file(new byte[] {1}, 0644, true)), 0755));
    }

    private AugmentFs overNull() {
        return new AugmentFs(new NullFs(), inodes, bootEntries(), exitCodes::add);
    }

    private static String read(FileSystem fs, long inode, long offset, int... segmentSizes) throws FsException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> dst = new ArrayList<>();
            for (int size : segmentSizes) {
                dst.add(arena.allocate(size));
            }
            int n = fs.read(CTX, inode, AugmentFs.VIRTUAL_HANDLE, offset, dst, 0);
            byte[] out = new byte[n];
            int at = 0;
            for (MemorySegment s : dst) {
                int take = (int) Math.min(s.byteSize(), n - at);
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, out, at, take);
                at += take;
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    @Nested
    class Attributes {
        @Test
        void filesAreRootOwnedRegularFilesWithExactSizes() throws FsException {
            AugmentFs fs = overNull();

            Entry init = fs.lookup(CTX, ROOT, Name.of("init.krun"));
            Entry data = fs.lookup(CTX, ROOT, Name.of("data"));
            Entry empty = fs.lookup(CTX, ROOT, Name.of("empty"));

            assertThat(init.attr()).isEqualTo(new Attr(init.inode(), Linux.S_IFREG | 0755, 1, 0, 0, 0, 1000, 2, 4096,
                    0, 0, 0, 0, 0, 0, 0));
            assertThat(data.attr().size()).isEqualTo(512);
            assertThat(data.attr().blocks()).isEqualTo(1);
            assertThat(data.attr().mode()).isEqualTo(Linux.S_IFREG | 0600);
            assertThat(empty.attr().blocks()).isZero();
            assertThat(init.generation()).isZero();
        }

        @Test
        void directoriesHaveTwoLinks() throws FsException {
            Entry dev = overNull().lookup(CTX, ROOT, Name.of("dev"));

            assertThat(dev.attr().mode()).isEqualTo(Linux.S_IFDIR | 0755);
            assertThat(dev.attr().nlink()).isEqualTo(2);
            assertThat(dev.attr().size()).isZero();
            assertThat(dev.attr().uid()).isZero();
            assertThat(dev.attr().blksize()).isEqualTo(4096);
        }

        @Test
        void persistentEntriesNeverExpireOneShotEntriesAreNeverCached() throws FsException {
            AugmentFs fs = overNull();

            Entry persistent = fs.lookup(CTX, ROOT, Name.of("dev"));
            Entry oneShot = fs.lookup(CTX, ROOT, Name.of("init.krun"));

            assertThat(persistent.entryTimeout()).isEqualTo(Entry.FOREVER);
            assertThat(persistent.attrTimeout()).isEqualTo(Entry.FOREVER);
            assertThat(oneShot.entryTimeout()).isEqualTo(Duration.ZERO);
            assertThat(oneShot.attrTimeout()).isEqualTo(Duration.ZERO);
            assertThat(fs.getattr(CTX, persistent.inode(), OptionalLong.empty()).timeout()).isEqualTo(Entry.FOREVER);
            assertThat(fs.getattr(CTX, oneShot.inode(), OptionalLong.empty()).timeout()).isEqualTo(Duration.ZERO);
        }

        @Test
        void foreverFitsTheKernelsSignedSeconds() {
            assertThat(Entry.FOREVER.getSeconds()).isPositive().isLessThan(Long.MAX_VALUE);
            assertThat(Entry.FOREVER.getNano()).isZero();
        }

        @Test
        void theRootStaysTheInnerFilesystems() throws FsException {
            assertThat(overNull().getattr(CTX, ROOT, OptionalLong.empty()).attr().mode())
                    .isEqualTo(Linux.S_IFDIR | 0755);
        }
    }

    @Nested
    class Shadowing {
        @Test
        void virtualFilesShadowInnerEntriesOfTheSameName() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostData = inner.addFile(ROOT, "data", "host data");
            long hostHosts = inner.addFile(ROOT, "hosts", "127.0.0.1 localhost\n");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            Entry data = fs.lookup(CTX, ROOT, Name.of("data"));
            Entry hosts = fs.lookup(CTX, ROOT, Name.of("hosts"));

            assertThat(data.inode()).isNotEqualTo(hostData);
            assertThat(data.attr().size()).isEqualTo(512);
            assertThat(hosts.inode()).as("no virtual entry: the inner answers").isEqualTo(hostHosts);
            assertThat(inner.references(hostData)).isZero();
        }

        @Test
        void aVirtualDirectoryOverAnInnerDirectoryGraftsItsChildrenOntoIt() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostEtc = inner.addDirectory(ROOT, "etc");
            long hostPasswd = inner.addFile(hostEtc, "passwd", "root:x:0:0::/root:/bin/sh\n");
            inner.addFile(hostEtc, "motd", "host motd\n");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            Entry etc = fs.lookup(CTX, ROOT, Name.of("etc"));
            Entry passwd = fs.lookup(CTX, etc.inode(), Name.of("passwd"));
            Entry motd = fs.lookup(CTX, etc.inode(), Name.of("motd"));

            assertThat(etc.inode()).as("the host's directory, not a virtual one").isEqualTo(hostEtc);
            assertThat(etc.attr().mode()).isEqualTo(Linux.S_IFDIR | 0700);
            assertThat(passwd.inode()).as("the host's other files stay visible").isEqualTo(hostPasswd);
            assertThat(read(fs, motd.inode(), 0, 64)).as("the virtual file shadows the host's").isEqualTo(MOTD);
            assertThat(fs.lookup(CTX, etc.inode(), Name.of("once")).attr().size()).isEqualTo(1);
            assertThat(inner.references(hostEtc)).as("the guest holds the host directory's lookup").isEqualTo(1);
            assertErrno(Errno.EEXIST, () -> fs.mkdir(CTX, etc.inode(), Name.of("motd"), 0755, 0));
            assertErrno(Errno.EPERM, () -> fs.unlink(CTX, etc.inode(), Name.of("motd")));
            assertErrno(Errno.EPERM, () -> fs.rename(CTX, etc.inode(), Name.of("passwd"), etc.inode(),
                    Name.of("motd"), 0));
        }

        @Test
        void aGraftSurvivesTheGuestForgettingAndLookingUpAgain() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostEtc = inner.addDirectory(ROOT, "etc");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            fs.forget(etc, 1);
            long again = fs.lookup(CTX, ROOT, Name.of("etc")).inode();

            assertThat(again).isEqualTo(hostEtc);
            assertThat(read(fs, fs.lookup(CTX, again, Name.of("motd")).inode(), 0, 64)).isEqualTo(MOTD);
        }

        @Test
        void aGraftLastsAsLongAsTheGuestsInodeOverTheRealPassthrough(@TempDir Path host) throws Exception {
            Files.createDirectory(host.resolve("etc"));
            Files.writeString(host.resolve("etc/passwd"), "root\n");
            try (PassthroughFs inner = new PassthroughFs(host, inodes, PassthroughConfig.defaults())) {
                AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
                fs.init(-1L);
                int initial = fs.graftCount();

                Set<Long> numbers = new HashSet<>();
                for (int i = 0; i < 20_000; i++) {
                    long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
                    numbers.add(etc);
                    if (i % 2 == 0) {
                        fs.forget(etc, 1);
                    } else {
                        fs.batchForget(List.of(new Forget(etc, 1)));
                    }
                }
                assertThat(numbers).as("a forgotten inode is numbered afresh").hasSize(20_000);
                assertThat(fs.graftCount()).isEqualTo(initial);

                long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
                assertThat(fs.lookup(CTX, ROOT, Name.of("etc")).inode()).isEqualTo(etc);
                fs.forget(etc, 1);
                assertThat(fs.graftCount()).as("one lookup is still held").isEqualTo(initial + 1);
                assertThat(read(fs, fs.lookup(CTX, etc, Name.of("motd")).inode(), 0, 64))
                        .as("the virtual child is still grafted").isEqualTo(MOTD);
                assertThat(fs.lookup(CTX, etc, Name.of("passwd")).attr().size()).isEqualTo(5);
                fs.forget(etc, 1);
                assertThat(fs.graftCount()).isEqualTo(initial);
            }
        }

        @Test
        void anInnerFileOfADirectorysNameIsShadowedByTheVirtualDirectory() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostEtc = inner.addFile(ROOT, "etc", "not a directory");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            Entry etc = fs.lookup(CTX, ROOT, Name.of("etc"));

            assertThat(etc.inode()).isNotEqualTo(hostEtc);
            assertThat(etc.attr().mode()).isEqualTo(Linux.S_IFDIR | 0755);
            assertThat(inner.references(hostEtc)).as("the probe's reference was returned").isZero();
        }

        @Test
        void nestedVirtualPathsResolveAndMissNamesUnderVirtualDirectories() throws FsException {
            AugmentFs fs = overNull();

            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            Entry motd = fs.lookup(CTX, etc, Name.of("motd"));

            assertThat(read(fs, motd.inode(), 0, 64)).isEqualTo(MOTD);
            assertErrno(Errno.ENOENT, () -> fs.lookup(CTX, etc, Name.of("passwd")));
        }

        @Test
        void inodeNumbersAreUniqueAcrossLayers() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long before = inner.addFile(ROOT, "a", "a");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long after = inner.addFile(ROOT, "b", "b");

            Set<Long> seen = new HashSet<>(List.of(before, after));
            for (String name : List.of("init.krun", "data", "empty", "dev", "etc")) {
                assertThat(seen.add(fs.lookup(CTX, ROOT, Name.of(name)).inode())).as(name).isTrue();
            }
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            assertThat(seen.add(fs.lookup(CTX, etc, Name.of("motd")).inode())).isTrue();
            assertThat(seen.add(fs.lookup(CTX, etc, Name.of("once")).inode())).isTrue();
            assertThat(seen).doesNotContain(0L, ROOT).hasSize(9);
        }
    }

    @Nested
    class OneShot {
        @Test
        void theFirstLookupClaimsItAndLaterOnesFallThroughToNothing() throws FsException {
            AugmentFs fs = overNull();

            Entry first = fs.lookup(CTX, ROOT, Name.of("init.krun"));

            assertThat(first.attr().size()).isEqualTo(1000);
            assertErrno(Errno.ENOENT, () -> fs.lookup(CTX, ROOT, Name.of("init.krun")));
        }

        @Test
        void laterLookupsFallThroughToAHostFileOfThatName() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long host = inner.addFile(ROOT, "init.krun", "host's own");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            long virtual = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();
            long second = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();

            assertThat(virtual).isNotEqualTo(host);
            assertThat(second).isEqualTo(host);
        }

        @Test
        void theClaimedInodeServesItsOpenUntilReleased() throws FsException {
            AugmentFs fs = overNull();
            long inode = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();

            OpenResult open = fs.open(CTX, inode, Fcntl.O_RDONLY, false);
            assertThat(open.handle()).isEqualTo(AugmentFs.VIRTUAL_HANDLE);
            assertThat(read(fs, inode, 0, 4096)).hasSize(1000);
            fs.release(CTX, inode, open.handle(), 0, 0, 0);

            assertErrno(Errno.ENOENT, () -> fs.getattr(CTX, inode, OptionalLong.empty()));
            assertErrno(Errno.ENOENT, () -> fs.open(CTX, inode, Fcntl.O_RDONLY, false));
        }

        @Test
        void theInodeOutlivesAllButItsLastOpen() throws FsException {
            AugmentFs fs = overNull();
            long inode = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();
            fs.open(CTX, inode, Fcntl.O_RDONLY, false);
            fs.open(CTX, inode, Fcntl.O_RDONLY, false);

            fs.release(CTX, inode, 0, 0, 0, 0);
            assertThat(fs.getattr(CTX, inode, OptionalLong.empty()).attr().size()).isEqualTo(1000);
            fs.release(CTX, inode, 0, 0, 0, 0);

            assertErrno(Errno.ENOENT, () -> fs.getattr(CTX, inode, OptionalLong.empty()));
        }

        @Test
        void forgetsOfVirtualInodesNeverReachTheInnerFilesystem() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long host = inner.addFile(ROOT, "host", "h");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long init = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();
            fs.open(CTX, init, 0, false);
            fs.release(CTX, init, 0, 0, 0, 0);
            long dev = fs.lookup(CTX, ROOT, Name.of("dev")).inode();
            fs.lookup(CTX, ROOT, Name.of("host"));

            fs.forget(init, 1);
            fs.forget(dev, 1);
            fs.batchForget(List.of(new Forget(dev, 2), new Forget(host, 1)));

            assertThat(inner.calls).filteredOn(c -> c.startsWith("forget")).containsExactly("forget " + host + " 1");
            assertThat(inner.references(host)).isZero();
        }

        @Test
        void racingLookupsClaimItExactlyOnce() throws Exception {
            AugmentFs fs = overNull();
            CountDownLatch start = new CountDownLatch(1);
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                List<Future<Boolean>> found = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    found.add(pool.submit(() -> {
                        start.await();
                        try {
                            fs.lookup(CTX, ROOT, Name.of("init.krun"));
                            return true;
                        } catch (FsException e) {
                            return false;
                        }
                    }));
                }
                start.countDown();
                int claimed = 0;
                for (Future<Boolean> f : found) {
                    claimed += f.get() ? 1 : 0;
                }
                assertThat(claimed).isEqualTo(1);
            }
        }

        @Test
        void initBringsEveryEntryBack() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long first = fs.lookup(CTX, ROOT, Name.of("init.krun")).inode();
            fs.open(CTX, first, 0, false);
            fs.release(CTX, first, 0, 0, 0, 0);

            long wanted = fs.init(-1L);

            assertThat(wanted).as("the inner filesystem's wishes").isEqualTo(InitFlags.DO_READDIRPLUS);
            assertThat(inner.calls).contains("init");
            assertThat(fs.lookup(CTX, ROOT, Name.of("init.krun")).inode()).isEqualTo(first);
        }
    }

    @Nested
    class Listings {
        @Test
        void innerListingsDoNotShowVirtualEntries() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            inner.addFile(ROOT, "host-file", "x");
            inner.addDirectory(ROOT, "etc");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            List<String> names = new ArrayList<>();

            fs.readdir(CTX, ROOT, 7, 0, e -> names.add(e.name().toString()));

            assertThat(names).containsExactly("etc", "host-file");
        }

        @Test
        void aNullRootListsNothingAtAll() throws FsException {
            AugmentFs fs = overNull();
            List<DirEntry> listed = new ArrayList<>();

            OpenResult dir = fs.opendir(CTX, ROOT, 0);
            fs.readdir(CTX, ROOT, dir.handle(), 0, listed::add);

            assertThat(listed).isEmpty();
        }

        @Test
        void readdirplusKeepsShadowedInnerInodesFromTheGuest() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostEtc = inner.addDirectory(ROOT, "etc");
            long hostFile = inner.addFile(ROOT, "host-file", "x");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            Map<String, Long> listed = new java.util.TreeMap<>();

            fs.readdirplus(CTX, ROOT, 7, 0, (entry, attributes) -> {
                listed.put(entry.name().toString(), attributes.inode());
                return true;
            });

            assertThat(listed).containsExactly(Map.entry("etc", 0L), Map.entry("host-file", hostFile));
            assertThat(inner.references(hostEtc)).as("the lookup readdirplus took was returned").isZero();
            assertThat(inner.references(hostFile)).isEqualTo(1);
        }

        @Test
        void aFullReplyLeavesNoLeakedReference() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostEtc = inner.addDirectory(ROOT, "etc");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            fs.readdirplus(CTX, ROOT, 7, 0, (entry, attributes) -> false);

            assertThat(inner.references(hostEtc)).isZero();
        }

        @Test
        void virtualDirectoriesListTheirChildren() throws FsException {
            AugmentFs fs = overNull();
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            OpenResult dir = fs.opendir(CTX, etc, Fcntl.O_DIRECTORY);
            List<DirEntry> listed = new ArrayList<>();

            fs.readdir(CTX, etc, dir.handle(), 0, listed::add);

            assertThat(listed).extracting(e -> e.name().toString()).containsExactly("motd", "once");
            assertThat(listed).extracting(DirEntry::type).containsOnly(Linux.DT_REG);
            assertThat(listed).extracting(DirEntry::offset).containsExactly(1L, 2L);

            List<DirEntry> rest = new ArrayList<>();
            fs.readdir(CTX, etc, dir.handle(), 1, rest::add);
            assertThat(rest).extracting(e -> e.name().toString()).containsExactly("once");
            fs.releasedir(CTX, etc, dir.handle(), 0);
        }

        @Test
        void aClaimedOneShotChildIsNoLongerListed() throws FsException {
            AugmentFs fs = overNull();
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            fs.lookup(CTX, etc, Name.of("once"));
            List<String> listed = new ArrayList<>();

            fs.readdir(CTX, etc, 0, 0, e -> listed.add(e.name().toString()));

            assertThat(listed).containsExactly("motd");
        }

        @Test
        void virtualReaddirplusHandsOutPersistentInodesOnly() throws FsException {
            AugmentFs fs = overNull();
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            long motd = fs.lookup(CTX, etc, Name.of("motd")).inode();
            Map<String, Long> listed = new java.util.TreeMap<>();

            fs.readdirplus(CTX, etc, 0, 0, (entry, attributes) -> {
                listed.put(entry.name().toString(), attributes.inode());
                return true;
            });

            assertThat(listed).containsExactly(Map.entry("motd", motd), Map.entry("once", 0L));
            assertThat(fs.lookup(CTX, etc, Name.of("once")).inode()).as("still unclaimed").isPositive();
        }

        @Test
        void aListingStopsWhenTheSinkIsFull() throws FsException {
            AugmentFs fs = overNull();
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            List<String> listed = new ArrayList<>();

            fs.readdir(CTX, etc, 0, 0, e -> listed.add(e.name().toString()) && listed.size() < 1);

            assertThat(listed).containsExactly("motd");
        }
    }

    @Nested
    class Reading {
        @Test
        void readsAtOffsetsAcrossSegmentsAndPastTheEnd() throws FsException {
            AugmentFs fs = overNull();
            long etc = fs.lookup(CTX, ROOT, Name.of("etc")).inode();
            long motd = fs.lookup(CTX, etc, Name.of("motd")).inode();

            assertThat(read(fs, motd, 0, 3, 2, 100)).isEqualTo(MOTD);
            assertThat(read(fs, motd, 3, 2)).isEqualTo("co");
            assertThat(read(fs, motd, 5, 1, 1, 1, 1)).isEqualTo("me\n");
            assertThat(read(fs, motd, MOTD.length(), 10)).isEmpty();
            assertThat(read(fs, motd, 1L << 50, 10)).isEmpty();
        }

        @Test
        void theGuestKeepsAVirtualFilesPagesFromOneOpenToTheNext() throws FsException {
            AugmentFs fs = overNull();
            long data = fs.lookup(CTX, ROOT, Name.of("data")).inode();

            assertThat(fs.open(CTX, data, Fcntl.O_RDONLY, false).openFlags()).isEqualTo(OpenResult.KEEP_CACHE);
            assertThat(fs.open(CTX, data, Fcntl.O_RDONLY, false).openFlags()).isEqualTo(OpenResult.KEEP_CACHE);
        }

        @Test
        void lseekKnowsOnlyDataAndHoles() throws FsException {
            AugmentFs fs = overNull();
            long data = fs.lookup(CTX, ROOT, Name.of("data")).inode();

            assertThat(fs.lseek(CTX, data, 0, 100, Fcntl.SEEK_DATA)).isEqualTo(100);
            assertThat(fs.lseek(CTX, data, 0, 100, Fcntl.SEEK_HOLE)).isEqualTo(512);
            assertErrno(Errno.ENXIO, () -> fs.lseek(CTX, data, 0, 512, Fcntl.SEEK_DATA));
            assertErrno(Errno.ENXIO, () -> fs.lseek(CTX, data, 0, 600, Fcntl.SEEK_HOLE));
            assertErrno(Errno.EINVAL, () -> fs.lseek(CTX, data, 0, 0, Fcntl.SEEK_SET));
            assertErrno(Errno.EINVAL, () -> fs.lseek(CTX, data, 0, 0, Fcntl.SEEK_END));
        }

        @Test
        void flushAndFsyncSucceed() throws FsException {
            AugmentFs fs = overNull();
            long data = fs.lookup(CTX, ROOT, Name.of("data")).inode();
            long dev = fs.lookup(CTX, ROOT, Name.of("dev")).inode();

            fs.flush(CTX, data, 0, 0);
            fs.fsync(CTX, data, true, 0);
            fs.fsyncdir(CTX, dev, false, 0);
        }

        @Test
        void statfsOfAVirtualInodeIsTheInnerRoots() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long dev = fs.lookup(CTX, ROOT, Name.of("dev")).inode();

            assertThat(fs.statfs(CTX, dev).blocks()).isEqualTo(100);
            assertThat(inner.calls).contains("statfs " + ROOT);
        }
    }

    @Nested
    class ReadOnly {
        private final AugmentFs fs = overNull();
        private final long file;
        private final long dir;

        ReadOnly() throws FsException {
            file = fs.lookup(CTX, ROOT, Name.of("data")).inode();
            dir = fs.lookup(CTX, ROOT, Name.of("dev")).inode();
        }

        @Test
        void opensForWritingAreRefused() {
            assertErrno(Errno.EACCES, () -> fs.open(CTX, file, Fcntl.O_WRONLY, false));
            assertErrno(Errno.EACCES, () -> fs.open(CTX, file, Fcntl.O_RDWR, false));
            assertErrno(Errno.EACCES, () -> fs.open(CTX, file, Fcntl.O_RDONLY | Fcntl.O_TRUNC, false));
            assertErrno(Errno.EISDIR, () -> fs.open(CTX, dir, Fcntl.O_RDONLY, false));
            assertErrno(Errno.ENOTDIR, () -> fs.opendir(CTX, file, 0));
        }

        @Test
        void changesArePermissionErrors() {
            SetAttr chmod = new SetAttr(SetAttr.MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0777, 0, 0);
            assertErrno(Errno.EPERM, () -> fs.setattr(CTX, file, chmod));
            assertErrno(Errno.EPERM, () -> fs.write(CTX, file, 0, 0, List.of(MemorySegment.ofArray(new byte[1])), 0,
                    0));
            assertErrno(Errno.EPERM, () -> fs.link(CTX, file, ROOT, Name.of("hardlink")));
            assertErrno(Errno.EPERM, () -> fs.fallocate(CTX, file, 0, 0, 0, 10));
            assertErrno(Errno.EPERM, () -> fs.setxattr(CTX, file, Name.of("user.a"), new byte[1], 0, 0));
            assertErrno(Errno.EPERM, () -> fs.removexattr(CTX, file, Name.of("user.a")));
        }

        @Test
        void queriesAnswerLikeAPlainReadOnlyFile() throws FsException {
            assertErrno(Errno.EINVAL, () -> fs.readlink(CTX, file));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(CTX, file, Name.of("security.capability"), 0));
            assertThat(fs.listxattr(CTX, file, 0)).isEmpty();
            fs.access(CTX, file, Linux.R_OK | Linux.X_OK);
            fs.access(CTX, dir, Linux.F_OK);
            assertErrno(Errno.EACCES, () -> fs.access(CTX, file, Linux.W_OK));
            assertErrno(Errno.EACCES, () -> fs.access(CTX, dir, Linux.R_OK | Linux.W_OK));
        }

        @Test
        void namesTakenByVirtualEntriesCannotBeCreatedRemovedOrRenamed() {
            assertErrno(Errno.EEXIST, () -> fs.mkdir(CTX, ROOT, Name.of("dev"), 0755, 022));
            assertErrno(Errno.EEXIST, () -> fs.mknod(CTX, ROOT, Name.of("data"), Linux.S_IFREG | 0644, 0, 022));
            assertErrno(Errno.EEXIST, () -> fs.create(CTX, ROOT, Name.of("data"), 0644, Fcntl.O_RDWR, 022, false));
            assertErrno(Errno.EEXIST, () -> fs.symlink(CTX, Name.of("/x"), ROOT, Name.of("etc")));
            assertErrno(Errno.EPERM, () -> fs.unlink(CTX, ROOT, Name.of("data")));
            assertErrno(Errno.EPERM, () -> fs.rmdir(CTX, ROOT, Name.of("dev")));
            assertErrno(Errno.EPERM, () -> fs.rename(CTX, ROOT, Name.of("data"), ROOT, Name.of("other"), 0));
            assertErrno(Errno.EPERM, () -> fs.rename(CTX, ROOT, Name.of("other"), ROOT, Name.of("data"), 0));
        }

        @Test
        void virtualDirectoriesTakeNoNewEntries() {
            assertErrno(Errno.EPERM, () -> fs.mkdir(CTX, dir, Name.of("pts"), 0755, 022));
            assertErrno(Errno.EPERM, () -> fs.create(CTX, dir, Name.of("null"), 0666, Fcntl.O_RDWR, 022, false));
            assertErrno(Errno.ENOENT, () -> fs.unlink(CTX, dir, Name.of("null")));
        }

        @Test
        void copyFileRangeInvolvingAVirtualFileIsCrossDevice() {
            assertErrno(Errno.EXDEV, () -> fs.copyFileRange(CTX, file, 0, 0, ROOT, 0, 0, 10, 0));
            assertErrno(Errno.EXDEV, () -> fs.copyFileRange(CTX, ROOT, 0, 0, file, 0, 0, 10, 0));
        }

        @Test
        void namesNotVirtualStillReachTheInnerFilesystem() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            AugmentFs layered = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);

            Entry made = layered.mkdir(CTX, ROOT, Name.of("newroot"), 0755, 022);

            assertThat(inner.calls).contains("mkdir " + ROOT + " newroot");
            assertThat(layered.lookup(CTX, ROOT, Name.of("newroot")).inode()).isEqualTo(made.inode());
        }
    }

    @Nested
    class ExitCode {
        /** The guest's init, as the request header names it. */
        private static final Context INIT = new Context(0, 0, AugmentFs.INIT_PID);

        @Test
        void theExitCodeIoctlOnTheRootReachesTheSink() throws FsException {
            AugmentFs fs = overNull();

            IoctlResult result = fs.ioctl(INIT, ROOT, 0, FsFlags.IOCTL_DIR, AugmentFs.EXIT_CODE_IOCTL, 42,
                    new byte[0], 0);

            assertThat(result.result()).isZero();
            assertThat(result.output()).isEmpty();
            assertThat(exitCodes).containsExactly(42);
        }

        @Test
        void itKeepsTheLow32Bits() throws FsException {
            AugmentFs fs = overNull();

            fs.ioctl(INIT, ROOT, 0, FsFlags.IOCTL_DIR, AugmentFs.EXIT_CODE_IOCTL, 0xFFFF_FFFFL, new byte[0], 0);
            fs.ioctl(INIT, ROOT, 0, FsFlags.IOCTL_DIR, AugmentFs.EXIT_CODE_IOCTL, 0x1_0000_0089L, new byte[0], 0);

            assertThat(exitCodes).containsExactly(-1, 137);
        }

        @Test
        void onlyTheInitMayReportAndOnlyOnTheRoot() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            long hostFile = inner.addFile(ROOT, "tmpfile", "x");
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long dev = fs.lookup(CTX, ROOT, Name.of("dev")).inode();
            Context workload = new Context(1000, 1000, 4242);

            assertErrno(Errno.EPERM, () -> fs.ioctl(workload, ROOT, 0, FsFlags.IOCTL_DIR,
                    AugmentFs.EXIT_CODE_IOCTL, 0, new byte[0], 0));
            assertErrno(Errno.EPERM, () -> fs.ioctl(CTX, ROOT, 0, FsFlags.IOCTL_DIR,
                    AugmentFs.EXIT_CODE_IOCTL, 0, new byte[0], 0));
            assertErrno(Errno.ENOTTY, () -> fs.ioctl(INIT, dev, 0, FsFlags.IOCTL_DIR,
                    AugmentFs.EXIT_CODE_IOCTL, 0, new byte[0], 0));
            assertErrno(Errno.ENOTTY, () -> fs.ioctl(INIT, hostFile, 0, 0,
                    AugmentFs.EXIT_CODE_IOCTL, 0, new byte[0], 0));

            assertThat(exitCodes).isEmpty();
            assertThat(inner.calls).noneMatch(call -> call.startsWith("ioctl"));
        }

        @Test
        void overAMountTheExitCodeIoctlIsTheInnersLikeAnyOther() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            AugmentFs fs = AugmentFs.overMount(inner, inodes, bootEntries());

            IoctlResult result = fs.ioctl(INIT, ROOT, 0, FsFlags.IOCTL_DIR, AugmentFs.EXIT_CODE_IOCTL, 42,
                    new byte[0], 0);

            assertThat(result.result()).isEqualTo(7);
            assertThat(inner.calls).contains("ioctl " + ROOT + " 7602");
            assertThat(exitCodes).isEmpty();
        }

        @Test
        void otherIoctlsGoToTheInnerFilesystemOrFailOnVirtualInodes() throws FsException {
            TreeFs inner = new TreeFs(inodes);
            AugmentFs fs = new AugmentFs(inner, inodes, bootEntries(), exitCodes::add);
            long data = fs.lookup(CTX, ROOT, Name.of("data")).inode();

            assertThat(fs.ioctl(CTX, ROOT, 0, FsFlags.IOCTL_DIR, 0x5401, 0, new byte[0], 0).result()).isEqualTo(7);
            assertErrno(Errno.ENOTTY, () -> fs.ioctl(CTX, data, 0, 0, 0x5401, 0, new byte[0], 0));
            assertThat(inner.calls).contains("ioctl " + ROOT + " 5401");
            assertThat(exitCodes).isEmpty();
        }
    }
}
