package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.FuseStructs.getInt;
import static io.krunctl.virtiofs.fuse.FuseStructs.getLong;
import static io.krunctl.virtiofs.fuse.FuseStructs.putInt;
import static io.krunctl.virtiofs.fuse.FuseStructs.putShort;

import io.krunctl.virtiofs.fs.AttrReply;
import io.krunctl.virtiofs.fs.Created;
import io.krunctl.virtiofs.fs.Entry;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.FileLock;
import io.krunctl.virtiofs.fs.FileSystem;
import io.krunctl.virtiofs.fs.Forget;
import io.krunctl.virtiofs.fs.FsException;
import io.krunctl.virtiofs.fs.FsFlags;
import io.krunctl.virtiofs.fs.InitFlags;
import io.krunctl.virtiofs.fs.IoctlResult;
import io.krunctl.virtiofs.fs.Name;
import io.krunctl.virtiofs.fs.SetAttr;
import io.krunctl.virtiofs.fuse.FuseStructs.AccessIn;
import io.krunctl.virtiofs.fuse.FuseStructs.BatchForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CopyFileRangeIn;
import io.krunctl.virtiofs.fuse.FuseStructs.CreateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.EntryOut;
import io.krunctl.virtiofs.fuse.FuseStructs.FallocateIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FlushIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ForgetIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ForgetOne;
import io.krunctl.virtiofs.fuse.FuseStructs.FsyncIn;
import io.krunctl.virtiofs.fuse.FuseStructs.FuseFileLock;
import io.krunctl.virtiofs.fuse.FuseStructs.GetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.GetxattrOut;
import io.krunctl.virtiofs.fuse.FuseStructs.InHeader;
import io.krunctl.virtiofs.fuse.FuseStructs.InitIn;
import io.krunctl.virtiofs.fuse.FuseStructs.InitOut;
import io.krunctl.virtiofs.fuse.FuseStructs.IoctlIn;
import io.krunctl.virtiofs.fuse.FuseStructs.IoctlOut;
import io.krunctl.virtiofs.fuse.FuseStructs.LinkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LkIn;
import io.krunctl.virtiofs.fuse.FuseStructs.LkOut;
import io.krunctl.virtiofs.fuse.FuseStructs.LseekIn;
import io.krunctl.virtiofs.fuse.FuseStructs.MkdirIn;
import io.krunctl.virtiofs.fuse.FuseStructs.MknodIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenIn;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenOut;
import io.krunctl.virtiofs.fuse.FuseStructs.ReadIn;
import io.krunctl.virtiofs.fuse.FuseStructs.ReleaseIn;
import io.krunctl.virtiofs.fuse.FuseStructs.Rename2In;
import io.krunctl.virtiofs.fuse.FuseStructs.RenameIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetxattrIn;
import io.krunctl.virtiofs.fuse.FuseStructs.SetxattrInExt;
import io.krunctl.virtiofs.fuse.FuseStructs.StatfsOut;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteIn;
import io.krunctl.virtiofs.fuse.FuseStructs.WriteOut;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One method per FUSE operation: decode the arguments, call the filesystem, encode the answer. Also
 * holds what FUSE_INIT negotiated for the mount.
 */
final class Operations {
    static final int KERNEL_MAJOR = 7;
    static final int KERNEL_MINOR = 27;
    static final int MAX_WRITE = 1 << 20;
    static final int MAX_PAGES = MAX_WRITE / 4096;
    /**
     * The most a READ, READDIR, READDIRPLUS, GETXATTR or LISTXATTR may ask for; above it the answer is
     * ENOMEM, as libkrun's and virtiofsd's, before anything is allocated, read or listed. The guest's
     * kernel never asks more: reads stop at {@link #MAX_PAGES} pages, listings at a page, xattr
     * buffers at XATTR_SIZE_MAX (64 KiB). The reply area bounds nothing: its descriptors may alias
     * the same guest pages up to 4 GiB, so a guest could otherwise have us allocate 2 GiB per request.
     */
    static final long MAX_BUFFER = MAX_WRITE;
    private static final int MAX_BACKGROUND = 65535;
    private static final int CONGESTION_THRESHOLD = 49149;
    private static final int TIME_GRAN_NANOS = 1;

