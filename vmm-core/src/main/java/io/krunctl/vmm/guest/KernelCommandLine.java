package io.krunctl.vmm.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The guest kernel's command line. It carries only values that are safe unquoted (the host name, the
 * console); the workload's arguments, environment and working directory travel in
 * {@code /.krun_config.json} instead, where any byte is allowed, so a value with spaces or quotes
 * can never inject kernel parameters.
 */
public final class KernelCommandLine {
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62})");

    private KernelCommandLine() {}

    /**
     * @param hostname       the guest's host name
     * @param viaInitramfs   whether an initramfs's stage 0 mounts the root; otherwise the kernel
     *                       mounts the virtio-fs root itself and runs {@code /init.krun}
     * @param rootTag        the virtio-fs tag of the root device
     * @param verboseConsole whether kernel messages below warning level reach the console
     */
    public static String build(String hostname, boolean viaInitramfs, String rootTag, boolean verboseConsole) {
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("invalid host name: " + hostname);
        }
        List<String> args = new ArrayList<>();
        args.add("console=hvc0");
        args.add(verboseConsole ? "loglevel=7" : "quiet");
        // Reboot instead of hanging on a panic; with -no-reboot that ends QEMU.
        args.add("panic=-1");
        if (!viaInitramfs) {
            args.add("rootfstype=virtiofs");
            args.add("root=" + rootTag);
            args.add("rw");
            args.add("init=/init.krun");
        }
        args.add("HOSTNAME=" + hostname);
        return String.join(" ", args);
    }
}
