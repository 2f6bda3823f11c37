package io.krunctl.cli.oci;

/**
 * An OCI runtime command cannot do what it was asked: one line for the caller's stderr (podman
 * shows it as "OCI runtime error: krunctl: ..."), with no side effect left behind.
 */
public final class OciException extends Exception {
    public OciException(String message) {
        super(message);
    }

    public OciException(String message, Throwable cause) {
        super(message, cause);
    }
}
