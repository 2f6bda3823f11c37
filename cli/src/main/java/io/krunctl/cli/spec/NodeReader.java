package io.krunctl.cli.spec;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The YAML-node half of reading a spec: mappings with known keys, required keys, scalars by their
 * text, booleans, lists, guest and host paths. Each reader records "FIELD: expected ..., got ..."
 * at the node at fault and returns {@code null}, so the section readers ({@link SpecReader},
 * {@link DeviceReader}) go on and the user sees every error of a spec at once, with one wording
 * and one position rule.
 */
final class NodeReader {

    /** A YAML number as the user wrote it, shown bare after "got" instead of quoted. */
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");

    private final Path file;
    private final Path baseDir;
    private final Map<String, String> topLevelHomes;
    private final List<SpecError> errors = new ArrayList<>();

    /**
     * @param file          the spec file as the user named it, for error messages
     * @param baseDir       the absolute folder host paths in the spec are relative to
     * @param topLevelHomes where a key given at the top level belongs instead, for a "belongs in" hint
     */
    NodeReader(Path file, Path baseDir, Map<String, String> topLevelHomes) {
        this.file = file;
        this.baseDir = baseDir;
        this.topLevelHomes = topLevelHomes;
    }

    List<SpecError> errors() {
        return errors;
    }

    // ---- values ----------------------------------------------------------------------------------

    /**
     * An absolute, normalized guest path; {@code /} only when {@code allowRoot}.
     *
     * @return the path, or {@code null} after recording an error
     */
    String guestPath(Node value, String field, boolean allowRoot) {
        String p = scalar(value, field, "an absolute path like \"/etc/motd\"");
        if (p == null) {
            return null;
        }
        String problem = null;
        if (p.isEmpty()) {
            problem = "expected an absolute path like \"/etc/motd\", got an empty string";
        } else if (p.indexOf('\0') >= 0) {
            problem = "must not contain a NUL character";
        } else if (!p.startsWith("/")) {
            problem = "expected an absolute path (starting with '/'), got " + Text.quote(p);
        } else if (p.equals("/") && !allowRoot) {
            problem = "expected the path of a file, got \"/\"";
        } else if (("/" + p + "/").contains("/../")) {
            problem = "must not contain '..', got " + Text.quote(p);
        } else if (!p.equals("/") && (p.endsWith("/") || (p + "/").contains("/./") || p.contains("//"))) {
            problem = "expected a normalized path, got " + Text.quote(p) + "; did you mean " + Text.quote(normalize(p)) + "?";
        }
        if (problem != null) {
            error(value, field + ": " + problem);
            return null;
        }
        return p;
    }

