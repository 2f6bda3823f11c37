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
 *
 * <p>Entries are packed into one zeroed heap buffer and copied to the guest's buffers once, when the
 * reply is finished: a page of readdirplus holds some twenty entries, and each one no longer makes a
 * temporary array and a copy of its own.
 */
final class DirectoryReply implements DirectorySink, DirectoryPlusSink {
    private final Reply reply;
    private final MemorySegment staging;
    private long used;

    DirectoryReply(Reply reply, long requestedSize) {
        this.reply = reply;
        this.staging = Encode.allocate(Math.min(requestedSize, reply.capacity()));
    }

    @Override
    public boolean add(DirEntry entry) {
        long size = direntAlign(Dirent.SIZE + checked(entry.name()));
        if (used + size > staging.byteSize()) {
            return false;
        }
        Encode.dirent(staging, used, entry);
        used += size;
        return true;
    }

    @Override
    public boolean fits(Name name) {
        return used + direntAlign(Direntplus.SIZE + name.length()) <= staging.byteSize();
    }

    @Override
    public boolean add(DirEntry entry, Entry attributes) {
        long size = direntAlign(Direntplus.SIZE + checked(entry.name()));
        if (used + size > staging.byteSize()) {
            return false;
        }
        Encode.entryOut(staging, used + Direntplus.ENTRY_OUT, attributes);
        Encode.dirent(staging, used + Direntplus.DIRENT, entry);
        used += size;
        return true;
    }

    int finish() {
        if (used > 0) {
            reply.put(0, staging.asSlice(0, used));
        }
        return reply.finish(used);
    }

    /** The guest kernel fails the whole listing (EIO) on such a name; fail here, where it is visible. */
    private static int checked(Name name) {
        if (name.isEmpty() || name.containsSlash() || name.length() > RequestBody.NAME_MAX) {
            throw new RequestRejected(Errno.EIO, "filesystem listed an invalid name \"" + name + "\"");
        }
        return name.length();
    }
}
