package io.krunctl.initblob;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InitBlobTest {
    private static final int PT_INTERP = 3;

    private static java.util.List<Integer> programHeaderTypes(byte[] elf) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        java.util.List<Integer> types = new java.util.ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            types.add(b.getInt((int) (phoff + (long) i * phentsize)));
        }
        return types;
    }

    private static void assertStaticX8664Executable(byte[] binary) {
        assertThat(binary.length).as("size").isGreaterThan(64 * 1024);
        assertThat(Arrays.copyOf(binary, 4)).as("ELF magic").containsExactly(0x7f, 'E', 'L', 'F');
        assertThat(binary[4]).as("64-bit class").isEqualTo((byte) 2);
        int machine = (binary[18] & 0xff) | (binary[19] & 0xff) << 8;
        assertThat(machine).as("e_machine x86-64").isEqualTo(62);
        assertThat(programHeaderTypes(binary)).as("no PT_INTERP: the guest root may have no dynamic loader")
                .doesNotContain(PT_INTERP);
    }

    @Test
    void bundledBinaryIsAStaticX8664Executable() {
        assertStaticX8664Executable(InitBlob.bundled());
    }

    @Test
    void bundledAgentIsAStaticX8664Executable() {
        byte[] agent = InitBlob.bundledAgent();

        assertStaticX8664Executable(agent);
        assertThat(agent).as("a binary of its own").isNotEqualTo(InitBlob.bundled());
    }
}
