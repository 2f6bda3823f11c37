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
 * @param qemu         the QEMU executable
 * @param name         VM name, shown in process listings
 * @param accelerator  KVM or TCG
 * @param cpus         virtual CPUs
 * @param memoryMiB    guest RAM in MiB
 * @param kernel       the kernel image given to {@code -kernel}
 * @param initramfs    the initramfs, when the kernel needs modules loaded
 * @param kernelArgs   the kernel command line
 * @param sockets      where krunctl listens for QEMU's connections
 * @param consoleLog   file receiving the guest console (kernel and init messages)
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
        Path consoleLog) {

    /** The virtio-fs tag of the root device, as libkrun names it. */
    public static final String ROOT_TAG = "/dev/root";

    /** The unix sockets krunctl serves for one VM. */
    public record Sockets(Path rootFs, Path qmp, Path stdin, Path stdout, Path stderr) {}

    public QemuCommand {
        Objects.requireNonNull(qemu, "qemu");
        Objects.requireNonNull(initramfs, "initramfs");
        if (cpus < 1 || memoryMiB < 1) {
            throw new IllegalArgumentException("cpus and memory must be positive");
        }
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

        // Port 0 of the virtio-serial bus is the console (hvc0); the named ports carry stdio.
        a.addAll(List.of("-device", "virtio-serial-pci,id=serial0,max_ports=8"));
        a.addAll(List.of("-chardev", "file,id=console,path=" + optionValue(consoleLog),
                "-device", "virtconsole,chardev=console,bus=serial0.0,nr=0"));
        addPort(a, "stdin", sockets.stdin(), 1);
        addPort(a, "stdout", sockets.stdout(), 2);
        addPort(a, "stderr", sockets.stderr(), 3);

        a.addAll(List.of("-chardev", "socket,id=qmp,path=" + optionValue(sockets.qmp()),
                "-mon", "chardev=qmp,mode=control"));
        return List.copyOf(a);
    }

    /** QEMU's option parser splits on commas; a literal comma in a value is written twice. */
    static String optionValue(Path path) {
        return path.toString().replace(",", ",,");
    }

    private static void addPort(List<String> a, String stream, Path socket, int nr) {
        a.addAll(List.of("-chardev", "socket,id=" + stream + ",path=" + optionValue(socket),
                "-device", "virtserialport,chardev=" + stream + ",bus=serial0.0,nr=" + nr
                        + ",name=krun-" + stream));
    }
}
