package io.krunctl.vmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.vmm.config.Disk;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GuestEnvironmentTest {
    private static final Disk ROOT_IMAGE = new Disk(Path.of("/images/root.ext4"), false);

    private static VmConfig config(RootConfig root, List<VirtualFile> files, List<Rlimit> rlimits, NetworkConfig network) {
        return VmConfig.builder("t", root, new ProcessConfig(List.of("/bin/sh"), Map.of(), "/", rlimits))
                .files(files).network(network).build();
    }

    private static VmConfig plain() {
        return config(new RootConfig.NullFs(), List.of(), List.of(), NetworkConfig.none());
    }

    @Test
    void aPlainVmNeedsNoVariablesDirectoriesOrFiles() {
        assertThat(GuestEnvironment.variables(plain())).isEmpty();
        assertThat(GuestEnvironment.rootDirectories(plain())).isEmpty();
        assertThat(GuestEnvironment.resolvConf(plain())).isEmpty();
    }

    @Test
    void blockRootIsTheFirstDiskWithItsFstypeAndOptions() {
        VmConfig c = config(new RootConfig.BlockDevice(ROOT_IMAGE, Optional.of("ext4"), "commit=60"), List.of(),
                List.of(), NetworkConfig.none());

        assertThat(GuestEnvironment.variables(c)).containsExactly("KRUN_BLOCK_ROOT_DEVICE=/dev/vda",
                "KRUN_BLOCK_ROOT_FSTYPE=ext4", "KRUN_BLOCK_ROOT_OPTIONS=commit=60");
        assertThat(GuestEnvironment.rootDirectories(c)).containsExactly("/newroot");
    }

    @Test
    void probingLeavesTheFstypeOutAndReadOnlyAsksForRo() {
        VmConfig probe = config(new RootConfig.BlockDevice(ROOT_IMAGE, Optional.empty(), ""), List.of(), List.of(),
                NetworkConfig.none());
        VmConfig auto = config(new RootConfig.BlockDevice(ROOT_IMAGE, Optional.of("auto"), ""), List.of(), List.of(),
                NetworkConfig.none());
        Disk readOnly = new Disk(ROOT_IMAGE.path(), true);
        VmConfig ro = config(new RootConfig.BlockDevice(readOnly, Optional.empty(), ""), List.of(), List.of(),
                NetworkConfig.none());
        VmConfig roWithOptions = config(new RootConfig.BlockDevice(readOnly, Optional.empty(), "errors=continue"),
                List.of(), List.of(), NetworkConfig.none());

        assertThat(GuestEnvironment.variables(probe)).containsExactly("KRUN_BLOCK_ROOT_DEVICE=/dev/vda");
        assertThat(GuestEnvironment.variables(auto)).containsExactly("KRUN_BLOCK_ROOT_DEVICE=/dev/vda");
        assertThat(GuestEnvironment.variables(ro)).containsExactly("KRUN_BLOCK_ROOT_DEVICE=/dev/vda",
                "KRUN_BLOCK_ROOT_OPTIONS=ro");
        assertThat(GuestEnvironment.variables(roWithOptions)).containsExactly("KRUN_BLOCK_ROOT_DEVICE=/dev/vda",
                "KRUN_BLOCK_ROOT_OPTIONS=ro,errors=continue");
    }

    @Test
    void rlimitsAreLibkrunsQuotedNumericList() {
        VmConfig c = config(new RootConfig.NullFs(), List.of(), List.of(
                new Rlimit(Rlimit.Resource.NOFILE, 4096, 8192),
                new Rlimit(Rlimit.Resource.NPROC, 512, 512),
                new Rlimit(Rlimit.Resource.CORE, 0, Rlimit.UNLIMITED)), NetworkConfig.none());

        assertThat(GuestEnvironment.variables(c))
                .containsExactly("KRUN_RLIMITS=\"7=4096:8192,6=512:512,4=0:18446744073709551615\"");
        assertThat(KernelCommandLine.append("quiet", GuestEnvironment.variables(c)))
                .isEqualTo("quiet KRUN_RLIMITS=\"7=4096:8192,6=512:512,4=0:18446744073709551615\"");
    }

    @Test
    void aPid1WorkloadAsksTheInitToExecItInPlace() {
        ProcessConfig pid1 = new ProcessConfig(List.of("/sbin/init"), Map.of(), "/", List.of(), Optional.empty(), true);
        VmConfig c = VmConfig.builder("t", new RootConfig.NullFs(), pid1).build();

        assertThat(GuestEnvironment.variables(c)).containsExactly("KRUN_INIT_PID1=1");
    }

    @Test
    void userNetworkTurnsOnDhcpAndGivesANullFsRootAResolvConf() {
        NetworkConfig user = new NetworkConfig(NetworkConfig.Mode.USER, List.of());
        VmConfig c = config(new RootConfig.NullFs(), List.of(), List.of(), user);

        assertThat(GuestEnvironment.variables(c)).containsExactly("KRUN_DHCP=1");
        VirtualFile resolv = GuestEnvironment.resolvConf(c).orElseThrow();
        assertThat(resolv.guestPath()).isEqualTo("/etc/resolv.conf");
        assertThat(new String(((VirtualFile.Content.Inline) resolv.content()).bytes(), StandardCharsets.US_ASCII))
                .isEqualTo("nameserver 10.0.2.3\n");
        assertThat(resolv.oneShot()).isFalse();
    }

    @Test
    void theSpecsOwnResolvConfOrEtcFileWinsAndABlockRootHasItsOwnEtc() {
        NetworkConfig user = new NetworkConfig(NetworkConfig.Mode.USER, List.of());
        VirtualFile own = new VirtualFile("/etc/resolv.conf",
                new VirtualFile.Content.Inline("nameserver 1.1.1.1\n".getBytes(StandardCharsets.US_ASCII)), 0644, false);
        VirtualFile etcFile = new VirtualFile("/etc", new VirtualFile.Content.Inline(new byte[0]), 0644, false);

        assertThat(GuestEnvironment.resolvConf(config(new RootConfig.NullFs(), List.of(own), List.of(), user))).isEmpty();
        assertThat(GuestEnvironment.resolvConf(config(new RootConfig.NullFs(), List.of(etcFile), List.of(), user)))
                .isEmpty();
        assertThat(GuestEnvironment.resolvConf(config(new RootConfig.BlockDevice(ROOT_IMAGE, Optional.empty(), ""),
                List.of(), List.of(), user))).isEmpty();
    }
}
