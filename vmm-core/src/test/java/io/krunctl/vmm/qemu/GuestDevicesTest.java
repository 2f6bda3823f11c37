package io.krunctl.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.NetworkConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestDevicesTest {

    @Test
    void noDisksNoNetworkNoArguments() {
        assertThat(GuestDevices.NONE.args()).isEmpty();
    }

    @Test
    void eachDiskIsARawDriveOnItsOwnVirtioBlkDeviceInOrder() {
        GuestDevices d = new GuestDevices(List.of(new Disk(Path.of("/img/root.ext4"), false),
                new Disk(Path.of("/img/a,b.img"), true)), NetworkConfig.none());

        assertThat(d.args()).containsExactly(
                "-drive", "file=/img/root.ext4,format=raw,if=none,id=disk0,readonly=off,cache=writeback",
                "-device", "virtio-blk-pci,drive=disk0",
                "-drive", "file=/img/a,,b.img,format=raw,if=none,id=disk1,readonly=on,cache=writeback",
                "-device", "virtio-blk-pci,drive=disk1");
    }

    @Test
    void userNetworkIsSlirpBehindVirtioNetWithLoopbackForwards() {
        GuestDevices d = new GuestDevices(List.of(), new NetworkConfig(NetworkConfig.Mode.USER, List.of(
                new NetworkConfig.PortForward(8080, 80), new NetworkConfig.PortForward("0.0.0.0", 2222, 22))));

        assertThat(d.args()).containsExactly(
                "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:0.0.0.0:2222-:22",
                "-device", "virtio-net-pci,netdev=net0");
    }

    @Test
    void theCommandLineCarriesTheDevicesAfterTheRootDevice() {
        QemuCommand.Sockets sockets = new QemuCommand.Sockets(Path.of("/run/root.sock"), Path.of("/run/qmp.sock"),
                Path.of("/run/control.sock"), java.util.Optional.empty());
        List<String> argv = new QemuCommand(Path.of("/usr/bin/qemu-system-x86_64"), "t", Accelerator.TCG, 1, 256,
                Path.of("/k/vmlinux"), java.util.Optional.empty(), "quiet", sockets,
                new QemuCommand.Console.ToFile(Path.of("/run/console.log")),
                new GuestDevices(List.of(new Disk(Path.of("/img/root.ext4"), false)),
                        new NetworkConfig(NetworkConfig.Mode.USER, List.of()))).argv();

        int root = argv.indexOf("vhost-user-fs-pci,chardev=rootfs,tag=/dev/root,queue-size=1024");
        assertThat(root).isPositive();
        assertThat(argv.indexOf("virtio-blk-pci,drive=disk0")).isGreaterThan(root);
        assertThat(argv).contains("virtio-net-pci,netdev=net0");
        assertThat(argv).doesNotContain("-nic");
    }
}
