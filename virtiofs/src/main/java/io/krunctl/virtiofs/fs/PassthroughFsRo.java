package io.krunctl.virtiofs.fs;

import io.krunctl.nativeio.Fcntl;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * A host directory served read-only: the {@link PassthroughFs} tree, where every mutation answers
 * EROFS before it reaches the host, as libkrun's {@code PassthroughFsRo} does.
 *
 * <p>Refused with EROFS: create, mknod, mkdir, symlink, link, unlink, rmdir, rename, setattr,
 * write, fallocate, copy_file_range, setxattr, removexattr, any open for writing or truncation
 * ({@code O_WRONLY}, {@code O_RDWR}, {@code O_TRUNC}, {@code O_APPEND}), and access with W_OK.
 * Writeback caching is never requested. Everything else (lookups, attributes, reads, listings,
 * xattr reads, statfs, fsync) is the passthrough's. Thread-safe.
 */
public final class PassthroughFsRo implements FileSystem, AutoCloseable {
    private final PassthroughFs fs;

    /** As {@link PassthroughFs#PassthroughFs}; the config's writeback setting is ignored. */
    public PassthroughFsRo(Path root, InodeAllocator inodes, PassthroughConfig config) throws IOException {
        this.fs = new PassthroughFs(root, inodes, config.withWriteback(false));
    }

    private static FsException readOnly() {
        return new FsException(Errno.EROFS);
    }

    /** The directory served. */
    public Path root() {
        return fs.root();
    }

    @Override
    public void close() {
        fs.close();
    }

    @Override
    public long init(long capable) throws FsException {
        return fs.init(capable & ~InitFlags.WRITEBACK_CACHE) & ~InitFlags.WRITEBACK_CACHE;
    }

    @Override
    public void destroy() {
        fs.destroy();
    }

    // ---- reads: the passthrough's ----

    @Override
    public Entry lookup(Context ctx, long parent, Name name) throws FsException {
        return fs.lookup(ctx, parent, name);
    }

    @Override
    public void forget(long inode, long count) {
        fs.forget(inode, count);
    }

    @Override
    public void batchForget(List<Forget> forgets) {
        fs.batchForget(forgets);
    }

    @Override
    public AttrReply getattr(Context ctx, long inode, OptionalLong handle) throws FsException {
        return fs.getattr(ctx, inode, handle);
    }

    @Override
    public Name readlink(Context ctx, long inode) throws FsException {
        return fs.readlink(ctx, inode);
    }

    @Override
    public OpenResult open(Context ctx, long inode, int flags, boolean killSuidGid) throws FsException {
        if ((flags & Fcntl.O_ACCMODE) != Fcntl.O_RDONLY || (flags & (Fcntl.O_TRUNC | Fcntl.O_APPEND)) != 0) {
            throw readOnly();
        }
        return fs.open(ctx, inode, flags, false);
    }

    @Override
    public int read(Context ctx, long inode, long handle, long offset, List<MemorySegment> destination, int flags)
            throws FsException {
        return fs.read(ctx, inode, handle, offset, destination, flags);
    }

    @Override
    public void flush(Context ctx, long inode, long handle, long lockOwner) throws FsException {
        fs.flush(ctx, inode, handle, lockOwner);
    }

    @Override
    public void fsync(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        fs.fsync(ctx, inode, dataOnly, handle);
    }

    @Override
    public void release(Context ctx, long inode, long handle, int flags, int releaseFlags, long lockOwner)
            throws FsException {
        fs.release(ctx, inode, handle, flags, releaseFlags, lockOwner);
    }

    @Override
    public StatFs statfs(Context ctx, long inode) throws FsException {
        return fs.statfs(ctx, inode);
    }

    @Override
    public byte[] getxattr(Context ctx, long inode, Name name, int size) throws FsException {
        return fs.getxattr(ctx, inode, name, size);
    }

