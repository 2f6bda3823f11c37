package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.FuseStructs.direntAlign;

import io.krunctl.virtiofs.fs.DirEntry;
import io.krunctl.virtiofs.fs.DirectoryPlusSink;
import io.krunctl.virtiofs.fs.DirectorySink;
import io.krunctl.virtiofs.fs.Entry;
import io.krunctl.virtiofs.fs.Errno;
import io.krunctl.virtiofs.fs.Name;
import io.krunctl.virtiofs.fuse.FuseStructs.Dirent;
import io.krunctl.virtiofs.fuse.FuseStructs.Direntplus;
import java.lang.foreign.MemorySegment;

/**
 * The payload of a READDIR or READDIRPLUS reply: entries packed back to back, each padded to 8 bytes,
 * never more than the guest asked for (nor more than its buffers hold).
 */
final class DirectoryReply implements DirectorySink, DirectoryPlusSink {
    private final Reply reply;
    private final long limit;
    private long used;

    DirectoryReply(Reply reply, long requestedSize) {
        this.reply = reply;
        this.limit = Math.min(requestedSize, reply.capacity());
    }

    @Override
    public boolean add(DirEntry entry) {
        long size = direntAlign(Dirent.SIZE + checked(entry.name()));
        if (used + size > limit) {
            return false;
        }
        MemorySegment s = Encode.allocate(size);
        Encode.dirent(s, 0, entry);
        append(s);
        return true;
    }

    @Override
    public boolean fits(Name name) {
        return used + direntAlign(Direntplus.SIZE + name.length()) <= limit;
    }

    @Override
    public boolean add(DirEntry entry, Entry attributes) {
        long size = direntAlign(Direntplus.SIZE + checked(entry.name()));
        if (used + size > limit) {
            return false;
        }
        MemorySegment s = Encode.allocate(size);
        Encode.entryOut(s, Direntplus.ENTRY_OUT, attributes);
        Encode.dirent(s, Direntplus.DIRENT, entry);
        append(s);
        return true;
    }

    int finish() {
        return reply.finish(used);
    }

    private void append(MemorySegment s) {
        reply.put(used, s);
        used += s.byteSize();
    }

    /** The guest kernel fails the whole listing (EIO) on such a name; fail here, where it is visible. */
    private static int checked(Name name) {
        if (name.isEmpty() || name.containsSlash() || name.length() > RequestBody.NAME_MAX) {
            throw new RequestRejected(Errno.EIO, "filesystem listed an invalid name \"" + name + "\"");
        }
        return name.length();
    }
}
