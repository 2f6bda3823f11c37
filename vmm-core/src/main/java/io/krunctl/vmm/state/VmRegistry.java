package io.krunctl.vmm.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.vmm.VmmException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The running VMs of this user, one directory each under {@code $XDG_RUNTIME_DIR/krunctl} (else
 * {@code /run/krunctl}): {@code vm.json} says which supervisor owns it, {@code exec.sock} is where
 * {@code krunctl exec} reaches it. The directory outlives a supervisor killed with SIGKILL; such an
 * entry is stale, recognised by its pid no longer running the process that wrote it (the pid and the
 * process's start time, so a reused pid is never mistaken for the owner), and cleaned by whoever
 * finds it. A name is unique among live entries: claiming it is an atomic directory creation.
 */
public final class VmRegistry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RECORD = "vm.json";
    private static final String EXEC_SOCKET = "exec.sock";

    /** Where a VM is in its life, as its supervisor last recorded it. */
    public enum Status {
        /** Claimed; the workload has not started yet. */
        STARTING,
        /** The workload runs. */
        RUNNING,
        /** The VM has ended; {@link Entry#exitCode()} says how. Only a detached VM's entry stays. */
        EXITED
    }

    /**
     * What the registry knows of one VM.
     *
     * @param name      the VM's name
     * @param pid       the supervisor's pid
     * @param startTime the supervisor's start time, in clock ticks since boot ({@code /proc/PID/stat})
     * @param spec      the spec it was started from
     * @param created   when it was started
     * @param env       the workload's environment, which an exec starts from
     * @param workdir   the workload's working directory, where an exec starts
     * @param status    where it is in its life
     * @param exitCode  how it ended, once {@link Status#EXITED}; -1 before
     * @param detached  whether it runs detached ({@code run -d}): its logs and entry outlive it
     * @param dir       its directory
     */
    public record Entry(String name, long pid, long startTime, String spec, Instant created, Map<String, String> env,
            String workdir, Status status, int exitCode, boolean detached, Path dir) {
        public Entry {
            env = Map.copyOf(env);
        }

        /** Where {@code krunctl exec} reaches the VM. */
        public Path execSocket() {
            return dir.resolve(EXEC_SOCKET);
        }

        /** Where {@code krunctl logs} reaches a foreground VM. */
        public Path logsSocket() {
            return dir.resolve("logs.sock");
        }

        /** A detached VM's stdout: the workload's. */
        public Path stdoutLog() {
            return dir.resolve("stdout.log");
        }

        /** A detached VM's stderr: the workload's, and krunctl's own messages about the run. */
        public Path stderrLog() {
            return dir.resolve("stderr.log");
        }

        /** Whether the process that wrote the entry still runs. */
        public boolean alive() {
            return new ProcessIdentity(pid, startTime).alive();
        }

        Entry with(long newPid, long newStartTime, Status newStatus, int newExitCode) {
            return new Entry(name, newPid, newStartTime, spec, created, env, workdir, newStatus, newExitCode, detached,
                    dir);
        }
    }

    /**
     * A claimed name. The supervisor records the VM's progress through it; {@link #close()} gives
     * the name back (a detached VM's entry stays, marked exited, for {@code logs} and {@code ps -a}).
     */
    public static final class Claim implements AutoCloseable {
        private Entry entry;
        private boolean handedOver;

        private Claim(Entry entry) {
            this.entry = entry;
        }

        public synchronized Entry entry() {
            return entry;
        }

        /** The workload runs. */
        public synchronized void markRunning() throws IOException {
            entry = entry.with(entry.pid(), entry.startTime(), Status.RUNNING, -1);
            write(entry);
        }

        /** The VM has ended with {@code exitCode}. */
        public synchronized void markExited(int exitCode) throws IOException {
            entry = entry.with(entry.pid(), entry.startTime(), Status.EXITED, exitCode);
            write(entry);
        }

        /** The entry as it is on disk now (another process may have taken it over, see {@link #adopt}). */
        public synchronized Entry reread() throws IOException {
            return read(entry.dir()).orElseThrow(() -> new IOException("the VM's record " + entry.dir()
                    + " is gone"));
        }

        /** Another process ({@link #adopt}) owns the entry from now on: closing leaves it alone. */
        public synchronized void handOver() {
            handedOver = true;
        }

        /** Removes the entry and its logs now, whoever owns it (a detached VM that never started). */
        public synchronized void discard() {
            deleteTree(entry.dir());
        }

        /** Gives the name back; a detached VM's entry stays with its logs until the name is used again. */
        @Override
        public synchronized void close() {
            if (handedOver || entry.detached()) {
                return;
            }
            deleteTree(entry.dir());
        }
    }

    private final Path root;

    public VmRegistry(Path root) {
        this.root = root;
    }

    /**
     * The registry of the current user: {@code $XDG_RUNTIME_DIR/krunctl}; without that variable,
     * {@code /run/krunctl} for root and {@code krunctl-UID} in the temporary directory for others.
     */
    public static VmRegistry ofCurrentUser() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            return new VmRegistry(Path.of(xdg, "krunctl"));
        }
        long uid = ProcessIdentity.currentUid();
        return new VmRegistry(uid == 0 ? Path.of("/run/krunctl")
                : Path.of(System.getProperty("java.io.tmpdir"), "krunctl-" + uid));
    }

    public Path root() {
        return root;
    }

    /**
     * Claims {@code name} for this process.
     *
     * @throws VmmException {@link VmmException.Kind#NAME_IN_USE} if a live VM has it
     */
    public Claim claim(String name, String spec, Map<String, String> env, String workdir) throws VmmException {
        return claim(name, spec, env, workdir, false);
    }

    /**
     * Claims {@code name} for this process; {@code detached} keeps the entry and its logs after the
     * VM ends.
     *
     * @throws VmmException {@link VmmException.Kind#NAME_IN_USE} if a live VM has it
     */
    public Claim claim(String name, String spec, Map<String, String> env, String workdir, boolean detached)
            throws VmmException {
        try {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path dir = root.resolve(name);
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException e) {
                    Optional<Entry> other = read(dir);
                    if (other.isPresent() && other.get().alive()) {
                        throw new VmmException(VmmException.Kind.NAME_IN_USE, "a VM named " + name
                                + " is already running (supervisor pid " + other.get().pid()
                                + "); choose another --name or stop that one");
                    }
                    // A crashed supervisor's, or one that has just started writing its record:
                    // the record is written before anything else, so an entry without one for
                    // long is stale; a fresh one is left alone.
                    if (other.isEmpty() && isYoung(dir)) {
                        throw new VmmException(VmmException.Kind.NAME_IN_USE, "a VM named " + name
                                + " is starting; choose another --name");
                    }
                    deleteTree(dir);
                    continue;
                }
                long pid = ProcessHandle.current().pid();
                Entry entry = new Entry(name, pid, ProcessIdentity.startTimeOf(pid).orElse(0), spec, Instant.now(), env, workdir,
                        Status.STARTING, -1, detached, dir);
                write(entry);
                return new Claim(entry);
            }
            throw new VmmException(VmmException.Kind.NAME_IN_USE, "cannot claim the name " + name
                    + ": other krunctl processes keep taking it");
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot record the VM in " + root + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The live VM named {@code name}.
     *
     * @throws VmmException {@link VmmException.Kind#NO_SUCH_VM} if none runs (a stale entry is cleaned)
     */
    public Entry find(String name) throws VmmException {
        Entry entry = read(root.resolve(name)).orElseThrow(() -> new VmmException(VmmException.Kind.NO_SUCH_VM,
                "no running VM is named " + name + " (krunctl ps lists the running ones)"));
        if (entry.alive()) {
            return entry;
        }
        if (entry.status() == Status.EXITED) {
            throw new VmmException(VmmException.Kind.NO_SUCH_VM, "the VM named " + name + " has exited (status "
                    + entry.exitCode() + "); krunctl logs " + name + " shows its output");
        }
        deleteTree(entry.dir());
        throw new VmmException(VmmException.Kind.NO_SUCH_VM, "no running VM is named " + name
                + " (its krunctl process is gone)");
    }

    /**
     * The entry named {@code name}, running or not.
     *
     * @throws VmmException {@link VmmException.Kind#NO_SUCH_VM} if there is none
     */
    public Entry get(String name) throws VmmException {
        return read(root.resolve(name)).orElseThrow(() -> new VmmException(VmmException.Kind.NO_SUCH_VM,
                "no VM is named " + name + " (krunctl ps -a lists them)"));
    }

    /**
     * Takes over the entry {@code name} that this process's parent claimed for it ({@code run -d}
     * claims the name, then starts the supervisor in a session of its own).
     *
     * @throws VmmException {@link VmmException.Kind#NO_SUCH_VM} if the parent did not claim it
     */
    public Claim adopt(String name) throws VmmException {
        Entry entry = get(name);
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        if (entry.pid() != parent) {
            throw new VmmException(VmmException.Kind.NO_SUCH_VM, "the VM named " + name
                    + " was not claimed by this process's parent; --adopt is for krunctl run -d only");
        }
        long pid = ProcessHandle.current().pid();
        Claim claim = new Claim(entry.with(pid, ProcessIdentity.startTimeOf(pid).orElse(0), Status.STARTING, -1));
        try {
            write(claim.entry());
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot record the VM in " + root + ": "
                    + e.getMessage(), e);
        }
        return claim;
    }

    /** Every entry, live or stale, by name. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                read(dir).ifPresent(out::add);
            }
        } catch (IOException e) {
            return List.of();
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    private static boolean isYoung(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant().isAfter(Instant.now().minusSeconds(10));
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<Entry> read(Path dir) {
        try {
            JsonNode o = JSON.readTree(dir.resolve(RECORD).toFile());
            Map<String, String> env = new LinkedHashMap<>();
            o.required("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
            return Optional.of(new Entry(o.required("name").asText(), o.required("pid").asLong(),
                    o.required("startTime").asLong(), o.required("spec").asText(),
                    Instant.parse(o.required("created").asText()), env, o.required("workdir").asText(),
                    Status.valueOf(o.required("status").asText()), o.required("exitCode").asInt(),
                    o.required("detached").asBoolean(), dir));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void write(Entry entry) throws IOException {
        var o = JSON.createObjectNode().put("name", entry.name()).put("pid", entry.pid())
                .put("startTime", entry.startTime()).put("spec", entry.spec()).put("created", entry.created().toString())
                .put("workdir", entry.workdir()).put("status", entry.status().name()).put("exitCode", entry.exitCode())
                .put("detached", entry.detached());
        var env = o.putObject("env");
        entry.env().forEach(env::put);
        Path tmp = entry.dir().resolve(RECORD + ".tmp");
        JSON.writeValue(tmp.toFile(), o);
        Files.move(tmp, entry.dir().resolve(RECORD), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Gone already, or not ours to delete: a later claim or find tries again.
        }
    }
}
