package io.krunctl.vmm.fsdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The virtual entries of the root device when the root is a host directory and mounts are given. */
class RootEntriesOfSharesTest {
    @TempDir
    Path dir;

    private static VmConfig config(RootConfig root, List<VirtualFile> files, List<MountConfig> mounts) {
        return VmConfig.builder("t", root, new ProcessConfig(List.of("/bin/true"), Map.of(), "/")).files(files)
                .mounts(mounts).build();
    }

    @Test
    void mountPointsTheDirectoryHasAreNotShadowedMountDestinationsAlwaysExist() throws Exception {
        Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(dir.resolve("proc"));
        VmConfig config = config(new RootConfig.Dir(dir, true, CachePolicy.AUTO),
                List.of(new VirtualFile("/etc/hostname", new VirtualFile.Content.Inline("vm1\n".getBytes()), 0644,
                        false)),
                List.of(new MountConfig.VirtioFs(dir, "/srv/data", true, CachePolicy.AUTO),
                        new MountConfig.Tmpfs("/tmp", OptionalLong.of(VmConfig.MIB))));

        Map<String, VirtualEntry> entries = RootEntries.of(config, new byte[] {1}, new byte[] {2});

        assertThat(entries).containsKeys("init.krun", ".krun_config.json", ".krun_agent", "sys", "etc", "srv", "tmp")
                .doesNotContainKeys("dev", "proc");
        assertThat(((VirtualEntry.Directory) entries.get("srv")).children()).containsOnlyKeys("data");
        assertThat(((VirtualEntry.Directory) entries.get("etc")).children()).containsOnlyKeys("hostname");
        String json = text((VirtualEntry.File) entries.get(".krun_config.json"));
        assertThat(json).contains("\"krunctl_root_read_only\":true",
                "{\"type\":\"virtiofs\",\"source\":\"krunctl-mnt0\",\"destination\":\"/srv/data\",\"options\":\"ro\"}",
                "{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/tmp\",\"options\":\"size=1048576\"}");
    }

    @Test
    void aNullFsRootOffersEveryMountPoint() throws Exception {
        Map<String, VirtualEntry> entries = RootEntries.of(config(new RootConfig.NullFs(), List.of(), List.of()),
                new byte[] {1}, new byte[] {2});

        assertThat(entries).containsKeys("dev", "proc", "sys");
        assertThat(text((VirtualEntry.File) entries.get(".krun_config.json"))).doesNotContain("krunctl_");
    }

    @Test
    void aMountsFilesLieInItsDeviceAtTheirPathsInsideTheShareNotOnTheRoot() throws Exception {
        Files.writeString(dir.resolve("tool"), "tool bytes");
        MountConfig.VirtioFs mount = new MountConfig.VirtioFs(dir, "/srv/app", false, CachePolicy.AUTO, false, List.of(
                new VirtualFile("/srv/app/conf/app.ini", new VirtualFile.Content.Inline("debug=1\n".getBytes()), 0600,
                        true),
                new VirtualFile("/srv/app/bin/tool", new VirtualFile.Content.HostFile(dir.resolve("tool")), 0755,
                        false)));

        Map<String, VirtualEntry> entries = RootEntries.ofMount(mount);

        assertThat(entries).containsOnlyKeys("conf", "bin");
        VirtualEntry.File ini = (VirtualEntry.File) ((VirtualEntry.Directory) entries.get("conf")).children()
                .get("app.ini");
        assertThat(text(ini)).isEqualTo("debug=1\n");
        assertThat(ini.mode()).isEqualTo(0600);
        assertThat(ini.oneShot()).isTrue();
        assertThat(text((VirtualEntry.File) ((VirtualEntry.Directory) entries.get("bin")).children().get("tool")))
                .isEqualTo("tool bytes");
        // The root device only carries the mount point.
        Map<String, VirtualEntry> root = RootEntries.of(config(new RootConfig.NullFs(), List.of(), List.of(mount)),
                new byte[] {1}, new byte[] {2});
        assertThat(((VirtualEntry.Directory) ((VirtualEntry.Directory) root.get("srv")).children().get("app"))
                .children()).isEmpty();
    }

    @Test
    void aMountsFileMustLieInsideItsDestination() {
        VirtualFile outside = new VirtualFile("/etc/app.ini", new VirtualFile.Content.Inline(new byte[0]), 0644, false);
        assertThatThrownBy(() -> new MountConfig.VirtioFs(dir, "/srv", false, CachePolicy.AUTO, false, List.of(outside)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/etc/app.ini");
    }

    private static String text(VirtualEntry.File file) {
        return new String(file.data().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
