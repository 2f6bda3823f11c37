package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A directory of entries that survives crashes and concurrent runs: an entry is built under a
 * temporary name and renamed into place whole, so a reader finds it complete or not at all, and a
 * fill holds an exclusive {@link java.nio.channels.FileLock} (and a JVM-wide lock, because a
 * FileLock does not exclude threads of one process), so concurrent runs fill once. What an
 * interrupted fill leaves ({@code .staging-*}, {@code .work-*}, {@code .trash-*}, {@code .*.tmp})
 * is removed by the next fill. The cache knows nothing of what its entries hold.
 */
final class KernelCache {

    private static final Logger LOG = LogManager.getLogger(KernelCache.class);
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private final Path root;
    private final List<Path> tmpDirs;

    /**
     * @param root    the cache directory (created on the first fill)
     * @param tmpDirs directories besides {@code root} where {@link #replace} may leave temporaries
     */
    KernelCache(Path root, List<Path> tmpDirs) {
        this.root = root;
        this.tmpDirs = List.copyOf(tmpDirs);
    }

    Path root() {
        return root;
    }

    @FunctionalInterface
    interface Fill<T> {
        T run() throws KernelException;
    }

    /** Runs {@code fill} holding the JVM-wide lock and the cache's FileLock. */
    <T> T withFillLock(Fill<T> fill) throws KernelException {
        JVM_LOCK.lock();
        try {
            try {
                Files.createDirectories(root);
            } catch (IOException e) {
                throw new KernelException(Kind.MISSING_PREREQUISITE,
                        "cannot create the kernel cache " + root + ": " + e.getMessage(), e);
            }
            try (FileChannel lockFile = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); var _ = lockFile.lock()) {
                return fill.run();
            } catch (IOException e) {
                throw new KernelException(Kind.MISSING_PREREQUISITE,
                        "cannot lock the kernel cache " + root + ": " + e.getMessage(), e);
            }
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** A fresh name for an entry being built; {@link #publish} renames it into place. */
    Path staging(String label) {
        return root.resolve(".staging-" + label + "-" + UUID.randomUUID());
    }

    /** A fresh name for scratch space of a fill, which the fill deletes when it ends. */
    Path work() {
        return root.resolve(".work-" + UUID.randomUUID());
    }

    /** Removes what interrupted fills left behind. Only called under the fill lock. */
    void cleanStale() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".staging-") || n.startsWith(".work-") || n.startsWith(".trash-") || n.endsWith(".tmp")) {
                    LOG.debug("removing {} left by an interrupted run", p);
                    deleteQuietly(p);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", root, e.toString());
        }
        for (Path dir : tmpDirs) {
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.tmp")) {
                    for (Path p : ds) {
                        deleteQuietly(p);
                    }
                } catch (IOException e) {
                    LOG.debug("cannot list {}: {}", dir, e.toString());
                }
            }
        }
    }

    /**
     * Syncs a finished staging directory and renames it to its final name; an existing entry there
     * (which the caller found unusable) is first renamed away and deleted. Only called under the
     * fill lock.
     */
    void publish(Path staging, Path dir) throws IOException {
        forceDir(staging);
        Files.createDirectories(dir.getParent());
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path trash = root.resolve(".trash-" + UUID.randomUUID());
            moveAtomic(dir, trash, false);
            deleteQuietly(trash);
        }
        moveAtomic(staging, dir, false);
        forceDir(dir.getParent());
    }

    /**
     * Replaces a small file through a temporary sibling and a rename, so readers see the old text or
     * the new one.
     *
     * @param durable whether the text is synced first (a pointer must be; a memo may be lost)
     */
    void replace(Path file, String text, boolean durable) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + "-" + UUID.randomUUID() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        if (durable) {
            force(tmp);
        }
        moveAtomic(tmp, file, true);
    }

    private static void moveAtomic(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache's file system cannot rename atomically: " + e.getMessage(), e);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(to + " appeared while it was being written", e);
        }
    }

    static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static void forceDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("cannot delete {}: {}", p, e.toString());
        }
    }
}
