package io.krunctl.vmm.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry of running VMs, on a real directory with real processes' pids. */
class VmRegistryTest {
    @TempDir
    Path dir;

    private VmRegistry registry() {
        return new VmRegistry(dir.resolve("krunctl"));
    }

    @Test
    void aClaimedNameIsFoundWithWhatAnExecNeedsAndGoneOnceReleased() throws Exception {
        VmRegistry registry = registry();
        try (VmRegistry.Claim claim = registry.claim("web", "/specs/web.yaml", Map.of("A", "1"), "/srv")) {
            VmRegistry.Entry found = registry.find("web");

            assertThat(found.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(found.alive()).isTrue();
            assertThat(found.env()).isEqualTo(Map.of("A", "1"));
            assertThat(found.workdir()).isEqualTo("/srv");
            assertThat(found.execSocket()).isEqualTo(dir.resolve("krunctl/web/exec.sock"));
            assertThat(registry.list()).extracting(VmRegistry.Entry::name).containsExactly("web");
            assertThat(claim.entry()).isEqualTo(found);
        }
        assertThatThrownBy(() -> registry.find("web")).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.kind()).isEqualTo(VmmException.Kind.NO_SUCH_VM));
        assertThat(registry.list()).isEmpty();
    }

    @Test
    void aLiveVmsNameCannotBeClaimedAgain() throws Exception {
        VmRegistry registry = registry();
        try (VmRegistry.Claim claim = registry.claim("web", "a.yaml", Map.of(), "/")) {
            assertThatThrownBy(() -> registry.claim("web", "b.yaml", Map.of(), "/"))
                    .isInstanceOfSatisfying(VmmException.class,
                            e -> assertThat(e.kind()).isEqualTo(VmmException.Kind.NAME_IN_USE))
                    .hasMessageContaining("a VM named web is already running");
        }
    }

    @Test
    void anEntryWhoseSupervisorDiedIsStaleListedAsGoneAndItsNameFreeAgain() throws Exception {
        VmRegistry registry = registry();
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        writeEntry("web", dead.pid(), 12345);

        assertThat(registry.list()).singleElement().satisfies(e -> assertThat(e.alive()).isFalse());
        try (VmRegistry.Claim claim = registry.claim("web", "new.yaml", Map.of(), "/")) {
            assertThat(registry.find("web").spec()).isEqualTo("new.yaml");
        }
    }

    @Test
    void aReusedPidIsNotTakenForTheSupervisor() throws Exception {
        VmRegistry registry = registry();
        long mine = ProcessHandle.current().pid();
        writeEntry("web", mine, ProcessIdentity.startTimeOf(mine).orElseThrow() + 1);

        assertThatThrownBy(() -> registry.find("web")).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.kind()).isEqualTo(VmmException.Kind.NO_SUCH_VM));
        assertThat(dir.resolve("krunctl/web")).as("the stale entry is cleaned").doesNotExist();
    }

    @Test
    void aDirectoryWithoutARecordIsLeftToItsMakerWhileYoungAndReclaimedWhenOld() throws Exception {
        VmRegistry registry = registry();
        Path half = Files.createDirectories(dir.resolve("krunctl/web"));

        assertThatThrownBy(() -> registry.claim("web", "a.yaml", Map.of(), "/"))
                .hasMessageContaining("is starting");
        Files.setLastModifiedTime(half, FileTime.from(Instant.now().minusSeconds(60)));
        try (VmRegistry.Claim claim = registry.claim("web", "a.yaml", Map.of(), "/")) {
            assertThat(registry.find("web").spec()).isEqualTo("a.yaml");
        }
    }

    @Test
    void aDetachedVmsEntryOutlivesItMarkedWithItsExitCode() throws Exception {
        VmRegistry registry = registry();
        try (VmRegistry.Claim claim = registry.claim("job", "job.yaml", Map.of(), "/", true)) {
            claim.markRunning();
            assertThat(registry.get("job").status()).isEqualTo(VmRegistry.Status.RUNNING);
            claim.markExited(7);
        }

        VmRegistry.Entry entry = registry.get("job");
        assertThat(entry.status()).isEqualTo(VmRegistry.Status.EXITED);
        assertThat(entry.exitCode()).isEqualTo(7);
        assertThat(entry.stdoutLog()).isEqualTo(dir.resolve("krunctl/job/stdout.log"));
    }

    @Test
    void onlyTheClaimantsChildMayAdoptAName() throws Exception {
        VmRegistry registry = registry();
        try (VmRegistry.Claim claim = registry.claim("job", "job.yaml", Map.of(), "/", true)) {
            assertThatThrownBy(() -> registry.adopt("job")).isInstanceOfSatisfying(VmmException.class,
                    e -> assertThat(e.kind()).isEqualTo(VmmException.Kind.NO_SUCH_VM))
                    .hasMessageContaining("not claimed by this process's parent");
            claim.discard();
        }
        assertThat(registry.list()).isEmpty();
    }

    private void writeEntry(String name, long pid, long startTime) throws Exception {
        Path d = Files.createDirectories(dir.resolve("krunctl").resolve(name));
        Files.writeString(d.resolve("vm.json"), "{\"name\":\"" + name + "\",\"pid\":" + pid + ",\"startTime\":"
                + startTime + ",\"spec\":\"old.yaml\",\"created\":\"2026-01-01T00:00:00Z\",\"workdir\":\"/\","
                + "\"env\":{},\"status\":\"RUNNING\",\"exitCode\":-1,\"detached\":false}");
    }
}
