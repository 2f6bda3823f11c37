package io.krunctl.cli.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The process an OCI image configuration describes (image-spec {@code config.md}, the file an
 * unpacked image's manifest names, also what {@code docker save} writes): the {@code Entrypoint},
 * {@code Cmd}, {@code WorkingDir} and {@code Env} of its {@code config} object. Other keys
 * ({@code User}, {@code ExposedPorts}, {@code Volumes}, ...) are ignored, as libkrun's init ignores
 * them. {@code null}, an empty list and an empty string count as absent, as images write them.
 *
 * @param entrypoint what always runs, before {@code cmd} or the spec's {@code process.args}
 * @param cmd        the default arguments, which {@code process.args} replaces
 * @param workingDir the working directory, absolute, when the image names one
 * @param env        the environment, in the image's order
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, Optional<String> workingDir,
        Map<String, String> env) {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    /** What is wrong with an image configuration file, in one line that names it. */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /**
     * Reads {@code file}.
     *
     * @throws Invalid naming the file and the line and column of a syntax error, or the key of a value
     *                 of the wrong kind
     */
    public static ImageConfig read(Path file) throws Invalid {
        JsonNode top;
        try {
            // Jackson only here: a spec without an image never pays for its start-up.
            top = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? file.toString() : file + ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new Invalid(where + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse("?"));
        } catch (IOException e) {
            throw new Invalid(file + ": cannot read: " + e.getMessage());
        }
        if (top == null || !top.isObject()) {
            throw new Invalid(file + ": expected a JSON object with a 'config' object, as an OCI image configuration has");
        }
        JsonNode config = top.get("config");
        if (config == null || config.isNull()) {
            throw new Invalid(file + ": has no 'config' object, so it gives no process; is it the image's"
                    + " configuration (the file the manifest's config.digest names), not its manifest or index?");
        }
        if (!config.isObject()) {
            throw new Invalid(file + ": config: expected an object, got " + kind(config));
        }
        Reader reader = new Reader(file);
        List<String> entrypoint = reader.strings(config, "Entrypoint");
        List<String> cmd = reader.strings(config, "Cmd");
        Optional<String> workingDir = reader.string(config, "WorkingDir");
        if (workingDir.isPresent() && !workingDir.get().startsWith("/")) {
            throw new Invalid(file + ": config.WorkingDir: expected an absolute guest path, got \""
                    + workingDir.get() + "\"");
        }
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entries = reader.strings(config, "Env");
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i);
            int eq = entry.indexOf('=');
            if (eq < 0 || !ENV_NAME.matcher(entry.substring(0, eq)).matches()) {
                throw new Invalid(file + ": config.Env[" + i + "]: expected NAME=VALUE with a name of letters, digits"
                        + " and '_', got \"" + entry + "\"");
            }
            env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return new ImageConfig(entrypoint, cmd, workingDir, env);
    }

    /** Reads values of {@code config} by key, naming the file and key in what it throws. */
    private record Reader(Path file) {
        List<String> strings(JsonNode config, String key) throws Invalid {
            JsonNode value = config.get(key);
            if (value == null || value.isNull()) {
                return List.of();
            }
            if (!value.isArray()) {
                throw new Invalid(file + ": config." + key + ": expected a list of strings, got " + kind(value));
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < value.size(); i++) {
                JsonNode item = value.get(i);
                if (!item.isTextual() || item.asText().indexOf('\0') >= 0) {
                    throw new Invalid(file + ": config." + key + "[" + i + "]: expected a string without NUL"
                            + " characters, got " + kind(item));
                }
                out.add(item.asText());
            }
            return out;
        }

        Optional<String> string(JsonNode config, String key) throws Invalid {
            JsonNode value = config.get(key);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            if (!value.isTextual() || value.asText().indexOf('\0') >= 0) {
                throw new Invalid(file + ": config." + key + ": expected a string without NUL characters, got "
                        + kind(value));
            }
            return Optional.of(value.asText()).filter(s -> !s.isEmpty());
        }
    }

    private static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
