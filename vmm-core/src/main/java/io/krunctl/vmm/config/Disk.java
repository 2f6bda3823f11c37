package io.krunctl.vmm.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A raw disk image on the host, attached to the guest as a virtio-blk device. The guest sees the
 * disks as {@code /dev/vda}, {@code /dev/vdb}, ... in order: a block root first, then
 * {@link VmConfig#disks()} as listed.
 *
 * @param path     the image file, absolute; its bytes are the device's, no format is probed
 * @param readOnly whether the guest sees a write-protected device
 */
public record Disk(Path path, boolean readOnly) {

    public Disk {
        Objects.requireNonNull(path, "path");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("a disk image must be an absolute path: " + path);
        }
    }

    /** The guest's name of the {@code index}-th virtio-blk device (0 → {@code /dev/vda}). */
    public static String guestDevice(int index) {
        if (index < 0 || index >= 26 * 27) {
            throw new IllegalArgumentException("disk index " + index);
        }
        // The kernel's virtblk naming: vda..vdz, then vdaa..vdzz.
        String suffix = index < 26
                ? String.valueOf((char) ('a' + index))
                : String.valueOf((char) ('a' + index / 26 - 1)) + (char) ('a' + index % 26);
        return "/dev/vd" + suffix;
    }
}
