package io.krunctl.virtiofs.fuse;

/** FUSE request opcodes ({@code enum fuse_opcode} in {@code include/uapi/linux/fuse.h}). */
public enum Opcode {
    LOOKUP(1),
    FORGET(2),
    GETATTR(3),
    SETATTR(4),
    READLINK(5),
    SYMLINK(6),
    MKNOD(8),
    MKDIR(9),
    UNLINK(10),
    RMDIR(11),
    RENAME(12),
    LINK(13),
    OPEN(14),
    READ(15),
    WRITE(16),
    STATFS(17),
    RELEASE(18),
    FSYNC(20),
    SETXATTR(21),
    GETXATTR(22),
    LISTXATTR(23),
    REMOVEXATTR(24),
    FLUSH(25),
    INIT(26),
    OPENDIR(27),
    READDIR(28),
    RELEASEDIR(29),
    FSYNCDIR(30),
    GETLK(31),
    SETLK(32),
    SETLKW(33),
    ACCESS(34),
    CREATE(35),
    INTERRUPT(36),
    BMAP(37),
    DESTROY(38),
    IOCTL(39),
    POLL(40),
    NOTIFY_REPLY(41),
    BATCH_FORGET(42),
    FALLOCATE(43),
    READDIRPLUS(44),
    RENAME2(45),
    LSEEK(46),
    COPY_FILE_RANGE(47),
    SETUPMAPPING(48),
    REMOVEMAPPING(49),
    SYNCFS(50),
    TMPFILE(51),
    STATX(52);

    private static final Opcode[] BY_CODE = new Opcode[53];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    Opcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The opcode with this number, or null if FUSE defines none (or one this server does not know). */
    public static Opcode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * True for the requests whose host call can take long: a sync to stable storage, a block
     * allocation, a copy of a whole range, a lock wait. The device runs these on a worker thread so
     * the queue keeps moving; every other request is quick enough to serve where it was taken.
     */
    public boolean mayBlock() {
        return switch (this) {
            case FSYNC, FSYNCDIR, SYNCFS, FALLOCATE, COPY_FILE_RANGE, GETLK, SETLK, SETLKW, POLL -> true;
            default -> false;
        };
    }

    /**
     * False for the requests the kernel never waits on: the forgets, interrupts and replies to our own
     * notifications. Answering them would hand the guest a reply it has no request for.
     */
    public boolean expectsReply() {
        return switch (this) {
            case FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY -> false;
            default -> true;
        };
    }
}
