package io.krunctl.virtiofs.fs;

import java.util.Map;

/**
 * A Linux x86_64 {@code errno} value, the error currency of the FUSE wire ({@code -errno} in the reply
 * header).
 *
 * <p>A record rather than an enum so a passthrough filesystem can forward whatever value a syscall
 * produced ({@link #of(int)}) without first squeezing it into a closed list.
 */
public record Errno(int code) {
    public static final Errno EPERM = new Errno(1);
    public static final Errno ENOENT = new Errno(2);
    public static final Errno EINTR = new Errno(4);
    public static final Errno EIO = new Errno(5);
    public static final Errno ENXIO = new Errno(6);
    public static final Errno E2BIG = new Errno(7);
    public static final Errno EBADF = new Errno(9);
    public static final Errno EAGAIN = new Errno(11);
    public static final Errno ENOMEM = new Errno(12);
    public static final Errno EACCES = new Errno(13);
    public static final Errno EFAULT = new Errno(14);
    public static final Errno EBUSY = new Errno(16);
    public static final Errno EEXIST = new Errno(17);
    public static final Errno EXDEV = new Errno(18);
    public static final Errno ENODEV = new Errno(19);
    public static final Errno ENOTDIR = new Errno(20);
    public static final Errno EISDIR = new Errno(21);
    public static final Errno EINVAL = new Errno(22);
    public static final Errno ENFILE = new Errno(23);
    public static final Errno EMFILE = new Errno(24);
    public static final Errno ENOTTY = new Errno(25);
    public static final Errno EFBIG = new Errno(27);
    public static final Errno ENOSPC = new Errno(28);
    public static final Errno ESPIPE = new Errno(29);
    public static final Errno EROFS = new Errno(30);
    public static final Errno EMLINK = new Errno(31);
    public static final Errno ERANGE = new Errno(34);
    public static final Errno ENAMETOOLONG = new Errno(36);
    public static final Errno ENOSYS = new Errno(38);
    public static final Errno ENOTEMPTY = new Errno(39);
    public static final Errno ELOOP = new Errno(40);
    public static final Errno ENODATA = new Errno(61);
    public static final Errno EPROTO = new Errno(71);
    public static final Errno EOVERFLOW = new Errno(75);
    public static final Errno EOPNOTSUPP = new Errno(95);
    public static final Errno ESTALE = new Errno(116);

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"),
            Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"),
            Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"), Map.entry(23, "ENFILE"), Map.entry(24, "EMFILE"),
            Map.entry(25, "ENOTTY"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"), Map.entry(29, "ESPIPE"),
            Map.entry(30, "EROFS"), Map.entry(31, "EMLINK"), Map.entry(34, "ERANGE"),
            Map.entry(36, "ENAMETOOLONG"), Map.entry(38, "ENOSYS"), Map.entry(39, "ENOTEMPTY"),
            Map.entry(40, "ELOOP"), Map.entry(61, "ENODATA"), Map.entry(71, "EPROTO"), Map.entry(75, "EOVERFLOW"),
            Map.entry(95, "EOPNOTSUPP"), Map.entry(116, "ESTALE"));

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
        String name = NAMES.get(code);
        return name != null ? name : "errno " + code;
    }

    @Override
    public String toString() {
        return name();
    }
}
