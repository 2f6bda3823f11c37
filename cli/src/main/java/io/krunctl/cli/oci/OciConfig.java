package io.krunctl.cli.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The parts of an OCI bundle's {@code config.json} (runtime-spec {@code config.md}) that krunctl
 * reads; every other key is ignored here and judged by {@link BundleMapping}. Absent objects and
 * arrays are {@code null}, as the JSON has them.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OciConfig(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts,
        Map<String, String> annotations, Linux linux, Map<String, Object> hooks) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    /** {@code process}: the container's program, also the shape of an exec's {@code process.json}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Process(Boolean terminal, User user, List<String> args, List<String> env, String cwd,
            List<Rlimit> rlimits) {
        public boolean isTerminal() {
            return terminal != null && terminal;
        }
    }

    /** {@code process.user}: numeric ids only, as on Linux; {@code uid} and {@code gid} are required. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record User(Long uid, Long gid, Long umask, List<Long> additionalGids) {}

    /** {@code process.rlimits[]}: {@code type} is {@code RLIMIT_NOFILE} and the like. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rlimit(String type, BigInteger soft, BigInteger hard) {}

    /** {@code root}: the container's root directory, relative to the bundle or absolute. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Root(String path, boolean readonly) {}

    /** {@code mounts[]}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Mount(String destination, String type, String source, List<String> options) {
        public List<String> optionList() {
            return options == null ? List.of() : options;
        }
    }

    /** {@code linux}: only what changes how the VM is built. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Linux(List<Namespace> namespaces, Resources resources, List<Device> devices) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Namespace(String type, String path) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Device(String path, String type) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Resources(Memory memory, Cpu cpu) {}

    /** {@code linux.resources.memory}: {@code limit} in bytes. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Memory(Long limit) {}

    /** {@code linux.resources.cpu}: CFS {@code quota} per {@code period} (µs), as {@code --cpus} sets them. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Cpu(Long quota, Long period) {}

    /**
     * Reads {@code file}.
     *
     * @throws OciException naming the file, and the line and column of a syntax or type error
     */
    public static OciConfig read(Path file) throws OciException {
        return parse(file, OciConfig.class);
    }

    /** Reads an exec's {@code process.json}, a lone {@link Process}. */
    public static Process readProcess(Path file) throws OciException {
        return parse(file, Process.class);
    }

    private static <T> T parse(Path file, Class<T> type) throws OciException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new OciException(file + ": no such file; is the bundle directory right (--bundle)?");
        } catch (IOException e) {
            throw new OciException(file + ": cannot read: " + e.getMessage());
        }
        try {
            T value = JSON.readValue(bytes, type);
            if (value == null) {
                throw new OciException(file + ": the file is empty or null; expected a JSON object");
            }
            return value;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? file.toString() : file + ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new OciException(where + ": " + e.getOriginalMessage().lines().findFirst().orElse("invalid JSON"));
        } catch (IOException e) {
            throw new OciException(file + ": cannot read: " + e.getMessage());
        }
    }
}
