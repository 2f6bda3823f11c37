package io.krunctl.cli.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krunctl.vmm.state.ProcessIdentity;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The OCI containers of this host, one directory each under {@code /run/krunctl/oci} (for root; a
 * user's own runtime directory otherwise): {@code state.json} says which supervisor runs the
 * container and whether it has been started; the supervisor's sockets and log sit beside it. The
 * location is fixed, not taken from {@code --root}: podman passes global options to some calls and
 * not to others ({@code state}, and the cleanup's {@code delete}), which would then not find the
 * container.
 *
 * <p>A directory outlives a supervisor that crashed: the container is then {@code stopped}, known
 * by its supervisor's pid no longer running the process that wrote it (pid and start time), until
 * {@code delete} removes it.
 */
public final class ContainerStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATE = "state.json";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0,254}");

    /** What the supervisor has recorded. */
    public enum Phase {
        /** {@code create} is setting the container up; no supervisor has reported yet. */
        CREATING,
        /** The supervisor is ready and waits for {@code start}. */
        CREATED,
        /** {@code start} has been asked; the VM boots or runs. */
        STARTED
    }

    /**
     * The OCI status, as {@code state} reports it.
     */
    public enum Status {
        CREATING, CREATED, RUNNING, STOPPED;

        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One container's record.
     *
     * @param id          the container's id
     * @param bundle      the bundle directory, absolute
     * @param created     when {@code create} began
     * @param annotations config.json's annotations, for {@code state}
     * @param phase       how far the supervisor got
     * @param supervisor  the supervisor process (the container's pid), once it reported
     * @param qemu        the VM's QEMU process, once started
     * @param dir         the container's directory
     */
    public record Container(String id, Path bundle, Instant created, Map<String, String> annotations, Phase phase,
            Optional<ProcessIdentity> supervisor, Optional<ProcessIdentity> qemu, Path dir) {
        public Container {
            annotations = Map.copyOf(annotations);
        }

        /** The OCI status now: stopped once the supervisor has ended. */
        public Status status() {
            return switch (phase) {
                case CREATING -> supervisor.isPresent() && !supervisor.get().alive() ? Status.STOPPED
                        : Status.CREATING;
                case CREATED -> supervisor.orElseThrow().alive() ? Status.CREATED : Status.STOPPED;
                case STARTED -> supervisor.orElseThrow().alive() ? Status.RUNNING : Status.STOPPED;
            };
        }

        /** Where {@code start} tells the supervisor to boot the VM. */
        public Path startSocket() {
            return dir.resolve("start.sock");
        }

        /** Where an exec reaches the guest agent through the supervisor. */
        public Path execSocket() {
            return dir.resolve("exec.sock");
        }

        /** The supervisor's log (Log4j): the workload's stderr is the caller's, so it does not go there. */
        public Path supervisorLog() {
            return dir.resolve("supervisor.log");
        }

        /** The one line a supervisor that failed to set the container up leaves for {@code create}. */
        public Path failure() {
            return dir.resolve("failure.txt");
        }

        public Container with(Phase newPhase, Optional<ProcessIdentity> newSupervisor, Optional<ProcessIdentity> newQemu) {
            return new Container(id, bundle, created, annotations, newPhase, newSupervisor, newQemu, dir);
        }
    }

    private final Path root;

    public ContainerStore(Path root) {
        this.root = root;
    }

    /**
     * The store of this user: {@code /run/krunctl/oci} for root, whatever the environment (podman
     * calls {@code state} and {@code delete} with nothing but an empty {@code XDG_RUNTIME_DIR});
     * {@code $XDG_RUNTIME_DIR/krunctl/oci} or the temporary directory for others.
     */
    public static ContainerStore ofCurrentUser() {
        long uid = ProcessIdentity.currentUid();
        if (uid == 0) {
            return new ContainerStore(Path.of("/run/krunctl/oci"));
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            return new ContainerStore(Path.of(xdg, "krunctl", "oci"));
        }
        return new ContainerStore(Path.of(System.getProperty("java.io.tmpdir"), "krunctl-" + uid, "oci"));
    }

    public Path root() {
        return root;
    }

    /** Checks a container id: letters, digits, {@code _ . + -}, not starting with a symbol. */
    public static void requireValidId(String id) throws OciException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new OciException("\"" + id + "\" is not a container id: use 1 to 255 letters, digits, '_', '.', '+'"
                    + " and '-', starting with a letter or digit");
        }
    }

    /**
     * Records a new container, in phase {@link Phase#CREATING}.
     *
     * @throws OciException if the id is taken (a container of that id exists until it is deleted)
     */
    public Container create(String id, Path bundle, Map<String, String> annotations) throws OciException {
        requireValidId(id);
        Path dir = root.resolve(id);
        try {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new OciException("container " + id + " already exists; delete it first (krunctl delete " + id + ")");
        } catch (IOException e) {
            throw new OciException("cannot record the container in " + root + ": " + e.getMessage(), e);
        }
        Container c = new Container(id, bundle, Instant.now(), annotations, Phase.CREATING, Optional.empty(),
                Optional.empty(), dir);
        try {
            write(c);
        } catch (IOException e) {
            remove(c);
            throw new OciException("cannot record the container in " + dir + ": " + e.getMessage(), e);
        }
        return c;
    }

    /**
     * The container {@code id}.
     *
     * @throws OciException if there is none
     */
    public Container get(String id) throws OciException {
        return find(id).orElseThrow(() -> new OciException("container " + id + " does not exist"));
    }

    /** The container {@code id}, if it exists (an unreadable record counts as none). */
    public Optional<Container> find(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        return read(root.resolve(id));
    }

    /** Records what the supervisor has done, atomically. */
    public void update(Container c) throws IOException {
        write(c);
    }

    /** Removes the container's directory and everything in it; the id is free again. */
    public void remove(Container c) {
        try (Stream<Path> walk = Files.walk(c.dir())) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Gone already; a later delete tries again.
        }
    }

    private static Optional<Container> read(Path dir) {
        try {
            JsonNode o = JSON.readTree(dir.resolve(STATE).toFile());
            Map<String, String> annotations = new LinkedHashMap<>();
            o.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
            return Optional.of(new Container(o.required("id").asText(), Path.of(o.required("bundle").asText()),
                    Instant.parse(o.required("created").asText()), annotations,
                    Phase.valueOf(o.required("phase").asText()), identity(o.get("supervisor")),
                    identity(o.get("qemu")), dir));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<ProcessIdentity> identity(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        return Optional.of(new ProcessIdentity(node.required("pid").asLong(), node.required("startTime").asLong()));
    }

    private static void write(Container c) throws IOException {
        ObjectNode o = JSON.createObjectNode().put("id", c.id()).put("bundle", c.bundle().toString())
                .put("created", c.created().toString()).put("phase", c.phase().name());
        ObjectNode annotations = o.putObject("annotations");
        c.annotations().forEach(annotations::put);
        c.supervisor().ifPresent(p -> o.putObject("supervisor").put("pid", p.pid()).put("startTime", p.startTime()));
        c.qemu().ifPresent(p -> o.putObject("qemu").put("pid", p.pid()).put("startTime", p.startTime()));
        Path tmp = c.dir().resolve(STATE + ".tmp");
        JSON.writeValue(tmp.toFile(), o);
        Files.move(tmp, c.dir().resolve(STATE), StandardCopyOption.ATOMIC_MOVE);
    }
}
