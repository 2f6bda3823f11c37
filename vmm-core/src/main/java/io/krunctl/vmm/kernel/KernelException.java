package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException;

/** The guest kernel cannot be provided; the message is one line saying why and what to do. */
public final class KernelException extends VmmException {

    public KernelException(Kind kind, String message) {
        super(kind, message);
    }

    public KernelException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
