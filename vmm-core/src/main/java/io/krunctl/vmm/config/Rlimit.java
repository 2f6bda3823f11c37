package io.krunctl.vmm.config;

import java.util.Locale;
import java.util.Objects;

/**
 * One resource limit the guest init sets with {@code setrlimit} before it starts the workload.
 *
 * @param resource which limit
 * @param soft     the soft limit, an unsigned 64-bit number; {@link #UNLIMITED} for none
 * @param hard     the hard limit, at least {@code soft} (unsigned); {@link #UNLIMITED} for none
 */
public record Rlimit(Resource resource, long soft, long hard) {

    /** {@code RLIM_INFINITY}: no limit. Compare limits with {@link Long#compareUnsigned}. */
    public static final long UNLIMITED = -1L;

    /** The Linux resource limits, with the numeric ids libkrun's {@code KRUN_RLIMITS} uses. */
    public enum Resource {
        CPU(0), FSIZE(1), DATA(2), STACK(3), CORE(4), RSS(5), NPROC(6), NOFILE(7), MEMLOCK(8), AS(9),
        LOCKS(10), SIGPENDING(11), MSGQUEUE(12), NICE(13), RTPRIO(14), RTTIME(15);

        private final int id;

        Resource(int id) {
            this.id = id;
        }

        /** The {@code RLIMIT_*} number of {@code <asm-generic/resource.h>} (x86_64). */
        public int id() {
            return id;
        }

        /** The name without the {@code RLIMIT_} prefix, in lower case: {@code nofile}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Rlimit {
        Objects.requireNonNull(resource, "resource");
        if (Long.compareUnsigned(soft, hard) > 0) {
            throw new IllegalArgumentException(resource.key() + ": the soft limit " + Long.toUnsignedString(soft)
                    + " is above the hard limit " + Long.toUnsignedString(hard));
        }
    }

    /** {@code ID=SOFT:HARD}, the item form of {@code KRUN_RLIMITS}. */
    public String krunItem() {
        return resource.id() + "=" + Long.toUnsignedString(soft) + ":" + Long.toUnsignedString(hard);
    }
}