    /** What this server offers every mount (libkrun's set), before intersecting with the kernel's. */
    static final long OFFERED = InitFlags.ASYNC_READ | InitFlags.PARALLEL_DIROPS | InitFlags.BIG_WRITES
            | InitFlags.AUTO_INVAL_DATA | InitFlags.ASYNC_DIO | InitFlags.HAS_IOCTL_DIR | InitFlags.ATOMIC_O_TRUNC
            | InitFlags.MAX_PAGES | InitFlags.SUBMOUNTS | InitFlags.HANDLE_KILLPRIV_V2 | InitFlags.INIT_EXT
            | InitFlags.ALLOW_IDMAP;

    /**
     * What a filesystem may ask for on top. Options that change the request format (security
     * contexts, supplementary groups as request extensions, DAX) are left out: this decoder does not
     * parse them.
     */
    static final long FILESYSTEM_NEGOTIABLE = InitFlags.POSIX_LOCKS | InitFlags.FLOCK_LOCKS | InitFlags.DONT_MASK
            | InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO | InitFlags.WRITEBACK_CACHE
            | InitFlags.NO_OPEN_SUPPORT | InitFlags.HANDLE_KILLPRIV | InitFlags.POSIX_ACL | InitFlags.CACHE_SYMLINKS
            | InitFlags.NO_OPENDIR_SUPPORT | InitFlags.EXPLICIT_INVAL_DATA | InitFlags.SETXATTR_EXT
            | InitFlags.DIRECT_IO_ALLOW_MMAP;

    private static final Logger LOG = LogManager.getLogger(Operations.class);

    private final FileSystem fs;
    private final AtomicBoolean mounted = new AtomicBoolean();
    private volatile long enabled;

    Operations(FileSystem fs) {
        this.fs = fs;
    }

    /** The flags the last FUSE_INIT enabled. */
    long enabledFlags() {
        return enabled;
    }

    int dispatch(Request r) throws FsException {
        if (!mounted.get() && r.opcode() != Opcode.INIT && r.opcode() != Opcode.DESTROY) {
            // As libfuse: no session, nothing to serve. The filesystem has not been told the kernel's
            // flags (nor been reset after a reboot), and a guest skipping INIT would be served
            // without them; EIO is what the kernel makes of a failed mount anyway.
            throw new RequestRejected(Errno.EIO, r.opcode() + " before FUSE_INIT");
        }
        return switch (r.opcode()) {
            case INIT -> init(r);
            case DESTROY -> destroy(r);
            case LOOKUP -> lookup(r);
            case GETATTR -> getattr(r);
            case SETATTR -> setattr(r);
            case READLINK -> readlink(r);
            case SYMLINK -> symlink(r);
            case MKNOD -> mknod(r);
            case MKDIR -> mkdir(r);
            case UNLINK -> unlink(r);
            case RMDIR -> rmdir(r);
            case RENAME -> rename(r);
            case RENAME2 -> rename2(r);
            case LINK -> link(r);
            case OPEN -> open(r);
            case CREATE -> create(r);
            case READ -> read(r);
            case WRITE -> write(r);
            case STATFS -> statfs(r);
            case RELEASE -> release(r);
            case FSYNC -> fsync(r);
            case SETXATTR -> setxattr(r);
            case GETXATTR -> getxattr(r);
            case LISTXATTR -> listxattr(r);
            case REMOVEXATTR -> removexattr(r);
            case FLUSH -> flush(r);
            case OPENDIR -> opendir(r);
            case READDIR -> readdir(r);
            case READDIRPLUS -> readdirplus(r);
            case RELEASEDIR -> releasedir(r);
            case FSYNCDIR -> fsyncdir(r);
            case GETLK -> getlk(r);
            case SETLK -> setlk(r, false);
            case SETLKW -> setlk(r, true);
            case ACCESS -> access(r);
            case IOCTL -> ioctl(r);
            case FALLOCATE -> fallocate(r);
            case LSEEK -> lseek(r);
            case COPY_FILE_RANGE -> copyFileRange(r);
            // No DAX window, no polling, no block maps; the rest postdate protocol 7.27.
            case BMAP, POLL, SETUPMAPPING, REMOVEMAPPING, SYNCFS, TMPFILE, STATX -> throw new FsException(Errno.ENOSYS);
            case FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY -> throw new IllegalStateException(
                    r.opcode() + " has no reply");
        };
    }

