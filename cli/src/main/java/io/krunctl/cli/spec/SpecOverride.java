package io.krunctl.cli.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * A change to a spec given on the command line, applied to its YAML before the spec is checked:
 * {@code --set PATH=VALUE}, or the workload's arguments after {@code --} (which replace
 * {@code process.args}).
 *
 * <h2>{@code --set PATH=VALUE}</h2>
 *
 * <ul>
 *   <li>{@code PATH} is a dotted key path from the top of the spec, such as {@code memory},
 *       {@code process.env.DEBUG} or {@code files[0].mode}; {@code [N]} picks the N-th entry of a
 *       list ({@code N} may be the list's length, to add an entry). Missing mappings on the way are
 *       created.
 *   <li>{@code VALUE} is everything after the first {@code =}, taken as text exactly as given, as if
 *       quoted in the spec: {@code --set process.env.DEBUG=1}, {@code --set memory=1Gi},
 *       {@code --set process.env.EMPTY=}. A value that starts with {@code [}, <code>{</code>,
 *       {@code "} or {@code '} is read as YAML flow syntax, for lists, mappings and quoted text:
 *       {@code --set 'process.args=[/bin/sh, -c, "echo hi"]'}, {@code --set 'root={nullfs: {}}'}.
 *   <li>The new value then goes through every rule of the spec; a problem with it is reported as
 *       {@code FILE: --set PATH=VALUE: MESSAGE}.
 * </ul>
 *
 * Overrides apply in the order given; the arguments after {@code --} apply last.
 */
public final class SpecOverride {

    /** Marks of nodes that came from the command line carry this prefix in their name. */
    private static final String MARK_PREFIX = "krunctl-override:";

    private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]=\\s]+)((?:\\[[0-9]{1,6}\\])*)");
    private static final Pattern INDEX = Pattern.compile("\\[([0-9]+)\\]");

    /** One step of a path: a mapping key, then list indices. */
    private record Step(String key, List<Integer> indices) {}

    private final String flag;
    private final String path;
    private final List<Step> steps;
    private final Node value;

    private SpecOverride(String flag, String path, List<Step> steps, Node value) {
        this.flag = flag;
        this.path = path;
        this.steps = steps;
        this.value = value;
    }

    /**
     * Parses the argument of {@code --set}.
     *
     * @throws IllegalArgumentException with a message saying what is wrong with the argument
     */
    public static SpecOverride parse(String argument) {
        Objects.requireNonNull(argument, "argument");
        int eq = argument.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("expected PATH=VALUE, like memory=1Gi or process.env.DEBUG=1, got '"
                    + argument + "'");
        }
        String path = argument.substring(0, eq);
        String text = argument.substring(eq + 1);
        List<Step> steps = steps(path, argument);
        String flag = "--set " + argument;
        Mark mark = mark(flag);
        Node value;
        if (!text.isEmpty() && "[{\"'".indexOf(text.charAt(0)) >= 0) {
            value = relabel(flow(text, argument), mark);
        } else {
            value = new ScalarNode(Tag.STR, text, mark, mark, DumperOptions.ScalarStyle.PLAIN);
        }
        return new SpecOverride(flag, path, steps, value);
    }

    /** The workload's arguments given after {@code --}: they replace {@code process.args}. */
    public static SpecOverride args(List<String> args) {
        String flag = "arguments after '--'";
        Mark mark = mark(flag);
        List<Node> items = new ArrayList<>();
        for (String a : args) {
            items.add(new ScalarNode(Tag.STR, a, mark, mark, DumperOptions.ScalarStyle.DOUBLE_QUOTED));
        }
        Node value = new SequenceNode(Tag.SEQ, true, items, mark, mark, DumperOptions.FlowStyle.FLOW);
        return new SpecOverride(flag, "process.args", List.of(new Step("process", List.of()), new Step("args", List.of())),
                value);
    }

    /** How errors name this override: {@code --set PATH=VALUE} or {@code arguments after '--'}. */
    public String flag() {
        return flag;
    }

    /** The dotted path it sets. */
    public String path() {
        return path;
    }

    @Override
    public String toString() {
        return flag;
    }

    /**
     * The flag that produced a node with this start mark, or {@code null} for a node of the file.
     */
    static String flagOf(Mark mark) {
        String name = mark == null ? null : mark.getName();
        return name != null && name.startsWith(MARK_PREFIX) ? name.substring(MARK_PREFIX.length()) : null;
    }

    /**
     * Applies this override to a spec's document node.
     *
     * @param document the document (a mapping, or {@code null} for an empty file)
     * @param file     the spec file, for errors
     * @param errors   where problems reaching {@code PATH} are recorded
     * @return the document to use from now on (a new mapping when the file was empty)
     */
    Node apply(Node document, java.nio.file.Path file, List<SpecError> errors) {
        Mark mark = mark(flag);
        Node top = document;
        if (top == null || NodeReader.isNull(top)) {
            top = new MappingNode(Tag.MAP, true, new ArrayList<>(), mark, mark, DumperOptions.FlowStyle.BLOCK);
        }
        if (!(top instanceof MappingNode)) {
            errors.add(new SpecError(file, 0, 0, flag + ": cannot set " + path
                    + ": the spec is not a mapping"));
            return top;
        }
        Node current = top;
        StringBuilder at = new StringBuilder();
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            boolean lastStep = s == steps.size() - 1;
            MappingNode map = (MappingNode) current;
            at.append(at.isEmpty() ? "" : ".").append(step.key());
            NodeTuple tuple = find(map, step.key());
            boolean leaf = lastStep && step.indices().isEmpty();
            if (leaf) {
                set(map, tuple, step.key(), value, mark);
                return top;
            }
            Node child;
            if (tuple == null) {
                child = step.indices().isEmpty()
                        ? new MappingNode(Tag.MAP, true, new ArrayList<>(), mark, mark, DumperOptions.FlowStyle.BLOCK)
                        : new SequenceNode(Tag.SEQ, true, new ArrayList<>(), mark, mark, DumperOptions.FlowStyle.BLOCK);
                set(map, null, step.key(), child, mark);
            } else {
                child = tuple.getValueNode();
            }
            for (int i = 0; i < step.indices().size(); i++) {
                int index = step.indices().get(i);
                boolean lastIndex = lastStep && i == step.indices().size() - 1;
                if (!(child instanceof SequenceNode list)) {
                    errors.add(new SpecError(file, 0, 0, flag + ": cannot set " + path + ": " + at + " is "
                            + NodeReader.describe(child) + where(child) + ", not a list"));
                    return top;
                }
                List<Node> items = list.getValue();
                if (index > items.size()) {
                    errors.add(new SpecError(file, 0, 0, flag + ": cannot set " + path + ": " + at + " has "
                            + items.size() + (items.size() == 1 ? " entry" : " entries") + "; use an index up to "
                            + items.size() + " (" + items.size() + " adds an entry)"));
                    return top;
                }
                at.append('[').append(index).append(']');
                if (lastIndex) {
                    if (index == items.size()) {
                        items.add(value);
                    } else {
                        items.set(index, value);
                    }
                    return top;
                }
                if (index == items.size()) {
                    boolean nextIsIndex = i + 1 < step.indices().size();
                    items.add(nextIsIndex
                            ? new SequenceNode(Tag.SEQ, true, new ArrayList<>(), mark, mark, DumperOptions.FlowStyle.BLOCK)
                            : new MappingNode(Tag.MAP, true, new ArrayList<>(), mark, mark, DumperOptions.FlowStyle.BLOCK));
                }
                child = items.get(index);
            }
            if (!(child instanceof MappingNode)) {
                errors.add(new SpecError(file, 0, 0, flag + ": cannot set " + path + ": " + at + " is "
                        + NodeReader.describe(child) + where(child) + ", not a mapping"));
                return top;
            }
            current = child;
        }
        return top;
    }

    private static String where(Node n) {
        String other = flagOf(n.getStartMark());
        if (other != null) {
            return " (from " + other + ")";
        }
        return " (line " + (n.getStartMark().getLine() + 1) + ")";
    }

    /** The tuple of a plain key; the first one when the key is duplicated (the reader reports that). */
    private static NodeTuple find(MappingNode map, String key) {
        for (NodeTuple t : map.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && !NodeReader.isNull(k) && k.getValue().equals(key)) {
                return t;
            }
        }
        return null;
    }

    /** Replaces the value of {@code tuple} (keeping its key where the file has it), or adds the key. */
    private static void set(MappingNode map, NodeTuple tuple, String key, Node value, Mark mark) {
        List<NodeTuple> tuples = map.getValue();
        if (tuple != null) {
            tuples.set(tuples.indexOf(tuple), new NodeTuple(tuple.getKeyNode(), value));
        } else {
            tuples.add(new NodeTuple(new ScalarNode(Tag.STR, key, mark, mark, DumperOptions.ScalarStyle.PLAIN), value));
        }
        map.setValue(tuples);
    }

    private static List<Step> steps(String path, String argument) {
        if (path.isEmpty()) {
            throw new IllegalArgumentException("expected PATH=VALUE, like memory=1Gi, got '" + argument
                    + "' with no PATH");
        }
        List<Step> steps = new ArrayList<>();
        for (String part : path.split("\\.", -1)) {
            Matcher m = SEGMENT.matcher(part);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad PATH '" + path + "' in '" + argument
                        + "': expected keys separated by '.', each with optional [N] list indices,"
                        + " like process.env.DEBUG or files[0].mode");
            }
            List<Integer> indices = new ArrayList<>();
            Matcher im = INDEX.matcher(m.group(2));
            while (im.find()) {
                indices.add(Integer.parseInt(im.group(1)));
            }
            steps.add(new Step(m.group(1), List.copyOf(indices)));
        }
        return List.copyOf(steps);
    }

    /** A value in YAML flow syntax, as one node. */
    private static Node flow(String text, String argument) {
        try {
            LoaderOptions options = new LoaderOptions();
            Composer composer = new Composer(new ParserImpl(new StreamReader(text), options), new Resolver(), options);
            Node node = composer.getSingleNode();
            if (node == null) {
                throw new IllegalArgumentException("no value in '" + argument + "'");
            }
            return node;
        } catch (MarkedYAMLException e) {
            String problem = e.getProblem() != null ? e.getProblem() : String.valueOf(e.getContext());
            int column = e.getProblemMark() != null ? e.getProblemMark().getColumn() + 1 : 1;
            throw new IllegalArgumentException("bad YAML value in '" + argument + "': " + problem.strip()
                    + " at character " + column + " of the value");
        } catch (YAMLException e) {
            throw new IllegalArgumentException("bad YAML value in '" + argument + "': "
                    + String.valueOf(e.getMessage()).strip().replaceAll("\\s+", " "));
        }
    }

    /** A copy of a node tree whose every node is marked as coming from the flag. */
    private static Node relabel(Node n, Mark mark) {
        return switch (n) {
            case ScalarNode s -> new ScalarNode(s.getTag(), s.getValue(), mark, mark, s.getScalarStyle());
            case SequenceNode s -> {
                List<Node> items = new ArrayList<>();
                for (Node item : s.getValue()) {
                    items.add(relabel(item, mark));
                }
                yield new SequenceNode(s.getTag(), true, items, mark, mark, s.getFlowStyle());
            }
            case MappingNode m -> {
                List<NodeTuple> tuples = new ArrayList<>();
                for (NodeTuple t : m.getValue()) {
                    tuples.add(new NodeTuple(relabel(t.getKeyNode(), mark), relabel(t.getValueNode(), mark)));
                }
                yield new MappingNode(m.getTag(), true, tuples, mark, mark, m.getFlowStyle());
            }
            default -> n;
        };
    }

    private static Mark mark(String flag) {
        return new Mark(MARK_PREFIX + flag, 0, 0, 0, new int[0], 0);
    }
}
