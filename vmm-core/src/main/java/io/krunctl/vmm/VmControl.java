package io.krunctl.vmm;

/**
 * The controls of a running VM ({@link Vm}). Safe to call from any thread, at any time, also
 * before the VM starts or after it has ended (calls then do nothing).
 */
public interface VmControl {
    /**
     * A signal krunctl itself received, by number.
     *
     * <ul>
     *   <li>SIGWINCH: the host terminal changed size; in terminal mode the guest console gets the
     *       new size (and its foreground process SIGWINCH).
     *   <li>SIGINT and SIGTERM are forwarded to the workload, the first one also starts the stop
     *       timeout; a second one, or the stop timeout running out, stops the VM hard and the run
     *       ends with 128+N. Once the workload has exited they stop the VM at once.
     *   <li>Any other signal is forwarded to the workload.
     * </ul>
     */
    void hostSignal(int signal);
}
