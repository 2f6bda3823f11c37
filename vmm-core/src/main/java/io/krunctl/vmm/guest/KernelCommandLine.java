package io.krunctl.vmm.guest;

import io.krunctl.nativeio.Terminal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
        return build(hostname, viaInitramfs, rootTag, verboseConsole, Optional.empty());
    }

    /**
     * As {@link #build(String, boolean, String, boolean)}, for a workload whose console is the user's
     * terminal: {@code KRUN_TTY_ROWS} and {@code KRUN_TTY_COLS} give the init the terminal's initial
     * window size (later changes travel on the control port).
     *
     * @param terminalSize the host terminal's size, when the console is connected to it
     */
    public static String build(String hostname, boolean viaInitramfs, String rootTag, boolean verboseConsole,
            Optional<Terminal.WindowSize> terminalSize) {
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("invalid host name: " + hostname);
        }
        List<String> args = new ArrayList<>();
        args.add("console=hvc0");
        args.add(verboseConsole ? "loglevel=7" : "quiet");
        if (verboseConsole) {
            // Timestamps show where boot time goes; bench/kernel.sh reads boot-to-init from them.
            args.add("printk.time=1");
        }
        // Reboot instead of hanging on a panic; with -no-reboot that ends QEMU.
        args.add("panic=-1");
        if (!viaInitramfs) {
            args.add("rootfstype=virtiofs");
            args.add("root=" + rootTag);
            args.add("rw");
            args.add("init=/init.krun");
        }
        args.add("HOSTNAME=" + hostname);
        terminalSize.ifPresent(size -> {
            args.add("KRUN_TTY_ROWS=" + size.rows());
            args.add("KRUN_TTY_COLS=" + size.cols());
        });
        return String.join(" ", args);
    }

    /**
     * {@code cmdline} telling the kernel not to calibrate the local APIC timer, which takes 0.1 to
     * 0.25 s of an emulated (TCG) boot; the PIT or HPET then drives the tick. For the kernels krunctl
     * provides (its own and Debian's), which were measured to boot and run with it; a user's kernel
     * is left as it is.
     */
    public static String withoutApicTimer(String cmdline) {
        return cmdline + " noapictimer";
    }

    /**
     * {@code cmdline} with environment variables for the init appended ({@link GuestEnvironment}).
     * Each item is {@code NAME=VALUE} with a value that is safe unquoted (printable ASCII, no space,
     * no {@code "}), or such a value wrapped in one pair of double quotes, which the kernel strips.
     *
     * @throws IllegalArgumentException if an item could split into more kernel parameters
     */
    public static String append(String cmdline, List<String> variables) {
        StringBuilder out = new StringBuilder(cmdline);
        for (String item : variables) {
            int eq = item.indexOf('=');
            String value = eq < 0 ? "" : item.substring(eq + 1);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (eq < 1 || !VARIABLE_NAME.matcher(item.substring(0, eq)).matches() || !isSafeUnquoted(value)) {
                throw new IllegalArgumentException("not safe on the kernel command line: " + item);
            }
            out.append(' ').append(item);
        }
        return out.toString();
    }

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Whether the kernel passes {@code value} on as one word: printable ASCII, no space, no quote. */
    public static boolean isSafeUnquoted(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c > '~' || c == '"') {
                return false;
            }
        }
        return true;
    }
}
