package io.krunctl.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares generated text with a committed file. On a difference the test fails with a unified-style
 * line diff and the command that regenerates the file; run with {@code -Dgolden.update=true} to
 * rewrite the committed files instead (then review them with {@code git diff}).
 */
public final class Golden {

    /** The repository root: tests run with the cli module as working directory. */
    public static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    private Golden() {}

    public static boolean updating() {
        return Boolean.getBoolean("golden.update");
    }

    /**
     * @param file      the committed file
     * @param actual    what the code generates now
     * @param testClass the test that compares them, for the hint
     */
    public static void check(Path file, String actual, Class<?> testClass) throws IOException {
        String hint = "regenerate with: mvn -o -q -pl cli test -Dtest=" + testClass.getSimpleName()
                + " -Dgolden.update=true   (then review: git diff " + ROOT.relativize(file.toAbsolutePath()) + ")";
        if (updating()) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(actual)) {
                Files.writeString(file, actual, StandardCharsets.UTF_8);
                System.err.println("golden: wrote " + file);
            }
            return;
        }
        if (!Files.exists(file)) {
            fail(file + " does not exist; " + hint);
        }
        String expected = Files.readString(file, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail(file + " is out of date (- committed, + generated):\n" + diff(expected, actual) + "\n" + hint);
        }
    }

    /** A line diff with two lines of context around each change. */
    static String diff(String expected, String actual) {
        List<String> a = expected.lines().toList();
        List<String> b = actual.lines().toList();
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> ops = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                ops.add("  " + a.get(i++));
                j++;
            } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
                ops.add("+ " + b.get(j++));
            } else {
                ops.add("- " + a.get(i++));
            }
        }
        boolean[] shown = new boolean[ops.size()];
        for (int k = 0; k < ops.size(); k++) {
            if (!ops.get(k).startsWith("  ")) {
                for (int m = Math.max(0, k - 2); m <= Math.min(ops.size() - 1, k + 2); m++) {
                    shown[m] = true;
                }
            }
        }
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < ops.size(); k++) {
            if (shown[k]) {
                if (k > 0 && !shown[k - 1] && !out.isEmpty()) {
                    out.append("  ...\n");
                }
                out.append(ops.get(k)).append('\n');
            }
        }
        if (!expected.endsWith("\n") || !actual.endsWith("\n")) {
            out.append("(committed ends ").append(expected.endsWith("\n") ? "with" : "without")
                    .append(" a newline, generated ").append(actual.endsWith("\n") ? "with" : "without").append(")\n");
        }
        return out.toString();
    }
}
