package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Broken specs and the exact errors they give. Each row is a spec written to {@code spec.yaml} in
 * a temporary folder (which also holds a regular file {@code present.bin} and a folder
 * {@code folder}), and the full list of errors, each {@code LINE:COL: MESSAGE}; the test prefixes
 * the spec path and replaces {@code ${dir}} by the folder's absolute path.
 */
class SpecErrorsTest {

    /** A valid spec to build broken ones on: lines 1 to 3. */
    private static final String BASE = """
            name: t
            root: {nullfs: {}}
            process: {args: [/bin/true]}
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void hostFiles() throws IOException {
        Files.writeString(dir.resolve("present.bin"), "x");
        Files.createDirectories(dir.resolve("folder"));
    }

    static Stream<Arguments> brokenSpecs() {
        return Stream.of(
                // ---- YAML syntax: one error, the parser's own words and position ----
                row("bad indentation", """
                        name: t
                          cpus: 1
                        """,
                        "2:7: mapping values are not allowed here; check the indentation of this line and the ones"
                                + " above, or quote a value that contains ': '"),
                row("unclosed quote", """
                        name: "t
                        cpus: 1
                        """,
                        "3:1: found unexpected end of stream (while scanning a quoted scalar at 1:7)"),
                row("tab indentation", "name: t\nprocess:\n\targs: [/bin/true]\n",
                        "3:1: found a tab character where YAML allows only spaces; indent with spaces, not tabs"),
                row("unclosed flow list", """
                        name: t
                        process:
                          args: [/bin/true, x
                          env: {}
                        """,
                        "4:6: expected ',' or ']', but got ':' (while parsing a flow sequence at 3:9)"),
                row("list item inside a mapping", """
                        name: t
                        files:
                          - path: /a
                          content: x
                        """,
                        "4:3: expected <block end>, but found a mapping key (while parsing a block collection at 3:3)"),
                row("second document", BASE + "---\nname: u\n",
                        "4:1: expected a single YAML document, but found another one"),
                row("undefined alias", BASE + "cpus: *n\n", "4:7: found undefined alias n"),
                row("control character", "name: t\u0007\n", "1:8: character U+0007 is not allowed in YAML"),

                // ---- the document as a whole ----
                row("empty file", "",
                        "1:1: spec is empty; expected a mapping with at least 'name', 'root' and 'process'"),
                row("only comments", "# nothing here\n\n",
                        "1:1: spec is empty; expected a mapping with at least 'name', 'root' and 'process'"),
                row("document is a list", "- name: t\n",
                        "1:1: expected a mapping at the top level (name, root, process, ...), got a list"),
                row("document is a string", "\n  hello\n",
                        "2:3: expected a mapping at the top level (name, root, process, ...), got \"hello\""),
                row("required keys missing", "cpus: 2\n",
                        "1:1: missing required key 'name'",
                        "1:1: missing required key 'root'; for an empty root write 'root: {nullfs: {}}'",
                        "1:1: missing required key 'process'; it says what to run, e.g. 'process: {args: [/bin/sh]}'"),

                // ---- unknown and duplicate keys ----
                row("unknown top-level key, did you mean", BASE + "memroy: 1Gi\n",
                        "4:1: unknown key 'memroy' at top level; did you mean 'memory'?"),
                row("unknown top-level key, by prefix", BASE + "mem: 1Gi\n",
                        "4:1: unknown key 'mem' at top level; did you mean 'memory'?"),
                row("unknown top-level key, no close match", BASE + "network: host\n",
                        "4:1: unknown key 'network' at top level; valid keys are 'apiVersion', 'name', 'cpus',"
                                + " 'memory', 'hostname', 'root', 'files', 'process', 'kernel'"),
                row("process key at top level", BASE + "workdir: /tmp\n",
                        "4:1: unknown key 'workdir' at top level; it belongs in 'process'"),
                row("unknown key in process, did you mean", """
                        name: t
                        root: {nullfs: {}}
                        process:
                          args: [/bin/true]
                          workdr: /tmp
                        """,
                        "5:3: unknown key 'workdr' in process; did you mean 'workdir'?"),
                row("unknown key in process, no close match", """
                        name: t
                        root: {nullfs: {}}
                        process:
                          args: [/bin/true]
                          user: root
                        """,
                        "5:3: unknown key 'user' in process; valid keys are 'args', 'env', 'workdir'"),
                row("unknown key in a file entry", BASE + """
                        files:
                          - path: /etc/motd
                            content: hi
                            Mode: "0600"
                        """,
                        "7:5: unknown key 'Mode' in files[0]; did you mean 'mode'?"),
                row("unknown key in root", """
                        name: t
                        root: {nulfs: {}}
                        process: {args: [/bin/true]}
                        """,
                        "2:8: unknown key 'nulfs' in root; did you mean 'nullfs'?"),
                row("settings under nullfs", """
                        name: t
                        root:
                          nullfs: {size: 1}
                        process: {args: [/bin/true]}
                        """,
                        "3:12: unknown key 'size' in root.nullfs; it takes no keys, write 'nullfs: {}'"),
                row("merge key", BASE + "<<: {cpus: 2}\n",
                        "4:1: unknown key '<<' at top level; YAML merge keys are not supported"),
                row("duplicate top-level key", """
                        name: t
                        cpus: 1
                        root: {nullfs: {}}
                        cpus: 2
                        process: {args: [/bin/true]}
                        """,
                        "4:1: duplicate key 'cpus' at top level; first given at line 2"),
                row("duplicate env key", BASE.replace("[/bin/true]}", "[/bin/true], env: {A: 1, A: 2}}"),
                        "3:42: duplicate key 'A' in process.env; first given at line 3"),
                row("list as a key", BASE + "? [a, b]\n: c\n",
                        "4:3: expected a plain key at top level, got a list"),

                // ---- scalar fields ----
                row("bad apiVersion", "apiVersion: krunctl/v2\n" + BASE,
                        "1:13: apiVersion: expected \"krunctl/v1\", got \"krunctl/v2\""),
                row("bad name", BASE.replace("name: t", "name: My_VM"),
                        "1:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"My_VM\""),
                row("name is a number", BASE.replace("name: t", "name: -1"),
                        "1:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"-1\""),
                row("cpus is a word", BASE + "cpus: two\n",
                        "4:7: cpus: expected an integer from 1 to 64, got \"two\""),
                row("cpus is zero", BASE + "cpus: 0\n", "4:7: cpus: expected an integer from 1 to 64, got 0"),
                row("cpus too many", BASE + "cpus: 65\n", "4:7: cpus: expected an integer from 1 to 64, got 65"),
                row("cpus is a fraction", BASE + "cpus: 1.5\n",
                        "4:7: cpus: expected an integer from 1 to 64, got 1.5"),
                row("cpus is empty", BASE + "cpus:\n", "4:6: cpus: expected an integer from 1 to 64, got nothing"),
                row("cpus is a list", BASE + "cpus: [1]\n",
                        "4:7: cpus: expected an integer from 1 to 64, got a list"),
                row("hostname with underscore", BASE + "hostname: my_host\n",
                        "4:11: hostname: expected a host name of letters, digits, '-' and '.' (labels of 1 to 63"
                                + " characters, at most 64 in all), got \"my_host\""),
                row("kernel missing", BASE + "kernel: boot/vmlinux\n",
                        "4:9: kernel: cannot read host file ${dir}/boot/vmlinux: No such file or directory"),

                // ---- memory sizes ----
                row("memory in MB", BASE + "memory: 256MB\n",
                        "4:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"256MB\"; did you mean \"256Mi\"?"),
                row("memory in lower case", BASE + "memory: 2gb\n",
                        "4:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"2gb\"; did you mean \"2Gi\"?"),
                row("memory negative", BASE + "memory: -1Gi\n",
                        "4:9: memory: expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least"
                                + " 64Mi), got \"-1Gi\""),
                row("memory zero", BASE + "memory: 0\n", "4:9: memory: must be at least 64Mi, got \"0\""),
                row("memory below the minimum", BASE + "memory: 63Mi\n",
                        "4:9: memory: must be at least 64Mi, got \"63Mi\""),
                row("memory in bytes, too few", BASE + "memory: 512\n",
                        "4:9: memory: must be at least 64Mi, got \"512\" (bytes); did you mean \"512Mi\"?"),
                row("memory not whole MiB", BASE + "memory: 0.1Gi\n",
                        "4:9: memory: must be a whole number of MiB, got \"0.1Gi\" (not a whole number of bytes)"),
                row("memory bytes not whole MiB", BASE + "memory: 100000000\n",
                        "4:9: memory: must be a whole number of MiB, got \"100000000\" (100000000 bytes)"),

                // ---- root ----
                row("root with no kind", BASE.replace("{nullfs: {}}", "{}"),
                        "2:7: root: expected exactly one kind of root; write 'nullfs: {}', the only kind supported now"),
                row("root is empty", BASE.replace(" {nullfs: {}}", ""),
                        "2:6: root: expected a mapping like {nullfs: {}}, got nothing"),
                row("root with two kinds", """
                        name: t
                        root:
                          nullfs: {}
                          disk: {path: /x.img}
                        process: {args: [/bin/true]}
                        """,
                        "4:3: root: expected exactly one kind, got both 'nullfs' and 'disk'"),
                row("root.dir", BASE.replace("{nullfs: {}}", "{dir: /srv}"),
                        "2:8: root.dir is not supported yet; use root.nullfs"),
                row("root.disk", BASE.replace("{nullfs: {}}", "{disk: {path: /x.img}}"),
                        "2:8: root.disk is not supported yet; use root.nullfs"),
                row("nullfs with a value", BASE.replace("{nullfs: {}}", "{nullfs: yes}"),
                        "2:16: root.nullfs: expected an empty mapping {}, got \"yes\""),

                // ---- files ----
                row("files is a mapping", BASE + "files: {path: /a}\n",
                        "4:8: files: expected a list of files (each with 'path' and 'content' or 'source'), got a mapping"),
                row("file entry is a string", BASE + "files: [/etc/motd]\n",
                        "4:9: files[0]: expected a mapping with 'path' and 'content' or 'source', got \"/etc/motd\""),
                row("both content and source", BASE + """
                        files:
                          - path: /a
                            source: present.bin
                            content: x
                        """,
                        "7:5: files[0]: give either 'content' or 'source', not both"),
                row("neither content nor source", BASE + """
                        files:
                          - path: /a
                            mode: "0600"
                        """,
                        "5:5: files[0]: missing 'content' or 'source'; give the file's text or a host file to copy"),
                row("no path", BASE + "files: [{content: x}]\n",
                        "4:10: files[0]: missing required key 'path'"),
                row("relative path", BASE + "files: [{path: etc/motd, content: x}]\n",
                        "4:16: files[0].path: expected an absolute path (starting with '/'), got \"etc/motd\""),
                row("path with ..", BASE + "files: [{path: /etc/../motd, content: x}]\n",
                        "4:16: files[0].path: must not contain '..', got \"/etc/../motd\""),
                row("path not normalized", BASE + "files: [{path: /etc//motd/, content: x}]\n",
                        "4:16: files[0].path: expected a normalized path, got \"/etc//motd/\"; did you mean \"/etc/motd\"?"),
                row("path is the root", BASE + "files: [{path: /, content: x}]\n",
                        "4:16: files[0].path: expected the path of a file, got \"/\""),
                row("path of the init", BASE + "files: [{path: /init.krun, content: x}]\n",
                        "4:16: files[0].path: /init.krun is reserved for krunctl's guest init"),
                row("duplicate path", BASE + """
                        files:
                          - {path: /etc/motd, content: a}
                          - {path: /etc/hosts, content: b}
                          - {path: /etc/motd, content: c}
                        """,
                        "7:12: files[2].path: duplicate path \"/etc/motd\"; first given at line 5"),
                row("file inside a file", BASE + """
                        files:
                          - {path: /etc, content: a}
                          - {path: /etc/motd, content: b}
                        """,
                        "6:12: files[1].path: \"/etc/motd\" would be inside \"/etc\", which is a file (line 5)"),
                row("file above a file", BASE + """
                        files:
                          - {path: /etc/motd, content: b}
                          - {path: /etc, content: a}
                        """,
                        "6:12: files[1].path: \"/etc\" is a file, but \"/etc/motd\" (line 5) needs it to be a directory"),
                row("missing source", BASE + """
                        files:
                          - path: /bin/tool
                            source: ../tools/tool
                        """,
                        "6:13: files[0].source: cannot read host file ${parent}/tools/tool: No such file or directory"),
                row("source is a folder", BASE + "files: [{path: /a, source: folder}]\n",
                        "4:28: files[0].source: cannot read host file ${dir}/folder: Is a directory"),
                row("source not a regular file", BASE + "files: [{path: /a, source: /dev/null}]\n",
                        "4:28: files[0].source: cannot read host file /dev/null: not a regular file"),
                row("empty content value", BASE + "files: [{path: /a, content: }]\n",
                        "4:28: files[0].content: expected the file's text as a string, got nothing"),
                row("mode 0999", BASE + "files: [{path: /a, content: x, mode: \"0999\"}]\n",
                        "4:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"0999\""),
                row("mode 12345", BASE + "files: [{path: /a, content: x, mode: \"12345\"}]\n",
                        "4:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"12345\""),
                row("mode rwx", BASE + "files: [{path: /a, content: x, mode: rwx}]\n",
                        "4:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"rwx\""),
                row("mode decimal int", BASE + "files: [{path: /a, content: x, mode: 493}]\n",
                        "4:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"493\""),
                row("binary content", BASE + "files: [{path: /a, content: !!binary aGk=}]\n",
                        "4:29: files[0].content: YAML tag !!binary is not supported; write the value as plain text"),
                row("custom tag", BASE + "cpus: !env CPUS\n",
                        "4:7: cpus: YAML tag !env is not supported; write the value as plain text"),
                row("oneShot yes", BASE + "files: [{path: /a, content: x, oneShot: yes}]\n",
                        "4:41: files[0].oneShot: expected true or false, got \"yes\""),

                // ---- process ----
                row("process is a list", BASE.replace("{args: [/bin/true]}", "[/bin/true]"),
                        "3:10: process: expected a mapping with 'args' (and optionally 'env', 'workdir'), got a list"),
                row("no args", BASE.replace("{args: [/bin/true]}", "{workdir: /}"),
                        "3:11: process: missing required key 'args'"),
                row("empty args", BASE.replace("[/bin/true]", "[]"),
                        "3:17: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got an empty list; the first names the program"),
                row("args is a string", BASE.replace("[/bin/true]", "\"/bin/echo hi\""),
                        "3:17: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got \"/bin/echo hi\""),
                row("non-string args", BASE.replace("[/bin/true]", "[/bin/echo, [a], {b: c}, ~, ]"),
                        "3:29: process.args[1]: expected a string, got a list",
                        "3:34: process.args[2]: expected a string, got a mapping",
                        "3:42: process.args[3]: expected a string, got null"),
                row("empty program", BASE.replace("[/bin/true]", "[\"\", x]"),
                        "3:18: process.args[0]: expected the program to run, got an empty string"),
                row("env with a bad name", BASE.replace("[/bin/true]}", "[/bin/true], env: {MY-VAR: 1, 2X: y, \"A=B\": z}}"),
                        "3:36: process.env: invalid variable name \"MY-VAR\"; use letters, digits and '_', not starting"
                                + " with a digit",
                        "3:47: process.env: invalid variable name \"2X\"; use letters, digits and '_', not starting"
                                + " with a digit",
                        "3:54: process.env: invalid variable name \"A=B\"; use letters, digits and '_', not starting"
                                + " with a digit"),
                row("env with a null and a list value", BASE.replace("[/bin/true]}", "[/bin/true], env: {A: , B: [1]}}"),
                        "3:38: process.env.A: expected a string value, got nothing; write A: \"\" for an empty value",
                        "3:44: process.env.B: expected a string value, got a list"),
                row("env is a list", BASE.replace("[/bin/true]}", "[/bin/true], env: [A=1]}"),
                        "3:35: process.env: expected a mapping of variable names to values, like {LANG: C.UTF-8},"
                                + " got a list"),
                row("relative workdir", BASE.replace("[/bin/true]}", "[/bin/true], workdir: tmp}"),
                        "3:39: process.workdir: expected an absolute path (starting with '/'), got \"tmp\""),

                // ---- many errors at once, reported in file order whatever the checking order ----
                row("several errors in line order", """
                        process:
                          args: []
                          wrkdir: /
                        files:
                          - path: relative
                            content: x
                            mode: "888"
                        cpus: 100
                        name: Bad Name
                        memory: 1GB
                        root: {}
                        kernel: nope
                        extra: 1
                        """,
                        "2:9: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got an empty list; the first names the program",
                        "3:3: unknown key 'wrkdir' in process; did you mean 'workdir'?",
                        "5:11: files[0].path: expected an absolute path (starting with '/'), got \"relative\"",
                        "7:11: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\","
                                + " got \"888\"",
                        "8:7: cpus: expected an integer from 1 to 64, got 100",
                        "9:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"Bad Name\"",
                        "10:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"1GB\"; did you mean \"1Gi\"?",
                        "11:7: root: expected exactly one kind of root; write 'nullfs: {}', the only kind supported now",
                        "12:9: kernel: cannot read host file ${dir}/nope: No such file or directory",
                        "13:1: unknown key 'extra' at top level; valid keys are 'apiVersion', 'name', 'cpus',"
                                + " 'memory', 'hostname', 'root', 'files', 'process', 'kernel'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenSpecs")
    void brokenSpecGivesExactlyTheseErrors(String name, String yaml, List<String> expected) throws IOException {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        SpecException e = catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec));
        assertThat(e).as("spec should be rejected").isNotNull().isExactlyInstanceOf(SpecException.class);
        List<String> want = expected.stream()
                .map(line -> spec + ":" + line
                        .replace("${dir}", dir.toString())
                        .replace("${parent}", dir.getParent().toString()))
                .toList();
        assertThat(e.errors()).extracting(SpecError::toString).containsExactlyElementsOf(want);
        assertThat(e.getMessage()).isEqualTo(String.join("\n", want));
    }

    @Test
    void invalidUtf8IsReportedWhereItIs() throws IOException {
        Path spec = dir.resolve("spec.yaml");
        byte[] head = "name: t\nhostname: caf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xe9; // Latin-1 'é'
        bytes[head.length + 1] = '\n';
        Files.write(spec, bytes);
        SpecException e = catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec));
        assertThat(e.errors()).extracting(SpecError::toString)
                .containsExactly(spec + ":2:14: invalid UTF-8 byte sequence; a spec must be UTF-8 text");
    }

    @Test
    void columnsCountCharactersNotBytes() throws IOException {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, BASE + "files: [{path: /é, content: x, mode: bad}]\n");
        SpecException e = catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec));
        assertThat(e.errors()).extracting(SpecError::column).containsExactly(38);
    }

    private static Arguments row(String name, String yaml, String... errors) {
        return Arguments.of(name, yaml, List.of(errors));
    }
}