    /**
     * The requests that get no reply. Whatever goes wrong is only logged: the guest is not listening.
     * Before FUSE_INIT there is nothing to forget: they are dropped.
     */
    void dispatchWithoutReply(Opcode opcode, long nodeId, RequestBody body) {
        if (!mounted.get()) {
            LOG.debug("{} before FUSE_INIT dropped", opcode);
            return;
        }
        switch (opcode) {
            case FORGET -> fs.forget(nodeId, getLong(body.struct(ForgetIn.SIZE), ForgetIn.NLOOKUP));
            case BATCH_FORGET -> fs.batchForget(forgets(body));
            default -> {
                // INTERRUPT: requests are answered as they come; nothing to interrupt.
                // NOTIFY_REPLY: this server never sends a notification that wants one.
            }
        }
    }

    private static List<Forget> forgets(RequestBody body) {
        long count = Integer.toUnsignedLong(getInt(body.struct(BatchForgetIn.SIZE), BatchForgetIn.COUNT));
        if (count * ForgetOne.SIZE > body.remaining()) {
            throw new RequestRejected(Errno.EINVAL, "batch forget of " + count + " entries in "
                    + body.remaining() + " bytes");
        }
        List<Forget> out = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            MemorySegment one = body.struct(ForgetOne.SIZE);
            out.add(new Forget(getLong(one, ForgetOne.NODEID), getLong(one, ForgetOne.NLOOKUP)));
        }
        return out;
    }

    // ---- session ----

    private int init(Request r) throws FsException {
        r.reply().require(InitOut.SIZE);
        RequestBody body = r.body();
        MemorySegment in = body.struct(InitIn.COMPAT_SIZE);
        int major = getInt(in, InitIn.MAJOR);
        int minor = getInt(in, InitIn.MINOR);
        int maxReadahead = getInt(in, InitIn.MAX_READAHEAD);
        int flags = getInt(in, InitIn.FLAGS);
        long flags2 = 0;
        if ((flags & InitFlags.INIT_EXT) != 0 && body.remaining() >= InitIn.SIZE - InitIn.COMPAT_SIZE) {
            flags2 = Integer.toUnsignedLong(getInt(body.struct(InitIn.SIZE - InitIn.COMPAT_SIZE), 0));
        }
        if (major < KERNEL_MAJOR) {
            LOG.debug("FUSE_INIT: kernel protocol {}.{} is too old", major, minor);
            throw new FsException(Errno.EPROTO);
        }
        if (major > KERNEL_MAJOR) {
            // The kernel retries with our major version; only the version fields count in this reply.
            LOG.debug("FUSE_INIT: kernel offers major {}, answering {}.{}", major, KERNEL_MAJOR, KERNEL_MINOR);
            MemorySegment out = Encode.allocate(InitOut.SIZE);
            putInt(out, InitOut.MAJOR, KERNEL_MAJOR);
            putInt(out, InitOut.MINOR, KERNEL_MINOR);
            return r.reply().send(out);
        }
        if (minor < KERNEL_MINOR) {
            LOG.debug("FUSE_INIT: kernel protocol {}.{} is older than {}.{}", major, minor, KERNEL_MAJOR,
                    KERNEL_MINOR);
            throw new FsException(Errno.EPROTO);
        }
        long capable = (flags2 << 32) | Integer.toUnsignedLong(flags);
        if (mounted.getAndSet(false)) {
            // A second INIT without DESTROY: the guest rebooted. Nothing it held survives.
            LOG.debug("FUSE_INIT on a mounted filesystem: resetting it");
            fs.destroy();
        }
        long wanted = fs.init(capable);
        long negotiated = capable & (OFFERED | (wanted & FILESYSTEM_NEGOTIABLE));
        enabled = negotiated;
        // Only a successful INIT opens the session; requests racing it get EIO like any before it.
        mounted.set(true);
        LOG.debug("FUSE_INIT: kernel {}.{} capable {}, enabled {}", major, minor, Long.toHexString(capable),
                Long.toHexString(negotiated));

        MemorySegment out = Encode.allocate(InitOut.SIZE);
        putInt(out, InitOut.MAJOR, KERNEL_MAJOR);
        putInt(out, InitOut.MINOR, KERNEL_MINOR);
        putInt(out, InitOut.MAX_READAHEAD, maxReadahead);
        putInt(out, InitOut.FLAGS, (int) negotiated);
        putShort(out, InitOut.MAX_BACKGROUND, MAX_BACKGROUND);
        putShort(out, InitOut.CONGESTION_THRESHOLD, CONGESTION_THRESHOLD);
        putInt(out, InitOut.MAX_WRITE, MAX_WRITE);
        putInt(out, InitOut.TIME_GRAN, TIME_GRAN_NANOS);
        putShort(out, InitOut.MAX_PAGES, MAX_PAGES);
        putInt(out, InitOut.FLAGS2, (int) (negotiated >>> 32));
        return r.reply().send(out);
    }

    private int destroy(Request r) {
        if (mounted.getAndSet(false)) {
            fs.destroy();
        }
        return r.reply().empty();
    }

    // ---- names ----

    private int lookup(Request r) throws FsException {
        Name name = r.body().component();
        r.reply().require(EntryOut.SIZE);
        return sendEntry(r, fs.lookup(r.ctx(), r.nodeId(), name));
    }

    private int mknod(Request r) throws FsException {
        MemorySegment in = r.body().struct(MknodIn.SIZE);
        Name name = r.body().component();
        r.reply().require(EntryOut.SIZE);
        return sendEntry(r, fs.mknod(r.ctx(), r.nodeId(), name, getInt(in, MknodIn.MODE), getInt(in, MknodIn.RDEV),
                getInt(in, MknodIn.UMASK)));
    }

    private int mkdir(Request r) throws FsException {
        MemorySegment in = r.body().struct(MkdirIn.SIZE);
        Name name = r.body().component();
        r.reply().require(EntryOut.SIZE);
        return sendEntry(r, fs.mkdir(r.ctx(), r.nodeId(), name, getInt(in, MkdirIn.MODE),
                getInt(in, MkdirIn.UMASK)));
    }

    private int symlink(Request r) throws FsException {
        Name name = r.body().component();
        Name target = r.body().symlinkTarget();
        r.reply().require(EntryOut.SIZE);
        return sendEntry(r, fs.symlink(r.ctx(), target, r.nodeId(), name));
    }

    private int link(Request r) throws FsException {
        long oldNode = getLong(r.body().struct(LinkIn.SIZE), LinkIn.OLDNODEID);
        Name name = r.body().component();
        r.reply().require(EntryOut.SIZE);
        return sendEntry(r, fs.link(r.ctx(), oldNode, r.nodeId(), name));
    }

    private int unlink(Request r) throws FsException {
        fs.unlink(r.ctx(), r.nodeId(), r.body().component());
        return r.reply().empty();
    }

    private int rmdir(Request r) throws FsException {
        fs.rmdir(r.ctx(), r.nodeId(), r.body().component());
        return r.reply().empty();
    }

    private int rename(Request r) throws FsException {
        long newDir = getLong(r.body().struct(RenameIn.SIZE), RenameIn.NEWDIR);
        Name oldName = r.body().component();
        Name newName = r.body().component();
        fs.rename(r.ctx(), r.nodeId(), oldName, newDir, newName, 0);
        return r.reply().empty();
    }

    private int rename2(Request r) throws FsException {
        MemorySegment in = r.body().struct(Rename2In.SIZE);
        Name oldName = r.body().component();
        Name newName = r.body().component();
        fs.rename(r.ctx(), r.nodeId(), oldName, getLong(in, Rename2In.NEWDIR), newName, getInt(in, Rename2In.FLAGS));
        return r.reply().empty();
    }

    private static int sendEntry(Request r, Entry e) {
        return r.reply().send(Encode.entryOut(e));
    }

    // ---- attributes ----

    private int getattr(Request r) throws FsException {
        MemorySegment in = r.body().struct(GetattrIn.SIZE);
        OptionalLong handle = (getInt(in, GetattrIn.GETATTR_FLAGS) & GetattrIn.FLAG_FH) != 0
                ? OptionalLong.of(getLong(in, GetattrIn.FH))
                : OptionalLong.empty();
        return sendAttr(r, fs.getattr(r.ctx(), r.nodeId(), handle));
    }

    private int setattr(Request r) throws FsException {
        MemorySegment in = r.body().struct(SetattrIn.SIZE);
        SetAttr changes = new SetAttr(
                getInt(in, SetattrIn.VALID), getLong(in, SetattrIn.FH), getLong(in, SetattrIn.FILE_SIZE),
                getLong(in, SetattrIn.LOCK_OWNER),
                getLong(in, SetattrIn.ATIME), getInt(in, SetattrIn.ATIMENSEC),
                getLong(in, SetattrIn.MTIME), getInt(in, SetattrIn.MTIMENSEC),
                getLong(in, SetattrIn.CTIME), getInt(in, SetattrIn.CTIMENSEC),
                getInt(in, SetattrIn.MODE), getInt(in, SetattrIn.UID), getInt(in, SetattrIn.GID));
        return sendAttr(r, fs.setattr(r.ctx(), r.nodeId(), changes));
    }

    private static int sendAttr(Request r, AttrReply attr) {
        return r.reply().send(Encode.attrOut(attr));
    }

    private int readlink(Request r) throws FsException {
        return r.reply().send(MemorySegment.ofArray(fs.readlink(r.ctx(), r.nodeId()).toByteArray()));
    }

    private int access(Request r) throws FsException {
        fs.access(r.ctx(), r.nodeId(), getInt(r.body().struct(AccessIn.SIZE), AccessIn.MASK));
        return r.reply().empty();
    }

    private int statfs(Request r) throws FsException {
        r.reply().require(StatfsOut.SIZE);
        return r.reply().send(Encode.statfsOut(fs.statfs(r.ctx(), r.nodeId())));
    }

    // ---- extended attributes ----

    private int setxattr(Request r) throws FsException {
        boolean extended = (enabled & InitFlags.SETXATTR_EXT) != 0;
        MemorySegment in = r.body().struct(extended ? SetxattrInExt.SIZE : SetxattrIn.SIZE);
        long size = Integer.toUnsignedLong(getInt(in, SetxattrIn.VALUE_SIZE));
        Name name = r.body().nonEmptyString();
        byte[] value = r.body().bytes(size);
        int setxattrFlags = extended ? getInt(in, SetxattrInExt.SETXATTR_FLAGS) : 0;
        fs.setxattr(r.ctx(), r.nodeId(), name, value, getInt(in, SetxattrIn.FLAGS), setxattrFlags);
        return r.reply().empty();
    }

    private int getxattr(Request r) throws FsException {
        long size = bufferSize(r, r.body().struct(GetxattrIn.SIZE), GetxattrIn.BUFFER_SIZE);
        Name name = r.body().nonEmptyString();
        byte[] value = fs.getxattr(r.ctx(), r.nodeId(), name, (int) size);
        return sendSized(r, size, value);
    }

    private int listxattr(Request r) throws FsException {
        long size = bufferSize(r, r.body().struct(GetxattrIn.SIZE), GetxattrIn.BUFFER_SIZE);
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (Name name : fs.listxattr(r.ctx(), r.nodeId(), (int) size)) {
            list.writeBytes(name.toByteArray());
            list.write(0);
        }
        return sendSized(r, size, list.toByteArray());
    }

    /** The xattr size protocol: size 0 asks for the length only; a too-small buffer gets ERANGE. */
    private static int sendSized(Request r, long guestSize, byte[] value) {
        if (guestSize == 0) {
            return r.reply().send(Encode.u32Struct(GetxattrOut.SIZE, value.length));
        }
        if (value.length > guestSize) {
            throw new RequestRejected(Errno.ERANGE, "value of " + value.length + " bytes, buffer of " + guestSize);
        }
        return r.reply().send(MemorySegment.ofArray(value));
    }

    private int removexattr(Request r) throws FsException {
        fs.removexattr(r.ctx(), r.nodeId(), r.body().nonEmptyString());
        return r.reply().empty();
    }

    // ---- files ----

    private int open(Request r) throws FsException {
        MemorySegment in = r.body().struct(OpenIn.SIZE);
        r.reply().require(OpenOut.SIZE);
        boolean killSuidGid = (getInt(in, OpenIn.OPEN_FLAGS) & OpenIn.KILL_SUIDGID) != 0;
        return r.reply().send(Encode.openOut(fs.open(r.ctx(), r.nodeId(), getInt(in, OpenIn.FLAGS), killSuidGid)));
    }

    private int create(Request r) throws FsException {
        MemorySegment in = r.body().struct(CreateIn.SIZE);
        Name name = r.body().component();
        r.reply().require(EntryOut.SIZE + OpenOut.SIZE);
        boolean killSuidGid = (getInt(in, CreateIn.OPEN_FLAGS) & OpenIn.KILL_SUIDGID) != 0;
        Created created = fs.create(r.ctx(), r.nodeId(), name, getInt(in, CreateIn.MODE), getInt(in, CreateIn.FLAGS),
                getInt(in, CreateIn.UMASK), killSuidGid);
        return r.reply().send(Encode.entryOut(created.entry()), Encode.openOut(created.open()));
    }

    private int read(Request r) throws FsException {
        MemorySegment in = r.body().struct(ReadIn.SIZE);
        // File data goes straight into the guest's buffers, so a big size allocates nothing here; it is
        // capped all the same, as libkrun does: no kernel asks it, and it would hold a worker for as
        // long as reading 2 GiB takes.
        long size = bufferSize(r, in, ReadIn.READ_SIZE);
        long offset = nonNegative(getLong(in, ReadIn.OFFSET), "read offset");
        // Never more than the guest's buffers hold, whatever size it claims.
        long length = Math.min(size, r.reply().capacity());
        List<MemorySegment> destination = r.reply().payloadSlices(length);
        int n = fs.read(r.ctx(), r.nodeId(), getLong(in, ReadIn.FH), offset, destination, getInt(in, ReadIn.FLAGS));
        if (n < 0 || n > length) {
            throw new RequestRejected(Errno.EIO, "filesystem read " + n + " bytes into " + length);
        }
        return r.reply().finish(n);
    }

    private int write(Request r) throws FsException {
        MemorySegment in = r.body().struct(WriteIn.SIZE);
        long size = Integer.toUnsignedLong(getInt(in, WriteIn.WRITE_SIZE));
        if (size > r.bodyLength() - WriteIn.SIZE) {
            throw new RequestRejected(Errno.EINVAL, "write of " + size + " bytes carries only "
                    + (r.bodyLength() - WriteIn.SIZE));
        }
        long offset = nonNegative(getLong(in, WriteIn.OFFSET), "write offset");
        r.reply().require(WriteOut.SIZE);
        List<MemorySegment> source = r.raw().slices(InHeader.SIZE + WriteIn.SIZE, size).stream()
                .map(MemorySegment::asReadOnly)
                .toList();
        int n = fs.write(r.ctx(), r.nodeId(), getLong(in, WriteIn.FH), offset, source, getInt(in, WriteIn.WRITE_FLAGS),
                getInt(in, WriteIn.FLAGS));
        if (n < 0 || n > size) {
            throw new RequestRejected(Errno.EIO, "filesystem wrote " + n + " of " + size + " bytes");
        }
        return r.reply().send(Encode.u32Struct(WriteOut.SIZE, n));
    }

    private int flush(Request r) throws FsException {
        MemorySegment in = r.body().struct(FlushIn.SIZE);
        fs.flush(r.ctx(), r.nodeId(), getLong(in, FlushIn.FH), getLong(in, FlushIn.LOCK_OWNER));
        return r.reply().empty();
    }

    private int fsync(Request r) throws FsException {
        MemorySegment in = r.body().struct(FsyncIn.SIZE);
        fs.fsync(r.ctx(), r.nodeId(), (getInt(in, FsyncIn.FSYNC_FLAGS) & FsyncIn.DATASYNC) != 0,
                getLong(in, FsyncIn.FH));
        return r.reply().empty();
    }

    private int fallocate(Request r) throws FsException {
        MemorySegment in = r.body().struct(FallocateIn.SIZE);
        long offset = nonNegative(getLong(in, FallocateIn.OFFSET), "fallocate offset");
        long length = nonNegative(getLong(in, FallocateIn.LENGTH), "fallocate length");
        fs.fallocate(r.ctx(), r.nodeId(), getLong(in, FallocateIn.FH), getInt(in, FallocateIn.MODE), offset, length);
        return r.reply().empty();
    }

    private int release(Request r) throws FsException {
        MemorySegment in = r.body().struct(ReleaseIn.SIZE);
        fs.release(r.ctx(), r.nodeId(), getLong(in, ReleaseIn.FH), getInt(in, ReleaseIn.FLAGS),
                getInt(in, ReleaseIn.RELEASE_FLAGS), getLong(in, ReleaseIn.LOCK_OWNER));
        return r.reply().empty();
    }

    private int lseek(Request r) throws FsException {
        MemorySegment in = r.body().struct(LseekIn.SIZE);
        r.reply().require(Long.BYTES);
        long position = fs.lseek(r.ctx(), r.nodeId(), getLong(in, LseekIn.FH), getLong(in, LseekIn.OFFSET),
                getInt(in, LseekIn.WHENCE));
        return r.reply().send(Encode.u64Struct(position));
    }

    private int copyFileRange(Request r) throws FsException {
        MemorySegment in = r.body().struct(CopyFileRangeIn.SIZE);
        long offsetIn = nonNegative(getLong(in, CopyFileRangeIn.OFF_IN), "copy_file_range input offset");
        long offsetOut = nonNegative(getLong(in, CopyFileRangeIn.OFF_OUT), "copy_file_range output offset");
        // fuse_write_out carries the result as a u32, so the kernel never asks for more than that.
        long length = Math.min(nonNegative(getLong(in, CopyFileRangeIn.LEN), "copy_file_range length"),
                0xFFFF_FFFFL);
        r.reply().require(WriteOut.SIZE);
        long copied = fs.copyFileRange(r.ctx(), r.nodeId(), getLong(in, CopyFileRangeIn.FH_IN), offsetIn,
                getLong(in, CopyFileRangeIn.NODEID_OUT), getLong(in, CopyFileRangeIn.FH_OUT), offsetOut, length,
                getLong(in, CopyFileRangeIn.FLAGS));
        if (copied < 0 || copied > length) {
            throw new RequestRejected(Errno.EIO, "filesystem copied " + copied + " of " + length + " bytes");
        }
        return r.reply().send(Encode.u32Struct(WriteOut.SIZE, (int) copied));
    }

    private int ioctl(Request r) throws FsException {
        MemorySegment in = r.body().struct(IoctlIn.SIZE);
        int flags = getInt(in, IoctlIn.FLAGS);
        if ((flags & FsFlags.IOCTL_UNRESTRICTED) != 0) {
            // Only CUSE sends unrestricted ioctls, whose buffers the server would have to chase itself.
            throw new FsException(Errno.ENOSYS);
        }
        byte[] input = r.body().bytes(Integer.toUnsignedLong(getInt(in, IoctlIn.IN_SIZE)));
        r.reply().require(IoctlOut.SIZE);
        long outputSize = Math.min(Integer.toUnsignedLong(getInt(in, IoctlIn.OUT_SIZE)),
                r.reply().capacity() - IoctlOut.SIZE);
        IoctlResult result = fs.ioctl(r.ctx(), r.nodeId(), getLong(in, IoctlIn.FH), flags, getInt(in, IoctlIn.CMD),
                getLong(in, IoctlIn.ARG), input, (int) outputSize);
        if (result.output().length > outputSize) {
            throw new RequestRejected(Errno.EIO, "ioctl answered " + result.output().length + " bytes, room for "
                    + outputSize);
        }
        MemorySegment out = Encode.u32Struct(IoctlOut.SIZE, result.result());
        return r.reply().send(out, MemorySegment.ofArray(result.output()));
    }

    private int getlk(Request r) throws FsException {
        MemorySegment in = r.body().struct(LkIn.SIZE);
        r.reply().require(LkOut.SIZE);
        FileLock lock = fs.getlk(r.ctx(), r.nodeId(), getLong(in, LkIn.FH), getLong(in, LkIn.OWNER), lockOf(in),
                getInt(in, LkIn.LK_FLAGS));
        return r.reply().send(Encode.lkOut(lock));
    }

    private int setlk(Request r, boolean sleep) throws FsException {
        MemorySegment in = r.body().struct(LkIn.SIZE);
        fs.setlk(r.ctx(), r.nodeId(), getLong(in, LkIn.FH), getLong(in, LkIn.OWNER), lockOf(in),
                getInt(in, LkIn.LK_FLAGS), sleep);
        return r.reply().empty();
    }

    private static FileLock lockOf(MemorySegment lkIn) {
        return new FileLock(getLong(lkIn, LkIn.LK + FuseFileLock.START), getLong(lkIn, LkIn.LK + FuseFileLock.END),
                getInt(lkIn, LkIn.LK + FuseFileLock.TYPE), getInt(lkIn, LkIn.LK + FuseFileLock.PID));
    }

    // ---- directories ----

    private int opendir(Request r) throws FsException {
        MemorySegment in = r.body().struct(OpenIn.SIZE);
        r.reply().require(OpenOut.SIZE);
        return r.reply().send(Encode.openOut(fs.opendir(r.ctx(), r.nodeId(), getInt(in, OpenIn.FLAGS))));
    }

    private int readdir(Request r) throws FsException {
        MemorySegment in = r.body().struct(ReadIn.SIZE);
        DirectoryReply listing = new DirectoryReply(r.reply(), bufferSize(r, in, ReadIn.READ_SIZE));
        fs.readdir(r.ctx(), r.nodeId(), getLong(in, ReadIn.FH), getLong(in, ReadIn.OFFSET), listing);
        return listing.finish();
    }

    private int readdirplus(Request r) throws FsException {
        MemorySegment in = r.body().struct(ReadIn.SIZE);
        DirectoryReply listing = new DirectoryReply(r.reply(), bufferSize(r, in, ReadIn.READ_SIZE));
        fs.readdirplus(r.ctx(), r.nodeId(), getLong(in, ReadIn.FH), getLong(in, ReadIn.OFFSET), listing);
        return listing.finish();
    }

    private int releasedir(Request r) throws FsException {
        MemorySegment in = r.body().struct(ReleaseIn.SIZE);
        fs.releasedir(r.ctx(), r.nodeId(), getLong(in, ReleaseIn.FH), getInt(in, ReleaseIn.FLAGS));
        return r.reply().empty();
    }

    private int fsyncdir(Request r) throws FsException {
        MemorySegment in = r.body().struct(FsyncIn.SIZE);
        fs.fsyncdir(r.ctx(), r.nodeId(), (getInt(in, FsyncIn.FSYNC_FLAGS) & FsyncIn.DATASYNC) != 0,
                getLong(in, FsyncIn.FH));
        return r.reply().empty();
    }

    /** The u32 buffer size at {@code offset} of {@code in}; ENOMEM above {@link #MAX_BUFFER}. */
    private static long bufferSize(Request r, MemorySegment in, long offset) {
        long size = Integer.toUnsignedLong(getInt(in, offset));
        if (size > MAX_BUFFER) {
            throw new RequestRejected(Errno.ENOMEM, r.opcode() + " asks for " + size + " bytes");
        }
        return size;
    }

    private static long nonNegative(long value, String what) {
        if (value < 0) {
            throw new RequestRejected(Errno.EINVAL, what + " out of range: " + Long.toUnsignedString(value));
        }
        return value;
    }
}
