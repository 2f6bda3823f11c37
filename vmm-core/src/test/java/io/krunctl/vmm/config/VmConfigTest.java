package io.krunctl.vmm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.virtiofs.fs.CachePolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed configuration a Java caller builds without a spec. */
class VmConfigTest {
    private static final ProcessConfig TRUE = new ProcessConfig(List.of("/bin/true"), Map.of(), "/");

    @Test
    void theBuilderStartsFromTheSpecsDefaults() {
        VmConfig c = VmConfig.builder("app", new RootConfig.NullFs(), TRUE).build();

        assertThat(c.cpus()).isEqualTo(1);
        assertThat(c.memoryBytes()).isEqualTo(256 * VmConfig.MIB);
        assertThat(c.hostname()).as("the name").isEqualTo("app");
        assertThat(c.files()).isEmpty();
        assertThat(c.mounts()).isEmpty();
        assertThat(c.disks()).isEmpty();
        assertThat(c.network()).isEqualTo(NetworkConfig.none());
        assertThat(c.kernel()).as("krunctl's own, as in a spec").isEqualTo(new KernelChoice.Own());
    }

    @Test
    void toBuilderDerivesAnEqualConfigurationToChange() {
        VmConfig c = VmConfig.builder("app", new RootConfig.Dir(Path.of("/srv/root"), true, CachePolicy.NEVER), TRUE)
                .cpus(2).memoryMiB(512).hostname("box")
                .mounts(List.of(new MountConfig.Tmpfs("/tmp", java.util.OptionalLong.empty())))
                .build();

        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toBuilder().cpus(4).build()).isEqualTo(new VmConfig(c.name(), 4, c.memoryBytes(), c.root(),
                c.files(), c.mounts(), c.process(), c.hostname(), c.kernel(), c.disks(), c.network()));
    }

    @Test
    void theBuilderChecksWhatTheConstructorChecks() {
        assertThatThrownBy(() -> VmConfig.builder("app", new RootConfig.NullFs(), TRUE).cpus(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("cpus must be at least 1, got 0");
        assertThatThrownBy(() -> VmConfig.builder("app", new RootConfig.NullFs(), TRUE).memoryMiB(32).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 64 MiB");
    }
}
