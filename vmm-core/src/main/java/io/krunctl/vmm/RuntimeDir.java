package io.krunctl.vmm;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A private directory (mode 0700) for one VM's sockets, console log and initramfs, removed when the
 * VM ends. It lives under {@code $XDG_RUNTIME_DIR} when that is usable, else the temp directory;
 * unix socket paths must stay short, so nothing deeper is used.
 */
public final class RuntimeDir implements AutoCloseable {
    private static final String PREFIX = "krunctl-";
    private final Path path;

    private RuntimeDir(Path path) {
        this.path = path;
    }

    public static RuntimeDir create() throws IOException {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        Path base = xdg != null && !xdg.isEmpty() && Files.isWritable(Path.of(xdg))
                ? Path.of(xdg)
                : Path.of(System.getProperty("java.io.tmpdir"));
        sweepAbandoned(base);
        String prefix = PREFIX + ProcessHandle.current().pid() + "-";
        return new RuntimeDir(Files.createTempDirectory(base, prefix,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
    }

    /**
     * Removes the directories of krunctl processes that no longer exist. A krunctl killed with
     * SIGKILL cannot clean up after itself (its QEMU dies with it); the next run does.
     */
    static void sweepAbandoned(Path base) {
        try (var entries = Files.newDirectoryStream(base, PREFIX + "*")) {
            for (Path dir : entries) {
                String rest = dir.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                if (dash <= 0 || !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        || !Files.isWritable(dir)) {
                    continue;
                }
                try {
                    long pid = Long.parseLong(rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        new RuntimeDir(dir).close();
                    }
                } catch (NumberFormatException e) {
                    // Not one of ours.
                }
            }
        } catch (IOException e) {
            // Sweeping is a courtesy; never fail a run over it.
        }
    }

    public Path path() {
        return path;
    }

    public Path resolve(String name) {
        return path.resolve(name);
    }

    /** Deletes the directory and everything in it; safe to call more than once. */
    @Override
    public void close() {
        if (!Files.exists(path)) {
            return;
        }
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Best effort: a leftover temp directory is not worth failing the run for.
        }
    }
}
