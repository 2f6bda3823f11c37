package io.krunctl.vmm.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The workload: what the guest init executes.
 *
 * @param args    program and arguments; the program is looked up on {@code PATH} when it has no slash
 * @param env     environment variables in the order given
 * @param workdir absolute working directory inside the guest
 * @param rlimits resource limits set before the workload starts, at most one per resource
 */
public record ProcessConfig(List<String> args, Map<String, String> env, String workdir, List<Rlimit> rlimits) {

    /** A workload with the guest's default resource limits. */
    public ProcessConfig(List<String> args, Map<String, String> env, String workdir) {
        this(args, env, workdir, List.of());
    }

    public ProcessConfig {
        args = List.copyOf(args);
        if (args.isEmpty()) {
            throw new IllegalArgumentException("process args must name a program");
        }
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        Objects.requireNonNull(workdir, "workdir");
        if (!workdir.startsWith("/")) {
            throw new IllegalArgumentException("workdir must be absolute: " + workdir);
        }
        rlimits = List.copyOf(rlimits);
        if (rlimits.stream().map(Rlimit::resource).distinct().count() != rlimits.size()) {
            throw new IllegalArgumentException("a resource limit is given twice: " + rlimits);
        }
    }
}
