package io.krunctl.virtiofs.vhostuser;

import io.krunctl.virtiofs.fuse.ScatterBuffer;

/**
 * Serves one virtqueue request: the FUSE server's entry point as the device sees it.
 *
 * <p>Called concurrently from the backend's worker threads, once per descriptor chain the guest
 * makes available on any queue (queue 0, hiprio, carries FORGETs; the others carry requests).
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
}
