package io.krunctl.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.state.ProcessIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container records: exclusive ids, the OCI status derived from the supervisor's life, removal. */
class ContainerStoreTest {
    @TempDir
    Path root;

    @Test
    void anIdIsTakenUntilItsContainerIsRemoved() throws Exception {
        ContainerStore store = new ContainerStore(root);
        ContainerStore.Container c = store.create("c1", Path.of("/srv/b"), Map.of("k", "v"));

        assertThatThrownBy(() -> store.create("c1", Path.of("/srv/other"), Map.of()))
                .hasMessage("container c1 already exists; delete it first (krunctl delete c1)");
        assertThat(store.get("c1").bundle()).as("the failed create changed nothing").isEqualTo(Path.of("/srv/b"));

        store.remove(c);
        assertThat(store.find("c1")).isEmpty();
        assertThat(store.create("c1", Path.of("/srv/b"), Map.of()).id()).isEqualTo("c1");
    }

    @Test
    void theStatusFollowsTheSupervisorsLife() throws Exception {
        ContainerStore store = new ContainerStore(root);
        ContainerStore.Container c = store.create("c2", Path.of("/srv/b"), Map.of());
        assertThat(store.get("c2").status()).isEqualTo(ContainerStore.Status.CREATING);

        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            ProcessIdentity supervisor = ProcessIdentity.of(child.pid()).orElseThrow();
            store.update(c.with(ContainerStore.Phase.CREATED, Optional.of(supervisor), Optional.empty()));
            assertThat(store.get("c2").status()).isEqualTo(ContainerStore.Status.CREATED);

            store.update(c.with(ContainerStore.Phase.STARTED, Optional.of(supervisor), Optional.empty()));
            assertThat(store.get("c2").status()).isEqualTo(ContainerStore.Status.RUNNING);
            assertThat(store.get("c2").supervisor()).contains(supervisor);

            child.destroyForcibly().waitFor();
            assertThat(store.get("c2").status()).isEqualTo(ContainerStore.Status.STOPPED);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aReusedPidIsNotTheSupervisor() throws Exception {
        ContainerStore store = new ContainerStore(root);
        ContainerStore.Container c = store.create("c3", Path.of("/srv/b"), Map.of());
        ProcessIdentity me = ProcessIdentity.current();

        store.update(c.with(ContainerStore.Phase.STARTED, Optional.of(new ProcessIdentity(me.pid(), me.startTime() + 1)),
                Optional.empty()));

        assertThat(store.get("c3").status()).isEqualTo(ContainerStore.Status.STOPPED);
    }

    @Test
    void idsAreCheckedBeforeAnythingIsMade() throws Exception {
        ContainerStore store = new ContainerStore(root);

        for (String bad : new String[] {"", "..", "a/b", "-x", "a b"}) {
            assertThatThrownBy(() -> store.create(bad, Path.of("/b"), Map.of())).as(bad)
                    .hasMessageContaining("is not a container id");
        }
        assertThat(Files.exists(root) ? Files.list(root).count() : 0).isZero();
        assertThat(store.find("../x")).isEmpty();
    }

    @Test
    void anUnknownIdDoesNotExist() {
        assertThatThrownBy(() -> new ContainerStore(root).get("nope")).hasMessage("container nope does not exist");
    }
}
