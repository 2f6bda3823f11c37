package io.krunctl.vmm.qemu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The QEMU command line for one krunctl VM.
 *
 * <p>The machine is {@code -M pc}: under TCG it boots the distribution's kernel faster than
 * {@code microvm} (which cannot calibrate its TSC there). Guest RAM is a shared memfd so that the
 * virtio-fs device in the krunctl process can map it. Every socket is a unix socket that krunctl
 * listens on before QEMU starts, so QEMU connects as a client and nothing races. {@code -nodefaults}
 * keeps out the VGA card, NIC and serial port a workload never asked for, and
 * {@code -no-reboot} turns the init's final reboot into QEMU's exit.
 *
 * <p>The virtio-serial bus carries the console on port 0 ({@code hvc0}), the workload's stdio on
 * {@code krun-stdin}/{@code krun-stdout}/{@code krun-stderr} (absent when the console is the user's
 * terminal) and host-to-guest control messages on {@code krun-control}.
 *
 * @param qemu         the QEMU executable
 * @param name         VM name, shown in process listings
 * @param accelerator  KVM or TCG
 * @param cpus         virtual CPUs
 * @param memoryMiB    guest RAM in MiB
 * @param kernel       the kernel image given to {@code -kernel}
 * @param initramfs    the initramfs, when the kernel needs modules loaded
 * @param kernelArgs   the kernel command line
 * @param sockets      where krunctl listens for QEMU's connections
 * @param console      where the guest console (hvc0) goes
 * @param devices      the disks and the network card
 * @param shares       the virtio-fs devices of the spec's mounts, after the root device
 */
