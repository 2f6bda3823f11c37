package io.krunctl.virtiofs.fs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many host descriptors a {@link PassthroughFs} may hold for its guest: one per inode the guest
 * has looked up ({@code O_PATH}) and one per file or directory it has open. Without a bound a guest
 * that opens without releasing, or looks up without forgetting, pins descriptors until the process
 * runs out, and then the device's own next descriptor (a vring's eventfd on the guest's next reset)
 * cannot be had and the device dies. At the bound the guest gets EMFILE (opens) or ENFILE
 * (lookups), as a process does at its own limits. Thread-safe.
 */
final class DescriptorBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    DescriptorBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a descriptor budget must allow at least one: " + limit);
        }
        this.limit = limit;
    }

    /** Takes one descriptor's room; false if the budget is spent. */
    boolean tryTake() {
        long now;
        do {
            now = used.get();
            if (now >= limit) {
                return false;
            }
        } while (!used.compareAndSet(now, now + 1));
        return true;
    }

    /** Gives back the room of a descriptor just closed. */
    void give() {
        used.decrementAndGet();
    }

    /** Descriptors held now; for tests. */
    long used() {
        return used.get();
    }
}
