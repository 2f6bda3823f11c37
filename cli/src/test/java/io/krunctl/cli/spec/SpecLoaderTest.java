package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.InitChoice;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VirtualFile.Content;
import io.krunctl.vmm.config.VmConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Specs that load, and what they load to. */
class SpecLoaderTest {

    private static final String MINIMAL = """
            apiVersion: krunctl/v1
            name: t
            root: {nullfs: {}}
            process: {args: [/bin/true]}
            """;

    @TempDir
    Path dir;

    private static final String HELLO = """
            apiVersion: krunctl/v1
            name: hello
            cpus: 1
            memory: 256Mi
            root:
              nullfs: {}                    # NullFs: an empty root; everything below is virtual
            files:
              - path: /bin/busybox
                source: %s        # host file, read at launch (busybox-static)
                mode: "0755"
              - path: /etc/motd
                content: "hello from a microVM\\n"
            process:
              args: ["/bin/busybox", "cat", "/etc/motd"]
              env: {GREETING: hi}
              workdir: /
            """;

    private static VmConfig expectedHello(Path busybox) {
        return VmConfig.builder("hello", new RootConfig.NullFs(),
                        new ProcessConfig(List.of("/bin/busybox", "cat", "/etc/motd"), Map.of("GREETING", "hi"), "/"))
                .files(List.of(
                        new VirtualFile("/bin/busybox", new Content.HostFile(busybox), 0755, false),
                        new VirtualFile("/etc/motd",
                                new Content.Inline("hello from a microVM\n".getBytes(StandardCharsets.UTF_8)),
                                0644, false)))
                .build();
    }

