package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.krunctl.cli.spec.SpecLoader;
import io.krunctl.cli.spec.SpecModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The man pages in {@code man/} are what {@link ManPages} generates from the command model, the spec
 * model and the exit-code table; {@code man -l} renders each without warnings; and the rendered
 * text names every field, option and exit code of the models.
 */
class ManPagesTest {

    private static final Path MAN = Golden.ROOT.resolve("man");

    /** With -Dgolden.update=true, write every page first, so the rendering tests read the new ones. */
    @org.junit.jupiter.api.BeforeAll
    static void updatePages() throws IOException {
        if (Golden.updating()) {
            for (Map.Entry<String, String> page : ManPages.generate().entrySet()) {
                Golden.check(MAN.resolve(page.getKey()), page.getValue(), ManPagesTest.class);
            }
        }
    }

    static Stream<String> pages() {
        return ManPages.generate().keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void committedPageIsTheGeneratedOne(String page) throws IOException {
        Golden.check(MAN.resolve(page), ManPages.generate().get(page), ManPagesTest.class);
    }

    @Test
    void noOtherPagesInTheManFolder() throws IOException {
        try (Stream<Path> list = Files.list(MAN)) {
            assertThat(list.map(p -> p.getFileName().toString()).sorted())
                    .containsExactlyElementsOf(ManPages.generate().keySet().stream().sorted().toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void pageRendersWithoutWarnings(String page) throws Exception {
        Rendered r = render(MAN.resolve(page));

        assertThat(r.warnings()).as("man --warnings").isEmpty();
        assertThat(r.text()).contains("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO");
    }

    @Test
    void specPageNamesEveryFieldWithItsTypeDefaultAndExample() throws Exception {
        String text = flat(render(MAN.resolve("krunctl-spec.5")).text());
        for (SpecModel.Field f : SpecModel.allFields()) {
            assertThat(text).as("field").contains(" " + f.path() + " ");
            assertThat(text).as(f.path()).contains("Type: " + flat(f.kind().manual()));
            if (f.required()) {
                assertThat(text).as(f.path()).contains(f.path() + " Type: " + flat(f.kind().manual()) + ". Required.");
            } else if (SpecModel.ROOT.fields().contains(f)) {
                assertThat(text).as(f.path()).contains(f.supported() ? "One of the kinds of root." : "Not supported yet.");
            } else {
                assertThat(text).as(f.path()).contains("Default: " + (f.defaultText() == null ? "none" : f.defaultText()));
            }
            assertThat(text).as(f.path()).contains(flat(f.description()));
            for (String line : f.example().split("\n")) {
                assertThat(text).as(f.path() + " example").contains(flat(line));
            }
        }
    }

    @Test
    void mainPageHasTheOneExitCodeTable() throws Exception {
        String text = render(MAN.resolve("krunctl.1")).text();
        String section = text.substring(text.indexOf("\nEXIT STATUS\n"), text.indexOf("\nENVIRONMENT\n"));
        List<String> codes = new ArrayList<>();
        for (String line : section.lines().toList()) {
            if (line.matches(" {7}[0-9][0-9-]*( .*)?")) {
                codes.add(line.strip().split("\\s+")[0]);
            }
        }
        assertThat(codes).containsExactlyElementsOf(ExitCodes.TABLE.stream().map(ExitCodes.Row::codes).toList());
        for (ExitCodes.Row row : ExitCodes.TABLE) {
            assertThat(flat(section)).contains(row.meaning());
        }
    }

    @Test
    void everyCommandHasAPageNamingEachOfItsOptions() throws Exception {
        CommandLine root = Main.commandLine();
        for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
            if (e.getKey().equals("help") || e.getValue().getCommandSpec().usageMessage().hidden()) {
                continue;
            }
            Path page = MAN.resolve("krunctl-" + e.getKey() + ".1");
            assertThat(page).exists();
            String text = flat(render(page).text());
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                if (o.hidden()) {
                    continue; // krunctl's own, for run -d's supervisor: not a user's
                }
                for (String name : o.names()) {
                    assertThat(text).as(page + " option").contains(name);
                }
            }
            e.getValue().getCommandSpec().positionalParameters()
                    .forEach(p -> assertThat(text).as(page + " argument").contains(p.paramLabel()));
            String main = flat(render(MAN.resolve("krunctl.1")).text());
            assertThat(main).contains("krunctl-" + e.getKey() + "(1)");
        }
    }

    /** Each field's example, put into a minimal spec, is a valid spec: the manual shows only working YAML. */
    @Test
    void everyFieldExampleIsValid(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve("bin/tool"), "tool");
        Files.writeString(dir.resolve("vmlinux"), "kernel");
        Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("root.ext4"), "image");
        Files.writeString(dir.resolve("cache.img"), "image");
        Files.writeString(dir.resolve("my-init"), "#!/bin/busybox sh\n");
        Files.createDirectories(dir.resolve("image"));
        Files.writeString(dir.resolve("image/config.json"), "{\"config\": {\"Cmd\": [\"/bin/sh\"]}}");
        String base = "apiVersion: krunctl/v1\nname: t\nroot: {nullfs: {}}\nprocess: {args: [/bin/true]}\n";
        for (SpecModel.Field f : SpecModel.allFields()) {
            if (!f.supported()) {
                continue;
            }
            String yaml;
            if (!f.path().contains(".")) {
                yaml = base.lines().filter(l -> !l.startsWith(f.name() + ":")).map(l -> l + "\n")
                        .reduce("", String::concat) + f.example() + "\n";
            } else if (f.path().startsWith("process.")) {
                yaml = base.replace("process: {args: [/bin/true]}\n", "process:\n  args: [/bin/true]\n")
                        .replace("  args: [/bin/true]\n", f.name().equals("args") ? "" : "  args: [/bin/true]\n")
                        + "  " + f.example() + "\n";
            } else if (f.path().startsWith("files[].")) {
                String entry = f.name().equals("path") || f.name().equals("content") || f.name().equals("source")
                        ? (f.name().equals("path") ? "content: x" : "path: /f")
                        : "path: /f\n    content: x";
                yaml = base + "files:\n  - " + entry + "\n    " + f.example().replace("\n", "\n    ") + "\n";
            } else if (f.path().startsWith("mounts[].files[].")) {
                String file = switch (f.name()) {
                    case "path" -> "content: x";
                    case "content", "source" -> "path: /data/f";
                    default -> "path: /data/f\n        content: x";
                };
                yaml = base + "mounts:\n  - type: virtiofs\n    source: ./data\n    destination: /data\n    files:\n"
                        + "      - " + file + "\n        " + f.example().replace("\n", "\n        ") + "\n";
            } else if (f.path().startsWith("mounts[].")) {
                String entry = switch (f.name()) {
                    case "type" -> "destination: /m\n    source: ./data";
                    case "source" -> "type: virtiofs\n    destination: /m";
                    case "destination" -> "type: tmpfs";
                    case "size" -> "type: tmpfs\n    destination: /m";
                    default -> "type: virtiofs\n    source: ./data\n    destination: /data";
                };
                yaml = base + "mounts:\n  - " + entry + "\n    " + f.example().replace("\n", "\n    ") + "\n";
            } else if (f.path().startsWith("root.")) {
                yaml = base.replace("root: {nullfs: {}}\n", "") + f.example() + "\n";
            } else {
                // disks[].*, network.*: whole top-level snippets
                yaml = base + f.example() + "\n";
            }
            Path spec = dir.resolve("spec.yaml");
            Files.writeString(spec, yaml);
            assertThat(SpecLoader.load(spec)).as("%s example in:\n%s", f.path(), yaml).isNotNull();
        }
        Path synopsis = dir.resolve("synopsis.yaml");
        Files.writeString(synopsis, ManPages.synopsisSpec());
        assertThat(SpecLoader.load(synopsis).name()).isEqualTo("hello");
    }

    private record Rendered(String text, String warnings) {}

    private static Rendered render(Path page) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/man")) || "true".equals(System.getenv("CI")) && fail(),
                "man is not installed (package man-db)");
        ProcessBuilder pb = new ProcessBuilder("man", "--warnings", "-l", page.toString());
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().put("MANWIDTH", "100");
        pb.environment().put("MANPAGER", "cat");
        pb.environment().remove("MAN_KEEP_FORMATTING");
        Path err = Files.createTempFile("man", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("man -l %s", page).isZero();
        String warnings = Files.readString(err);
        Files.delete(err);
        String text = new String(out, StandardCharsets.UTF_8).replaceAll(".\b", "").replaceAll("\u001b\\[[0-9;]*m", "");
        return new Rendered(text, warnings);
    }

    private static boolean fail() {
        throw new AssertionError("man is missing in CI: scripts/prereqs.sh installs man-db");
    }

    private static String flat(String s) {
        return s.replaceAll("\\s+", " ");
    }
}
