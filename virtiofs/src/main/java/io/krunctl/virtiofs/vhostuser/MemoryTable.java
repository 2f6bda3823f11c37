package io.krunctl.virtiofs.vhostuser;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The guest memory table a connection currently uses: replaced by SET_MEM_TABLE on the message
 * thread, looked up by the queues whenever they translate their rings. Holds one reference to the
 * current table.
 */
final class MemoryTable {
    private final AtomicReference<GuestMemory> current = new AtomicReference<>();

    /** The current table with one reference taken for the caller, or null if none is set. */
    GuestMemory acquire() {
        while (true) {
            GuestMemory m = current.get();
            if (m == null) {
                return null;
            }
            if (m.retain()) {
                return m;
            }
            // Released between get and retain: a newer table (or none) is current now.
        }
    }

    /**
     * Makes {@code fresh} (may be null) current, taking over the caller's reference to it, and
     * returns the table it replaces with this holder's reference, which the caller now owns.
     */
    GuestMemory replace(GuestMemory fresh) {
        return current.getAndSet(fresh);
    }
}