    /** The example spec, byte for byte; needs busybox-static's /bin/busybox on the host. */
    @Test
    void helloSpecLoadsToTheExpectedConfig() throws Exception {
        assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "needs /bin/busybox (busybox-static)");
        VmConfig config = SpecLoader.load(resource("hello.yaml"));
        assertSameConfig(config, expectedHello(Path.of("/bin/busybox")));
    }

    /** The same spec with its host file made up here, so it runs on any host. */
    @Test
    void helloSpecWithARelativeSourceLoadsToTheExpectedConfig() throws Exception {
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve("bin/busybox"), "not really busybox");
        Path spec = write(HELLO.formatted("bin/busybox "));
        assertSameConfig(SpecLoader.load(spec), expectedHello(dir.resolve("bin/busybox")));
    }

    @Test
    void defaultsApply() throws Exception {
        VmConfig config = SpecLoader.load(write(MINIMAL));
        assertSameConfig(config, VmConfig.builder("t", new RootConfig.NullFs(),
                new ProcessConfig(List.of("/bin/true"), Map.of(), "/")).build());
    }

    @Test
    void everyFieldCanBeGiven() throws Exception {
        Files.createDirectories(dir.resolve("boot"));
        Files.writeString(dir.resolve("boot/vmlinux"), "kernel");
        Files.createDirectories(dir.resolve("specs"));
        Files.writeString(dir.resolve("data.bin"), "data");
        Path spec = dir.resolve("specs/full.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: full-1
                cpus: "4"
                memory: 1.5Gi
                hostname: box.example
                kernel: ../boot/vmlinux
                root:
                  nullfs: {}
                files:
                  - path: /data
                    source: ../data.bin
                    mode: 0600
                    oneShot: true
                  - path: /etc/empty
                    content: ""
                process:
                  args: [/bin/sh, -c, "echo $A", 5, yes]
                  env: {A: "1", B: 8080, C: yes, D: 1.10, E: 0755, F: true, G: "", _H: x}
                  workdir: /tmp/work
                """);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A", "1");
        env.put("B", "8080");
        env.put("C", "yes");
        env.put("D", "1.10");
        env.put("E", "0755");
        env.put("F", "true");
        env.put("G", "");
        env.put("_H", "x");
        assertSameConfig(SpecLoader.load(spec), VmConfig.builder("full-1", new RootConfig.NullFs(),
                        new ProcessConfig(List.of("/bin/sh", "-c", "echo $A", "5", "yes"), env, "/tmp/work"))
                .cpus(4)
                .memoryMiB(1536)
                .files(List.of(
                        new VirtualFile("/data", new Content.HostFile(dir.resolve("data.bin")), 0600, true),
                        new VirtualFile("/etc/empty", new Content.Inline(new byte[0]), 0644, false)))
                .hostname("box.example")
                .kernel(new KernelChoice.HostImage(dir.resolve("boot/vmlinux")))
                .build());
    }

    @Test
    void kernelNamesTheKernelsKrunctlProvidesOrAFile() throws Exception {
        assertThat(SpecLoader.load(write(MINIMAL + "kernel: krunctl\n")).kernel()).isEqualTo(new KernelChoice.Own());
        assertThat(SpecLoader.load(write(MINIMAL + "kernel: debian\n")).kernel())
                .isEqualTo(new KernelChoice.Distribution());
        Files.writeString(dir.resolve("debian"), "a kernel image called debian");
        assertThat(SpecLoader.load(write(MINIMAL + "kernel: ./debian\n")).kernel())
                .isEqualTo(new KernelChoice.HostImage(dir.resolve("debian")));
    }

    @Test
    void environmentKeepsItsOrder() throws Exception {
        VmConfig config = SpecLoader.load(write(MINIMAL.replace("[/bin/true]}", "[/bin/true], env: {Z: 1, A: 2, M: 3}}")));
        assertThat(config.process().env().keySet()).containsExactly("Z", "A", "M");
    }

    @ParameterizedTest(name = "memory: {0}")
    @CsvSource({
        "256Mi, 256",
        "64Mi, 64",
        "1Gi, 1024",
        "1G, 1024",
        "512M, 512",
        "65536K, 64",
        "65536Ki, 64",
        "1.5Gi, 1536",
        "0.5Gi, 512",
        "1Ti, 1048576",
        "268435456, 256",
        "'\"2Gi\"', 2048",
    })
    void memorySizes(String text, long mib) throws Exception {
        VmConfig config = SpecLoader.load(write(MINIMAL + "memory: " + text + "\n"));
        assertThat(config.memoryBytes()).isEqualTo(mib * VmConfig.MIB);
    }

    @ParameterizedTest(name = "mode: {0}")
    @CsvSource({
        "'\"0755\"', 0755",
        "0755, 0755",
        "'\"644\"', 0644",
        "644, 0644",
        "'\"0000\"', 0",
        "'\"4755\"', 04755",
        "'\"7777\"', 07777",
        "'!!str 0640', 0640",
    })
    void modes(String text, String octal) throws Exception {
        VmConfig config = SpecLoader.load(write(MINIMAL + "files: [{path: /f, content: x, mode: " + text + "}]\n"));
        assertThat(config.files().getFirst().mode()).isEqualTo(Integer.parseInt(octal, 8));
    }

    @ParameterizedTest(name = "oneShot: {0}")
    @CsvSource({"true, true", "True, true", "TRUE, true", "false, false", "'\"false\"', false"})
    void booleans(String text, boolean expected) throws Exception {
        VmConfig config = SpecLoader.load(write(MINIMAL + "files: [{path: /f, content: x, oneShot: " + text + "}]\n"));
        assertThat(config.files().getFirst().oneShot()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "cpus: {0}")
    @CsvSource({"1, 1", "64, 64", "'\"8\"', 8", "08, 8"})
    void cpus(String text, int expected) throws Exception {
        assertThat(SpecLoader.load(write(MINIMAL + "cpus: " + text + "\n")).cpus()).isEqualTo(expected);
    }

    @Test
    void yamlNiceties() throws Exception {
        // Byte order mark, CRLF line ends, comments, an anchor and its alias, a block scalar.
        String yaml = "\uFEFF# a spec\r\napiVersion: krunctl/v1\r\nname: t\r\nroot: {nullfs: {}}\r\nfiles:\r\n"
                + "  - path: /a\r\n    content: &text |\r\n      line 1\r\n      line 2\r\n"
                + "  - path: /b\r\n    content: *text\r\nprocess: {args: [/bin/true]}\r\n";
        Files.writeString(dir.resolve("spec.yaml"), yaml);
        VmConfig config = SpecLoader.load(dir.resolve("spec.yaml"));
        assertThat(config.files()).extracting(f -> new String(((Content.Inline) f.content()).bytes(), StandardCharsets.UTF_8))
                .containsExactly("line 1\nline 2\n", "line 1\nline 2\n");
    }

    @Test
    void unreadableSpecIsItsOwnKindOfFailureAndKeepsTheGivenPath() {
        Path missing = Path.of("no/such/dir/spec.yaml");
        assertThatThrownBy(() -> SpecLoader.load(missing))
                .isInstanceOf(SpecUnreadableException.class)
                .hasMessage("no/such/dir/spec.yaml: cannot read spec: No such file or directory")
                .satisfies(e -> assertThat(((SpecException) e).unreadable()).isTrue())
                .satisfies(e -> assertThat(((SpecUnreadableException) e).error())
                        .isEqualTo(new SpecError(missing, 0, 0, "cannot read spec: No such file or directory")));
    }

    @Test
    void directoryIsAnUnreadableSpec() {
        assertThatThrownBy(() -> SpecLoader.load(dir))
                .isInstanceOf(SpecUnreadableException.class)
                .hasMessage(dir + ": cannot read spec: Is a directory");
    }

    @Test
    void specBelowAFileIsAnUnreadableSpec() throws IOException {
        Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> SpecLoader.load(dir.resolve("plain/spec.yaml")))
                .isInstanceOf(SpecUnreadableException.class)
                .hasMessage(dir + "/plain/spec.yaml: cannot read spec: Not a directory");
    }

    /** Maven runs tests in the module folder; the relative path must come back as given. */
    @Test
    void errorsNameTheSpecAsGiven() {
        assertThatThrownBy(() -> SpecLoader.load(Path.of("src/test/resources/spec/bad-cpus.yaml")))
                .isExactlyInstanceOf(SpecException.class)
                .satisfies(e -> assertThat(((SpecException) e).unreadable()).isFalse())
                .hasMessage("src/test/resources/spec/bad-cpus.yaml:3:7: cpus: expected an integer from 1 to 64, got \"two\"");
    }

    static Stream<Arguments> exampleSpecs() throws IOException {
        Path specs = Path.of("../specs");
        if (!Files.isDirectory(specs)) {
            return Stream.empty();
        }
        try (Stream<Path> list = Files.list(specs)) {
            return list.filter(p -> p.toString().endsWith(".yaml")).sorted().map(Arguments::of).toList().stream();
        }
    }

    /** Every example in the repository's specs/ folder loads. */
    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("exampleSpecs")
    void exampleSpecsLoad(Path spec) throws Exception {
        assertThat(SpecLoader.load(spec).name()).isNotBlank();
    }

    private Path write(String yaml) throws IOException {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        return spec;
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SpecLoaderTest.class.getResource("/spec/" + name).toURI());
    }

    @Test
    void initSourceIsAHostFileRelativeToTheSpec() throws Exception {
        Files.writeString(dir.resolve("my-init"), "#!/bin/sh\n");
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                init: {source: ./my-init}
                process: {args: [/bin/true]}
                """));
        assertThat(config.init()).isEqualTo(new InitChoice.HostFile(dir.resolve("my-init")));
    }

    @Test
    void initDisabledTakesTheSpecsOwnInit() throws Exception {
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                init: {disabled: true}
                files:
                  - {path: /init.krun, content: "#!/bin/busybox sh\\n", mode: "0755"}
                process: {args: [/bin/true]}
                """));
        assertThat(config.init()).isEqualTo(new InitChoice.Disabled());
        assertThat(config.files()).extracting(VirtualFile::guestPath).containsExactly("/init.krun");
    }

    /** An image configuration as skopeo unpacks it: compact JSON, nulls and keys krunctl ignores. */
    private static final String IMAGE_CONFIG = """
            {"architecture":"amd64","os":"linux","config":{"User":"app","Env":["PATH=/usr/local/bin:/usr/bin:/bin",\
            "LANG=C.UTF-8","HOME=/home/app"],"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g",\
            "daemon off;"],"WorkingDir":"/srv","Volumes":null},"rootfs":{"type":"layers","diff_ids":[]}}
            """;

    @Test
    void anImagesOwnProcessRunsAsItIs() throws Exception {
        Files.writeString(dir.resolve("config.json"), IMAGE_CONFIG);
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                image: {config: ./config.json}
                """));
        assertThat(config.process().args()).containsExactly("/docker-entrypoint.sh", "nginx", "-g", "daemon off;");
        assertThat(config.process().workdir()).isEqualTo("/srv");
        assertThat(config.process().env()).containsExactly(entry("PATH", "/usr/local/bin:/usr/bin:/bin"),
                entry("LANG", "C.UTF-8"), entry("HOME", "/home/app"));
        assertThat(config.process().pid1()).isFalse();
    }

    @Test
    void theSpecsProcessFieldsWinOverTheImagesAsDockerRunArgsDo() throws Exception {
        Files.writeString(dir.resolve("config.json"), IMAGE_CONFIG);
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                image: {config: ./config.json}
                process:
                  args: [nginx, -t]
                  workdir: /
                  env: {LANG: de_DE.UTF-8, DEBUG: "1"}
                  pid1: true
                """));
        assertThat(config.process().args()).containsExactly("/docker-entrypoint.sh", "nginx", "-t");
        assertThat(config.process().workdir()).isEqualTo("/");
        assertThat(config.process().env()).containsExactly(entry("PATH", "/usr/local/bin:/usr/bin:/bin"),
                entry("LANG", "de_DE.UTF-8"), entry("HOME", "/home/app"), entry("DEBUG", "1"));
        assertThat(config.process().pid1()).isTrue();
    }

    @Test
    void theArgumentsAfterDashesReplaceTheImagesCmdToo() throws Exception {
        Files.writeString(dir.resolve("config.json"), IMAGE_CONFIG);
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                image: {config: ./config.json}
                """), List.of(SpecOverride.args(List.of("sh"))));
        assertThat(config.process().args()).containsExactly("/docker-entrypoint.sh", "sh");
    }

    @Test
    void anImageThatSaysNothingToRunNeedsProcessArgs() throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"config": {"Env": ["A=1"], "Entrypoint": null, "Cmd": [], "WorkingDir": ""}}
                """);
        Path spec = write("apiVersion: krunctl/v1\nroot: {nullfs: {}}\nimage: {config: ./config.json}\n");
        assertThat(catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec)).getMessage())
                .isEqualTo(spec + ":3:17: image.config: the image gives neither Entrypoint nor Cmd; say what to run"
                        + " with process.args");

        Path given = write("""
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                image: {config: ./config.json}
                process: {args: [/bin/true]}
                """);
        assertThat(SpecLoader.load(given).process().args()).containsExactly("/bin/true");
        assertThat(SpecLoader.load(given).process().workdir()).isEqualTo("/");
    }

    @Test
    void aMalformedImageConfigIsNamedByItsKey() throws Exception {
        Files.writeString(dir.resolve("manifest.json"), "{\"schemaVersion\": 2, \"layers\": []}");
        Files.writeString(dir.resolve("cmd.json"), "{\"config\": {\"Cmd\": \"nginx -g 'daemon off;'\"}}");
        Files.writeString(dir.resolve("env.json"), "{\"config\": {\"Cmd\": [\"a\"], \"Env\": [\"PATH\"]}}");
        Files.writeString(dir.resolve("dir.json"), "{\"config\": {\"Cmd\": [\"a\"], \"WorkingDir\": \"srv\"}}");
        String spec = "apiVersion: krunctl/v1\nroot: {nullfs: {}}\nimage: {config: ./%s}\n";

        assertThat(errorOf(spec.formatted("manifest.json"))).endsWith("manifest.json: has no 'config' object, so it"
                + " gives no process; is it the image's configuration (the file the manifest's config.digest names),"
                + " not its manifest or index?");
        assertThat(errorOf(spec.formatted("cmd.json"))).endsWith("cmd.json: config.Cmd: expected a list of strings,"
                + " got a string");
        assertThat(errorOf(spec.formatted("env.json"))).endsWith("env.json: config.Env[0]: expected NAME=VALUE with a"
                + " name of letters, digits and '_', got \"PATH\"");
        assertThat(errorOf(spec.formatted("dir.json"))).endsWith("dir.json: config.WorkingDir: expected an absolute"
                + " guest path, got \"srv\"");
    }

    private String errorOf(String yaml) throws IOException {
        Path spec = write(yaml);
        String message = catchThrowableOfType(SpecException.class, () -> SpecLoader.load(spec)).getMessage();
        assertThat(message).startsWith(spec + ":3:17: image.config: " + dir);
        return message;
    }

    @Test
    void withoutInitTheBundledOneIsUsed() throws Exception {
        VmConfig config = SpecLoader.load(write("apiVersion: krunctl/v1\nroot: {nullfs: {}}\nprocess: {args: [/bin/true]}\n"));
        assertThat(config.init()).isEqualTo(new InitChoice.Bundled());
    }

    /** Records holding byte arrays compare by identity, so compare field by field. */
    @Test
    void diskRootDisksNetworkAndRlimitsLoad() throws Exception {
        Files.writeString(dir.resolve("root.ext4"), "image");
        Files.createDirectories(dir.resolve("img"));
        Files.writeString(dir.resolve("img/cache.img"), "image");
        Files.writeString(dir.resolve("b,c.img"), "image");
        VmConfig config = SpecLoader.load(write("""
                apiVersion: krunctl/v1
                name: builder
                root:
                  disk: {path: ./root.ext4, fstype: auto, options: "commit=60,errors=remount-ro", readOnly: true}
                disks:
                  - {path: img/cache.img, readOnly: true}
                  - path: b,c.img
                network:
                  mode: user
                  ports: ["8080:80", "0.0.0.0:2222:22"]
                process:
                  args: [/usr/bin/make]
                  rlimits:
                    nproc: {soft: 512, hard: "512"}
                    nofile: {soft: 4096, hard: 8192}
                    core: {soft: 0, hard: unlimited}
                """));

        assertSameConfig(config, new VmConfig("builder", 1, 256 * VmConfig.MIB,
                new RootConfig.BlockDevice(new Disk(dir.resolve("root.ext4"), true), java.util.Optional.empty(),
                        "commit=60,errors=remount-ro"),
                List.of(), List.of(),
                new ProcessConfig(List.of("/usr/bin/make"), Map.of(), "/", List.of(
                        new Rlimit(Rlimit.Resource.NPROC, 512, 512),
                        new Rlimit(Rlimit.Resource.NOFILE, 4096, 8192),
                        new Rlimit(Rlimit.Resource.CORE, 0, Rlimit.UNLIMITED))),
                "builder", new KernelChoice.Own(),
                List.of(new Disk(dir.resolve("img/cache.img"), true), new Disk(dir.resolve("b,c.img"), false)),
                new NetworkConfig(NetworkConfig.Mode.USER, List.of(new NetworkConfig.PortForward(8080, 80),
                        new NetworkConfig.PortForward("0.0.0.0", 2222, 22)))));
        assertThat(config.allDisks()).extracting(Disk::path)
                .containsExactly(dir.resolve("root.ext4"), dir.resolve("img/cache.img"), dir.resolve("b,c.img"));
    }

    /** Without 'name', the VM is named after the spec file, made a valid name. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "hello.yaml               | hello",
        "My App.v2.yaml           | my-app-v2",
        "web_server.yml           | web-server",
        "v1.2.3.yaml              | v1-2-3",
        "--Weird__  Name--.yaml   | weird-name",
        "2048.yaml                | 2048",
        "spec                     | spec",
        "Grüße aus Köln.yaml      | gr-e-aus-k-ln",
        "ÄÖÜ.yaml                 | vm",
        ".yaml                    | vm",
        "-_-.yaml                 | vm",
    })
    void nameDefaultsToTheSpecFilesName(String fileName, String name) throws Exception {
        Path spec = dir.resolve(fileName);
        Files.writeString(spec, MINIMAL.replace("name: t\n", ""));

        VmConfig config = SpecLoader.load(spec);

        assertThat(config.name()).isEqualTo(name);
        assertThat(config.hostname()).as("the host name follows the name").isEqualTo(name);
        assertThat(SpecLoader.isName(config.name())).isTrue();
    }

    @Test
    void aDefaultedNameIsCutTo63CharactersWithoutATrailingDash() throws Exception {
        String stem = "a".repeat(62) + "-" + "b".repeat(20);
        Path spec = dir.resolve(stem + ".yaml");
        Files.writeString(spec, MINIMAL.replace("name: t\n", ""));

        assertThat(SpecLoader.load(spec).name()).isEqualTo("a".repeat(62));
        assertThat(SpecRules.nameFromFile(Path.of("B".repeat(70) + ".yaml"))).isEqualTo("b".repeat(63));
        assertThat(SpecRules.nameFromFile(Path.of("/"))).isEqualTo("vm");
    }

    @Test
    void aGivenNameOrSetNameWinsOverTheFilesName() throws Exception {
        Path spec = dir.resolve("from-file.yaml");
        Files.writeString(spec, MINIMAL.replace("name: t\n", ""));
        Path named = dir.resolve("named.yaml");
        Files.writeString(named, MINIMAL);

        assertThat(SpecLoader.load(named).name()).isEqualTo("t");
        assertThat(SpecLoader.load(spec, List.of(SpecOverride.parse("name=from-flag"))).name()).isEqualTo("from-flag");
        assertThat(SpecLoader.load(named, List.of(SpecOverride.parse("name=from-flag"))).name()).isEqualTo("from-flag");
        assertThatThrownBy(() -> SpecLoader.load(spec, List.of(SpecOverride.parse("name=Not A Name"))))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("--set name=Not A Name: name: expected a name of lowercase letters");
    }

    /** dir: PATH with its settings beside it and dir: {path: PATH, ...} are the same root. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{dir: ./rootfs}                                 | false | auto",
        "{dir: {path: ./rootfs}}                         | false | auto",
        "{dir: rootfs, readOnly: true}                   | true  | auto",
        "{dir: {path: rootfs, readOnly: true}}           | true  | auto",
        "{dir: ./rootfs, readOnly: false, cache: never}  | false | never",
        "{dir: {path: ./rootfs/, cache: never}}          | false | never",
        "{readOnly: TRUE, cache: always, dir: ./rootfs}  | true  | always",
        "{dir: {cache: always, readOnly: TRUE, path: ./rootfs}} | true | always",
    })
    void aDirRootReadsTheSameInBothForms(String root, boolean readOnly, String cache) throws Exception {
        Files.createDirectories(dir.resolve("rootfs"));
        VmConfig config = SpecLoader.load(write(MINIMAL.replace("{nullfs: {}}", root)));

        assertThat(config.root()).isEqualTo(new RootConfig.Dir(dir.resolve("rootfs"), readOnly,
                io.krunctl.virtiofs.fs.CachePolicy.valueOf(cache.toUpperCase(java.util.Locale.ROOT))));
    }

    @Test
    void aDirRootInBlockStyleReadsAsTheFlowStyle() throws Exception {
        Files.createDirectories(dir.resolve("rootfs"));
        VmConfig config = SpecLoader.load(write(MINIMAL.replace("root: {nullfs: {}}\n", """
                root:
                  dir:
                    path: ./rootfs
                    readOnly: true
                    cache: never
                """)));

        assertThat(config.root()).isEqualTo(new RootConfig.Dir(dir.resolve("rootfs"), true,
                io.krunctl.virtiofs.fs.CachePolicy.NEVER));
    }

    /** devices: true reaches the config of the share it is given for, and only that one. */
    @Test
    void devicesIsCarriedPerShareAndOffByDefault() throws Exception {
        Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(dir.resolve("target"));
        Files.createDirectories(dir.resolve("data"));
        VmConfig config = SpecLoader.load(write(MINIMAL.replace("root: {nullfs: {}}\n", """
                root: {dir: ./rootfs, devices: true}
                mounts:
                  - {type: virtiofs, source: ./target, destination: /target, devices: "True"}
                  - {type: virtiofs, source: ./data, destination: /data}
                """)));
        VmConfig mapping = SpecLoader.load(write(MINIMAL.replace("{nullfs: {}}",
                "{dir: {path: ./rootfs, cache: always, devices: true}}")));
        VmConfig plain = SpecLoader.load(write(MINIMAL.replace("{nullfs: {}}", "{dir: ./rootfs, devices: false}")));

        CachePolicy auto = CachePolicy.AUTO;
        assertThat(config.root()).isEqualTo(new RootConfig.Dir(dir.resolve("rootfs"), false, auto, true));
        assertThat(config.mounts()).containsExactly(
                new MountConfig.VirtioFs(dir.resolve("target"), "/target", false, auto, true, List.of()),
                new MountConfig.VirtioFs(dir.resolve("data"), "/data", false, auto, false, List.of()));
        assertThat(mapping.root()).isEqualTo(new RootConfig.Dir(dir.resolve("rootfs"), false, CachePolicy.ALWAYS, true));
        assertThat(plain.root()).isEqualTo(new RootConfig.Dir(dir.resolve("rootfs"), false, auto, false));
    }

    @Test
    void networkDefaultsToNoneAndAnExplicitFstypeIsKept() throws Exception {
        Files.writeString(dir.resolve("root.ext4"), "image");
        VmConfig config = SpecLoader.load(write(MINIMAL.replace("{nullfs: {}}", "{disk: {path: root.ext4, fstype: xfs}}")));

        assertThat(config.network()).isEqualTo(NetworkConfig.none());
        assertThat(config.disks()).isEmpty();
        assertThat(config.root()).isEqualTo(new RootConfig.BlockDevice(new Disk(dir.resolve("root.ext4"), false),
                java.util.Optional.of("xfs"), ""));
        assertThat(config.process().rlimits()).isEmpty();
    }

    private static void assertSameConfig(VmConfig actual, VmConfig expected) {
        assertThat(actual).usingRecursiveComparison().withStrictTypeChecking().isEqualTo(expected);
    }
}
