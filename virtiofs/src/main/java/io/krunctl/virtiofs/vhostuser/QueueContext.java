package io.krunctl.virtiofs.vhostuser;

import java.util.concurrent.Executor;

/**
 * What a {@link VirtQueue} is given by the device it belongs to, once, when it is made: where the
 * guest's memory is, who serves its requests and on which threads, and whom to tell when its own
 * thread fails. The queue never asks the device for anything else; configuration that changes
 * while it runs (features, fds, addresses) arrives through its setters.
 *
 * @param memory       the connection's current memory table
 * @param handler      serves every descriptor chain
 * @param workers      runs the requests that may block (or are not the last on the ring)
 * @param threadPrefix names the queue's kick thread ({@code PREFIX-kick-qN})
 * @param drainMillis  how long stopping a ring waits for its requests in flight
 * @param maxInFlight  how many chains of one ring may be taken and not yet completed; the kick thread
 *                     waits for a completion beyond that
 * @param failure      told when the kick thread fails unexpectedly
 */
record QueueContext(MemoryTable memory, RequestHandler handler, Executor workers, String threadPrefix,
        long drainMillis, int maxInFlight, ThreadFailure failure) {

    /** A device thread failed unexpectedly; the device ends the connection. */
    @FunctionalInterface
    interface ThreadFailure {
        void failed(String where, Throwable cause);
    }
}
