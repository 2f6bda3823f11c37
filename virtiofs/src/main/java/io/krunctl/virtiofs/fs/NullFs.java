package io.krunctl.virtiofs.fs;

import java.util.OptionalLong;

/**
 * An empty filesystem: a root directory and nothing else. The base of a fully virtual guest root, where
 * {@link AugmentFs} provides every entry the guest can reach.
 */
public final class NullFs implements FileSystem {
    private static final int ROOT_MODE = Linux.S_IFDIR | 0755;
    private static final int BLOCK_SIZE = 4096;
    private static final int NAME_MAX = 255;
    private static final Attr ROOT =
            new Attr(InodeAllocator.ROOT_ID, ROOT_MODE, 2, 0, 0, 0, 0, 0, BLOCK_SIZE, 0, 0, 0, 0, 0, 0, 0);
    private static final long ROOT_HANDLE = 0;

    @Override
    public Entry lookup(Context ctx, long parent, Name name) throws FsException {
        throw new FsException(Errno.ENOENT);
    }

    @Override
    public AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        requireRoot(inode);
        return new AttrReply(ROOT, Entry.FOREVER);
    }

    @Override
    public OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        requireRoot(inode);
        return new OpenResult(ROOT_HANDLE, 0);
    }

    /**
     * Lists nothing. FUSE passes a listing to the guest as is and the guest kernel never needs "." or
     * ".." from the server, so an empty root is an empty listing.
     */
    @Override
    public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        requireRoot(inode);
    }

    @Override
    public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        requireRoot(inode);
    }

    @Override
    public void releasedir(Context ctx, long inode, long handle, int flags) throws FsException {
        requireRoot(inode);
    }

    @Override
    public StatFs statfs(Context ctx, long inode) {
        return new StatFs(0, 0, 0, 0, 0, BLOCK_SIZE, NAME_MAX, BLOCK_SIZE);
    }

    private static void requireRoot(long inode) throws FsException {
        if (inode != InodeAllocator.ROOT_ID) {
            throw new FsException(Errno.ENOENT);
        }
    }
}
