package io.krunctl.virtiofs.fs;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalLong;

/**
 * A filesystem served to the guest over FUSE: one method per FUSE operation, in FUSE's own terms
 * (inode numbers, open-file handles, lookup reference counts).
 *
 * <p>Every method may be called concurrently from several worker threads. Inode {@link
 * InodeAllocator#ROOT_ID} is the root and exists from {@link #init(long)} on. Each successful
 * lookup-like answer ({@link Entry} with a non-zero inode from lookup, mknod, mkdir, symlink, link,
 * create, readdirplus) gives the guest one reference that it later returns through {@link #forget}.
 *
 * <p>Every operation answers {@link Errno#ENOSYS} unless implemented; the guest kernel takes ENOSYS
 * from several of them (access, getxattr, fsync, ...) as "never ask again".
 */
public interface FileSystem {

    /**
     * The guest mounted (or rebooted and mounted again): start from a fresh state.
     *
     * @param capable the {@link InitFlags} the guest kernel supports
     * @return the {@link InitFlags} this filesystem needs beyond what the server always offers (e.g.
     *     {@link InitFlags#DO_READDIRPLUS}); the server enables only those the kernel is capable of
     */
    default long init(long capable) throws FsException {
        return 0;
    }

    /** The guest unmounted; drop every inode and handle. {@link #init} may follow. */
    default void destroy() {
    }

    default Entry lookup(Context ctx, long parent, Name name) throws FsException {
        throw unsupported();
    }

    /** The guest drops {@code count} references to {@code inode}. No reply; errors are swallowed. */
    default void forget(long inode, long count) {
    }

    default void batchForget(List<Forget> forgets) {
        for (Forget f : forgets) {
            forget(f.inode(), f.count());
        }
    }

