package io.krunctl.virtiofs.fs;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.krunctl.nativeio.FileStructs;
import io.krunctl.nativeio.ThreadCredentials;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Who the host sees creating a file for the guest: {@code try (var _ = creds.as(ctx))} makes the
 * calling worker thread create files as the guest's caller until the guard closes.
 *
 * <h2>Per-thread state of the calling thread</h2>
 * The first time a thread creates a file it gets its own filesystem context
 * ({@code unshare(CLONE_FS)}) with umask 0: the guest already applied its umask to the modes it
 * sends, and the process's umask must not apply a second time. When this process's effective uid is
 * root, creations on behalf of a guest user switch the thread's filesystem uid and gid
 * ({@code setfsuid}/{@code setfsgid}, raw system calls that affect this thread alone) for the guarded
 * calls, with the file-system capabilities raised again so the host does not re-check permissions the
 * guest kernel has checked (it knows the caller's supplementary groups; FUSE does not send them).
 * Both need a platform thread: a virtual thread would change its carrier. Without root, files belong
 * to this process's user, as in libkrun.
 */
final class Credentials {

    /** Switched filesystem ids, in force until closed. Closing never throws. */
    @FunctionalInterface
    interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    /** The guard of a call that runs with this process's own ids. */
    private static final Guard UNCHANGED = () -> { };

    private static final ThreadLocal<ThreadState> THREADS = ThreadLocal.withInitial(ThreadState::new);

    private final boolean switchIds;

    /** @param switchIds whether to switch ids at all: only a process whose filesystem ids are root can */
    Credentials(boolean switchIds) {
        this.switchIds = switchIds;
    }

    /** For this process: switches ids only if its effective uid is root. */
    static Credentials ofProcess() {
        return new Credentials(ThreadCredentials.geteuid() == 0);
    }

    boolean switchesIds() {
        return switchIds;
    }

    /**
     * Makes this thread create files as {@code ctx}'s uid and gid, with its own umask of 0, until
     * the guard is closed. Ids that are root or unknown stay this process's.
     */
    Guard as(Context ctx) {
        ThreadState thread = THREADS.get();
        thread.ownUmask();
        if (switchIds && thread.become(ctx.uid(), ctx.gid())) {
            return ThreadState::restore;
        }
        return UNCHANGED;
    }

    /** What one worker thread needs to switch: its own umask, once, and its capability sets. */
    private static final class ThreadState {
        private final Arena arena = Arena.ofAuto();
        private boolean ownUmask;
        private MemorySegment capHeader;
        private MemorySegment capData;
        private boolean capsReadable;

        /**
         * Gives this thread its own umask of 0, once. If the kernel refuses, the process's umask
         * still applies to what this thread creates (and it is asked again next time).
         */
        void ownUmask() {
            if (!ownUmask && ThreadCredentials.unshare(ThreadCredentials.CLONE_FS) == 0) {
                ThreadCredentials.umask(0);
                ownUmask = true;
            }
        }

        /**
         * Makes this thread create files as {@code uid}/{@code gid} (either may be -1 or 0:
         * unchanged); returns whether anything changed, in which case {@link #restore()} must follow.
         */
        boolean become(int uid, int gid) {
            boolean setUid = uid != 0 && uid != Context.INVALID_ID;
            boolean setGid = gid != 0 && gid != Context.INVALID_ID;
            if ((!setUid && !setGid) || !capabilitiesKnown()) {
                return false;
            }
            if (setGid) {
                ThreadCredentials.setfsgid(gid);
            }
            if (setUid) {
                ThreadCredentials.setfsuid(uid);
                // Leaving fsuid 0 dropped CAP_DAC_OVERRIDE, CAP_FOWNER...; the guest has checked access.
                ThreadCredentials.capset(capHeader, capData);
            }
            return true;
        }

        /**
         * Reads this thread's capabilities once, to raise them again after an fsuid change. If they
         * cannot be read, ids are never switched: a capset of unknown sets could drop CAP_SETUID and
         * leave the thread unable to switch back.
         */
        private boolean capabilitiesKnown() {
            if (capHeader == null) {
                MemorySegment header = arena.allocate(FileStructs.CAP_HEADER);
                header.set(JAVA_INT, 0, ThreadCredentials.CAPABILITY_VERSION_3);
                MemorySegment data = arena.allocate(FileStructs.CAP_DATA, 2);
                capsReadable = ThreadCredentials.capget(header, data) == 0;
                capHeader = header;
                capData = data;
            }
            return capsReadable;
        }

        /** Back to root's filesystem ids (and with them the full effective capability set). */
        static void restore() {
            ThreadCredentials.setfsuid(0);
            ThreadCredentials.setfsgid(0);
        }
    }
}
