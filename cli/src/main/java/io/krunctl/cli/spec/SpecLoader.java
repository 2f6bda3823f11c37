package io.krunctl.cli.spec;

import io.krunctl.vmm.config.VmConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a YAML VM spec ({@code krunctl run spec.yaml}) into a {@link VmConfig}, reporting every
 * problem as {@code FILE:LINE:COL: MESSAGE}.
 *
 * <p>The format itself (every field, its type, default and rules) is described once, in
 * {@link SpecModel}, from which krunctl-spec(5) and the JSON Schema ({@code krunctl schema}) are
 * generated; read it there or with {@code man ./man/krunctl-spec.5}.
 *
 * <h2>Errors</h2>
 *
 * Every rule is checked and every broken one reported (once the file parses as YAML at all),
 * sorted by line and column, each at the key or value at fault, as {@code FILE:LINE:COL: MESSAGE}
 * with {@code FILE} exactly as passed in. A YAML syntax error is reported alone, with the parser's
 * own text and position. A file that cannot be read raises {@link SpecUnreadableException}
 * ({@code FILE: cannot read spec: No such file or directory}); all other problems raise a plain
 * {@link SpecException}.
 */
public final class SpecLoader {

    private SpecLoader() {}

    /** Whether {@code name} is a valid VM name, as the spec's {@code name} is checked. */
    public static boolean isName(String name) {
        return SpecRules.NAME.matcher(name).matches();
    }

    /**
     * Reads, parses and checks a spec file.
     *
     * @param specFile the file as the user named it; errors print it unchanged
     * @return the VM configuration the spec describes
     * @throws SpecUnreadableException when the file cannot be read
     * @throws SpecException           when it is not valid YAML or breaks any rule, with every error
     */
    public static VmConfig load(Path specFile) throws SpecException {
        return load(specFile, List.of());
    }

    /**
     * Reads a spec file, applies command-line overrides to its YAML, then checks it.
     *
     * @param specFile  the file as the user named it; errors print it unchanged
     * @param overrides {@code --set} values and the arguments after {@code --}, in the order to apply
     * @return the VM configuration the spec describes
     * @throws SpecUnreadableException when the file cannot be read
     * @throws SpecException           when it is not valid YAML or breaks any rule, with every error;
     *                                 a problem with an override names the flag instead of a position
     */
    public static VmConfig load(Path specFile, List<SpecOverride> overrides) throws SpecException {
        byte[] bytes;
        try {
            if (Files.isDirectory(specFile)) {
                throw new SpecUnreadableException(specFile, "Is a directory", null);
            }
            bytes = Files.readAllBytes(specFile);
        } catch (IOException e) {
            throw new SpecUnreadableException(specFile, NodeReader.ioReason(e), e);
        }
        Path baseDir = specFile.toAbsolutePath().getParent();
        return parse(specFile, baseDir, bytes, overrides);
    }

    /**
     * Parses spec bytes; host paths in the spec are resolved against {@code baseDir}.
     *
     * @param file    the name to print in errors
     * @param baseDir absolute folder for relative host paths
     */
    static VmConfig parse(Path file, Path baseDir, byte[] bytes, List<SpecOverride> overrides) throws SpecException {
        String text = decode(file, bytes);
        Node document;
        try {
            LoaderOptions options = new LoaderOptions();
            Composer composer = new Composer(new ParserImpl(new StreamReader(text), options), new Resolver(), options);
            document = composer.getSingleNode();
        } catch (MarkedYAMLException e) {
            throw new SpecException(List.of(syntaxError(file, e)));
        } catch (ReaderException e) {
            int[] pos = position(text, e.getPosition());
            throw new SpecException(List.of(new SpecError(file, pos[0], pos[1],
                    String.format("character U+%04X is not allowed in YAML", e.getCodePoint()))));
        } catch (YAMLException e) {
            throw new SpecException(List.of(new SpecError(file, 1, 1, oneLine(String.valueOf(e.getMessage())))));
        }
        List<SpecError> overrideErrors = new ArrayList<>();
        for (SpecOverride override : overrides) {
            document = override.apply(document, file, overrideErrors);
        }
        SpecReader reader = new SpecReader(file, baseDir);
        VmConfig config = reader.read(document);
        if (config == null || !overrideErrors.isEmpty()) {
            List<SpecError> errors = new ArrayList<>(overrideErrors);
            errors.addAll(reader.errors());
            errors.sort(Comparator.comparingInt(SpecError::line).thenComparingInt(SpecError::column));
            throw new SpecException(errors);
        }
        return config;
    }

    /** Strict UTF-8; a leading byte order mark is dropped. */
    private static String decode(Path file, byte[] bytes) throws SpecException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        out.flip();
        String text = out.toString();
        if (result.isError()) {
            int[] pos = position(text, text.codePointCount(0, text.length()));
            throw new SpecException(List.of(new SpecError(file, pos[0], pos[1],
                    "invalid UTF-8 byte sequence; a spec must be UTF-8 text")));
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** 1-based line and column of a code point index in the text. */
    private static int[] position(String text, int codePointIndex) {
        int line = 1;
        int column = 1;
        int seen = 0;
        for (int i = 0; i < text.length() && seen < codePointIndex; seen++) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n' || (cp == '\r' && (i >= text.length() || text.charAt(i) != '\n'))) {
                line++;
                column = 1;
            } else if (cp != '\r') {
                column++;
            }
        }
        return new int[] {line, column};
    }

    /** The parser's own problem text, on one line, at the problem's position. */
    private static SpecError syntaxError(Path file, MarkedYAMLException e) {
        Mark problemMark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        String problem = e.getProblem();
        String context = e.getContext();
        Mark contextMark = e.getContextMark();
        String message;
        if (problem == null) {
            message = context == null ? "invalid YAML" : context;
        } else if (problem.contains("\\t(TAB)")) {
            message = "found a tab character where YAML allows only spaces; indent with spaces, not tabs";
        } else if (context != null && context.startsWith("expected a single document")) {
            message = "expected a single YAML document, but found another one";
        } else {
            message = problem;
            if (problem.equals("mapping values are not allowed here")) {
                message += "; check the indentation of this line and the ones above,"
                        + " or quote a value that contains ': '";
            }
            message = message.replace("but found '?'", "but found a mapping key")
                    .replace("but found '-'", "but found a list item '-'")
                    .replace("but found '<block mapping start>'", "but found a mapping")
                    .replace("but got <stream end>", "but reached the end of the file");
            if (message.endsWith("but got :")) {
                message = message.substring(0, message.length() - 1) + "':'";
            }
            if (context != null) {
                message += " (" + context
                        + (contextMark == null || contextMark == problemMark
                                ? ""
                                : " at " + (contextMark.getLine() + 1) + ":" + (contextMark.getColumn() + 1))
                        + ")";
            }
        }
        int line = problemMark == null ? 1 : problemMark.getLine() + 1;
        int column = problemMark == null ? 1 : problemMark.getColumn() + 1;
        return new SpecError(file, line, column, oneLine(message));
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
