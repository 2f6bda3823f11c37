package io.krunctl.virtiofs.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class VirtualEntryTest {
    @Test
    void modesKeepPermissionBitsOnly() {
        assertThat(VirtualEntry.file(new byte[0], Linux.S_IFREG | 04755, false).mode()).isEqualTo(04755);
        assertThat(VirtualEntry.directory(Map.of(), Linux.S_IFDIR | 0755).mode()).isEqualTo(0755);
    }

    @Test
    void fileDataIsACopyAndReadOnly() {
        byte[] data = {1, 2, 3};
        VirtualEntry.File file = VirtualEntry.file(data, 0644, true);
        data[0] = 9;

        assertThat(file.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
        assertThat(file.data().isReadOnly()).isTrue();
        assertThat(file.oneShot()).isTrue();
    }

    @Test
    void childrenMustBeSinglePathComponents() {
        VirtualEntry leaf = VirtualEntry.file(new byte[0], 0644, false);
        for (String bad : new String[] {"", ".", "..", "a/b"}) {
            assertThatThrownBy(() -> VirtualEntry.directory(Map.of(bad, leaf), 0755))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void childrenAreOrderedByName() {
        VirtualEntry leaf = VirtualEntry.file(new byte[0], 0644, false);

        VirtualEntry.Directory dir = VirtualEntry.directory(Map.of("b", leaf, "a", leaf, "c", leaf), 0755);

        assertThat(dir.children().keySet()).containsExactly("a", "b", "c");
    }
}
