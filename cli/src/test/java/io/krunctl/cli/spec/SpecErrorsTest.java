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
public class SpecErrorsTest {

    /** A valid spec to build broken ones on: lines 1 to 4. */
    private static final String BASE = """
            apiVersion: krunctl/v1
            name: t
            root: {nullfs: {}}
            process: {args: [/bin/true]}
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void hostFiles() throws IOException {
        hostFiles(dir);
    }

    /** The host files the rows name: a regular file {@code present.bin} and a folder {@code folder}. */
    public static void hostFiles(Path dir) throws IOException {
        Files.writeString(dir.resolve("present.bin"), "x");
        Files.createDirectories(dir.resolve("folder"));
    }

    /**
     * The broken-spec corpus: each row is a name, the spec's text, the overrides to apply (a
     * {@code List<SpecOverride>}, usually empty) and the expected errors (a {@code List<String>},
     * see {@link #expected}). Also used by the validate command's and the schema's tests.
     */
    public static Stream<Arguments> brokenSpecs() {
        return Stream.of(
                // ---- YAML syntax: one error, the parser's own words and position ----
                row("bad indentation", """
                        apiVersion: krunctl/v1
                        name: t
                          cpus: 1
                        """,
                        "3:7: mapping values are not allowed here; check the indentation of this line and the ones"
                                + " above, or quote a value that contains ': '"),
                row("unclosed quote", """
                        apiVersion: krunctl/v1
                        name: "t
                        cpus: 1
                        """,
                        "4:1: found unexpected end of stream (while scanning a quoted scalar at 2:7)"),
                row("tab indentation", "apiVersion: krunctl/v1\nname: t\nprocess:\n\targs: [/bin/true]\n",
                        "4:1: found a tab character where YAML allows only spaces; indent with spaces, not tabs"),
                row("unclosed flow list", """
                        apiVersion: krunctl/v1
                        name: t
                        process:
                          args: [/bin/true, x
                          env: {}
                        """,
                        "5:6: expected ',' or ']', but got ':' (while parsing a flow sequence at 4:9)"),
                row("list item inside a mapping", """
                        apiVersion: krunctl/v1
                        name: t
                        files:
                          - path: /a
                          content: x
                        """,
                        "5:3: expected <block end>, but found a mapping key (while parsing a block collection at 4:3)"),
                row("second document", BASE + "---\nname: u\n",
                        "5:1: expected a single YAML document, but found another one"),
                row("undefined alias", BASE + "cpus: *n\n", "5:7: found undefined alias n"),
                row("control character", "apiVersion: krunctl/v1\nname: t\u0007\n", "2:8: character U+0007 is not allowed in YAML"),

                // ---- the document as a whole ----
                row("empty file", "",
                        "1:1: spec is empty; expected a mapping with at least 'apiVersion', 'root' and 'process'"),
                row("only comments", "# nothing here\n\n",
                        "1:1: spec is empty; expected a mapping with at least 'apiVersion', 'root' and 'process'"),
                row("document is a list", "- name: t\n",
                        "1:1: expected a mapping at the top level (name, root, process, ...), got a list"),
                row("document is a string", "\n  hello\n",
                        "2:3: expected a mapping at the top level (name, root, process, ...), got \"hello\""),
                row("required keys missing", "cpus: 2\n",
                        "1:1: missing required key 'apiVersion'; start the spec with 'apiVersion: krunctl/v1'",
                        "1:1: missing required key 'root'; for an empty root write 'root: {nullfs: {}}'",
                        "1:1: missing required key 'process'; it says what to run, e.g. 'process: {args: [/bin/sh]}',"
                                + " or give 'image: {config: PATH}' to run an image's own process"),

                // ---- unknown and duplicate keys ----
                row("unknown top-level key, did you mean", BASE + "memroy: 1Gi\n",
                        "5:1: unknown key 'memroy' at top level; did you mean 'memory'?"),
                row("unknown top-level key, by prefix", BASE + "mem: 1Gi\n",
                        "5:1: unknown key 'mem' at top level; did you mean 'memory'?"),
                row("unknown top-level key, no close match", BASE + "volumes: []\n",
                        "5:1: unknown key 'volumes' at top level; valid keys are 'apiVersion', 'name', 'cpus',"
                                + " 'memory', 'hostname', 'root', 'files', 'mounts', 'disks', 'network', 'image',"
                                + " 'process', 'init', 'kernel'"),
                row("process key at top level", BASE + "workdir: /tmp\n",
                        "5:1: unknown key 'workdir' at top level; it belongs in 'process'"),
                row("unknown key in process, did you mean", """
                        apiVersion: krunctl/v1
                        name: t
                        root: {nullfs: {}}
                        process:
                          args: [/bin/true]
                          workdr: /tmp
                        """,
                        "6:3: unknown key 'workdr' in process; did you mean 'workdir'?"),
                row("unknown key in process, no close match", """
                        apiVersion: krunctl/v1
                        name: t
                        root: {nullfs: {}}
                        process:
                          args: [/bin/true]
                          user: root
                        """,
                        "6:3: unknown key 'user' in process; valid keys are 'args', 'env', 'workdir', 'rlimits', 'pid1'"),
                row("unknown key in a file entry", BASE + """
                        files:
                          - path: /etc/motd
                            content: hi
                            Mode: "0600"
                        """,
                        "8:5: unknown key 'Mode' in files[0]; did you mean 'mode'?"),
                row("unknown key in root", """
                        apiVersion: krunctl/v1
                        name: t
                        root: {nulfs: {}}
                        process: {args: [/bin/true]}
                        """,
                        "3:8: unknown key 'nulfs' in root; did you mean 'nullfs'?"),
                row("settings under nullfs", """
                        apiVersion: krunctl/v1
                        name: t
                        root:
                          nullfs: {size: 1}
                        process: {args: [/bin/true]}
                        """,
                        "4:12: unknown key 'size' in root.nullfs; it takes no keys, write 'nullfs: {}'"),
                row("merge key", BASE + "<<: {cpus: 2}\n",
                        "5:1: unknown key '<<' at top level; YAML merge keys are not supported"),
                row("duplicate top-level key", """
                        apiVersion: krunctl/v1
                        name: t
                        cpus: 1
                        root: {nullfs: {}}
                        cpus: 2
                        process: {args: [/bin/true]}
                        """,
                        "5:1: duplicate key 'cpus' at top level; first given at line 3"),
                row("duplicate env key", BASE.replace("[/bin/true]}", "[/bin/true], env: {A: 1, A: 2}}"),
                        "4:42: duplicate key 'A' in process.env; first given at line 4"),
                row("list as a key", BASE + "? [a, b]\n: c\n",
                        "5:3: expected a plain key at top level, got a list"),

                // ---- scalar fields ----
                row("apiVersion missing", BASE.replace("apiVersion: krunctl/v1\n", ""),
                        "1:1: missing required key 'apiVersion'; start the spec with 'apiVersion: krunctl/v1'"),
                row("apiVersion of a later format", BASE.replace("krunctl/v1", "krunctl/v2"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got \"krunctl/v2\"; this krunctl reads only"
                                + " krunctl/v1 specs"),
                row("apiVersion without the group", BASE.replace("krunctl/v1", "v1"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got \"v1\"; did you mean \"krunctl/v1\"?"),
                row("apiVersion in the wrong case", BASE.replace("krunctl/v1", "Krunctl/V1"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got \"Krunctl/V1\"; did you mean \"krunctl/v1\"?"),
                row("apiVersion is a number", BASE.replace("krunctl/v1", "1"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got 1; did you mean \"krunctl/v1\"?"),
                row("apiVersion of another tool", BASE.replace("krunctl/v1", "apps/v1"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got \"apps/v1\"; this is not a krunctl spec,"
                                + " which starts with 'apiVersion: krunctl/v1'"),
                row("apiVersion is empty", BASE.replace(" krunctl/v1", ""),
                        "1:12: apiVersion: expected \"krunctl/v1\", got nothing"),
                row("apiVersion is a list", BASE.replace("krunctl/v1", "[krunctl/v1]"),
                        "1:13: apiVersion: expected \"krunctl/v1\", got a list"),
                row("bad name", BASE.replace("name: t", "name: My_VM"),
                        "2:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"My_VM\""),
                row("name is a number", BASE.replace("name: t", "name: -1"),
                        "2:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"-1\""),
                row("cpus is a word", BASE + "cpus: two\n",
                        "5:7: cpus: expected an integer from 1 to 64, got \"two\""),
                row("cpus is zero", BASE + "cpus: 0\n", "5:7: cpus: expected an integer from 1 to 64, got 0"),
                row("cpus too many", BASE + "cpus: 65\n", "5:7: cpus: expected an integer from 1 to 64, got 65"),
                row("cpus is a fraction", BASE + "cpus: 1.5\n",
                        "5:7: cpus: expected an integer from 1 to 64, got 1.5"),
                row("cpus is empty", BASE + "cpus:\n", "5:6: cpus: expected an integer from 1 to 64, got nothing"),
                row("cpus is a list", BASE + "cpus: [1]\n",
                        "5:7: cpus: expected an integer from 1 to 64, got a list"),
                row("hostname with underscore", BASE + "hostname: my_host\n",
                        "5:11: hostname: expected a host name of letters, digits, '-' and '.' (labels of 1 to 63"
                                + " characters, at most 64 in all), got \"my_host\""),
                row("kernel missing", BASE + "kernel: boot/vmlinux\n",
                        "5:9: kernel: cannot read host file ${dir}/boot/vmlinux: No such file or directory"),

                // ---- memory sizes ----
                row("memory in MB", BASE + "memory: 256MB\n",
                        "5:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"256MB\"; did you mean \"256Mi\"?"),
                row("memory in lower case", BASE + "memory: 2gb\n",
                        "5:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"2gb\"; did you mean \"2Gi\"?"),
                row("memory negative", BASE + "memory: -1Gi\n",
                        "5:9: memory: expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least"
                                + " 64Mi), got \"-1Gi\""),
                row("memory zero", BASE + "memory: 0\n", "5:9: memory: must be at least 64Mi, got \"0\""),
                row("memory below the minimum", BASE + "memory: 63Mi\n",
                        "5:9: memory: must be at least 64Mi, got \"63Mi\""),
                row("memory in bytes, too few", BASE + "memory: 512\n",
                        "5:9: memory: must be at least 64Mi, got \"512\" (bytes); did you mean \"512Mi\"?"),
                row("memory not whole MiB", BASE + "memory: 0.1Gi\n",
                        "5:9: memory: must be a whole number of MiB, got \"0.1Gi\" (not a whole number of bytes)"),
                row("memory bytes not whole MiB", BASE + "memory: 100000000\n",
                        "5:9: memory: must be a whole number of MiB, got \"100000000\" (100000000 bytes)"),

                // ---- root ----
                row("root with no kind", BASE.replace("{nullfs: {}}", "{}"),
                        "3:7: root: expected exactly one kind of root; write 'nullfs: {}', 'dir: PATH' or"
                                + " 'disk: {path: IMAGE}'"),
                row("root is empty", BASE.replace(" {nullfs: {}}", ""),
                        "3:6: root: expected a mapping like {nullfs: {}} or {dir: ./rootfs}, got nothing"),
                row("root with two kinds", """
                        apiVersion: krunctl/v1
                        name: t
                        root:
                          nullfs: {}
                          disk: {path: /x.img}
                        process: {args: [/bin/true]}
                        """,
                        "5:3: root: expected exactly one kind, got both 'nullfs' and 'disk'"),
                row("root.dir missing", BASE.replace("{nullfs: {}}", "{dir: ./nope}"),
                        "3:13: root.dir: cannot share host directory ${dir}/nope: No such file or directory"),
                row("root.dir is a file", BASE.replace("{nullfs: {}}", "{dir: present.bin}"),
                        "3:13: root.dir: cannot share host directory ${dir}/present.bin: Not a directory"),
                row("root.dir as a list", BASE.replace("{nullfs: {}}", "{dir: [./folder]}"),
                        "3:13: root.dir: expected a host directory like ./rootfs, or a mapping like {path: ./rootfs,"
                                + " readOnly: true}, got a list"),
                row("root.dir mapping, path a number", BASE.replace("{nullfs: {}}", "{dir: {path: 1}}"),
                        "3:20: root.dir.path: cannot share host directory ${dir}/1: No such file or directory"),
                row("root.dir mapping, path a list", BASE.replace("{nullfs: {}}", "{dir: {path: [./folder]}}"),
                        "3:20: root.dir.path: expected a host directory like ./rootfs, got a list"),
                row("root.dir mapping without path", BASE.replace("{nullfs: {}}", "{dir: {readOnly: true}}"),
                        "3:14: root.dir: missing required key 'path'; name the directory, e.g. 'path: ./rootfs'"),
                row("root.dir mapping, empty", BASE.replace("{nullfs: {}}", "{dir: {}}"),
                        "3:13: root.dir: missing required key 'path'; name the directory, e.g. 'path: ./rootfs'"),
                row("root.dir mapping unknown key", BASE.replace("{nullfs: {}}", "{dir: {path: ./folder, readonly: true}}"),
                        "3:30: unknown key 'readonly' in root.dir; did you mean 'readOnly'?"),
                row("root.dir mapping bad cache", BASE.replace("{nullfs: {}}", "{dir: {path: ./folder, cache: alway}}"),
                        "3:37: root.dir.cache: expected never, auto or always, got \"alway\"; did you mean 'always'?"),
                row("root.dir mapping bad readOnly", BASE.replace("{nullfs: {}}", "{dir: {path: folder, readOnly: no}}"),
                        "3:38: root.dir.readOnly: expected true or false, got \"no\""),
                row("root.dir mapping with a setting beside it", """
                        apiVersion: krunctl/v1
                        name: t
                        root:
                          dir: {path: ./folder}
                          readOnly: true
                        process: {args: [/bin/true]}
                        """,
                        "5:3: root.readOnly: root.dir is a mapping here, so give readOnly inside it: dir: {path: ...,"
                                + " readOnly: ...}; settings beside 'dir' go with the short form dir: PATH only"),
                row("root.dir setting in both forms", """
                        apiVersion: krunctl/v1
                        name: t
                        root:
                          cache: always
                          dir:
                            path: ./folder
                            cache: never
                        process: {args: [/bin/true]}
                        """,
                        "4:3: root.cache: root.dir is a mapping here, so give cache inside it: dir: {path: ...,"
                                + " cache: ...}; settings beside 'dir' go with the short form dir: PATH only"),
                row("root.dir settings without dir", BASE.replace("{nullfs: {}}", "{nullfs: {}, readOnly: true}"),
                        "3:20: root.readOnly applies to root.dir only, not to root.nullfs"),
                row("root settings alone", BASE.replace("{nullfs: {}}", "{cache: auto}"),
                        "3:7: root: expected exactly one kind of root; write 'nullfs: {}', 'dir: PATH' or"
                                + " 'disk: {path: IMAGE}'"),
                row("root.dir bad cache", BASE.replace("{nullfs: {}}", "{dir: ./folder, cache: alway}"),
                        "3:30: root.cache: expected never, auto or always, got \"alway\"; did you mean 'always'?"),
                row("root.dir bad readOnly", BASE.replace("{nullfs: {}}", "{dir: ./folder, readOnly: yes}"),
                        "3:33: root.readOnly: expected true or false, got \"yes\""),
                row("root.dir bad devices", BASE.replace("{nullfs: {}}", "{dir: ./folder, devices: yes}"),
                        "3:32: root.devices: expected true or false, got \"yes\""),
                row("root.dir devices on a read-only dir", BASE.replace("{nullfs: {}}",
                                "{dir: ./folder, readOnly: true, devices: true}"),
                        "3:39: root.devices: a read-only directory takes no device nodes; drop 'devices' or"
                                + " 'readOnly'"),
                row("root.dir mapping devices on a read-only dir", BASE.replace("{nullfs: {}}",
                                "{dir: {path: folder, readOnly: true, devices: true}}"),
                        "3:44: root.dir.devices: a read-only directory takes no device nodes; drop 'devices' or"
                                + " 'readOnly'"),
                row("root.dir devices without dir", BASE.replace("{nullfs: {}}", "{nullfs: {}, devices: true}"),
                        "3:20: root.devices applies to root.dir only, not to root.nullfs"),
                row("root.disk image missing", BASE.replace("{nullfs: {}}", "{disk: {path: ./root.img}}"),
                        "3:21: root.disk.path: cannot read host file ${dir}/root.img: No such file or directory"),
                row("root.disk image is a folder", BASE.replace("{nullfs: {}}", "{disk: {path: folder}}"),
                        "3:21: root.disk.path: cannot read host file ${dir}/folder: Is a directory"),
                row("root.disk as a string", BASE.replace("{nullfs: {}}", "{disk: ./root.img}"),
                        "3:14: root.disk: expected a mapping like {path: ./root.ext4}, got \"./root.img\""),
                row("root.disk without path", BASE.replace("{nullfs: {}}", "{disk: {readOnly: true}}"),
                        "3:15: root.disk: missing required key 'path'; name the image, e.g. 'path: ./root.ext4'"),
                row("root.disk unknown key", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin, fs_type: ext4}}"),
                        "3:34: unknown key 'fs_type' in root.disk; did you mean 'fstype'?"),
                row("root.disk bad fstype", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin, fstype: \"ext 4\"}}"),
                        "3:42: root.disk.fstype: expected a filesystem type like ext4, or auto, got \"ext 4\""),
                row("root.disk options with a space and a quote", """
                        apiVersion: krunctl/v1
                        name: t
                        root:
                          disk:
                            path: present.bin
                            options: commit=5, errors=remount-ro
                        process: {args: [/bin/true]}
                        """,
                        "6:14: root.disk.options: expected mount options like \"commit=60,errors=remount-ro\" of"
                                + " letters, digits and _ . , : = / + @ % - (they travel unquoted on the guest kernel's"
                                + " command line), got \"commit=5, errors=remount-ro\""),
                row("root.disk options with a quote", BASE.replace("{nullfs: {}}",
                                "{disk: {path: present.bin, options: 'context=\"x\"'}}"),
                        "3:43: root.disk.options: expected mount options like \"commit=60,errors=remount-ro\" of"
                                + " letters, digits and _ . , : = / + @ % - (they travel unquoted on the guest kernel's"
                                + " command line), got \"context=\\\"x\\\"\""),
                row("root.disk options with a mount flag", BASE.replace("{nullfs: {}}",
                                "{disk: {path: present.bin, options: \"commit=60,noatime\"}}"),
                        "3:43: root.disk.options: \"noatime\" is a mount flag, which the guest init cannot pass (it"
                                + " gives the options to the filesystem as mount data); give filesystem options only,"
                                + " like commit=60 or errors=remount-ro"),
                row("root.disk bad readOnly", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin, readOnly: 1}}"),
                        "3:44: root.disk.readOnly: expected true or false, got 1"),
                row("root.disk with files", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin}}")
                                + "files: [{path: /etc/motd, content: hi}]\n",
                        "5:1: files: not available with root.disk, whose image replaces the root device that carries"
                                + " them; put the files in the image"),
                row("root.disk readOnly outside disk", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin}, readOnly: true}"),
                        "3:35: root.readOnly applies to root.dir only, not to root.disk"),

                // ---- disks ----
                row("disks is a mapping", BASE + "disks: {path: present.bin}\n",
                        "5:8: disks: expected a list of disk images like [{path: ./data.img}], got a mapping"),
                row("disk entry is a string", BASE + "disks: [present.bin]\n",
                        "5:9: disks[0]: expected a mapping like {path: ./data.img}, got \"present.bin\""),
                row("disk without path", BASE + "disks: [{readOnly: true}]\n",
                        "5:10: disks[0]: missing required key 'path'"),
                row("disk image missing", BASE + "disks: [{path: present.bin}, {path: data.img, readOnly: true}]\n",
                        "5:37: disks[1].path: cannot read host file ${dir}/data.img: No such file or directory"),
                row("disk given twice", BASE + """
                        disks:
                          - path: present.bin
                          - path: ./folder/../present.bin
                            readOnly: true
                        """,
                        "7:11: disks[1].path: the image ${dir}/present.bin is already a disk (line 6); QEMU would"
                                + " refuse to open it twice"),
                row("disk is also the root disk", BASE.replace("{nullfs: {}}", "{disk: {path: present.bin}}")
                                + "disks: [{path: present.bin}]\n",
                        "5:16: disks[0].path: the image ${dir}/present.bin is already a disk (line 3); QEMU would"
                                + " refuse to open it twice"),
                row("disk readOnly yes", BASE + "disks: [{path: present.bin, readOnly: yes}]\n",
                        "5:39: disks[0].readOnly: expected true or false, got \"yes\""),
                row("unknown key in a disk", BASE + "disks: [{path: present.bin, readonly: true}]\n",
                        "5:29: unknown key 'readonly' in disks[0]; did you mean 'readOnly'?"),

                // ---- network ----
                row("network is a string", BASE + "network: host\n",
                        "5:10: network: expected a mapping like {mode: user}, got \"host\""),
                row("network mode typo", BASE + "network: {mode: usr}\n",
                        "5:17: network.mode: expected none or user, got \"usr\"; did you mean 'user'?"),
                row("network mode unknown", BASE + "network: {mode: bridge}\n",
                        "5:17: network.mode: expected none or user, got \"bridge\""),
                row("ports without the user network", BASE + "network: {ports: [\"8080:80\"]}\n",
                        "5:11: network.ports: forwards need the user-mode network; add 'mode: user'"),
                row("ports is a string", BASE + "network: {mode: user, ports: \"8080:80\"}\n",
                        "5:30: network.ports: expected a list of port forwards like [\"8080:80\"], got \"8080:80\""),
                row("bad port forwards", BASE + """
                        network:
                          mode: user
                          ports: ["8080", "70000:80", "localhost:8080:80", "8080:0", "1.2.3.256:80:80", [1]]
                        """,
                        "7:11: network.ports[0]: expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to"
                                + " 65535, optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got \"8080\";"
                                + " did you mean \"8080:8080\"?",
                        "7:19: network.ports[1]: expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to"
                                + " 65535, optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got \"70000:80\"",
                        "7:31: network.ports[2]: expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to"
                                + " 65535, optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got"
                                + " \"localhost:8080:80\"",
                        "7:52: network.ports[3]: expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to"
                                + " 65535, optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got \"8080:0\"",
                        "7:62: network.ports[4]: expected \"HOSTPORT:GUESTPORT\" like \"8080:80\" (ports 1 to"
                                + " 65535, optionally after a host IPv4 address: \"0.0.0.0:8080:80\"), got"
                                + " \"1.2.3.256:80:80\"",
                        "7:81: network.ports[5]: expected a port forward like \"8080:80\", got a list"),
                row("host port forwarded twice", BASE + "network: {mode: user, ports: [\"8080:80\", \"0.0.0.0:8080:81\"]}\n",
                        "5:42: network.ports[1]: host port 8080 is already forwarded (line 5)"),

                // ---- process.rlimits ----
                row("rlimits is a list", BASE.replace("[/bin/true]}", "[/bin/true], rlimits: [nofile=1024]}"),
                        "4:39: process.rlimits: expected a mapping like {nofile: {soft: 1024, hard: 4096}}, got a list"),
                row("unknown rlimit", BASE.replace("[/bin/true]}", "[/bin/true], rlimits: {nofiles: {soft: 1, hard: 1}}}"),
                        "4:40: unknown key 'nofiles' in process.rlimits; did you mean 'nofile'?"),
                row("rlimit as a number", BASE.replace("[/bin/true]}", "[/bin/true], rlimits: {nofile: 1024}}"),
                        "4:48: process.rlimits.nofile: expected {soft: LIMIT, hard: LIMIT}, got 1024"),
                row("rlimit without hard", BASE.replace("[/bin/true]}", "[/bin/true], rlimits: {nproc: {soft: 1}}}"),
                        "4:48: process.rlimits.nproc: missing required key 'hard'"),
                row("rlimit soft above hard", BASE.replace("[/bin/true]}",
                                "[/bin/true], rlimits: {nproc: {soft: unlimited, hard: 512}}}"),
                        "4:54: process.rlimits.nproc: the soft limit unlimited is above the hard limit 512"),
                row("rlimit bad values", BASE.replace("[/bin/true]}",
                                "[/bin/true], rlimits: {core: {soft: -1, hard: lots}, nofile: {soft: 1024, hard: unlimited}}}"),
                        "4:53: process.rlimits.core.soft: expected a whole number or unlimited, got -1",
                        "4:63: process.rlimits.core.hard: expected a whole number or unlimited, got \"lots\"",
                        "4:97: process.rlimits.nofile.hard: expected at most 1048576 (the guest kernel's fs.nr_open),"
                                + " got \"unlimited\""),
                row("rlimit above 64 bits", BASE.replace("[/bin/true]}",
                                "[/bin/true], rlimits: {fsize: {soft: 1, hard: 18446744073709551615}}}"),
                        "4:63: process.rlimits.fsize.hard: expected a whole number or unlimited, got 18446744073709551615"),
                row("nullfs with a value", BASE.replace("{nullfs: {}}", "{nullfs: yes}"),
                        "3:16: root.nullfs: expected an empty mapping {}, got \"yes\""),

                // ---- mounts ----
                row("mounts is a mapping", BASE + "mounts: {type: tmpfs}\n",
                        "5:9: mounts: expected a list of mounts (each with 'type' and 'destination'), got a mapping"),
                row("mount entry is a string", BASE + "mounts: [/tmp]\n",
                        "5:10: mounts[0]: expected a mapping with 'type' and 'destination', got \"/tmp\""),
                row("mount without type", BASE + "mounts: [{destination: /tmp}]\n",
                        "5:11: mounts[0]: missing required key 'type'; virtiofs or tmpfs"),
                row("unknown mount type", BASE + "mounts: [{type: nfs, destination: /n}]\n",
                        "5:17: mounts[0].type: expected virtiofs or tmpfs, got \"nfs\""),
                row("mount type typo", BASE + "mounts: [{type: virtiofsd, source: folder, destination: /n}]\n",
                        "5:17: mounts[0].type: expected virtiofs or tmpfs, got \"virtiofsd\"; did you mean 'virtiofs'?"),
                row("mount without destination", BASE + "mounts: [{type: tmpfs}]\n",
                        "5:11: mounts[0]: missing required key 'destination'; where the guest sees the mount"),
                row("mount over the root", BASE + "mounts: [{type: tmpfs, destination: /}]\n",
                        "5:37: mounts[0].destination: cannot mount over \"/\"; the guest's root is set by 'root'"),
                row("mount destination relative", BASE + "mounts: [{type: tmpfs, destination: tmp}]\n",
                        "5:37: mounts[0].destination: expected an absolute path (starting with '/'), got \"tmp\""),
                row("duplicate mount destination", BASE + """
                        mounts:
                          - {type: tmpfs, destination: /tmp}
                          - {type: virtiofs, source: folder, destination: /tmp}
                        """,
                        "7:51: mounts[1].destination: duplicate destination \"/tmp\"; first given at line 6"),
                row("virtiofs without source", BASE + "mounts: [{type: virtiofs, destination: /d}]\n",
                        "5:11: mounts[0]: missing required key 'source' of a virtiofs mount; name the host directory"
                                + " to share"),
                row("virtiofs source missing", BASE + "mounts: [{type: virtiofs, source: ./nope, destination: /d}]\n",
                        "5:35: mounts[0].source: cannot share host directory ${dir}/nope: No such file or directory"),
                row("virtiofs source is a file", BASE + "mounts: [{type: virtiofs, source: present.bin, destination: /d}]\n",
                        "5:35: mounts[0].source: cannot share host directory ${dir}/present.bin: Not a directory"),
                row("size on a virtiofs mount", BASE + "mounts: [{type: virtiofs, source: folder, destination: /d, size: 1Mi}]\n",
                        "5:60: mounts[0].size applies to tmpfs mounts only, not to virtiofs"),
                row("source and readOnly on a tmpfs mount", BASE + "mounts: [{type: tmpfs, source: folder, destination: /t, readOnly: true}]\n",
                        "5:24: mounts[0].source applies to virtiofs mounts only, not to tmpfs",
                        "5:57: mounts[0].readOnly applies to virtiofs mounts only, not to tmpfs"),
                row("bad mount readOnly", BASE + "mounts: [{type: virtiofs, source: folder, destination: /d, readOnly: no}]\n",
                        "5:70: mounts[0].readOnly: expected true or false, got \"no\""),
                row("bad mount devices", BASE + "mounts: [{type: virtiofs, source: folder, destination: /d, devices: 1}]\n",
                        "5:69: mounts[0].devices: expected true or false, got 1"),
                row("devices on a read-only mount", BASE
                                + "mounts: [{type: virtiofs, source: folder, destination: /d, readOnly: true, devices: true}]\n",
                        "5:76: mounts[0].devices: a read-only directory takes no device nodes; drop 'devices' or"
                                + " 'readOnly'"),
                row("devices on a tmpfs mount", BASE + "mounts: [{type: tmpfs, destination: /t, devices: true}]\n",
                        "5:41: mounts[0].devices applies to virtiofs mounts only, not to tmpfs"),
                row("bad mount cache", BASE + "mounts: [{type: virtiofs, source: folder, destination: /d, cache: none}]\n",
                        "5:67: mounts[0].cache: expected never, auto or always, got \"none\""),
                row("tmpfs size too small", BASE + "mounts: [{type: tmpfs, destination: /t, size: 512Ki}]\n",
                        "5:47: mounts[0].size: must be at least 1Mi, got \"512Ki\""),
                row("tmpfs size with a bad unit", BASE + "mounts: [{type: tmpfs, destination: /t, size: 64MB}]\n",
                        "5:47: mounts[0].size: expected a size like 256Mi, 1Gi or 512M, got \"64MB\"; did you mean \"64Mi\"?"),
                row("mount hides a file", BASE + """
                        files: [{path: /data/motd, content: hi}]
                        mounts: [{type: tmpfs, destination: /data}]
                        """,
                        "6:37: mounts[0].destination: the mount would hide \"/data/motd\" of 'files'; move the file or"
                                + " the mount"),
                row("mount inside a file", BASE + """
                        files: [{path: /data, content: hi}]
                        mounts: [{type: tmpfs, destination: /data/sub}]
                        """,
                        "6:37: mounts[0].destination: \"/data/sub\" would be inside \"/data\", which is a file of"
                                + " 'files'"),
                row("mount key at top level", BASE + "destination: /x\n",
                        "5:1: unknown key 'destination' at top level; it belongs in an entry of 'mounts'"),
                row("unknown key in a mount", BASE + "mounts: [{type: tmpfs, destination: /t, sise: 1Mi}]\n",
                        "5:41: unknown key 'sise' in mounts[0]; did you mean 'size'?"),

                // ---- files ----
                row("files is a mapping", BASE + "files: {path: /a}\n",
                        "5:8: files: expected a list of files (each with 'path' and 'content' or 'source'), got a mapping"),
                row("file entry is a string", BASE + "files: [/etc/motd]\n",
                        "5:9: files[0]: expected a mapping with 'path' and 'content' or 'source', got \"/etc/motd\""),
                row("both content and source", BASE + """
                        files:
                          - path: /a
                            source: present.bin
                            content: x
                        """,
                        "8:5: files[0]: give either 'content' or 'source', not both"),
                row("neither content nor source", BASE + """
                        files:
                          - path: /a
                            mode: "0600"
                        """,
                        "6:5: files[0]: missing 'content' or 'source'; give the file's text or a host file to copy"),
                row("no path", BASE + "files: [{content: x}]\n",
                        "5:10: files[0]: missing required key 'path'"),
                row("relative path", BASE + "files: [{path: etc/motd, content: x}]\n",
                        "5:16: files[0].path: expected an absolute path (starting with '/'), got \"etc/motd\""),
                row("path with ..", BASE + "files: [{path: /etc/../motd, content: x}]\n",
                        "5:16: files[0].path: must not contain '..', got \"/etc/../motd\""),
                row("path not normalized", BASE + "files: [{path: /etc//motd/, content: x}]\n",
                        "5:16: files[0].path: expected a normalized path, got \"/etc//motd/\"; did you mean \"/etc/motd\"?"),
                row("path is the root", BASE + "files: [{path: /, content: x}]\n",
                        "5:16: files[0].path: expected the path of a file, got \"/\""),
                row("path of the init", BASE + "files: [{path: /init.krun, content: x}]\n",
                        "5:16: files[0].path: /init.krun is reserved for krunctl's guest init; to give your own, set"
                                + " init: {disabled: true} (or init: {source: PATH} instead of this entry)"),
                row("path of the workload description", BASE + "files: [{path: /.krun_config.json, content: x}]\n",
                        "5:16: files[0].path: /.krun_config.json is written by krunctl from 'process' (and"
                                + " 'mounts'); describe the workload there instead"),
                row("init source missing", BASE + "init: {source: ./nope}\n",
                        "5:16: init.source: cannot read host file ${dir}/nope: No such file or directory"),
                row("init source is a folder", BASE + "init: {source: folder}\n",
                        "5:16: init.source: cannot read host file ${dir}/folder: Is a directory"),
                row("init disabled false", BASE + "init: {disabled: false}\n",
                        "5:18: init.disabled: expected true, got false; for krunctl's own init leave 'init' out"),
                row("init both keys", BASE + "init: {source: present.bin, disabled: true}\n",
                        "5:29: init: give either 'source' or 'disabled', not both"),
                row("init empty", BASE + "init: {}\n",
                        "5:7: init: expected a mapping with exactly one of 'source: PATH' and 'disabled: true', got"
                                + " an empty mapping"),
                row("init not a mapping", BASE + "init: ./my-init\n",
                        "5:7: init: expected a mapping with exactly one of 'source: PATH' and 'disabled: true', got"
                                + " \"./my-init\""),
                row("init disabled without a file", BASE + "init: {disabled: true}\n",
                        "5:1: init.disabled: 'files' must then give the init: add an entry {path: /init.krun, source:"
                                + " ./my-init, mode: \"0755\"}"),
                row("own init not executable", BASE + "init: {disabled: true}\nfiles: [{path: /init.krun, content: x}]\n",
                        "6:16: files[0].mode: /init.krun must be executable for the kernel to run it; give mode:"
                                + " \"0755\""),
                row("path of the agent", BASE + "files: [{path: /.krun_agent, content: x}]\n",
                        "5:16: files[0].path: /.krun_agent is reserved for krunctl's guest agent"),
                row("duplicate path", BASE + """
                        files:
                          - {path: /etc/motd, content: a}
                          - {path: /etc/hosts, content: b}
                          - {path: /etc/motd, content: c}
                        """,
                        "8:12: files[2].path: duplicate path \"/etc/motd\"; first given at line 6"),
                row("file inside a file", BASE + """
                        files:
                          - {path: /etc, content: a}
                          - {path: /etc/motd, content: b}
                        """,
                        "7:12: files[1].path: \"/etc/motd\" would be inside \"/etc\", which is a file (line 6)"),
                row("file above a file", BASE + """
                        files:
                          - {path: /etc/motd, content: b}
                          - {path: /etc, content: a}
                        """,
                        "7:12: files[1].path: \"/etc\" is a file, but \"/etc/motd\" (line 6) needs it to be a directory"),
                row("missing source", BASE + """
                        files:
                          - path: /bin/tool
                            source: ../tools/tool
                        """,
                        "7:13: files[0].source: cannot read host file ${parent}/tools/tool: No such file or directory"),
                row("source is a folder", BASE + "files: [{path: /a, source: folder}]\n",
                        "5:28: files[0].source: cannot read host file ${dir}/folder: Is a directory"),
                row("source not a regular file", BASE + "files: [{path: /a, source: /dev/null}]\n",
                        "5:28: files[0].source: cannot read host file /dev/null: not a regular file"),
                row("empty content value", BASE + "files: [{path: /a, content: }]\n",
                        "5:28: files[0].content: expected the file's text as a string, got nothing"),
                row("mode 0999", BASE + "files: [{path: /a, content: x, mode: \"0999\"}]\n",
                        "5:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"0999\""),
                row("mode 12345", BASE + "files: [{path: /a, content: x, mode: \"12345\"}]\n",
                        "5:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"12345\""),
                row("mode rwx", BASE + "files: [{path: /a, content: x, mode: rwx}]\n",
                        "5:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"rwx\""),
                row("mode decimal int", BASE + "files: [{path: /a, content: x, mode: 493}]\n",
                        "5:38: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\", got \"493\""),
                row("binary content", BASE + "files: [{path: /a, content: !!binary aGk=}]\n",
                        "5:29: files[0].content: YAML tag !!binary is not supported; write the value as plain text"),
                row("custom tag", BASE + "cpus: !env CPUS\n",
                        "5:7: cpus: YAML tag !env is not supported; write the value as plain text"),
                row("oneShot yes", BASE + "files: [{path: /a, content: x, oneShot: yes}]\n",
                        "5:41: files[0].oneShot: expected true or false, got \"yes\""),

                // ---- process ----
                row("process is a list", BASE.replace("{args: [/bin/true]}", "[/bin/true]"),
                        "4:10: process: expected a mapping with 'args' (and optionally 'env', 'workdir'), got a list"),
                row("no args", BASE.replace("{args: [/bin/true]}", "{workdir: /}"),
                        "4:11: process: missing required key 'args'"),
                row("empty args", BASE.replace("[/bin/true]", "[]"),
                        "4:17: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got an empty list; the first names the program"),
                row("args is a string", BASE.replace("[/bin/true]", "\"/bin/echo hi\""),
                        "4:17: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got \"/bin/echo hi\""),
                row("non-string args", BASE.replace("[/bin/true]", "[/bin/echo, [a], {b: c}, ~, ]"),
                        "4:29: process.args[1]: expected a string, got a list",
                        "4:34: process.args[2]: expected a string, got a mapping",
                        "4:42: process.args[3]: expected a string, got null"),
                row("empty program", BASE.replace("[/bin/true]", "[\"\", x]"),
                        "4:18: process.args[0]: expected the program to run, got an empty string"),
                row("env with a bad name", BASE.replace("[/bin/true]}", "[/bin/true], env: {MY-VAR: 1, 2X: y, \"A=B\": z}}"),
                        "4:36: process.env: invalid variable name \"MY-VAR\"; use letters, digits and '_', not starting"
                                + " with a digit",
                        "4:47: process.env: invalid variable name \"2X\"; use letters, digits and '_', not starting"
                                + " with a digit",
                        "4:54: process.env: invalid variable name \"A=B\"; use letters, digits and '_', not starting"
                                + " with a digit"),
                row("env with a null and a list value", BASE.replace("[/bin/true]}", "[/bin/true], env: {A: , B: [1]}}"),
                        "4:38: process.env.A: expected a string value, got nothing; write A: \"\" for an empty value",
                        "4:44: process.env.B: expected a string value, got a list"),
                row("env is a list", BASE.replace("[/bin/true]}", "[/bin/true], env: [A=1]}"),
                        "4:35: process.env: expected a mapping of variable names to values, like {LANG: C.UTF-8},"
                                + " got a list"),
                row("relative workdir", BASE.replace("[/bin/true]}", "[/bin/true], workdir: tmp}"),
                        "4:39: process.workdir: expected an absolute path (starting with '/'), got \"tmp\""),
                row("pid1 yes", BASE.replace("[/bin/true]}", "[/bin/true], pid1: yes}"),
                        "4:36: process.pid1: expected true or false, got \"yes\""),

                // ---- a mount's own files ----
                row("mount files on a tmpfs", BASE + "mounts: [{type: tmpfs, destination: /t, files: [{path: /t/a, content: x}]}]\n",
                        "5:41: mounts[0].files applies to virtiofs mounts only, not to tmpfs"),
                row("mount file outside its destination", BASE
                        + "mounts: [{type: virtiofs, source: folder, destination: /d, files: [{path: /etc/a, content: x}]}]\n",
                        "5:75: mounts[0].files[0].path: expected a path inside the mount's destination \"/d\", like /d/app.conf;"
                                + " got \"/etc/a\""),
                row("mount file given twice", BASE + "mounts:\n  - type: virtiofs\n    source: folder\n    destination: /d\n"
                        + "    files:\n      - {path: /d/a, content: x}\n      - {path: /d/a, source: present.bin}\n",
                        "11:16: mounts[0].files[1].path: duplicate path \"/d/a\"; first given at line 10"),
                row("nested mount hides a mount file", BASE + "mounts:\n"
                        + "  - {type: virtiofs, source: folder, destination: /d, files: [{path: /d/sub/a, content: x}]}\n"
                        + "  - {type: tmpfs, destination: /d/sub}\n",
                        "7:32: mounts[1].destination: the mount would hide \"/d/sub/a\" of mounts[0].files; move the file or"
                                + " the mount"),
                row("mount files not a list", BASE + "mounts: [{type: virtiofs, source: folder, destination: /d, files: {}}]\n",
                        "5:67: mounts[0].files: expected a list of files (each with 'path' and 'content' or 'source'), got an"
                                + " empty mapping"),

                // ---- image ----
                row("image is a path", BASE + "image: ./config.json\n",
                        "5:8: image: expected a mapping like {config: ./image/config.json}, got \"./config.json\""),
                row("image without config", BASE + "image: {}\n",
                        "5:8: image: missing required key 'config'; it names the image's configuration file (JSON)"),
                row("image config missing", BASE + "image: {config: ./nope.json}\n",
                        "5:17: image.config: cannot read host file ${dir}/nope.json: No such file or directory"),
                row("image config is not JSON", BASE + "image: {config: present.bin}\n",
                        "5:17: image.config: ${dir}/present.bin:1:1: not valid JSON: Unrecognized token 'x': was"
                                + " expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
                row("image key beside process", BASE + "config: ./config.json\n",
                        "5:1: unknown key 'config' at top level; it belongs in 'image'"),
                row("neither process nor image", "apiVersion: krunctl/v1\nroot: {nullfs: {}}\n",
                        "1:1: missing required key 'process'; it says what to run, e.g. 'process: {args: [/bin/sh]}',"
                                + " or give 'image: {config: PATH}' to run an image's own process"),

                // ---- command-line overrides: errors name the flag instead of a position ----
                set("--set a bad size", BASE, List.of("memory=1GB"),
                        "--set memory=1GB: memory: expected a size like 256Mi, 1Gi or 512M, got \"1GB\"; did you mean"
                                + " \"1Gi\"?"),
                set("--set cpus out of range", BASE, List.of("cpus=0"),
                        "--set cpus=0: cpus: expected an integer from 1 to 64, got 0"),
                set("--set an unknown key", BASE, List.of("memroy=1Gi"),
                        "--set memroy=1Gi: unknown key 'memroy' at top level; did you mean 'memory'?"),
                set("--set a bad variable name", BASE, List.of("process.env.MY-VAR=1"),
                        "--set process.env.MY-VAR=1: process.env: invalid variable name \"MY-VAR\"; use letters,"
                                + " digits and '_', not starting with a digit"),
                set("--set below a scalar", BASE, List.of("name.x=1"),
                        "--set name.x=1: cannot set name.x: name is \"t\" (line 2), not a mapping"),
                set("--set past the end of a list", BASE, List.of("process.args[5]=x"),
                        "--set process.args[5]=x: cannot set process.args[5]: process.args has 1 entry; use an index"
                                + " up to 1 (1 adds an entry)"),
                set("--set a flow list with a null", BASE, List.of("process.args=[/bin/sh, ~]"),
                        "--set process.args=[/bin/sh, ~]: process.args[1]: expected a string, got null"),
                set("--set a mode", BASE + "files: [{path: /a, content: x}]\n", List.of("files[0].mode=999"),
                        "--set files[0].mode=999: files[0].mode: expected an octal mode of 3 or 4 digits like"
                                + " \"0755\" or \"644\", got \"999\""),
                set("--set a root disk that does not exist", BASE, List.of("root={disk: {path: /x.img}}"),
                        "--set root={disk: {path: /x.img}}: root.disk.path: cannot read host file /x.img: No such file"
                                + " or directory"),
                set("--set a port forward", BASE + "network: {mode: user}\n", List.of("network.ports[0]=80"),
                        "--set network.ports[0]=80: network.ports[0]: expected \"HOSTPORT:GUESTPORT\" like"
                                + " \"8080:80\" (ports 1 to 65535, optionally after a host IPv4 address:"
                                + " \"0.0.0.0:8080:80\"), got \"80\"; did you mean \"80:80\"?"),
                set("--set a clashing file", BASE + "files: [{path: /a, content: x}]\n",
                        List.of("files[1]={path: /a, content: y}"),
                        "--set files[1]={path: /a, content: y}: files[1].path: duplicate path \"/a\"; first given at"
                                + " line 5"),
                set("--set wins over the file's value", BASE + "cpus: two\n", List.of("memory=1G", "cpus=0"),
                        "--set cpus=0: cpus: expected an integer from 1 to 64, got 0"),
                set("--set a wrong apiVersion", BASE, List.of("apiVersion=krunctl/v9"),
                        "--set apiVersion=krunctl/v9: apiVersion: expected \"krunctl/v1\", got \"krunctl/v9\"; this"
                                + " krunctl reads only krunctl/v1 specs"),
                args("-- with an empty program", BASE, List.of("", "x"),
                        "arguments after '--': process.args[0]: expected the program to run, got an empty string"),
                Arguments.of("--set and -- together", BASE + "memory: 1Gii\n",
                        List.of(SpecOverride.parse("process.env.A=1"), SpecOverride.parse("process.env=x"),
                                SpecOverride.args(List.of("/bin/sh"))),
                        List.of("--set process.env=x: process.env: expected a mapping of variable names to values, like"
                                        + " {LANG: C.UTF-8}, got \"x\"",
                                "5:9: memory: expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least"
                                        + " 64Mi), got \"1Gii\"")),

                // ---- many errors at once, reported in file order whatever the checking order ----
                row("several errors in line order", """
                        apiVersion: krunctl/v1
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
                        "3:9: process.args: expected a non-empty list of strings like [/bin/sh, -c, \"echo hi\"],"
                                + " got an empty list; the first names the program",
                        "4:3: unknown key 'wrkdir' in process; did you mean 'workdir'?",
                        "6:11: files[0].path: expected an absolute path (starting with '/'), got \"relative\"",
                        "8:11: files[0].mode: expected an octal mode of 3 or 4 digits like \"0755\" or \"644\","
                                + " got \"888\"",
                        "9:7: cpus: expected an integer from 1 to 64, got 100",
                        "10:7: name: expected a name of lowercase letters, digits and '-', starting with a letter"
                                + " or digit, at most 63 characters, got \"Bad Name\"",
                        "11:9: memory: expected a size like 256Mi, 1Gi or 512M, got \"1GB\"; did you mean \"1Gi\"?",
                        "12:7: root: expected exactly one kind of root; write 'nullfs: {}', 'dir: PATH' or"
                                + " 'disk: {path: IMAGE}'",
                        "13:9: kernel: cannot read host file ${dir}/nope: No such file or directory",
                        "14:1: unknown key 'extra' at top level; valid keys are 'apiVersion', 'name', 'cpus',"
                                + " 'memory', 'hostname', 'root', 'files', 'mounts', 'disks', 'network', 'image',"
                                + " 'process', 'init', 'kernel'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenSpecs")
    void brokenSpecGivesExactlyTheseErrors(String name, String yaml, List<SpecOverride> overrides, List<String> expected)
            throws IOException {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        SpecException e = catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec, overrides));
        assertThat(e).as("spec should be rejected").isNotNull().isExactlyInstanceOf(SpecException.class);
        List<String> want = expected(spec, dir, expected);
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

    /**
     * The full error lines a row expects: {@code LINE:COL: MESSAGE} becomes {@code SPEC:LINE:COL: MESSAGE},
     * a message without a position {@code SPEC: MESSAGE}.
     */
    public static List<String> expected(Path spec, Path dir, List<String> rows) {
        return rows.stream()
                .map(line -> line
                        .replace("${dir}", dir.toString())
                        .replace("${parent}", dir.getParent().toString()))
                .map(line -> POSITION.matcher(line).lookingAt() ? spec + ":" + line : spec + ": " + line)
                .toList();
    }

    private static final java.util.regex.Pattern POSITION = java.util.regex.Pattern.compile("[0-9]+:[0-9]+: ");

    private static Arguments row(String name, String yaml, String... errors) {
        return Arguments.of(name, yaml, List.of(), List.of(errors));
    }

    /** A row whose spec is changed by {@code --set} values before it is checked. */
    private static Arguments set(String name, String yaml, List<String> sets, String... errors) {
        return Arguments.of(name, yaml, sets.stream().map(SpecOverride::parse).toList(), List.of(errors));
    }

    /** A row whose process.args are replaced by the arguments after {@code --}. */
    private static Arguments args(String name, String yaml, List<String> args, String... errors) {
        return Arguments.of(name, yaml, List.of(SpecOverride.args(args)), List.of(errors));
    }
}
