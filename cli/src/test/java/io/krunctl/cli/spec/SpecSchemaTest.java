package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.krunctl.cli.Golden;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * The JSON Schema against a real validator (networknt, draft-07): it is the committed
 * {@code specs/krunctl-spec.schema.json}, it is itself a valid draft-07 schema, it accepts every
 * example spec and every variant the reader accepts, and it rejects the broken corpus of
 * {@link SpecErrorsTest} except the rows listed in {@link #NOT_EXPRESSIBLE}.
 *
 * <p>Specs are read as editors read them: YAML 1.2's core schema (the YAML language server's
 * default) and, for acceptance, also YAML 1.1 as Jackson reads it, where {@code mode: 0755} is the
 * integer 493.
 */
class SpecSchemaTest {

    private static final Path SCHEMA_FILE = Golden.ROOT.resolve("specs/krunctl-spec.schema.json");
    private static final Schema SCHEMA =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(SpecSchema.json(), InputFormat.JSON);

    /** Broken rows the schema accepts, each with why no JSON Schema can reject it; krunctl validate does. */
    static final Map<String, String> NOT_EXPRESSIBLE = Map.ofEntries(
            Map.entry("kernel missing", "host files are checked on the host"),
            Map.entry("image config missing", "host files are checked on the host"),
            Map.entry("mount file outside its destination", "a rule across fields"),
            Map.entry("mount file given twice", "a rule across list entries"),
            Map.entry("nested mount hides a mount file", "a rule across list entries"),
            Map.entry("image config is not JSON", "host files are checked on the host"),
            Map.entry("missing source", "host files are checked on the host"),
            Map.entry("source is a folder", "host files are checked on the host"),
            Map.entry("source not a regular file", "host files are checked on the host"),
            Map.entry("duplicate path", "a rule across list entries"),
            Map.entry("file inside a file", "a rule across list entries"),
            Map.entry("file above a file", "a rule across list entries"),
            Map.entry("memory below the minimum", "the 64 MiB minimum of a size with a unit"),
            Map.entry("memory not whole MiB", "whole MiB of a size with a fraction"),
            Map.entry("mode decimal int", "YAML reads mode: 493 as the integer 493, the same as mode: 0755 in YAML 1.1"),
            Map.entry("binary content", "YAML tags: a !!binary value reaches the schema as text"),
            Map.entry("merge key", "YAML readers apply a merge key (<<) before a schema sees the data"),
            Map.entry("root.disk image missing", "host files are checked on the host"),
            Map.entry("root.disk image is a folder", "host files are checked on the host"),
            Map.entry("disk image missing", "host files are checked on the host"),
            Map.entry("disk given twice", "host files are checked on the host"),
            Map.entry("disk is also the root disk", "host files are checked on the host"),
            Map.entry("root.disk with files", "a rule across fields"),
            Map.entry("ports without the user network", "a rule across fields"),
            Map.entry("host port forwarded twice", "a rule across list entries"),
            Map.entry("rlimit soft above hard", "a rule across fields"),
            Map.entry("rlimit above 64 bits", "the schema writes integers up to 2^63 only; the bound is 2^64 - 2"),
            Map.entry("root.dir missing", "host directories are checked on the host"),
            Map.entry("root.dir is a file", "host directories are checked on the host"),
            Map.entry("virtiofs source missing", "host directories are checked on the host"),
            Map.entry("virtiofs source is a file", "host directories are checked on the host"),
            Map.entry("duplicate mount destination", "a rule across list entries"),
            Map.entry("mount hides a file", "a rule across lists"),
            Map.entry("mount inside a file", "a rule across lists"),
            Map.entry("tmpfs size too small", "the 1 MiB minimum of a size with a unit"),
            Map.entry("init source missing", "host files are checked on the host"),
            Map.entry("init source is a folder", "host files are checked on the host"),
            Map.entry("own init not executable", "a rule across fields"));

