package io.krunctl.virtiofs.fs;

/**
 * A Linux x86_64 {@code errno} value, the error currency of the FUSE wire ({@code -errno} in the reply
 * header).
 *
 * <p>A record rather than an enum so a passthrough filesystem can forward whatever value a syscall
 * produced ({@link #of(int)}) without first squeezing it into a closed list. The values and names are
 * {@link io.krunctl.nativeio.Errno}'s, the one table of them; this type only keeps FUSE replies from
 * mixing an errno up with a count or an offset.
 */
public record Errno(int code) {
    public static final Errno EPERM = new Errno(io.krunctl.nativeio.Errno.EPERM);
    public static final Errno ENOENT = new Errno(io.krunctl.nativeio.Errno.ENOENT);
    public static final Errno EINTR = new Errno(io.krunctl.nativeio.Errno.EINTR);
    public static final Errno EIO = new Errno(io.krunctl.nativeio.Errno.EIO);
    public static final Errno ENXIO = new Errno(io.krunctl.nativeio.Errno.ENXIO);
    public static final Errno E2BIG = new Errno(io.krunctl.nativeio.Errno.E2BIG);
    public static final Errno EBADF = new Errno(io.krunctl.nativeio.Errno.EBADF);
    public static final Errno EAGAIN = new Errno(io.krunctl.nativeio.Errno.EAGAIN);
    public static final Errno ENOMEM = new Errno(io.krunctl.nativeio.Errno.ENOMEM);
    public static final Errno EACCES = new Errno(io.krunctl.nativeio.Errno.EACCES);
    public static final Errno EFAULT = new Errno(io.krunctl.nativeio.Errno.EFAULT);
    public static final Errno EBUSY = new Errno(io.krunctl.nativeio.Errno.EBUSY);
    public static final Errno EEXIST = new Errno(io.krunctl.nativeio.Errno.EEXIST);
    public static final Errno EXDEV = new Errno(io.krunctl.nativeio.Errno.EXDEV);
    public static final Errno ENODEV = new Errno(io.krunctl.nativeio.Errno.ENODEV);
    public static final Errno ENOTDIR = new Errno(io.krunctl.nativeio.Errno.ENOTDIR);
    public static final Errno EISDIR = new Errno(io.krunctl.nativeio.Errno.EISDIR);
    public static final Errno EINVAL = new Errno(io.krunctl.nativeio.Errno.EINVAL);
    public static final Errno ENFILE = new Errno(io.krunctl.nativeio.Errno.ENFILE);
    public static final Errno EMFILE = new Errno(io.krunctl.nativeio.Errno.EMFILE);
    public static final Errno ENOTTY = new Errno(io.krunctl.nativeio.Errno.ENOTTY);
    public static final Errno EFBIG = new Errno(io.krunctl.nativeio.Errno.EFBIG);
    public static final Errno ENOSPC = new Errno(io.krunctl.nativeio.Errno.ENOSPC);
    public static final Errno ESPIPE = new Errno(io.krunctl.nativeio.Errno.ESPIPE);
    public static final Errno EROFS = new Errno(io.krunctl.nativeio.Errno.EROFS);
    public static final Errno EMLINK = new Errno(io.krunctl.nativeio.Errno.EMLINK);
    public static final Errno ERANGE = new Errno(io.krunctl.nativeio.Errno.ERANGE);
    public static final Errno ENAMETOOLONG = new Errno(io.krunctl.nativeio.Errno.ENAMETOOLONG);
    public static final Errno ENOSYS = new Errno(io.krunctl.nativeio.Errno.ENOSYS);
    public static final Errno ENOTEMPTY = new Errno(io.krunctl.nativeio.Errno.ENOTEMPTY);
    public static final Errno ELOOP = new Errno(io.krunctl.nativeio.Errno.ELOOP);
    public static final Errno ENODATA = new Errno(io.krunctl.nativeio.Errno.ENODATA);
    public static final Errno EPROTO = new Errno(io.krunctl.nativeio.Errno.EPROTO);
    public static final Errno EOVERFLOW = new Errno(io.krunctl.nativeio.Errno.EOVERFLOW);
    public static final Errno EOPNOTSUPP = new Errno(io.krunctl.nativeio.Errno.EOPNOTSUPP);
    public static final Errno ESTALE = new Errno(io.krunctl.nativeio.Errno.ESTALE);


    /** Linux reserves the top 4095 values of a syscall return for errors; anything else is not an errno. */
    public Errno {
        if (code <= 0 || code > 4095) {
            throw new IllegalArgumentException("not an errno: " + code);
        }
    }

    /** The errno for a raw value, e.g. one captured from a failed syscall. */
    public static Errno of(int code) {
        return new Errno(code);
    }

    /** The symbolic name ({@code "ENOENT"}), or {@code "errno 123"} for values without a constant here. */
    public String name() {
        return io.krunctl.nativeio.Errno.name(code);
    }

    @Override
    public String toString() {
        return name();
    }
}
