package io.krunctl.vmm.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The workload: what the guest init executes.
 *
 * @param args    program and arguments; the program is looked up on {@code PATH} when it has no slash
 * @param env     environment variables in the order given
 * @param workdir absolute working directory inside the guest
 * @param rlimits resource limits set before the workload starts, at most one per resource
 * @param user    the credentials it runs with; root with the init's groups and umask when empty
 * @param pid1    whether the init execs it in its own place, as PID 1 ({@code KRUN_INIT_PID1}), instead
 *                of running it as its child
 */
public record ProcessConfig(List<String> args, Map<String, String> env, String workdir, List<Rlimit> rlimits,
        Optional<User> user, boolean pid1) {

    /** A workload run as root, with the guest's default resource limits. */
    public ProcessConfig(List<String> args, Map<String, String> env, String workdir) {
        this(args, env, workdir, List.of());
    }

    /** A workload run as root. */
    public ProcessConfig(List<String> args, Map<String, String> env, String workdir, List<Rlimit> rlimits) {
        this(args, env, workdir, rlimits, Optional.empty());
    }

    /** A workload run as the init's child. */
    public ProcessConfig(List<String> args, Map<String, String> env, String workdir, List<Rlimit> rlimits,
            Optional<User> user) {
        this(args, env, workdir, rlimits, user, false);
    }

    /**
     * The credentials the init switches to just before it executes the workload, as OCI's
     * {@code process.user} has them.
     *
     * @param uid            the user id
     * @param gid            the group id
     * @param additionalGids the supplementary groups, exactly these (none when empty)
     * @param umask          the file mode creation mask; the init's own when empty
     */
    public record User(long uid, long gid, List<Long> additionalGids, OptionalInt umask) {
        public User {
            additionalGids = List.copyOf(additionalGids);
            Objects.requireNonNull(umask, "umask");
            for (long id : concat(uid, gid, additionalGids)) {
                if (id < 0 || id > 0xFFFF_FFFEL) {
                    throw new IllegalArgumentException("a user or group id must be 0 to 4294967294, got " + id);
                }
            }
            if (umask.isPresent() && (umask.getAsInt() & ~0777) != 0) {
                throw new IllegalArgumentException("umask has bits outside 0777: " + Integer.toOctalString(umask.getAsInt()));
            }
        }

        private static List<Long> concat(long uid, long gid, List<Long> more) {
            List<Long> all = new java.util.ArrayList<>(more);
            all.add(uid);
            all.add(gid);
            return all;
        }
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
        Objects.requireNonNull(user, "user");
    }
}