    /** @param handle the open file the guest asks through, if it named one (fstat) */
    default AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        throw unsupported();
    }

    default AttrReply setattr(Context ctx, long inode, SetAttr changes) throws FsException {
        throw unsupported();
    }

    /** The symlink's target, without a terminator. */
    default Name readlink(Context ctx, long inode) throws FsException {
        throw unsupported();
    }

    default Entry symlink(Context ctx, Name target, long parent, Name name) throws FsException {
        throw unsupported();
    }

    default Entry mknod(Context ctx, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        throw unsupported();
    }

    default Entry mkdir(Context ctx, long parent, Name name, int mode, int umask) throws FsException {
        throw unsupported();
    }

    default void unlink(Context ctx, long parent, Name name) throws FsException {
        throw unsupported();
    }

    default void rmdir(Context ctx, long parent, Name name) throws FsException {
        throw unsupported();
    }

    /** @param flags {@code renameat2} flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4) */
    default void rename(Context ctx, long oldParent, Name oldName, long newParent, Name newName, int flags)
            throws FsException {
        throw unsupported();
    }

    default Entry link(Context ctx, long inode, long newParent, Name newName) throws FsException {
        throw unsupported();
    }

    /**
     * @param flags       the guest's {@code open(2)} flags (O_CREAT, O_EXCL and O_NOCTTY removed)
     * @param killSuidGid clear setuid/setgid on open-for-truncate ({@link InitFlags#HANDLE_KILLPRIV_V2})
     */
    default OpenResult open(Context ctx, long inode, int flags, boolean killSuidGid) throws FsException {
        throw unsupported();
    }

    default Created create(Context ctx, long parent, Name name, int mode, int flags, int umask, boolean killSuidGid)
            throws FsException {
        throw unsupported();
    }

    /**
     * Reads file data straight into {@code destination}: views of the guest's reply buffers, in order,
     * so a passthrough can {@code preadv} into guest memory without an intermediate copy.
     *
     * @param destination segments whose total size is the number of bytes the guest asked for; valid only
     *     during this call, never kept
     * @param flags       the open flags of the file
     * @return the number of bytes written to the front of {@code destination}; fewer than asked means EOF
     */
    default int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination, int flags)
            throws FsException {
        throw unsupported();
    }

    /**
     * Writes file data straight from {@code source}: read-only views of the guest's request buffers,
     * valid only during this call.
     *
     * @param writeFlags {@link FsFlags} WRITE_* bits
     * @param flags      the open flags of the file
     * @return the number of bytes written
     */
    default int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source, int writeFlags,
            int flags) throws FsException {
        throw unsupported();
    }

    /** Called on every {@code close(2)} of a file descriptor (not only the last). */
    default void flush(Context ctx, long inode, long handle, long lockOwner) throws FsException {
        throw unsupported();
    }

    default void fsync(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        throw unsupported();
    }

    default void fallocate(Context ctx, long inode, long handle, int mode, long offset, long length)
            throws FsException {
        throw unsupported();
    }

    /** The last reference to an open file is gone. @param releaseFlags {@link FsFlags} RELEASE_* bits */
    default void release(Context ctx, long inode, long handle, int flags, int releaseFlags, long lockOwner)
            throws FsException {
        throw unsupported();
    }

    default StatFs statfs(Context ctx, long inode) throws FsException {
        throw unsupported();
    }

    /** @param setxattrFlags extra flags ({@link InitFlags#SETXATTR_EXT} only), otherwise 0 */
    default void setxattr(Context ctx, long inode, Name name, byte[] value, int flags, int setxattrFlags)
            throws FsException {
        throw unsupported();
    }

    /**
     * Answers the whole value; the server tells the guest its length or ERANGE as the guest's buffer
     * requires.
     *
     * @param size the guest's buffer size, 0 when it asks only for the length (a hint)
     */
    default byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
        throw unsupported();
    }

    /** Answers every name; the server encodes them and handles the guest's buffer size like getxattr. */
    default List<Name> listxattr(Context ctx, long inode, int size) throws FsException {
        throw unsupported();
    }

    default void removexattr(Context ctx, long inode, Name name) throws FsException {
        throw unsupported();
    }

    default OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        throw unsupported();
    }

    /** Lists entries from {@code offset} (0 = start, else the offset of the last entry delivered). */
    default void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        throw unsupported();
    }

    default void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        throw unsupported();
    }

    default void fsyncdir(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        throw unsupported();
    }

    default void releasedir(Context ctx, long inode, long handle, int flags) throws FsException {
        throw unsupported();
    }

    /** @param mask {@link Linux#R_OK}, W_OK, X_OK bits, or F_OK */
    default void access(Context ctx, long inode, int mask) throws FsException {
        throw unsupported();
    }

    /** Only SEEK_DATA and SEEK_HOLE reach the filesystem; the guest handles the other whences itself. */
    default long lseek(Context ctx, long inode, long handle, long offset, int whence) throws FsException {
        throw unsupported();
    }

    default long copyFileRange(Context ctx, long inodeIn, long handleIn, long offsetIn, long inodeOut,
            long handleOut, long offsetOut, long length, long flags) throws FsException {
        throw unsupported();
    }

    /**
     * @param flags      {@link FsFlags} IOCTL_* bits ({@link FsFlags#IOCTL_DIR} on a directory)
     * @param arg        the raw argument: a value or a guest pointer, as the command defines
     * @param input      the bytes the command passes in (by its {@code _IOW} size), else empty
     * @param outputSize the most bytes the guest accepts back
     */
    default IoctlResult ioctl(Context ctx, long inode, long handle, int flags, int cmd, long arg, byte[] input,
            int outputSize) throws FsException {
        throw unsupported();
    }

    default FileLock getlk(Context ctx, long inode, long handle, long owner, FileLock lock, int flags)
            throws FsException {
        throw unsupported();
    }

    /** @param sleep wait for the lock (SETLKW) rather than fail with EAGAIN */
    default void setlk(Context ctx, long inode, long handle, long owner, FileLock lock, int flags, boolean sleep)
            throws FsException {
        throw unsupported();
    }

    private static FsException unsupported() {
        return new FsException(Errno.ENOSYS);
    }
}
