package io.krunctl.virtiofs.vhostuser;

import io.krunctl.virtiofs.fuse.ScatterBuffer;

/**
 * Serves one virtqueue request: the FUSE server's entry point as the device sees it.
 *
 * <p>Called concurrently, once per descriptor chain the guest makes available on any queue (queue 0,
 * hiprio, carries FORGETs; the others carry requests): from the backend's worker threads, and from a
 * queue's kick thread for a request that is the last one pending and {@linkplain #mayBlock does not
 * block}. Serving that one in place spares a thread hand-off per request, which is most of the
 * latency of a guest that waits for each reply before it sends the next request.
 */
@FunctionalInterface
public interface RequestHandler {
    /**
     * Handles one request.
     *
     * @param request the chain's device-readable bytes, views of guest memory valid only during
     *                this call
     * @param reply   the chain's device-writable bytes (empty for requests without a reply), valid
     *                only during this call
     * @return the number of bytes written at the start of {@code reply}, reported to the guest as
     *         the used length; 0 for requests without a reply. An exception is logged and answered
     *         with used length 0.
     */
    int handle(ScatterBuffer request, ScatterBuffer reply);

    /**
     * Whether {@link #handle} may take long for this request (a sync to disk, a lock wait). Those are
     * always served on a worker thread, so that requests behind them are not held up. The default
     * says yes, which sends every request to a worker.
     *
     * @param request as for {@link #handle}
     */
    default boolean mayBlock(ScatterBuffer request) {
        return true;
    }
}
