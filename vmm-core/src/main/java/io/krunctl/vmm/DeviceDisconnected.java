package io.krunctl.vmm;

/**
 * A virtio-fs device whose connection to QEMU ended while QEMU went on running: the guest would
 * wait on that share forever, so the VM is stopped, and this is why.
 */
final class DeviceDisconnected extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * @param share the device's name, as {@link io.krunctl.vmm.fsdev.FsDevices#listen} gives it
     * @param why   what the device saw on its socket
     */
    DeviceDisconnected(String share, String why) {
        super("the virtio-fs device of share '" + share + "' lost its connection to QEMU (" + why + ")", null, false,
                false);
    }
}
