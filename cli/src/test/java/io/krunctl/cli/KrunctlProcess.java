package io.krunctl.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real {@code ./krunctl} running in the background, for tests that talk to it while it runs:
 * they read its stdout at their own pace, wait for text on its stderr, signal it and look at its
 * memory. stderr is collected by a thread, stdout only when the test reads it.
 */
final class KrunctlProcess implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream stdoutSeen = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread stderrReader;

    private KrunctlProcess(Process process) {
        this.process = process;
        this.stderrReader = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream err = process.getErrorStream()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = err.read(buf)) >= 0) {
                    synchronized (stderr) {
                        stderr.write(buf, 0, n);
                        stderr.notifyAll();
                    }
                }
            } catch (IOException e) {
                // The process is gone.
            }
        });
    }

    static KrunctlProcess start(Map<String, String> env, String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(Krunctl.LAUNCHER.toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(Krunctl.ROOT.toFile());
        pb.environment().putAll(env);
        return new KrunctlProcess(pb.start());
    }

    static KrunctlProcess start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** The JVM's pid: the launcher execs {@code env}, which execs {@code java}. */
    long pid() {
        return process.pid();
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    InputStream stdout() {
        return process.getInputStream();
    }

    /** What stderr has carried so far. */
    String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until stderr contains {@code text}; fails if krunctl ends or time runs out first. */
    String awaitStderr(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stderr) {
            while (!stderr.toString(StandardCharsets.UTF_8).contains(text)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || (!process.isAlive() && !stderrReader.isAlive())) {
                    throw new AssertionError("no '" + text + "' on stderr within " + timeout + "; stderr: "
                            + stderr.toString(StandardCharsets.UTF_8));
                }
                stderr.wait(Math.min(left, 100));
            }
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * Reads stdout until what was read so far contains {@code text} (reading does not block krunctl
     * beyond that); fails at end of file or when time runs out.
     */
    String awaitStdout(String text, Duration timeout) throws Exception {
        awaitStdout(seen -> seen.contains(text), "'" + text + "'", timeout);
        return stdoutSeen.toString(StandardCharsets.UTF_8);
    }

    /**
     * Reads stdout until it holds a whole line starting with {@code prefix}, and returns the first
     * such line without its newline. It returns within 20 ms of the line's arrival, so tests may
     * take the time it returned at as the time the line arrived.
     */
    String awaitStdoutLine(String prefix, Duration timeout) throws Exception {
        awaitStdout(seen -> lineStarting(seen, prefix).isPresent(), "a line starting with '" + prefix + "'", timeout);
        return lineStarting(stdoutSeen.toString(StandardCharsets.UTF_8), prefix).orElseThrow();
    }

    private static Optional<String> lineStarting(String text, String prefix) {
        int end = text.lastIndexOf('\n');
        return end < 0 ? Optional.empty()
                : text.substring(0, end).lines().filter(l -> l.startsWith(prefix)).findFirst();
    }

    private void awaitStdout(Predicate<String> done, String what, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        InputStream out = stdout();
        byte[] buf = new byte[4096];
        while (!done.test(stdoutSeen.toString(StandardCharsets.UTF_8))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " on stdout within " + timeout + "; stdout: "
                        + stdoutSeen + "; stderr: " + stderr());
            }
            if (out.available() == 0) {
                if (!process.isAlive() && out.available() == 0) {
                    throw new AssertionError("krunctl ended without " + what + " on stdout: " + stdoutSeen
                            + "; stderr: " + stderr());
                }
                Thread.sleep(20);
                continue;
            }
            int n = out.read(buf);
            if (n < 0) {
                throw new AssertionError("stdout ended without " + what + ": " + stdoutSeen + "; stderr: " + stderr());
            }
            stdoutSeen.write(buf, 0, n);
        }
    }

    /** stdout read by {@link #awaitStdout} plus everything up to its end. */
    String stdoutToEnd() throws IOException {
        stdoutSeen.write(stdout().readAllBytes());
        return stdoutSeen.toString(StandardCharsets.UTF_8);
    }

    /** Sends {@code signal} (a name such as {@code TERM} or {@code USR1}) to krunctl. */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -s " + signal + " " + pid() + " failed");
        }
    }

    /** Waits for krunctl to exit and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("krunctl did not exit within " + timeout + "; stderr: " + stderr());
        }
        stderrReader.join(Duration.ofSeconds(10));
        return process.exitValue();
    }

    /** krunctl's resident memory in KiB ({@code VmRSS} of {@code /proc/PID/status}). */
    long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for pid " + pid());
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
