package io.krunctl.vmm.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to run in the guest: an {@code EXEC} frame's payload.
 *
 * @param args    the program and its arguments, not empty
 * @param env     the whole environment, {@code NAME=VALUE} each
 * @param workdir an absolute path
 * @param uid     the user to run as
 * @param gid     the group to run as
 * @param tty     whether the process gets a terminal
 * @param rows    the terminal's rows, with {@code tty}
 * @param cols    the terminal's columns, with {@code tty}
 */
public record ExecRequest(List<String> args, List<String> env, String workdir, int uid, int gid, boolean tty, int rows,
        int cols) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ExecRequest {
        args = List.copyOf(args);
        env = List.copyOf(env);
        Objects.requireNonNull(workdir, "workdir");
        if (args.isEmpty()) {
            throw new IllegalArgumentException("nothing to run");
        }
        if (!workdir.startsWith("/")) {
            throw new IllegalArgumentException("the working directory must be absolute: " + workdir);
        }
    }

    byte[] toJson() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("args");
        args.forEach(a::add);
        ArrayNode e = o.putArray("env");
        env.forEach(e::add);
        o.put("workdir", workdir).put("uid", uid).put("gid", gid).put("tty", tty).put("rows", rows).put("cols", cols);
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e1) {
            throw new IllegalStateException("cannot happen: a tree of strings and numbers", e1);
        }
    }

    /** The request an {@code EXEC} payload holds. */
    static ExecRequest fromJson(int session, byte[] json) throws ProtocolException {
        try {
            var o = JSON.readTree(json);
            List<String> args = new ArrayList<>();
            o.required("args").forEach(n -> args.add(n.asText()));
            List<String> env = new ArrayList<>();
            o.required("env").forEach(n -> env.add(n.asText()));
            return new ExecRequest(args, env, o.required("workdir").asText(), o.required("uid").asInt(),
                    o.required("gid").asInt(), o.required("tty").asBoolean(), o.path("rows").asInt(24),
                    o.path("cols").asInt(80));
        } catch (IOException | IllegalArgumentException e) {
            throw new ProtocolException(session, "a malformed EXEC: " + e.getMessage());
        }
    }
}
