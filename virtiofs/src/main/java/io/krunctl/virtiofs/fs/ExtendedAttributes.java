package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.krunctl.nativeio.FileCalls;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes of a host inode, through its {@code /proc/self/fd/N} link: an {@code O_PATH}
 * descriptor takes no xattr calls, and the link names the inode without opening it.
 */
final class ExtendedAttributes {
    private ExtendedAttributes() {
    }

    static void set(WorkerState w, int inodeFd, Name name, byte[] value, int flags) throws FsException {
        MemorySegment v = w.xattr().asSlice(0, value.length);
        MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
        check(FileCalls.setxattr(w.procPath(inodeFd), WorkerState.cString(w.name, name), v, flags));
    }

    static byte[] get(WorkerState w, int inodeFd, Name name) throws FsException {
        MemorySegment buffer = w.xattr();
        long n = check(FileCalls.getxattr(w.procPath(inodeFd), WorkerState.cString(w.name, name), buffer));
        return buffer.asSlice(0, n).toArray(JAVA_BYTE);
    }

    /** The names, from the kernel's list of NUL-terminated names back to back. */
    static List<Name> list(WorkerState w, int inodeFd) throws FsException {
        MemorySegment buffer = w.xattr();
        long n = check(FileCalls.listxattr(w.procPath(inodeFd), buffer));
        List<Name> names = new ArrayList<>();
        long start = 0;
        for (long i = 0; i < n; i++) {
            if (buffer.get(JAVA_BYTE, i) == 0) {
                if (i > start) {
                    names.add(Name.of(buffer.asSlice(start, i - start).toArray(JAVA_BYTE)));
                }
                start = i + 1;
            }
        }
        return names;
    }

    static void remove(WorkerState w, int inodeFd, Name name) throws FsException {
        check(FileCalls.removexattr(w.procPath(inodeFd), WorkerState.cString(w.name, name)));
    }
}