    @Override
    public List<Name> listxattr(Context ctx, long inode, int size) throws FsException {
        return fs.listxattr(ctx, inode, size);
    }

    @Override
    public OpenResult opendir(Context ctx, long inode, int flags) throws FsException {
        return fs.opendir(ctx, inode, flags);
    }

    @Override
    public void readdir(Context ctx, long inode, long handle, long offset, DirectorySink sink) throws FsException {
        fs.readdir(ctx, inode, handle, offset, sink);
    }

    @Override
    public void readdirplus(Context ctx, long inode, long handle, long offset, DirectoryPlusSink sink)
            throws FsException {
        fs.readdirplus(ctx, inode, handle, offset, sink);
    }

    @Override
    public void fsyncdir(Context ctx, long inode, boolean dataOnly, long handle) throws FsException {
        fs.fsyncdir(ctx, inode, dataOnly, handle);
    }

    @Override
    public void releasedir(Context ctx, long inode, long handle, int flags) throws FsException {
        fs.releasedir(ctx, inode, handle, flags);
    }

    @Override
    public void access(Context ctx, long inode, int mask) throws FsException {
        if ((mask & Linux.W_OK) != 0) {
            fs.getattr(ctx, inode, OptionalLong.empty());
            throw readOnly();
        }
        fs.access(ctx, inode, mask);
    }

    @Override
    public long lseek(Context ctx, long inode, long handle, long offset, int whence) throws FsException {
        return fs.lseek(ctx, inode, handle, offset, whence);
    }

    @Override
    public IoctlResult ioctl(Context ctx, long inode, long handle, int flags, int cmd, long arg, byte[] input,
            int outputSize) throws FsException {
        return fs.ioctl(ctx, inode, handle, flags, cmd, arg, input, outputSize);
    }

    // ---- mutations: refused ----

    @Override
    public AttrReply setattr(Context ctx, long inode, SetAttr changes) throws FsException {
        throw readOnly();
    }

    @Override
    public Entry symlink(Context ctx, Name target, long parent, Name name) throws FsException {
        throw readOnly();
    }

    @Override
    public Entry mknod(Context ctx, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        throw readOnly();
    }

    @Override
    public Entry mkdir(Context ctx, long parent, Name name, int mode, int umask) throws FsException {
        throw readOnly();
    }

    @Override
    public void unlink(Context ctx, long parent, Name name) throws FsException {
        throw readOnly();
    }

    @Override
    public void rmdir(Context ctx, long parent, Name name) throws FsException {
        throw readOnly();
    }

    @Override
    public void rename(Context ctx, long oldParent, Name oldName, long newParent, Name newName, int flags)
            throws FsException {
        throw readOnly();
    }

    @Override
    public Entry link(Context ctx, long inode, long newParent, Name newName) throws FsException {
        throw readOnly();
    }

    @Override
    public Created create(Context ctx, long parent, Name name, int mode, int flags, int umask, boolean killSuidGid)
            throws FsException {
        throw readOnly();
    }

    @Override
    public int write(Context ctx, long inode, long handle, long offset, List<MemorySegment> source, int writeFlags,
            int flags) throws FsException {
        throw readOnly();
    }

    @Override
    public void fallocate(Context ctx, long inode, long handle, int mode, long offset, long length)
            throws FsException {
        throw readOnly();
    }

    @Override
    public long copyFileRange(Context ctx, long inodeIn, long handleIn, long offsetIn, long inodeOut,
            long handleOut, long offsetOut, long length, long flags) throws FsException {
        throw readOnly();
    }

    @Override
    public void setxattr(Context ctx, long inode, Name name, byte[] value, int flags, int setxattrFlags)
            throws FsException {
        throw readOnly();
    }

    @Override
    public void removexattr(Context ctx, long inode, Name name) throws FsException {
        throw readOnly();
    }

    /** The passthrough underneath; for tests. */
    PassthroughFs passthrough() {
        return fs;
    }
}