    private static String normalize(String p) {
        StringBuilder out = new StringBuilder();
        for (String part : p.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                out.append('/').append(part);
            }
        }
        return out.isEmpty() ? "/" : out.toString();
    }

    /**
     * A host path named relative to the spec's folder, resolved but not yet checked on disk.
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    private Path hostPath(Node value, String field, String expected) {
        String text = scalar(value, field, expected);
        if (text == null) {
            return null;
        }
        if (!text.isEmpty() && text.indexOf('\0') < 0) {
            try {
                return baseDir.resolve(text).normalize();
            } catch (InvalidPathException e) {
                // Reported below like any other unusable text.
            }
        }
        error(value, field + ": expected " + expected + ", got " + Text.quote(text));
        return null;
    }

    /**
     * A host file named relative to the spec's folder, which must be a readable regular file.
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    Path hostFile(Node value, String field, String expected) {
        return hostEntry(value, field, expected, "cannot read host file ", (path, attrs) ->
                attrs.isDirectory() ? "Is a directory"
                : !attrs.isRegularFile() ? "not a regular file"
                : !Files.isReadable(path) ? "Permission denied"
                : null);
    }

    /**
     * A host directory named relative to the spec's folder (symbolic links followed).
     *
     * @return its absolute, normalized path, or {@code null} after recording an error
     */
    Path hostDir(Node value, String field, String expected) {
        return hostEntry(value, field, expected, "cannot share host directory ", (path, attrs) ->
                !attrs.isDirectory() ? "Not a directory"
                : !Files.isReadable(path) || !Files.isExecutable(path) ? "Permission denied"
                : null);
    }

    /**
     * A host path that exists now and passes {@code problem}, which names what is wrong with it
     * (in strerror's words, as {@link #ioReason} does) or returns {@code null}.
     */
    private Path hostEntry(Node value, String field, String expected, String cannot,
            BiFunction<Path, BasicFileAttributes, String> problem) {
        Path resolved = hostPath(value, field, expected);
        if (resolved == null) {
            return null;
        }
        String reason;
        try {
            reason = problem.apply(resolved, Files.readAttributes(resolved, BasicFileAttributes.class));
        } catch (IOException e) {
            reason = ioReason(e);
        }
        if (reason != null) {
            error(value, field + ": " + cannot + resolved + ": " + reason);
            return null;
        }
        return resolved;
    }

    /** The strerror-style reason of a failed file operation, without the file name. */
    static String ioReason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    Boolean bool(Node value, String field) {
        String v = scalar(value, field, "true or false");
        if (v == null) {
            return null;
        }
        switch (v) {
            case "true", "True", "TRUE" -> {
                return Boolean.TRUE;
            }
            case "false", "False", "FALSE" -> {
                return Boolean.FALSE;
            }
            default -> {
                error(value, field + ": expected true or false, got " + describe(value));
                return null;
            }
        }
    }

    /**
     * The text of a scalar that is not null.
     *
     * @return the text, or {@code null} after recording "FIELD: expected EXPECTED, got ..."
     */
    String scalar(Node value, String field, String expected) {
        if (value instanceof ScalarNode s && !isNull(s)) {
            String tag = s.getTag().getValue();
            if (!tag.startsWith(Tag.PREFIX) || s.getTag().equals(Tag.BINARY)) {
                String shown = tag.startsWith(Tag.PREFIX) ? "!!" + tag.substring(Tag.PREFIX.length()) : tag;
                error(value, field + ": YAML tag " + shown + " is not supported; write the value as plain text");
                return null;
            }
            return s.getValue();
        }
        error(value, field + ": expected " + expected + ", got " + describe(value));
        return null;
    }

    // ---- mappings ------------------------------------------------------------------------------

    /**
     * The known keys of a mapping, first occurrence each; records unknown keys (with a
     * did-you-mean), keys that are not plain scalars, and duplicates.
     *
     * @param where {@code ""} for the top level, else the dotted location such as {@code process}
     */
    Map<String, NodeTuple> fields(MappingNode map, String where, List<String> known) {
        Map<String, NodeTuple> all = entries(map, where);
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : all.entrySet()) {
            String k = e.getKey();
            if (known.contains(k)) {
                out.put(k, e.getValue());
                continue;
            }
            String in = where.isEmpty() ? " at top level" : " in " + where;
            String message = "unknown key '" + k + "'" + in;
            String home = where.isEmpty() ? topLevelHomes.get(k) : null;
            String guess = Text.didYouMean(k, known);
            if (k.equals("<<")) {
                message += "; YAML merge keys are not supported";
            } else if (home != null) {
                message += "; it belongs in " + home;
            } else if (guess != null) {
                message += "; did you mean '" + guess + "'?";
            } else {
                message += "; valid keys are " + Text.keyList(known);
            }
            error(e.getValue().getKeyNode(), message);
        }
        return out;
    }

    /** Every key of a mapping by its text, first occurrence each; records bad and duplicate keys. */
    Map<String, NodeTuple> entries(MappingNode map, String where) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        String in = where.isEmpty() ? " at top level" : " in " + where;
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks) || isNull(ks)) {
                error(k, "expected a plain key" + in + ", got " + describe(k));
                continue;
            }
            NodeTuple first = out.get(ks.getValue());
            if (first != null) {
                error(k, "duplicate key '" + ks.getValue() + "'" + in + "; first given at " + place(first.getKeyNode()));
                continue;
            }
            out.put(ks.getValue(), t);
        }
        return out;
    }

    /**
     * A required key, or {@code null} after recording its absence at the mapping's first key.
     *
     * @param where {@code ""} for the top level, else the location such as {@code process}
     * @param hint  appended to the message: {@code ""} or text starting with {@code "; "}
     */
    NodeTuple required(Map<String, NodeTuple> fields, String key, MappingNode map, String where, String hint) {
        NodeTuple t = fields.get(key);
        if (t == null) {
            errorAt(map, (where.isEmpty() ? "" : where + ": ") + "missing required key '" + key + "'" + hint);
        }
        return t;
    }

    void errorAt(MappingNode map, String message) {
        if (map.getValue().isEmpty()) {
            error(map, message);
        } else {
            error(map.getValue().getFirst().getKeyNode(), message);
        }
    }

    // ---- nodes and errors ----------------------------------------------------------------------

    static String key(NodeTuple t) {
        return ((ScalarNode) t.getKeyNode()).getValue();
    }

    static String keyText(Node key) {
        return key instanceof ScalarNode s ? "'" + s.getValue() + "'" : describe(key);
    }

    static boolean isNull(Node n) {
        return n instanceof ScalarNode && Tag.NULL.equals(n.getTag());
    }

    /**
     * The entries of a list-valued field: none when the field is absent, {@code null} after
     * recording "{@code expected}, got ..." when its value is not a list.
     */
    List<Node> items(NodeTuple field, String expected) {
        if (field == null) {
            return List.of();
        }
        Node value = field.getValueNode();
        if (!(value instanceof SequenceNode list)) {
            error(value, expected + ", got " + describe(value));
            return null;
        }
        return list.getValue();
    }

    /** How a value is shown after "got": quoted text, a bare number, or what kind of node it is. */
    static String describe(Node n) {
        return switch (n) {
            case MappingNode m -> m.getValue().isEmpty() ? "an empty mapping" : "a mapping";
            case SequenceNode s -> s.getValue().isEmpty() ? "an empty list" : "a list";
            case ScalarNode s when isNull(s) -> s.getValue().isEmpty() ? "nothing" : "null";
            case ScalarNode s when s.isPlain() && NUMBER.matcher(s.getValue()).matches() -> s.getValue();
            case ScalarNode s -> Text.quote(s.getValue());
            default -> "a " + n.getNodeId();
        };
    }

    static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    static int column(Node n) {
        return n.getStartMark().getColumn() + 1;
    }

    void error(Node at, String message) {
        Mark m = at.getStartMark();
        String flag = SpecOverride.flagOf(m);
        if (flag != null) {
            // The value came from the command line: name the flag instead of a place in the file.
            errors.add(new SpecError(file, 0, 0, flag + ": " + message));
        } else {
            errorAt(m.getLine() + 1, m.getColumn() + 1, message);
        }
    }

    /** "line N" for a node of the file, or the flag that set it. */
    static String place(Node n) {
        String flag = SpecOverride.flagOf(n.getStartMark());
        return flag != null ? flag : "line " + line(n);
    }

    void errorAt(int line, int column, String message) {
        errors.add(new SpecError(file, line, column, message));
    }
}
