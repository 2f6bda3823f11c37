package io.krunctl.vmm.fsdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.ResourceLimits;
import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.qemu.Accelerator;
import io.krunctl.vmm.qemu.GuestDevices;
import io.krunctl.vmm.qemu.QemuCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsDevicesTest {
    @TempDir
    Path dir;

    private static VmConfig config(RootConfig root, List<MountConfig> mounts) {
        return VmConfig.builder("t", root, new ProcessConfig(List.of("/bin/true"), Map.of(), "/")).mounts(mounts)
                .build();
    }

    @Test
    void virtioFsMountsAreNumberedInOrderTmpfsMountsNot() {
        List<MountConfig> mounts = List.of(
                new MountConfig.Tmpfs("/tmp", OptionalLong.empty()),
                new MountConfig.VirtioFs(dir.resolve("a"), "/a", false, CachePolicy.AUTO),
                new MountConfig.VirtioFs(dir.resolve("b"), "/b", true, CachePolicy.NEVER));

        List<FsDevices.Share> shares = FsDevices.shares(config(new RootConfig.NullFs(), mounts), Path.of("/run/k"));

        assertThat(shares).extracting(FsDevices.Share::tag).containsExactly("krunctl-mnt0", "krunctl-mnt1");
        assertThat(shares).extracting(FsDevices.Share::socket)
                .containsExactly(Path.of("/run/k/mnt0.sock"), Path.of("/run/k/mnt1.sock"));
        assertThat(shares.get(1).mount().destination()).isEqualTo("/b");
    }

    @Test
    void eachShareIsAVhostUserFsDeviceAfterTheRoot() {
        QemuCommand.Sockets sockets = new QemuCommand.Sockets(Path.of("/run/k/rootfs.sock"), Path.of("/run/k/qmp.sock"),
                Path.of("/run/k/control.sock"), Optional.empty());
        List<String> argv = new QemuCommand(Path.of("/usr/bin/qemu-system-x86_64"), "t", Accelerator.TCG, 1, 256,
                Path.of("/k/vmlinux"), Optional.empty(), "quiet", sockets,
                new QemuCommand.Console.ToFile(Path.of("/run/k/console.log")), GuestDevices.NONE,
                List.of(new QemuCommand.VirtioFsShare("krunctl-mnt0", Path.of("/run/k/mnt0,x.sock")),
                        new QemuCommand.VirtioFsShare("krunctl-mnt1", Path.of("/run/k/mnt1.sock")))).argv();

        int root = argv.indexOf("vhost-user-fs-pci,chardev=rootfs,tag=/dev/root,queue-size=1024");
        int first = argv.indexOf("vhost-user-fs-pci,chardev=share0,tag=krunctl-mnt0,queue-size=1024");
        int second = argv.indexOf("vhost-user-fs-pci,chardev=share1,tag=krunctl-mnt1,queue-size=1024");
        assertThat(root).isPositive().isLessThan(first);
        assertThat(first).isLessThan(second);
        assertThat(argv).contains("socket,id=share0,path=/run/k/mnt0,,x.sock", "socket,id=share1,path=/run/k/mnt1.sock");
    }

    @Test
    void sharesSplitTheOpenFileLimitBeyondWhatTheDevicesKeepForThemselves() {
        assertThat(FsDevices.descriptorBudget(20_000, 1)).isEqualTo(20_000 - 1024);
        assertThat(FsDevices.descriptorBudget(20_000, 3)).isEqualTo((20_000 - 1024) / 3);
        assertThat(FsDevices.descriptorBudget(1024, 2)).as("a floor however low the limit").isEqualTo(64);
        assertThat(FsDevices.descriptorBudget(io.krunctl.nativeio.ResourceLimits.INFINITY, 2))
                .isEqualTo(io.krunctl.virtiofs.fs.PassthroughConfig.UNBOUNDED);
    }

    @Test
    void tagsMustBeUsable() {
        assertThatThrownBy(() -> new QemuCommand.VirtioFsShare("a,b", Path.of("/s")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QemuCommand.VirtioFsShare("x".repeat(37), Path.of("/s")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRootDirectoryLacksOnlyWhatItDoesNotHave() throws Exception {
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("sys"), "a file, not a directory");
        Files.createSymbolicLink(dir.resolve("dev"), dir.resolve("proc"));
        RootConfig root = new RootConfig.Dir(dir, false, CachePolicy.AUTO);

        assertThat(FsDevices.lacksDirectory(root, "proc")).isFalse();
        assertThat(FsDevices.lacksDirectory(root, "sys")).isTrue();
        assertThat(FsDevices.lacksDirectory(root, "dev")).as("a link is not followed").isTrue();
        assertThat(FsDevices.lacksDirectory(root, "tmp")).isTrue();
        assertThat(FsDevices.lacksDirectory(new RootConfig.NullFs(), "proc")).isTrue();
    }

    @Test
    void openingServesEveryDirectoryAndRaisesTheOpenFileLimit() throws Exception {
        Path rootDir = Files.createDirectories(dir.resolve("root"));
        Path data = Files.createDirectories(dir.resolve("data"));
        VmConfig config = config(new RootConfig.Dir(rootDir, true, CachePolicy.ALWAYS),
                List.of(new MountConfig.VirtioFs(data, "/data", false, CachePolicy.NEVER)));
        List<FsDevices.Share> shares = FsDevices.shares(config, dir);

        try (FsDevices devices = FsDevices.open(config, shares, Map.of(), code -> {})) {
            assertThat(devices.shares()).isEqualTo(shares);
            devices.listen(dir.resolve("rootfs.sock"), failure -> {}, (share, why) -> {});
            assertThat(dir.resolve("rootfs.sock")).exists();
            assertThat(dir.resolve("mnt0.sock")).exists();
            devices.close();
            assertThat(dir.resolve("rootfs.sock")).as("closed: the sockets are gone").doesNotExist();
            assertThat(dir.resolve("mnt0.sock")).doesNotExist();
        }
        ResourceLimits.Limit limit = ResourceLimits.get(ResourceLimits.RLIMIT_NOFILE);
        assertThat(limit.soft()).isEqualTo(limit.hard());
    }

    @Test
    void aMissingOrNonDirectoryShareIsABadConfiguration() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        VmConfig missingRoot = config(new RootConfig.Dir(dir.resolve("nope"), false, CachePolicy.AUTO), List.of());
        VmConfig fileMount = config(new RootConfig.NullFs(),
                List.of(new MountConfig.VirtioFs(dir.resolve("file"), "/d", false, CachePolicy.AUTO)));

        assertThatThrownBy(() -> FsDevices.open(missingRoot, List.of(), Map.of(), code -> {}))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.kind()).isEqualTo(VmmException.Kind.BAD_CONFIGURATION);
                    assertThat(e.getMessage()).isEqualTo("cannot share " + dir.resolve("nope")
                            + " as the root directory: No such file or directory");
                });
        assertThatThrownBy(() -> FsDevices.open(fileMount, FsDevices.shares(fileMount, dir), Map.of(), code -> {}))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("cannot share " + dir.resolve("file") + " as the directory for /d: not a directory"));
    }
}
