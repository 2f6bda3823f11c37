package io.krunctl.vmm.guest;

import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The parts of libkrun's init contract that a {@link VmConfig} sets through the kernel command line
 * ({@code KRUN_BLOCK_ROOT_*}, {@code KRUN_RLIMITS}, {@code KRUN_DHCP}, {@code KRUN_INIT_PID1}), and the extra entries the
 * virtio-fs root device needs for them. Every value here is made of safe characters (the spec front
 * end checks a block root's filesystem type and options); {@link KernelCommandLine#append} checks
 * again.
 */
public final class GuestEnvironment {

    /** The directory of the virtio-fs root on which the init mounts a block root before moving it over {@code /}. */
    public static final String BLOCK_ROOT_MOUNT_POINT = "/newroot";
    /** Where the guest's resolver configuration lives. */
    public static final String RESOLV_CONF = "/etc/resolv.conf";
    /** The DNS forwarder of QEMU's user-mode network, as its DHCP server offers it. */
    public static final String USER_NETWORK_DNS = "10.0.2.3";

    private GuestEnvironment() {}

    /** The {@code NAME=VALUE} items for the kernel command line, in libkrun's order. */
    public static List<String> variables(VmConfig config) {
        List<String> out = new ArrayList<>();
        if (config.root() instanceof RootConfig.BlockDevice block) {
            out.add("KRUN_BLOCK_ROOT_DEVICE=" + Disk.guestDevice(0));
            block.fstype().filter(t -> !t.equals("auto")).ifPresent(t -> out.add("KRUN_BLOCK_ROOT_FSTYPE=" + t));
            String options = blockRootOptions(block);
            if (!options.isEmpty()) {
                out.add("KRUN_BLOCK_ROOT_OPTIONS=" + options);
            }
        }
        List<Rlimit> rlimits = config.process().rlimits();
        if (!rlimits.isEmpty()) {
            // libkrun's host writes the list quoted; the kernel strips the quotes, and so does the init.
            out.add("KRUN_RLIMITS=\"" + rlimits.stream().map(Rlimit::krunItem).collect(Collectors.joining(",")) + "\"");
        }
        if (config.network().mode() == NetworkConfig.Mode.USER) {
            out.add("KRUN_DHCP=1");
        }
        if (config.process().pid1()) {
            out.add("KRUN_INIT_PID1=1");
        }
        return List.copyOf(out);
    }

    /**
     * The mount data of a block root: its options, after {@code ro} when the disk is read-only (the
     * guest kernel's mount API takes {@code ro} from the data as the read-only flag, so the init
     * does not first try a writable mount and warn).
     */
    static String blockRootOptions(RootConfig.BlockDevice block) {
        if (!block.disk().readOnly()) {
            return block.options();
        }
        return block.options().isEmpty() ? "ro" : "ro," + block.options();
    }

    /**
     * The virtual directories the root device needs beyond the standard mount points: the block
     * root's mount point.
     */
    public static List<String> rootDirectories(VmConfig config) {
        return config.root() instanceof RootConfig.BlockDevice ? List.of(BLOCK_ROOT_MOUNT_POINT) : List.of();
    }

    /**
     * {@code /etc/resolv.conf} for a NullFs root on the user-mode network, naming slirp's DNS
     * forwarder, unless the spec's files give {@code /etc/resolv.conf} (or {@code /etc}) themselves.
     * The init's DHCP client finds the offered server already listed and leaves the read-only
     * virtual file alone; without it, a NullFs root would have no {@code /etc} to write one in.
     */
    public static Optional<VirtualFile> resolvConf(VmConfig config) {
        if (config.network().mode() != NetworkConfig.Mode.USER || !(config.root() instanceof RootConfig.NullFs)) {
            return Optional.empty();
        }
        for (VirtualFile f : config.files()) {
            if (f.guestPath().equals(RESOLV_CONF) || f.guestPath().equals("/etc")) {
                return Optional.empty();
            }
        }
        byte[] text = ("nameserver " + USER_NETWORK_DNS + "\n").getBytes(StandardCharsets.US_ASCII);
        return Optional.of(new VirtualFile(RESOLV_CONF, new VirtualFile.Content.Inline(text), 0644, false));
    }
}
