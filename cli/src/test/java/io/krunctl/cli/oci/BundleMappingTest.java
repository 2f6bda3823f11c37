package io.krunctl.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.NetworkConfig;
import io.krunctl.vmm.config.ProcessConfig;
import io.krunctl.vmm.config.Rlimit;
import io.krunctl.vmm.config.RootConfig;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config.json that podman 4.3.1 wrote on this machine for {@code podman create -v /tmp/vol:/data:ro
 * --tmpfs /scratch:size=64m -u 1000:100 -e FOO=bar -w /etc --ulimit nofile=1234:2345 --hostname
 * caphost --read-only}, with its paths pointed at a temporary bundle, mapped to the VM krunctl
 * boots; and what a VM cannot honour, refused with a reason.
 */
class BundleMappingTest {
    private static final String ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path bundle;

    private Path rootfs;
    private Path volume;
    private Path userdata;

    @BeforeEach
    void bundleLikePodmans() throws IOException {
        rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        volume = Files.createDirectories(bundle.resolve("vol"));
        userdata = Files.createDirectories(bundle.resolve("userdata"));
        Files.createDirectories(userdata.resolve("shm"));
        for (String f : List.of("passwd", "group", "hostname", "hosts")) {
            Files.writeString(userdata.resolve(f), f + " from podman\n");
        }
        Files.writeString(userdata.resolve("resolv.conf"), "nameserver 192.0.2.53");
        String json;
        try (var in = BundleMappingTest.class.getResourceAsStream("/oci/podman-config.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(bundle.resolve("config.json"), json.replace("@ROOT@", rootfs.toString())
                .replace("@VOL@", volume.toString()).replace("@USERDATA@", userdata.toString()));
    }

    private BundleMapping.Container mapped() throws OciException {
        return BundleMapping.map(OciConfig.read(bundle.resolve("config.json")), bundle, ID);
    }

    @Test
    void podmansProcessBecomesTheWorkloadWithItsUserEnvironmentDirectoryAndLimits() throws Exception {
        ProcessConfig p = mapped().vm().process();

        assertThat(p.args()).containsExactly("sh", "-c", "echo hi");
        assertThat(p.env()).containsEntry("FOO", "bar").containsEntry("HOSTNAME", "caphost")
                .containsEntry("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assertThat(p.workdir()).isEqualTo("/etc");
        assertThat(p.user()).contains(new ProcessConfig.User(1000, 100, List.of(100L), OptionalInt.of(18)));
        assertThat(p.rlimits()).containsExactly(new Rlimit(Rlimit.Resource.NOFILE, 1234, 2345),
                new Rlimit(Rlimit.Resource.NPROC, 1048576, 1048576));
    }

    @Test
    void theMachineIsPodmansRootReadOnlyWithItsHostnameAndTheDefaultSize() throws Exception {
        VmConfig vm = mapped().vm();

        assertThat(vm.root()).isInstanceOf(RootConfig.Dir.class);
        RootConfig.Dir root = (RootConfig.Dir) vm.root();
        assertThat(root.path()).isEqualTo(rootfs);
        assertThat(root.readOnly()).as("--read-only").isTrue();
        assertThat(vm.hostname()).isEqualTo("caphost");
        assertThat(vm.cpus()).isEqualTo(1);
        assertThat(vm.memoryBytes()).isEqualTo(512 * VmConfig.MIB);
        assertThat(vm.network().mode()).as("podman's bridge namespace").isEqualTo(NetworkConfig.Mode.USER);
        assertThat(mapped().terminal()).isFalse();
    }

    @Test
    void boundFilesBecomeVirtualFilesAndBoundDirectoriesAndTmpfsBecomeMounts() throws Exception {
        VmConfig vm = mapped().vm();

        assertThat(vm.files()).extracting(VirtualFile::guestPath)
                .containsExactlyInAnyOrder("/etc/passwd", "/etc/group", "/etc/hostname", "/etc/resolv.conf", "/etc/hosts");
        assertThat(vm.files()).filteredOn(f -> f.guestPath().equals("/etc/hosts")).singleElement()
                .satisfies(f -> assertThat(f.content()).isEqualTo(new VirtualFile.Content.HostFile(userdata.resolve("hosts"))));
        assertThat(vm.mounts()).contains(
                new MountConfig.VirtioFs(volume, "/data", true, io.krunctl.virtiofs.fs.CachePolicy.AUTO),
                new MountConfig.Tmpfs("/scratch", OptionalLong.of(64L << 20)),
                new MountConfig.Tmpfs("/tmp", OptionalLong.empty()));
        assertThat(vm.mounts()).extracting(MountConfig::destination).as("what the guest init mounts itself")
                .doesNotContain("/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys/fs/cgroup");
    }

    @Test
    void resolvConfKeepsTheEnginesServersFirstAndAddsTheUserNetworksForwarder() throws Exception {
        VirtualFile resolv = mapped().vm().files().stream().filter(f -> f.guestPath().equals("/etc/resolv.conf"))
                .findFirst().orElseThrow();

        assertThat(new String(((VirtualFile.Content.Inline) resolv.content()).bytes(), StandardCharsets.UTF_8))
                .isEqualTo("nameserver 192.0.2.53\nnameserver 10.0.2.3\n");
    }

    @Test
    void annotationsSizeTheVm() throws Exception {
        edit(json -> json.replace("\"annotations\": {", "\"annotations\": {\n    \"krunctl.cpus\": \"2\",\n"
                + "    \"krunctl.memory\": \"1Gi\","));

        VmConfig vm = mapped().vm();
        assertThat(vm.cpus()).isEqualTo(2);
        assertThat(vm.memoryBytes()).isEqualTo(1024 * VmConfig.MIB);
    }

    @Test
    void podmansMemoryAndCpuLimitsSizeTheVmWithoutAnnotations() throws Exception {
        edit(json -> json.replace("\"resources\": {", "\"resources\": {\n      \"memory\": {\"limit\": 805306368},\n"
                + "      \"cpu\": {\"quota\": 150000, \"period\": 100000},"));

        VmConfig vm = mapped().vm();
        assertThat(vm.memoryBytes()).isEqualTo(768 * VmConfig.MIB);
        assertThat(vm.cpus()).as("1.5 CPUs round up").isEqualTo(2);
    }

    @Test
    void aBadAnnotationIsRefusedNamingIt() throws Exception {
        edit(json -> json.replace("\"annotations\": {", "\"annotations\": {\n    \"krunctl.memory\": \"lots\","));

        assertThatThrownBy(this::mapped).isInstanceOf(OciException.class)
                .hasMessageStartingWith("annotation krunctl.memory=\"lots\": expected a size like 256Mi");
    }

    @Test
    void networkNoneMeansNoNetworkDevice() throws Exception {
        edit(json -> json.replace("\"type\": \"network\",\n        \"path\": \"/run/netns/netns-test\"",
                "\"type\": \"network\""));

        assertThat(mapped().vm().network()).isEqualTo(NetworkConfig.none());
    }

    @Test
    void whatAVmCannotHonourIsRefusedWithTheKeyAndTheReason() throws Exception {
        edit(json -> json.replace("\"destination\": \"/scratch\",\n      \"type\": \"tmpfs\"",
                "\"destination\": \"/scratch\",\n      \"type\": \"nfs\""));
        assertThatThrownBy(this::mapped).isInstanceOf(OciException.class)
                .hasMessage("mounts: /scratch: a mount of type \"nfs\" cannot be made in a VM; krunctl mounts"
                        + " directories (bind) and tmpfs");
    }

    @Test
    void hostDevicesAndHooksAreRefused() throws Exception {
        edit(json -> json.replace("\"namespaces\": [", "\"devices\": [{\"path\": \"/dev/sda\", \"type\": \"b\"}],\n"
                + "    \"namespaces\": ["));
        assertThatThrownBy(this::mapped).hasMessageStartingWith("linux.devices: /dev/sda: host devices cannot be"
                + " passed into a VM");

        bundleLikePodmans();
        edit(json -> json.replace("\"ociVersion\"", "\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\"}]},\n"
                + "  \"ociVersion\""));
        assertThatThrownBy(this::mapped).hasMessageStartingWith("config.json: hooks are not supported");
    }

    @Test
    void aMissingBindSourceOrRootIsRefused() throws Exception {
        Files.delete(volume);
        assertThatThrownBy(this::mapped).hasMessage("mounts: /data: the bind source " + volume + " does not exist");

        bundleLikePodmans();
        Files.delete(rootfs);
        assertThatThrownBy(this::mapped).hasMessage("config.json: root.path " + rootfs + " is not a directory");
    }

    @Test
    void envEntriesMustBeAssignmentsAndTheCwdAbsolute() throws Exception {
        edit(json -> json.replace("\"FOO=bar\"", "\"FOO\""));
        assertThatThrownBy(this::mapped).hasMessage("process.env[3] \"FOO\" is not NAME=VALUE");

        bundleLikePodmans();
        edit(json -> json.replace("\"cwd\": \"/etc\"", "\"cwd\": \"etc\""));
        assertThatThrownBy(this::mapped).hasMessage("process.cwd \"etc\" is not an absolute path");
    }

    @Test
    void unknownRlimitsAndUsersWithoutIdsAreRefused() throws Exception {
        edit(json -> json.replace("RLIMIT_NPROC", "RLIMIT_BOGUS"));
        assertThatThrownBy(this::mapped).hasMessageStartingWith("process.rlimits: unknown type \"RLIMIT_BOGUS\"");

        bundleLikePodmans();
        edit(json -> json.replace("\"uid\": 1000,", ""));
        assertThatThrownBy(this::mapped).hasMessage("process.user: uid and gid are required");
    }

    @Test
    void unlimitedIsTheLargestUnsignedNumber() throws Exception {
        edit(json -> json.replace("\"hard\": 1048576", "\"hard\": 18446744073709551615"));

        assertThat(mapped().vm().process().rlimits()).contains(new Rlimit(Rlimit.Resource.NPROC, 1048576,
                Rlimit.UNLIMITED));
    }

    @Test
    void tmpfsSizesFollowTheKernelsSuffixes() {
        assertThat(BundleMapping.tmpfsSize(List.of("rw", "size=65536k"))).hasValue(64L << 20);
        assertThat(BundleMapping.tmpfsSize(List.of("size=2G"))).hasValue(2L << 30);
        assertThat(BundleMapping.tmpfsSize(List.of("size=4096"))).hasValue(4096);
        assertThat(BundleMapping.tmpfsSize(List.of("mode=1777"))).isEmpty();
    }

    @Test
    void theVmIsNamedAfterTheShortId() throws Exception {
        assertThat(mapped().vm().name()).isEqualTo("oci-0123456789ab");
    }

    private void edit(java.util.function.UnaryOperator<String> change) throws IOException {
        Path config = bundle.resolve("config.json");
        String before = Files.readString(config);
        String after = change.apply(before);
        assertThat(after).as("the edit applies").isNotEqualTo(before);
        Files.writeString(config, after);
    }
}
