package io.krunctl.cli.spec;

import io.krunctl.cli.spec.SpecModel.Field;
import io.krunctl.cli.spec.SpecModel.Kind;
import io.krunctl.vmm.config.VmConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Schema (draft-07, the dialect editors and the YAML language server support best) of the
 * spec, generated from {@link SpecModel} and the reader's own value rules. {@code krunctl schema}
 * prints it; {@code specs/krunctl-spec.schema.json} is the same text, checked by a test.
 *
 * <p>What a schema cannot say is left to {@code krunctl validate}: host files that must exist,
 * paths that clash, a size's 64 MiB minimum when written with a unit, and YAML-level rules
 * (duplicate keys, tags, a second document). Where YAML's implicit typing may turn text the reader
 * accepts into a number or a boolean ({@code cpus: 2}, {@code mode: 0755}, {@code DEBUG: 1}), the
 * schema accepts both spellings, so it never rejects a spec that krunctl runs.
 */
public final class SpecSchema {

    private static final List<String> SCALAR = List.of("string", "number", "boolean");

    private SpecSchema() {}

    /** The schema as JSON text. */
    public static String json() {
        return Json.write(schema());
    }

    /** The schema as a tree of maps and lists. */
    public static Map<String, Object> schema() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("$schema", "http://json-schema.org/draft-07/schema#");
        s.put("title", "krunctl spec (apiVersion " + SpecModel.API_VERSION + ")");
        s.put("description", "A YAML spec for 'krunctl run': one microVM and its workload. Every field is"
                + " described in krunctl-spec(5); 'krunctl validate' checks what a schema cannot.");
        s.putAll(mapping(SpecModel.SPEC));
        s.put("allOf", List.of(initRule(), processRule()));
        return s;
    }

    private static Map<String, Object> property(Field f) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("description", f.description());
        if (f.defaultJson() != null) {
            p.put("default", f.defaultJson());
        }
        p.putAll(switch (f.kind()) {
            case API_VERSION -> Map.of("const", SpecModel.API_VERSION);
            case NAME -> string(anchored(SpecRules.NAME.pattern()));
            case CPUS -> anyOf(
                    ordered("type", "integer", "minimum", 1, "maximum", SpecRules.MAX_CPUS),
                    string(cpusText()));
            case SIZE -> anyOf(
                    string(anchored(MemorySize.SIZE.pattern())),
                    ordered("type", "integer", "minimum", MemorySize.MIN_BYTES, "multipleOf", VmConfig.MIB));
            case HOSTNAME -> string(hostnamePattern());
            case HOST_FILE, HOST_DIR, DISK_IMAGE, KERNEL -> ordered("type", "string", "minLength", 1);
            case FSTYPE -> string(anchored(SpecRules.FSTYPE.pattern()));
            case MOUNT_OPTIONS -> string("^(?!(.*,)?(" + String.join("|", SpecRules.MOUNT_FLAG_WORDS.stream()
                    .sorted().toList()) + ")(,|$))" + SpecRules.MOUNT_OPTIONS.pattern() + "$");
            case NETWORK_MODE -> ordered("enum", SpecRules.NETWORK_MODES);
            case PORTS -> ordered("type", "array", "items", string(portForwardPattern()));
            case RLIMITS -> rlimits();
            case CACHE -> ordered("enum", List.of("never", "auto", "always"));
            case MOUNT_TYPE -> ordered("enum", SpecModel.MOUNT_TYPES);
            case MOUNT_POINT -> string(guestPath(false));
            case TMPFS_SIZE -> anyOf(
                    string(anchored(MemorySize.SIZE.pattern())),
                    ordered("type", "integer", "minimum", VmConfig.MIB, "multipleOf", VmConfig.MIB));
            case MAPPING -> mapping(f);
            case DIR_ROOT -> dirRoot(f);
            case ONE_OF -> oneKind(f);
            case INIT -> exactlyOneOf(f, SpecModel.INIT_KEYS);
            case TRUE -> anyOf(Map.of("const", true), Map.of("enum", List.of("true", "True", "TRUE")));
            case EMPTY_MAPPING -> ordered("type", "object", "maxProperties", 0);
            case LIST_OF_MAPPINGS -> f == SpecModel.DISKS
                    ? ordered("type", "array", "maxItems", SpecRules.MAX_DISKS, "items", mapping(f))
                    : ordered("type", "array", "items", f == SpecModel.MOUNT ? mountEntry(f)
                            : exactlyOneOf(f, SpecModel.FILE_DATA_KEYS));
            case GUEST_FILE -> {
                Map<String, Object> g = string(guestPath(false));
                if (f == SpecModel.FILE.field("path")) {
                    // The init's path is allowed with init.disabled only: see initRule.
                    g.put("not", Map.of("enum", java.util.List.of(SpecRules.AGENT_PATH, SpecRules.CONFIG_PATH)));
                }
                yield g;
            }
            case GUEST_DIR -> string(guestPath(true));
            case TEXT -> Map.of("type", SCALAR);
            case MODE -> anyOf(
                    string(anchored(SpecRules.OCTAL_MODE.pattern())),
                    ordered("type", "integer", "minimum", 0, "maximum", 7777));
            case BOOLEAN -> anyOf(
                    Map.of("type", "boolean"),
                    Map.of("enum", List.of("true", "True", "TRUE", "false", "False", "FALSE")));
            case ARGS -> ordered(
                    "type", "array",
                    "minItems", 1,
                    "items", List.of(ordered("type", SCALAR, "minLength", 1)),
                    "additionalItems", Map.of("type", SCALAR));
            case ENV -> ordered(
                    "type", "object",
                    "propertyNames", Map.of("pattern", anchored(SpecRules.ENV_NAME.pattern())),
                    "additionalProperties", Map.of("type", SCALAR));
        });
        return p;
    }

    /** A mapping of the supported fields; unknown keys are errors. */
    private static Map<String, Object> mapping(Field f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "object");
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (Field child : f.fields()) {
            if (!child.supported()) {
                continue;
            }
            properties.put(child.name(), property(child));
            if (child.required()) {
                required.add(child.name());
            }
        }
        if (!required.isEmpty()) {
            m.put("required", required);
        }
        m.put("properties", properties);
        m.put("additionalProperties", false);
        return m;
    }

    /** The root: exactly one of its supported kinds, and settings only with the kind they belong to. */
    private static Map<String, Object> oneKind(Field f) {
        Map<String, Object> m = mapping(f);
        List<Object> oneOf = new ArrayList<>();
        for (Field child : f.fields()) {
            if (child.supported() && SpecModel.ROOT_KINDS.contains(child.name())) {
                oneOf.add(Map.of("required", List.of(child.name())));
            }
        }
        m.put("oneOf", oneOf);
        Map<String, Object> dependencies = new LinkedHashMap<>();
        for (String setting : SpecModel.ROOT_DIR_SETTINGS) {
            dependencies.put(setting, List.of("dir"));
        }
        m.put("dependencies", dependencies);
        // The mapping form of dir takes its settings inside; beside it they are refused.
        Map<String, Object> refused = new LinkedHashMap<>();
        for (String setting : SpecModel.ROOT_DIR_SETTINGS) {
            refused.put(setting, false);
        }
        m.put("if", ordered("properties", Map.of("dir", Map.of("type", "object")), "required", List.of("dir")));
        m.put("then", ordered("properties", refused));
        m.put("not", readOnlyWithDevices());
        return m;
    }

    /**
     * A mapping with both {@code readOnly} and {@code devices} true, which a share refuses (the guest
     * could create no device node in it). Of type object, so that a string (the short form of
     * {@code root.dir}) is never taken for it.
     */
    private static Map<String, Object> readOnlyWithDevices() {
        Map<String, Object> on = Map.of("enum", List.of(true, "true", "True", "TRUE"));
        return ordered("type", "object", "required", List.of("readOnly", "devices"),
                "properties", ordered("readOnly", on, "devices", on));
    }

    /**
     * {@code root.dir}: a path, or a mapping of the path and its settings. One schema of both types
     * (each keyword applies to its own type only) rather than an anyOf, so editors still find the
     * mapping's properties.
     */
    private static Map<String, Object> dirRoot(Field f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", List.of("string", "object"));
        m.put("minLength", 1);
        Map<String, Object> mapping = mapping(f);
        mapping.remove("type");
        m.putAll(mapping);
        m.put("not", readOnlyWithDevices());
        return m;
    }

    /** A mount entry: a virtiofs mount needs a source, and keys of the other type are refused. */
    private static Map<String, Object> mountEntry(Field f) {
        Map<String, Object> m = mapping(f);
        List<Object> rules = new ArrayList<>();
        for (String type : SpecModel.MOUNT_TYPES) {
            Map<String, Object> then = new LinkedHashMap<>();
            if (type.equals("virtiofs")) {
                then.put("required", List.of("source"));
            }
            Map<String, Object> refused = new LinkedHashMap<>();
            SpecModel.MOUNT_KEY_TYPE.entrySet().stream()
                    .filter(e -> !e.getValue().equals(type))
                    .map(Map.Entry::getKey)
                    .sorted()
                    .forEach(key -> refused.put(key, false));
            then.put("properties", refused);
            rules.add(ordered("if", ordered("properties", Map.of("type", Map.of("const", type)), "required",
                    List.of("type")), "then", then));
        }
        m.put("allOf", rules);
        m.put("not", readOnlyWithDevices());
        return m;
    }

    /** {@code process.rlimits}: each resource by name, with a soft and a hard limit. */
    private static Map<String, Object> rlimits() {
        Map<String, Object> properties = new LinkedHashMap<>();
        for (String name : SpecRules.RLIMIT_NAMES) {
            // nofile has no "unlimited" and a maximum (fs.nr_open), exact for numbers; a quoted number
            // above it is left to krunctl validate.
            Map<String, Object> limit = name.equals("nofile")
                    ? anyOf(string("^[0-9]{1,7}$"),
                            ordered("type", "integer", "minimum", 0, "maximum", SpecRules.MAX_NOFILE))
                    : anyOf(string(anchored(SpecRules.LIMIT.pattern())), ordered("type", "integer", "minimum", 0));
            properties.put(name, ordered(
                    "type", "object",
                    "required", List.of("soft", "hard"),
                    "properties", ordered("soft", limit, "hard", limit),
                    "additionalProperties", false));
        }
        return ordered("type", "object", "properties", properties, "additionalProperties", false);
    }

    /** {@code [ADDRESS:]HOSTPORT:GUESTPORT} with ports 1 to 65535 and a dotted-decimal IPv4 address. */
    private static String portForwardPattern() {
        String port = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
        String octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        return "^(" + octet + "(\\." + octet + "){3}:)?" + port + ":" + port + "$";
    }

    /**
     * With {@code init.disabled}, {@code files} must give {@code /init.krun}; otherwise no entry may.
     * (That its mode is executable is left to {@code krunctl validate}.)
     */
    private static Map<String, Object> initRule() {
        Map<String, Object> initPath = ordered("properties", Map.of("path", Map.of("const", SpecRules.INIT_PATH)),
                "required", List.of("path"));
        return ordered(
                "if", ordered("properties", Map.of("init", Map.of("required", List.of("disabled"))),
                        "required", List.of("init")),
                "then", ordered("required", List.of("files"),
                        "properties", Map.of("files", Map.of("contains", initPath))),
                "else", ordered("properties", Map.of("files", Map.of("items", Map.of("not", initPath)))));
    }

    /** Without {@code image}, {@code process} and its {@code args} must say what to run. */
    private static Map<String, Object> processRule() {
        return ordered(
                "if", Map.of("not", Map.of("required", List.of("image"))),
                "then", ordered("required", List.of("process"),
                        "properties", Map.of("process", Map.of("required", List.of("args")))));
    }

    /** A mapping of {@code f}'s fields with exactly one of {@code keys}: {@code init}, a file entry. */
    private static Map<String, Object> exactlyOneOf(Field f, List<String> keys) {
        Map<String, Object> m = mapping(f);
        List<Object> oneOf = new ArrayList<>();
        for (String key : keys) {
            oneOf.add(Map.of("required", List.of(key)));
        }
        m.put("oneOf", oneOf);
        return m;
    }

    /** {@code 1} to the maximum, as decimal text with optional leading zeros (at most 9 digits). */
    private static String cpusText() {
        StringBuilder alternatives = new StringBuilder();
        for (int n = SpecRules.MAX_CPUS; n >= 1; n--) {
            alternatives.append(alternatives.isEmpty() ? "" : "|").append(n);
        }
        return "^(?=[0-9]{1,9}$)0*(" + alternatives + ")$";
    }

    private static String hostnamePattern() {
        String label = SpecRules.HOST_LABEL.pattern();
        return "^(?=.{1," + SpecRules.MAX_HOSTNAME + "}$)" + label + "(\\." + label + ")*$";
    }

    /** Absolute and normalized: no empty, '.' or '..' component, no trailing '/'. */
    private static String guestPath(boolean allowRoot) {
        String components = "(/(?!\\.\\.?(/|$))[^/\\u0000]+)+";
        return allowRoot ? "^(/|" + components + ")$" : "^" + components + "$";
    }

    private static String anchored(String pattern) {
        return "^" + pattern + "$";
    }

    private static Map<String, Object> string(String pattern) {
        return ordered("type", "string", "pattern", pattern);
    }

    private static Map<String, Object> anyOf(Map<String, Object> a, Map<String, Object> b) {
        return ordered("anyOf", List.of(a, b));
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
