package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OwnKernel} finds what kernel/build.sh leaves in the cache, and only a finished entry. */
class OwnKernelTest {

    @TempDir
    Path cache;

    @Test
    void theEntryNamedByCurrentIsBooted() throws Exception {
        Path entry = Files.createDirectories(cache.resolve("kernel/own/0123456789abcdef"));
        Files.writeString(entry.resolve("vmlinux"), "ELF");
        Files.writeString(entry.resolve("release"), "6.1.192\n");
        Files.writeString(cache.resolve("kernel/own/current"), "0123456789abcdef\n");

        assertThat(OwnKernel.find(cache)).contains(new BootKernel(entry.resolve("vmlinux"), List.of(), "6.1.192"));
    }

    @Test
    void nothingBuiltMeansNoKernel() throws Exception {
        assertThat(OwnKernel.find(cache)).isEmpty();

        // A build that never finished: a staging directory and no current pointer.
        Path staging = Files.createDirectories(cache.resolve("kernel/own/.staging-0123456789abcdef-42"));
        Files.writeString(staging.resolve("vmlinux"), "half");
        assertThat(OwnKernel.find(cache)).isEmpty();
    }

    @Test
    void aPointerToAMissingOrMalformedEntryMeansNoKernel() throws Exception {
        Files.createDirectories(cache.resolve("kernel/own"));
        Files.writeString(cache.resolve("kernel/own/current"), "0123456789abcdef\n");
        assertThat(OwnKernel.find(cache)).isEmpty();

        Path entry = Files.createDirectories(cache.resolve("kernel/own/x"));
        Files.writeString(entry.resolve("vmlinux"), "ELF");
        Files.writeString(cache.resolve("kernel/own/current"), "../own/x\n");
        assertThat(OwnKernel.find(cache)).isEmpty();
    }

    @Test
    void anUnreadableReleaseIsUnknown() throws Exception {
        Path entry = Files.createDirectories(cache.resolve("kernel/own/0123456789abcdef"));
        Files.writeString(entry.resolve("vmlinux"), "ELF");
        Files.writeString(cache.resolve("kernel/own/current"), "0123456789abcdef");

        assertThat(OwnKernel.find(cache).orElseThrow().release()).isEqualTo("unknown");
    }
}
