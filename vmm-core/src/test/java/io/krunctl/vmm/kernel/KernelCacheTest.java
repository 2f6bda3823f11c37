package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.VmmException.Kind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KernelCache} on a real directory, with entries that hold nothing but a marker file. */
class KernelCacheTest {

    @TempDir
    Path tmp;

    private final AtomicInteger builds = new AtomicInteger();
    private final AtomicInteger filling = new AtomicInteger();
    private final AtomicInteger mostFilling = new AtomicInteger();

    private Path root() {
        return tmp.resolve("kernel");
    }

    private Path memos() {
        return root().resolve("host/by-stat");
    }

    private KernelCache cache() {
        return new KernelCache(root(), List.of(memos()));
    }

    /** What a provider does: take the entry when it is complete, else build it under the lock. */
    private Path entry(KernelCache cache, String name) throws KernelException {
        Path dir = cache.root().resolve(name);
        if (Files.isRegularFile(dir.resolve("done"))) {
            return dir;
        }
        return cache.withFillLock(() -> {
            mostFilling.accumulateAndGet(filling.incrementAndGet(), Math::max);
            Path staging = cache.staging(name);
            try {
                if (Files.isRegularFile(dir.resolve("done"))) {
                    return dir; // another fill finished while this one waited
                }
                cache.cleanStale();
                Files.createDirectories(staging);
                Thread.sleep(20); // long enough for the other threads to reach the lock
                Files.writeString(staging.resolve("done"), "built " + builds.incrementAndGet() + "\n");
                cache.publish(staging, dir);
                return dir;
            } catch (IOException | InterruptedException e) {
                throw new KernelException(Kind.VM_FAILED, e.getMessage(), e);
            } finally {
                KernelCache.deleteQuietly(staging);
                filling.decrementAndGet();
            }
        });
    }

    @Test
    void aFinishedEntryIsReused() throws Exception {
        Path first = entry(cache(), "6.1.0-1");
        Path again = entry(cache(), "6.1.0-1");
        assertThat(again).isEqualTo(first);
        assertThat(Files.readString(again.resolve("done"))).isEqualTo("built 1\n");
        assertThat(builds).hasValue(1);
        assertThat(temporaries()).isEmpty();
    }

    @Test
    void anInterruptedBuildLeavesNoEntryAndIsCleanedByTheNextFill() throws Exception {
        // A run killed halfway: its staging directory, scratch space and temporary files stay behind.
        KernelCache crashed = cache();
        Path staging = crashed.staging("6.1.0-1");
        Files.createDirectories(staging.resolve("modules"));
        Files.writeString(staging.resolve("done"), "half");
        Files.createDirectories(crashed.work().resolve("download"));
        Files.writeString(root().resolve(".current-linux-image-cloud-amd64-1234.tmp"), "6.1.0-1");
        Files.createDirectories(memos());
        Files.writeString(memos().resolve(".dev-1-ino-2-1234.tmp"), "half");
        assertThat(root().resolve("6.1.0-1")).as("nothing took the half entry's name").doesNotExist();

        Path dir = entry(cache(), "6.1.0-1");
        assertThat(Files.readString(dir.resolve("done"))).isEqualTo("built 1\n");
        assertThat(temporaries()).isEmpty();
        try (Stream<Path> s = Files.list(memos())) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void aFailedBuildLeavesNoEntry() throws Exception {
        KernelCache cache = cache();
        assertThatThrownBy(() -> cache.withFillLock(() -> {
            Path staging = cache.staging("broken");
            try {
                Files.createDirectories(staging);
                Files.writeString(staging.resolve("done"), "half");
                throw new KernelException(Kind.VM_FAILED, "the download broke off");
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                KernelCache.deleteQuietly(staging);
            }
        })).isInstanceOf(KernelException.class).hasMessage("the download broke off");
        assertThat(root().resolve("broken")).doesNotExist();
        assertThat(temporaries()).isEmpty();
    }

    @Test
    void publishReplacesAnUnusableEntryWhole() throws Exception {
        Path dir = root().resolve("6.1.0-1");
        Files.createDirectories(dir.resolve("junk"));
        Path got = entry(cache(), "6.1.0-1");
        assertThat(got.resolve("junk")).doesNotExist();
        assertThat(got.resolve("done")).isRegularFile();
        assertThat(temporaries()).isEmpty();
    }

    @Test
    void replaceSwapsASmallFileAndLeavesNoTemporary() throws Exception {
        KernelCache cache = cache();
        Path memo = memos().resolve("dev-1-ino-2");
        cache.replace(memo, "one\n", false);
        cache.replace(memo, "two\n", true);
        assertThat(Files.readString(memo)).isEqualTo("two\n");
        try (Stream<Path> s = Files.list(memos())) {
            assertThat(s.toList()).containsExactly(memo);
        }
    }

    @Test
    void threadsOfOneProcessFillOneAtATime() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService ex = Executors.newFixedThreadPool(4)) {
            List<Future<Path>> results = Stream.<Future<Path>>generate(() -> ex.submit(() -> {
                start.await();
                return entry(cache(), "6.1.0-1");
            })).limit(4).toList();
            start.countDown();
            for (Future<Path> f : results) {
                assertThat(f.get()).isEqualTo(root().resolve("6.1.0-1"));
            }
        }
        assertThat(mostFilling).hasValue(1);
        assertThat(builds).hasValue(1);
    }

    /** Entries of the cache's root that a finished fill should not leave. */
    private List<Path> temporaries() throws IOException {
        try (Stream<Path> s = Files.list(root())) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")
                    && !p.getFileName().toString().equals(".lock")).toList();
        }
    }
}
