package io.krunctl.vmm.fsdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.virtiofs.fs.VirtualEntry;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.InitChoice;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which {@code /init.krun} the root device serves for each {@link InitChoice}. */
class RootEntriesInitTest {
    @TempDir
    Path dir;

    private static VmConfig.Builder builder() {
        return VmConfig.builder("t", new RootConfig.NullFs(), new ProcessConfig(List.of("/bin/true"), Map.of(), "/"));
    }

    private static byte[] bytes(VirtualEntry entry) {
        return ((VirtualEntry.File) entry).data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void bundledServesTheGivenInit() throws Exception {
        Map<String, VirtualEntry> entries = RootEntries.of(builder().build(), new byte[] {1}, new byte[] {2});
        assertThat(bytes(entries.get("init.krun"))).containsExactly(1);
        assertThat(bytes(entries.get(".krun_agent"))).containsExactly(2);
    }

    @Test
    void aHostFileReplacesTheInitButNotTheAgent() throws Exception {
        Path init = Files.write(dir.resolve("my-init"), new byte[] {7, 8});
        Map<String, VirtualEntry> entries = RootEntries.of(builder().init(new InitChoice.HostFile(init)).build(),
                new byte[] {1}, new byte[] {2});
        assertThat(bytes(entries.get("init.krun"))).containsExactly(7, 8);
        assertThat(((VirtualEntry.File) entries.get("init.krun")).mode()).isEqualTo(0755);
        assertThat(((VirtualEntry.File) entries.get("init.krun")).oneShot()).as("a script is opened twice").isFalse();
        assertThat(bytes(entries.get(".krun_agent"))).containsExactly(2);
    }

    @Test
    void anUnreadableHostFileIsABadConfiguration() {
        VmConfig config = builder().init(new InitChoice.HostFile(dir.resolve("missing"))).build();
        assertThatThrownBy(() -> RootEntries.of(config, new byte[] {1}, new byte[] {2}))
                .isInstanceOf(VmmException.class).hasMessageContaining("missing").hasMessageContaining("the init");
    }

    @Test
    void disabledServesTheSpecsOwnFile() throws Exception {
        VmConfig config = builder().init(new InitChoice.Disabled()).files(List.of(new VirtualFile("/init.krun",
                new VirtualFile.Content.Inline(new byte[] {9}), 0755, false))).build();
        Map<String, VirtualEntry> entries = RootEntries.of(config, new byte[] {1}, new byte[] {2});
        assertThat(bytes(entries.get("init.krun"))).containsExactly(9);
        assertThat(entries).containsKey(".krun_agent");
    }

    @Test
    void disabledWithoutAFileIsRefused() {
        assertThatThrownBy(() -> builder().init(new InitChoice.Disabled()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/init.krun");
    }
}
