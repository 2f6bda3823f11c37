package io.krunctl.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LinkageTest {
    private static final Path SOURCES = Path.of("src/main/java/io/krunctl/nativeio");
    private static final Pattern LINKED = Pattern.compile("Linkage\\.(?:withErrno|plain)\\(\"(\\w+)\"");

    /**
     * A C function linked in two binding classes drifts apart (one retries EINTR, the other does
     * not). {@code syscall} is variadic and needs one handle per argument shape.
     */
    @Test
    void eachCFunctionIsLinkedOnce() throws IOException {
        Map<String, List<String>> linkedIn = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = LINKED.matcher(Files.readString(file));
                while (m.find()) {
                    linkedIn.computeIfAbsent(m.group(1), _ -> new ArrayList<>()).add(file.getFileName().toString());
                }
            }
        }
        assertThat(linkedIn).containsKeys("close", "openat", "statx");
        linkedIn.remove("syscall");
        assertThat(linkedIn).allSatisfy((function, classes) -> assertThat(classes).as(function).hasSize(1));
    }
}
