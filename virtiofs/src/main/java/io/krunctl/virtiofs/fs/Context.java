package io.krunctl.virtiofs.fs;

/**
 * Who asked: the credentials of the guest task behind a request, from the FUSE request header.
 *
 * <p>When the kernel negotiated {@link InitFlags#ALLOW_IDMAP}, requests that create nothing carry
 * {@link #INVALID_ID} for uid and gid (the guest has already checked permissions itself).
 */
public record Context(int uid, int gid, int pid) {
    /** FUSE_INVALID_UIDGID: (uid_t) -1. */
    public static final int INVALID_ID = -1;

    /** The guest's root user, pid 0 (the kernel itself); handy for tests and internal calls. */
    public static final Context ROOT = new Context(0, 0, 0);
}
