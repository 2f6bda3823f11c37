package io.krunctl.virtiofs.vhostuser;

import io.krunctl.virtiofs.fuse.FuseServer;
import io.krunctl.virtiofs.fuse.ScatterBuffer;

/**
 * Serves one virtqueue request: the FUSE server's entry point as the device sees it.
 *
 * <p>Called concurrently, once per descriptor chain the guest makes available on any queue (queue 0,
 * hiprio, carries FORGETs; the others carry requests): from the backend's worker threads, and from a
 * queue's kick thread for a request that is the last one pending and does not block
 * ({@link #handleIfQuick}). Serving that one in place spares a thread hand-off per request, which is most of the
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

    /** What {@link #handleIfQuick} answers for a request it left alone because it may block. */
    int WOULD_BLOCK = -1;

    /**
     * Handles one request here and now unless serving it may take long (a sync to disk, a lock wait,
     * a large transfer); those it leaves untouched, answering {@link #WOULD_BLOCK}, and the device
     * then hands them to a worker, where {@link #handle} serves them. The kick thread calls this.
     * The guest can change the request while it is served, so the decision must come from the same
     * copy of the request that is then acted on, never from a second read of guest memory: a request
     * judged quick and then rewritten into a blocking one would otherwise block the kick thread. The
     * default leaves every request to a worker.
     *
     * @return as {@link #handle}, or {@link #WOULD_BLOCK}
     */
    default int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
        return WOULD_BLOCK;
    }

    /** The device's view of a FUSE server: what a virtio-fs device serves. */
    static RequestHandler serving(FuseServer server) {
        return new RequestHandler() {
            @Override
            public int handle(ScatterBuffer request, ScatterBuffer reply) {
                return server.handle(request, reply);
            }

            @Override
            public int handleIfQuick(ScatterBuffer request, ScatterBuffer reply) {
                int written = server.handleIfQuick(request, reply);
                return written == FuseServer.WOULD_BLOCK ? WOULD_BLOCK : written;
            }
        };
    }
}