public record QemuCommand(
        Path qemu,
        String name,
        Accelerator accelerator,
        int cpus,
        long memoryMiB,
        Path kernel,
        Optional<Path> initramfs,
        String kernelArgs,
        Sockets sockets,
        Console console,
        GuestDevices devices,
        List<VirtioFsShare> shares) {

    /** The virtio-fs tag of the root device, as libkrun names it. */
    public static final String ROOT_TAG = "/dev/root";

    /** The QOM path of the virtio-serial device, for the {@code x-query-virtio-*} QMP commands. */
    public static final String SERIAL_QOM_PATH = "/machine/peripheral/serial0/virtio-backend";
    /** virtio-serial port numbers; port 0 is the console. */
    public static final int CONSOLE_PORT = 0;
    public static final int STDIN_PORT = 1;
    public static final int STDOUT_PORT = 2;
    public static final int STDERR_PORT = 3;
    public static final int CONTROL_PORT = 4;
    /** The guest agent's port ({@code krun-agent}), when the VM serves exec. */
    public static final int AGENT_PORT = 5;
    /** The guest port name of the control channel. */
    public static final String CONTROL_PORT_NAME = "krun-control";
    /**
     * The QEMU device id of the control port. A port device with an id makes QEMU report the guest
     * opening it ({@code VSERPORT_CHANGE}); the init opens this one as it starts the workload.
     */
    public static final String CONTROL_DEVICE_ID = "control-port";

    /**
     * The unix sockets krunctl serves for one VM.
     *
     * @param stdio the three stdio ports' sockets; empty when the console is the workload's terminal
     */
    public record Sockets(Path rootFs, Path qmp, Path control, Optional<StdioSockets> stdio, Optional<Path> agent) {
        /** Without the agent's port. */
        public Sockets(Path rootFs, Path qmp, Path control, Optional<StdioSockets> stdio) {
            this(rootFs, qmp, control, stdio, Optional.empty());
        }
    }

    /** The sockets of the {@code krun-stdin}, {@code krun-stdout} and {@code krun-stderr} ports. */
    public record StdioSockets(Path stdin, Path stdout, Path stderr) {}

    /** Where the guest console goes. */
    public sealed interface Console {
        /** Into a file: kernel and init messages, nothing to relay. */
        record ToFile(Path log) implements Console {}

        /**
         * To a socket krunctl relays (to the user's terminal, or live to stderr), with QEMU also
         * writing what it passes on to {@code log} when given.
         */
        record ToSocket(Path socket, Optional<Path> log) implements Console {}
    }

    /** A VM without disks and without a network. */
    public QemuCommand(Path qemu, String name, Accelerator accelerator, int cpus, long memoryMiB, Path kernel,
            Optional<Path> initramfs, String kernelArgs, Sockets sockets, Console console) {
        this(qemu, name, accelerator, cpus, memoryMiB, kernel, initramfs, kernelArgs, sockets, console,
                GuestDevices.NONE);
    }

    /** A VM without virtio-fs devices besides the root. */
    public QemuCommand(Path qemu, String name, Accelerator accelerator, int cpus, long memoryMiB, Path kernel,
            Optional<Path> initramfs, String kernelArgs, Sockets sockets, Console console, GuestDevices devices) {
        this(qemu, name, accelerator, cpus, memoryMiB, kernel, initramfs, kernelArgs, sockets, console, devices,
                List.of());
    }

    /**
     * One more virtio-fs device, served by krunctl like the root's.
     *
     * @param tag    the tag the guest mounts it by
     * @param socket the vhost-user socket krunctl listens on
     */
    public record VirtioFsShare(String tag, Path socket) {
        public VirtioFsShare {
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(socket, "socket");
            if (!tag.matches("[A-Za-z0-9_.-]{1,36}")) {
                throw new IllegalArgumentException("unusable virtio-fs tag: " + tag);
            }
        }
    }

    public QemuCommand {
        shares = List.copyOf(shares);
        Objects.requireNonNull(devices, "devices");
        Objects.requireNonNull(qemu, "qemu");
        Objects.requireNonNull(initramfs, "initramfs");
        Objects.requireNonNull(console, "console");
        if (cpus < 1 || memoryMiB < 1) {
            throw new IllegalArgumentException("cpus and memory must be positive");
        }
    }

    /**
     * The virtqueue on which the guest sends the bytes of virtio-serial port {@code port} to the
     * host. QEMU's multiport layout: port 0 has queues 0 (to the guest) and 1 (from it), the control
     * queues are 2 and 3, port N from 1 on has 2N+2 and 2N+3.
     */
    public static int transmitQueue(int port) {
        if (port < 0) {
            throw new IllegalArgumentException("port " + port);
        }
        return port == 0 ? 1 : 2 * port + 3;
    }

    public List<String> argv() {
        List<String> a = new ArrayList<>(64);
        a.add(qemu.toString());
        a.addAll(List.of("-name", "krunctl-" + name + ",process=krunctl-" + name));
        a.addAll(List.of("-machine", "pc"));
        a.addAll(accelerator.qemuArgs());
        a.addAll(List.of("-smp", Integer.toString(cpus), "-m", memoryMiB + "M"));
        a.addAll(List.of("-object", "memory-backend-memfd,id=mem,size=" + memoryMiB + "M,share=on",
                "-numa", "node,memdev=mem"));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
                "-serial", "none", "-parallel", "none", "-monitor", "none", "-no-reboot"));
        a.addAll(List.of("-kernel", kernel.toString()));
        initramfs.ifPresent(p -> a.addAll(List.of("-initrd", p.toString())));
        a.addAll(List.of("-append", kernelArgs));

        a.addAll(List.of("-chardev", "socket,id=rootfs,path=" + optionValue(sockets.rootFs()),
                "-device", "vhost-user-fs-pci,chardev=rootfs,tag=" + ROOT_TAG + ",queue-size=1024"));
        for (int i = 0; i < shares.size(); i++) {
            VirtioFsShare share = shares.get(i);
            a.addAll(List.of("-chardev", "socket,id=share" + i + ",path=" + optionValue(share.socket()),
                    "-device", "vhost-user-fs-pci,chardev=share" + i + ",tag=" + share.tag() + ",queue-size=1024"));
        }
        a.addAll(devices.args());

        a.addAll(List.of("-device", "virtio-serial-pci,id=serial0,max_ports=8"));
        String consoleChardev = switch (console) {
            case Console.ToFile f -> "file,id=console,path=" + optionValue(f.log());
            case Console.ToSocket s -> "socket,id=console,path=" + optionValue(s.socket())
                    + s.log().map(log -> ",logfile=" + optionValue(log)).orElse("");
        };
        a.addAll(List.of("-chardev", consoleChardev,
                "-device", "virtconsole,chardev=console,bus=serial0.0,nr=" + CONSOLE_PORT));
        sockets.stdio().ifPresent(stdio -> {
            addPort(a, "stdin", stdio.stdin(), STDIN_PORT, "krun-stdin");
            addPort(a, "stdout", stdio.stdout(), STDOUT_PORT, "krun-stdout");
            addPort(a, "stderr", stdio.stderr(), STDERR_PORT, "krun-stderr");
        });
        a.addAll(List.of("-chardev", "socket,id=control,path=" + optionValue(sockets.control()),
                "-device", "virtserialport,chardev=control,id=" + CONTROL_DEVICE_ID + ",bus=serial0.0,nr="
                        + CONTROL_PORT + ",name=" + CONTROL_PORT_NAME));

        sockets.agent().ifPresent(agent -> addPort(a, "agent", agent, AGENT_PORT, "krun-agent"));

        a.addAll(List.of("-chardev", "socket,id=qmp,path=" + optionValue(sockets.qmp()),
                "-mon", "chardev=qmp,mode=control"));
        return List.copyOf(a);
    }

    /** QEMU's option parser splits on commas; a literal comma in a value is written twice. */
    static String optionValue(Path path) {
        return path.toString().replace(",", ",,");
    }

    private static void addPort(List<String> a, String id, Path socket, int nr, String name) {
        a.addAll(List.of("-chardev", "socket,id=" + id + ",path=" + optionValue(socket),
                "-device", "virtserialport,chardev=" + id + ",bus=serial0.0,nr=" + nr + ",name=" + name));
    }
}
