package io.krunctl.virtiofs.fs;

/** Filesystem statistics, as {@code struct fuse_kstatfs} carries them to {@code statfs(2)}. */
public record StatFs(
        long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
        int blockSize, int maxNameLength, int fragmentSize) {
}
