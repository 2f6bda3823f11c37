package io.krunctl.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Debian 12 userland ({@code debootstrap --variant=minbase} plus python3 and sqlite3) that
 * {@code scripts/debian-rootfs.sh} builds once into the per-user cache, and host-side helpers for
 * the tests that boot it.
 */
final class DebianRootfs {
    private static final Path SCRIPT = Krunctl.ROOT.resolve("scripts/debian-rootfs.sh");

    private DebianRootfs() {}

    /**
     * The tree, built on first use (about a minute, and a few more on a slow mirror). Without
     * network or root the tests are skipped, except in CI, where that is a failure.
     */
    static Path ensure() throws IOException, InterruptedException {
        Path log = Files.createTempFile("debian-rootfs", ".log");
        Path path = Files.createTempFile("debian-rootfs", ".path");
        try {
            Process p = new ProcessBuilder("bash", SCRIPT.toString())
                    .redirectOutput(path.toFile())
                    .redirectError(log.toFile())
                    .start();
            boolean finished = p.waitFor(20, TimeUnit.MINUTES);
            if (!finished) {
                p.destroyForcibly();
            }
            String out = Files.readString(path, StandardCharsets.UTF_8).strip();
            boolean ok = finished && p.exitValue() == 0 && !out.isEmpty()
                    && Files.isDirectory(Path.of(out).resolve("usr/bin"));
            if (!ok) {
                String why = "scripts/debian-rootfs.sh failed: " + Files.readString(log).strip();
                if ("true".equals(System.getenv("CI"))) {
                    throw new AssertionError(why);
                }
                assumeTrue(false, why);
            }
            return Path.of(out);
        } finally {
            Files.deleteIfExists(log);
            Files.deleteIfExists(path);
        }
    }

    /** {@code cp -a} of the tree into {@code target}, for a test that lets the guest write to its root. */
    static Path copy(Path rootfs, Path target) throws IOException, InterruptedException {
        Files.createDirectories(target.getParent());
        run(List.of("cp", "-a", "--reflink=auto", rootfs.toString(), target.toString()));
        return target;
    }

    /** Runs a host command, returns its stdout; fails on a non-zero exit. */
    static String run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(argv + " failed: " + out);
        }
        return out;
    }

    /**
     * Opens a SQLite database with the host's python3 and reports {@code PRAGMA integrity_check},
     * then the row count and two sums of table {@code t(n, b)}, one per line.
     */
    static List<String> checkDatabase(Path db) throws IOException, InterruptedException {
        String script = "import sqlite3, sys\n"
                + "c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
                + "print(c.execute('pragma integrity_check').fetchone()[0])\n"
                + "n, total, blobs = c.execute('select count(*), sum(n), sum(length(b)) from t').fetchone()\n"
                + "print(n); print(total); print(blobs)\n";
        return run(List.of("python3", "-c", script, db.toString())).lines().toList();
    }
}
