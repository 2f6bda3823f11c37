package io.krunctl.vmm.qemu;

import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.NetworkConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The QEMU arguments of a VM's disks and network card.
 *
 * <p>Each disk is a raw image ({@code format=raw}: QEMU never probes a format from bytes the guest
 * may have written) on its own {@code virtio-blk-pci} device, in order, so that the guest names
 * them {@code /dev/vda}, {@code /dev/vdb}, ... as listed. The cache mode is {@code writeback}: the
 * guest's flushes reach the image file, which QEMU also flushes when it exits.
 *
 * <p>The user-mode network is QEMU's slirp stack behind a {@code virtio-net-pci} card; each port
 * forward is a {@code hostfwd} rule that QEMU listens for on the host.
 *
 * @param disks   the images, in the order the guest sees them
 * @param network the network
 */
public record GuestDevices(List<Disk> disks, NetworkConfig network) {

    /** No disks, no network. */
    public static final GuestDevices NONE = new GuestDevices(List.of(), NetworkConfig.none());

    /** The QEMU id of the user-mode network backend. */
    public static final String NETDEV_ID = "net0";

    public GuestDevices {
        disks = List.copyOf(disks);
        Objects.requireNonNull(network, "network");
    }

    /** The QEMU arguments, to follow the root device's. */
    public List<String> args() {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            Disk d = disks.get(i);
            String id = "disk" + i;
            a.addAll(List.of("-drive", "file=" + QemuCommand.optionValue(d.path()) + ",format=raw,if=none,id=" + id
                    + ",readonly=" + (d.readOnly() ? "on" : "off") + ",cache=writeback",
                    "-device", "virtio-blk-pci,drive=" + id));
        }
        if (network.mode() == NetworkConfig.Mode.USER) {
            StringBuilder netdev = new StringBuilder("user,id=" + NETDEV_ID);
            for (NetworkConfig.PortForward p : network.ports()) {
                netdev.append(",hostfwd=tcp:").append(p.hostAddress()).append(':').append(p.hostPort())
                        .append("-:").append(p.guestPort());
            }
            a.addAll(List.of("-netdev", netdev.toString(), "-device", "virtio-net-pci,netdev=" + NETDEV_ID));
        }
        return List.copyOf(a);
    }
}
