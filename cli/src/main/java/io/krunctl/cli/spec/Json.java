package io.krunctl.cli.spec;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes JSON text from plain Java values: {@link Map} (in its iteration order), {@link List},
 * {@link String}, {@link Number}, {@link Boolean} and {@code null}. Pretty-printed with two-space
 * indentation and a final newline, so output is stable and diffs well.
 *
 * <p>Hand-written on purpose: krunctl's short commands ({@code validate}, {@code schema}) must start
 * fast, and a Jackson {@code ObjectMapper} costs more start-up than everything else they do.
 */
public final class Json {

    private Json() {}

    /** The value as pretty-printed JSON text, ending in a newline. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, "");
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, String indent) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Boolean b -> out.append(b);
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Number n -> throw new IllegalArgumentException("only integers are written, got " + n);
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                String inner = indent + "  ";
                out.append("{\n");
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        out.append(",\n");
                    }
                    first = false;
                    out.append(inner);
                    string(out, (String) e.getKey());
                    out.append(": ");
                    write(out, e.getValue(), inner);
                }
                out.append('\n').append(indent).append('}');
            }
            case List<?> list -> {
                if (list.isEmpty()) {
                    out.append("[]");
                    return;
                }
                boolean scalars = list.stream().noneMatch(v -> v instanceof Map || v instanceof List);
                if (scalars) {
                    out.append('[');
                    for (int i = 0; i < list.size(); i++) {
                        out.append(i == 0 ? "" : ", ");
                        write(out, list.get(i), indent);
                    }
                    out.append(']');
                    return;
                }
                String inner = indent + "  ";
                out.append("[\n");
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : ",\n").append(inner);
                    write(out, list.get(i), inner);
                }
                out.append('\n').append(indent).append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
