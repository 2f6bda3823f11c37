package io.krunctl.virtiofs.fs;

import io.krunctl.nativeio.Statx;
import java.lang.foreign.MemorySegment;

/**
 * What tells one version of a host file's data from another: its size, modification time and change
 * time. The change time catches what the other two miss (a rewrite that keeps the size and restores
 * the modification time, as {@code cp -p} and {@code touch -r} do).
 *
 * <p>File times come from the kernel's coarse clock, which advances once a tick (1 to 10 ms): two
 * writes within one tick can leave the same times behind. So a version is only told apart from the
 * next one once its change time lies a {@link #SETTLE_MILLIS settling time} in the past, as git does
 * with index entries as new as the index ("racy git").
 */
record DataVersion(long size, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec) {
    /** Longer than the slowest kernel tick (HZ=100). */
    static final long SETTLE_MILLIS = 20;

    /** The version a {@code statx} buffer describes. */
    static DataVersion of(MemorySegment statx) {
        return new DataVersion(Statx.size(statx), Statx.mtimeSec(statx), Statx.mtimeNsec(statx),
                Statx.ctimeSec(statx), Statx.ctimeNsec(statx));
    }

    /**
     * True if any later change of the file is sure to show as a new version: this one's change time
     * lies at least {@link #SETTLE_MILLIS} before {@code nowMillis}, read before the file's times were.
     */
    boolean settledBy(long nowMillis) {
        return ctimeSec * 1000 + ctimeNsec / 1_000_000 < nowMillis - SETTLE_MILLIS;
    }
}