    @TempDir
    Path dir;

    @Test
    void committedSchemaIsTheGeneratedOne() throws IOException {
        Golden.check(SCHEMA_FILE, SpecSchema.json(), SpecSchemaTest.class);
    }

    @Test
    void schemaIsAValidDraft7Schema() throws IOException {
        Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
                .getSchema(SchemaLocation.of("http://json-schema.org/draft-07/schema#"));
        assertThat(meta.validate(new ObjectMapper().readTree(SpecSchema.json()))).isEmpty();
    }

    @Test
    void everyModelFieldIsInTheSchemaUnlessUnsupported() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(SpecSchema.json());
        for (SpecModel.Field f : SpecModel.allFields()) {
            JsonNode at = schema;
            for (String part : f.path().replace("[]", "").split("\\.")) {
                JsonNode items = at.path("items");
                at = (items.isObject() ? items : at).path("properties").path(part);
            }
            assertThat(at.isMissingNode()).as(f.path()).isEqualTo(!f.supported());
            if (f.supported()) {
                assertThat(at.path("description").asText()).as(f.path()).isEqualTo(f.description());
            }
        }
    }

    static Stream<Path> exampleSpecs() throws IOException {
        try (Stream<Path> list = Files.list(Golden.ROOT.resolve("specs"))) {
            return list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleSpecs")
    void everyExampleSpecIsAccepted(Path spec) throws Exception {
        String yaml = Files.readString(spec);
        assertThat(SpecLoader.load(spec).name()).isNotBlank();
        assertAccepted(yaml);
    }

    /** Spellings the reader accepts, which YAML may type differently; the schema must accept them all. */
    @ParameterizedTest
    @ValueSource(strings = {
        "cpus: \"4\"", "cpus: 08", "cpus: 64", "memory: 268435456", "memory: \"1.5Gi\"", "memory: 1G",
        "hostname: box.example", "hostname: a-1.b",
        "files: [{path: /f, content: x, mode: 0755}]", "files: [{path: /f, content: x, mode: \"644\"}]",
        "files: [{path: /f, content: x, mode: 644}]", "files: [{path: /f, content: 12}]",
        "files: [{path: /f, content: \"\", oneShot: TRUE}]", "files: [{path: /f, content: x, oneShot: \"false\"}]",
        "files: [{path: /f, source: present.bin}]",
        "process: {args: [/bin/sh, -c, 5, yes, 1.10], env: {A: 1, B: yes, C: \"\", _D: 1.10}, workdir: /}",
        "process: {args: [/bin/true], workdir: /tmp/work}",
        "process: {args: [/bin/true], rlimits: {nofile: {soft: \"1024\", hard: 1048576}, core: {soft: 0, hard: unlimited}}}",
        "disks: [{path: present.bin, readOnly: TRUE}]", "disks: [{path: present.bin}]",
        "mounts: [{type: virtiofs, source: folder, destination: /d, devices: true}]",
        "mounts: [{type: virtiofs, source: folder, destination: /d, readOnly: TRUE, devices: false}]",
        "network: {mode: none}", "network: {mode: user}",
        "network: {mode: user, ports: [\"8080:80\", \"0.0.0.0:2222:22\", \"65535:1\"]}",
        "init: {source: present.bin}", "init: {disabled: \"true\"}\nfiles: [{path: /init.krun, content: x, mode: 0755}]",
        "init: {disabled: TRUE}\nfiles: [{path: /etc/motd, content: x}, {path: /init.krun, source: present.bin, mode: \"0700\"}]",
    })
    void readerAcceptedVariantsAreAccepted(String field) throws Exception {
        SpecErrorsTest.hostFiles(dir);
        String key = field.substring(0, field.indexOf(':'));
        String base = "apiVersion: krunctl/v1\nname: t\nroot: {nullfs: {}}\n"
                + (key.equals("process") ? "" : "process: {args: [/bin/true]}\n");
        String yaml = base + field + "\n";
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        SpecLoader.load(spec);
        assertAccepted(yaml);
    }

    /** Both forms of a dir root, which the reader reads the same; the schema must accept both. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{dir: folder}", "{dir: folder, readOnly: true, cache: never}", "{dir: {path: folder}}",
        "{dir: {path: ./folder, readOnly: true, cache: never}}", "{dir: {path: folder, readOnly: \"false\"}}",
        "{dir: folder, devices: true, cache: always}", "{dir: {path: folder, devices: TRUE}}",
        "{dir: {path: folder, readOnly: true, devices: false}}", "{dir: folder, readOnly: \"false\", devices: \"true\"}",
    })
    void bothFormsOfADirRootAreAccepted(String root) throws Exception {
        SpecErrorsTest.hostFiles(dir);
        String yaml = "apiVersion: krunctl/v1\nname: t\nroot: " + root + "\nprocess: {args: [/bin/true]}\n";
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        SpecLoader.load(spec);
        assertAccepted(yaml);
    }

    static Stream<Arguments> brokenFiles() {
        return SpecErrorsTest.brokenSpecs().filter(a -> ((List<?>) a.get()[2]).isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void brokenCorpusIsRejected(String name, String yaml, List<?> overrides, List<String> errors) {
        JsonNode instance;
        try {
            instance = yaml12(yaml);
        } catch (RuntimeException e) {
            assertThat(NOT_EXPRESSIBLE).as("rejected by YAML 1.2 itself: %s", e.getMessage()).doesNotContainKey(name);
            return; // not YAML (1.2), or not representable as JSON: no editor would accept it either
        }
        List<com.networknt.schema.Error> found = SCHEMA.validate(instance);
        if (NOT_EXPRESSIBLE.containsKey(name)) {
            assertThat(found).as("%s is listed as not expressible; the schema now rejects it, so remove it from the list",
                    name).isEmpty();
        } else {
            assertThat(found).as("the schema should reject: %s", yaml).isNotEmpty();
        }
    }

    @Test
    void notExpressibleRowsExist() {
        Set<String> names = SpecErrorsTest.brokenSpecs().map(a -> (String) a.get()[0])
                .collect(java.util.stream.Collectors.toSet());
        assertThat(names).containsAll(NOT_EXPRESSIBLE.keySet());
    }

    private static void assertAccepted(String yaml) throws IOException {
        assertThat(SCHEMA.validate(yaml12(yaml))).as("YAML 1.2 reading of:\n%s", yaml).isEmpty();
        JsonNode yaml11 = new YAMLMapper().readTree(yaml);
        assertThat(SCHEMA.validate(yaml11)).as("YAML 1.1 (Jackson) reading of:\n%s", yaml).isEmpty();
    }

    /** YAML 1.2 (core schema) as JSON; duplicate keys, tags and non-text keys fail. */
    static JsonNode yaml12(String yaml) {
        LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).setAllowDuplicateKeys(false).build();
        return json(new Load(settings).loadFromString(yaml));
    }

    private static JsonNode json(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (value) {
            case null -> f.nullNode();
            case String s -> f.textNode(s);
            case Boolean b -> f.booleanNode(b);
            case Integer i -> f.numberNode(i);
            case Long l -> f.numberNode(l);
            case BigInteger b -> f.numberNode(b);
            case Double d -> f.numberNode(d);
            case byte[] bytes -> f.textNode(Base64.getEncoder().encodeToString(bytes));
            case Map<?, ?> map -> {
                ObjectNode o = f.objectNode();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("a mapping key that is not text: " + e.getKey());
                    }
                    o.set(key, json(e.getValue()));
                }
                yield o;
            }
            case List<?> list -> {
                ArrayNode a = f.arrayNode();
                list.forEach(v -> a.add(json(v)));
                yield a;
            }
            default -> fail("unexpected YAML value " + value.getClass());
        };
    }
}
