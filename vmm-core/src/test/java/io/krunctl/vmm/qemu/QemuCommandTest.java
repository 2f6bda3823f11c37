package io.krunctl.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandTest {
    private static final QemuCommand.StdioSockets STDIO = new QemuCommand.StdioSockets(Path.of("/run/k/in.sock"),
            Path.of("/run/k/out.sock"), Path.of("/run/k/err.sock"));
    private static final QemuCommand.Sockets SOCKETS = new QemuCommand.Sockets(Path.of("/run/k/root,fs.sock"),
            Path.of("/run/k/qmp.sock"), Path.of("/run/k/control.sock"), Optional.of(STDIO));
    private static final QemuCommand.Console CONSOLE_FILE = new QemuCommand.Console.ToFile(Path.of("/run/k/console.log"));

    private static List<String> argv(Optional<Path> initramfs) {
        return argv(initramfs, SOCKETS, CONSOLE_FILE);
    }

    private static List<String> argv(Optional<Path> initramfs, QemuCommand.Sockets sockets, QemuCommand.Console console) {
        return new QemuCommand(Path.of("/usr/bin/qemu-system-x86_64"), "hello", Accelerator.TCG, 2, 256,
                Path.of("/cache/vmlinux"), initramfs, "console=hvc0 quiet", sockets, console)
                .argv();
    }

    /** The value following {@code option} each time it occurs. */
    private static List<String> values(List<String> argv, String option) {
        return java.util.stream.IntStream.range(0, argv.size() - 1)
                .filter(i -> argv.get(i).equals(option)).mapToObj(i -> argv.get(i + 1)).toList();
    }

    @Test
    void guestRamIsASharedMemfdOfTheRequestedSize() {
        List<String> a = argv(Optional.empty());

        assertThat(values(a, "-m")).containsExactly("256M");
        assertThat(values(a, "-object")).containsExactly("memory-backend-memfd,id=mem,size=256M,share=on");
        assertThat(values(a, "-numa")).containsExactly("node,memdev=mem");
        assertThat(values(a, "-smp")).containsExactly("2");
    }

    @Test
    void rootDeviceIsVhostUserFsWithTheLibkrunTagAndCommasEscaped() {
        List<String> a = argv(Optional.empty());

        assertThat(values(a, "-chardev")).contains("socket,id=rootfs,path=/run/k/root,,fs.sock");
        assertThat(values(a, "-device")).contains("vhost-user-fs-pci,chardev=rootfs,tag=/dev/root,queue-size=1024");
    }

    @Test
    void stdioTravelsOnNamedPortsAndTheConsoleGoesToAFile() {
        List<String> a = argv(Optional.empty());

        assertThat(values(a, "-device")).contains(
                "virtconsole,chardev=console,bus=serial0.0,nr=0",
                "virtserialport,chardev=stdin,bus=serial0.0,nr=1,name=krun-stdin",
                "virtserialport,chardev=stdout,bus=serial0.0,nr=2,name=krun-stdout",
                "virtserialport,chardev=stderr,bus=serial0.0,nr=3,name=krun-stderr",
                "virtserialport,chardev=control,id=control-port,bus=serial0.0,nr=4,name=krun-control");
        assertThat(values(a, "-chardev")).contains("file,id=console,path=/run/k/console.log",
                "socket,id=stdout,path=/run/k/out.sock", "socket,id=control,path=/run/k/control.sock");
        assertThat(a).as("no QEMU output may reach the workload's stdout")
                .contains("-nodefaults", "-no-reboot").doesNotContain("-nographic", "stdio");
    }

    @Test
    void aTerminalConsoleGoesToASocketAndTheStdioPortsAreLeftOut() {
        QemuCommand.Sockets noStdio = new QemuCommand.Sockets(SOCKETS.rootFs(), SOCKETS.qmp(), SOCKETS.control(),
                Optional.empty());
        List<String> a = argv(Optional.empty(), noStdio,
                new QemuCommand.Console.ToSocket(Path.of("/run/k/console.sock"), Optional.empty()));

        assertThat(values(a, "-chardev")).contains("socket,id=console,path=/run/k/console.sock");
        assertThat(String.join(" ", a)).doesNotContain("krun-stdin", "krun-stdout", "krun-stderr")
                .contains("name=krun-control");
    }

    @Test
    void aStreamedConsoleIsStillLoggedByQemu() {
        List<String> a = argv(Optional.empty(), SOCKETS,
                new QemuCommand.Console.ToSocket(Path.of("/run/k/console.sock"), Optional.of(Path.of("/tmp/c,1.log"))));

        assertThat(values(a, "-chardev")).contains("socket,id=console,path=/run/k/console.sock,logfile=/tmp/c,,1.log");
    }

    @Test
    void transmitQueuesFollowQemusMultiportLayout() {
        assertThat(QemuCommand.transmitQueue(QemuCommand.CONSOLE_PORT)).isEqualTo(1);
        assertThat(QemuCommand.transmitQueue(QemuCommand.STDIN_PORT)).isEqualTo(5);
        assertThat(QemuCommand.transmitQueue(QemuCommand.STDOUT_PORT)).isEqualTo(7);
        assertThat(QemuCommand.transmitQueue(QemuCommand.STDERR_PORT)).isEqualTo(9);
    }

    @Test
    void initramfsOnlyWhenGiven() {
        assertThat(values(argv(Optional.empty()), "-initrd")).isEmpty();
        assertThat(values(argv(Optional.of(Path.of("/run/k/initramfs.cpio"))), "-initrd"))
                .containsExactly("/run/k/initramfs.cpio");
    }
}
