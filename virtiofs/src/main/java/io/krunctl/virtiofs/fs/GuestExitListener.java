package io.krunctl.virtiofs.fs;

/**
 * Told the workload's exit code when the guest init reports it through {@link AugmentFs#EXIT_CODE_IOCTL}.
 *
 * <p>Called on a device worker thread while the init waits for the answer: the guest does not go
 * on to reboot until this returns, so a listener may hold the reboot back (until the workload's
 * last output has left QEMU, say), but must not wait on the device itself.
 */
@FunctionalInterface
public interface GuestExitListener {
    void guestExited(int exitCode);
}
