package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs the package tools (apt-cache, apt-get, dpkg-deb) with their output captured, and counts the
 * processes it starts, because the tests prove a cache hit by that count being zero.
 */
final class Subprocess {

    private static final Logger LOG = LogManager.getLogger(Subprocess.class);

    record Result(int exit, String stdout, String stderr) {}

    private final AtomicInteger started = new AtomicInteger();

    /** How many processes this runner has started. */
    int started() {
        return started.get();
    }

    /**
     * Runs a command with {@code LC_ALL=C} (so its messages can be matched) and no input.
     *
     * @param subject what the command is run for, named when it cannot start
     */
    Result run(List<String> command, Path cwd, Duration timeout, String subject) throws KernelException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot run " + command.getFirst() + " to get " + subject
                    + ": " + e.getMessage() + "; the distribution kernel needs a Debian-based host with apt and dpkg,"
                    + " otherwise name a kernel image in the spec");
        }
        started.incrementAndGet();
        LOG.debug("running {}", String.join(" ", command));
        // stderr is drained on its own thread, or a chatty tool would block on a full pipe.
        FutureTask<String> err = new FutureTask<>(() -> new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        Thread.ofVirtual().name("krunctl-" + command.getFirst() + "-stderr").start(err);
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new KernelException(Kind.MISSING_PREREQUISITE, String.join(" ", command)
                        + " did not finish within " + timeout.toMinutes() + " min; check the network and apt");
            }
            return new Result(p.exitValue(), out, get(err));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot read the output of " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new KernelException(Kind.VM_FAILED, "interrupted while running " + command.getFirst(), e);
        }
    }

    private static String get(Future<String> f) throws InterruptedException {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    /** Condenses a tool's stderr to one line: its {@code E:} lines, or its last line. */
    static String summary(String stderr) {
        List<String> errors = new ArrayList<>();
        String last = "";
        for (String line : stderr.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            last = l;
            if (l.startsWith("E:")) {
                errors.add(l.substring(2).strip());
            }
        }
        String s = errors.isEmpty() ? last : String.join("; ", errors);
        return s.isEmpty() ? "no error output" : s;
    }
}
