package io.krunctl.vmm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration records of disks, the network and resource limits. */
class DeviceConfigTest {

    @Test
    void disksAreNamedAsTheGuestKernelNamesVirtioBlockDevices() {
        assertThat(Disk.guestDevice(0)).isEqualTo("/dev/vda");
        assertThat(Disk.guestDevice(1)).isEqualTo("/dev/vdb");
        assertThat(Disk.guestDevice(25)).isEqualTo("/dev/vdz");
        assertThat(Disk.guestDevice(26)).isEqualTo("/dev/vdaa");
        assertThat(Disk.guestDevice(27)).isEqualTo("/dev/vdab");
        assertThatThrownBy(() -> new Disk(Path.of("relative.img"), false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rlimitItemsUseLinuxIdsAndUnsignedLimits() {
        assertThat(new Rlimit(Rlimit.Resource.NOFILE, 4096, 8192).krunItem()).isEqualTo("7=4096:8192");
        assertThat(new Rlimit(Rlimit.Resource.NPROC, 512, 512).krunItem()).isEqualTo("6=512:512");
        assertThat(new Rlimit(Rlimit.Resource.STACK, 8 << 20, Rlimit.UNLIMITED).krunItem())
                .isEqualTo("3=8388608:18446744073709551615");
        assertThat(Rlimit.Resource.RTTIME.id()).isEqualTo(15);
        assertThat(Rlimit.Resource.MSGQUEUE.key()).isEqualTo("msgqueue");
        assertThatThrownBy(() -> new Rlimit(Rlimit.Resource.NOFILE, Rlimit.UNLIMITED, 1))
                .hasMessage("nofile: the soft limit 18446744073709551615 is above the hard limit 1");
    }

    @Test
    void aProcessHasAtMostOneLimitPerResource() {
        List<Rlimit> twice = List.of(new Rlimit(Rlimit.Resource.CORE, 0, 0), new Rlimit(Rlimit.Resource.CORE, 1, 1));
        assertThatThrownBy(() -> new ProcessConfig(List.of("/bin/sh"), Map.of(), "/", twice))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new ProcessConfig(List.of("/bin/sh"), Map.of(), "/").rlimits()).isEmpty();
    }

    @Test
    void forwardsNeedTheUserNetworkAndDistinctHostPorts() {
        NetworkConfig.PortForward web = new NetworkConfig.PortForward(8080, 80);
        assertThat(web.hostAddress()).isEqualTo("127.0.0.1");
        assertThatThrownBy(() -> new NetworkConfig(NetworkConfig.Mode.NONE, List.of(web)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NetworkConfig(NetworkConfig.Mode.USER,
                List.of(web, new NetworkConfig.PortForward("0.0.0.0", 8080, 81))))
                .hasMessage("host port 8080 is forwarded twice");
        assertThatThrownBy(() -> new NetworkConfig.PortForward("localhost", 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NetworkConfig.PortForward(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NetworkConfig.PortForward(1, 65536)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBlockRootIsTheFirstDisk() {
        Disk root = new Disk(Path.of("/img/root.ext4"), false);
        Disk extra = new Disk(Path.of("/img/extra.img"), true);
        VmConfig c = VmConfig.builder("t", new RootConfig.BlockDevice(root, java.util.Optional.empty(), ""),
                new ProcessConfig(List.of("/bin/sh"), Map.of(), "/")).disks(List.of(extra)).build();

        assertThat(c.allDisks()).containsExactly(root, extra);
        assertThat(c.disks()).containsExactly(extra);
    }
}
