package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.vmm.initramfs.InitramfsBuilder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: fetches Debian's real cloud kernel package with apt into an empty cache, twice at once,
 * then hits the cache. Needs apt, dpkg-deb and a reachable Debian mirror; runs by default, and
 * {@code -DexcludedGroups=network} leaves it out.
 */
@Tag("network")
class DistributionKernelTest {

    @TempDir
    Path tmp;

    @Test
    void fetchesExtractsAndCachesTheCloudKernel() throws Exception {
        Path cache = tmp.resolve("cache");

        // Two providers (as two `krunctl run`s would be) race on an empty cache: one fills, one waits.
        KernelProvider a = new KernelProvider(cache);
        KernelProvider b = new KernelProvider(cache);
        long t0 = System.nanoTime();
        BootKernel k;
        try (ExecutorService ex = Executors.newFixedThreadPool(2)) {
            Future<BootKernel> fa = ex.submit((Callable<BootKernel>) a::distributionKernel);
            Future<BootKernel> fb = ex.submit((Callable<BootKernel>) b::distributionKernel);
            k = fa.get();
            assertThat(fb.get()).isEqualTo(k);
        }
        long fetchMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(List.of(a.processesStarted(), b.processesStarted()))
                .as("apt-cache show, apt-get download and dpkg-deb ran once in all")
                .containsExactlyInAnyOrder(0, 3);

        // The kernel: an ELF vmlinux with the PVH entry note, in the cache layout.
        assertThat(k.release()).matches("\\d+\\.\\d+\\.\\d+-\\d+-cloud-amd64");
        Path entry = cache.toAbsolutePath().resolve("kernel").resolve(k.release());
        assertThat(k.image()).isEqualTo(entry.resolve("vmlinux"));
        assertThat(Files.size(k.image())).isGreaterThan(10L << 20);
        try (Elf elf = Elf.open(k.image())) {
            assertThat(elf.hasPvhNote()).as("XEN_ELFNOTE_PHYS32_ENTRY (18) note").isTrue();
            assertThat(HostKernelImage.elfRelease(elf)).isEqualTo(k.release());
        }
        assertThat(Files.readString(cache.resolve("kernel/current-linux-image-cloud-amd64")).strip()).isEqualTo(k.release());
        assertThat(Files.readString(entry.resolve("manifest")))
                .contains("package=linux-image-" + k.release() + "\n", "image=vmlinux\n");

        // The modules, in an order where every module follows what its real .modinfo depends on.
        List<String> names = k.modules().stream().map(KernelModules::nameOf).toList();
        System.out.println("module load order: " + String.join(" ", names));
        assertThat(names).contains("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                "virtio_pci", "fuse", "virtiofs", "virtio_console", "virtio_blk", "failover", "net_failover",
                "virtio_net").doesNotHaveDuplicates();
        assertThat(names.indexOf("virtio_ring")).isLessThan(names.indexOf("virtio"));
        assertThat(names.indexOf("fuse")).isLessThan(names.indexOf("virtiofs"));
        for (Path ko : k.modules()) {
            assertThat(ko.getParent()).isEqualTo(entry.resolve("modules"));
            KernelModules.Modinfo info = KernelModules.modinfo(ko);
            assertThat(info.first("name")).hasValue(KernelModules.nameOf(ko));
            for (String dep : info.depends()) {
                assertThat(names.indexOf(dep)).as(dep + " before " + ko.getFileName())
                        .isBetween(0, names.indexOf(KernelModules.nameOf(ko)) - 1);
            }
        }
        assertThat(leftovers(cache)).isEmpty();

        // Second run: a cache hit, no process started.
        KernelProvider c = new KernelProvider(cache);
        long t1 = System.nanoTime();
        BootKernel hit = c.distributionKernel();
        long hitUs = (System.nanoTime() - t1) / 1_000;
        assertThat(hit).isEqualTo(k);
        assertThat(c.processesStarted()).isZero();

        // The extracted vmlinux is also usable as a user-given kernel, as it is.
        long t2 = System.nanoTime();
        BootKernel asHost = c.hostImage(k.image());
        long hostMs = (System.nanoTime() - t2) / 1_000_000;
        assertThat(asHost.image()).isEqualTo(k.image());
        assertThat(asHost.release()).isEqualTo(k.release());

        // And the initramfs from the real modules.
        byte[] init = Fixtures.kernelLikeData(1_100_000, 11);
        Path cpio = tmp.resolve("initramfs.cpio");
        List<Long> buildUs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long t3 = System.nanoTime();
            InitramfsBuilder.write(cpio, init, hit.modules());
            buildUs.add((System.nanoTime() - t3) / 1_000);
        }
        System.out.printf("distribution kernel %s: first fetch %d ms, cache hit %d us, host-ELF check %d ms,"
                        + " initramfs (%d bytes) builds in us %s%n",
                k.release(), fetchMs, hitUs, hostMs, Files.size(cpio), buildUs);
    }

    @Test
    void aFailedDownloadSaysWhatToDoAndLeavesNoHalfCache() throws Exception {
        // The real package lists, but every fetch goes through a proxy that refuses connections.
        Path conf = tmp.resolve("apt.conf");
        Files.writeString(conf, "Acquire::http::Proxy \"http://127.0.0.1:9\";\nAcquire::https::Proxy \"http://127.0.0.1:9\";\n"
                + "Acquire::Retries \"0\";\n");
        Path cache = tmp.resolve("cache");
        ProcessBuilder pb = ProviderMain.command("dist", cache.toString());
        pb.environment().put("APT_CONFIG", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        System.out.println("failed-download message: " + out);
        assertThat(out).startsWith("ERROR cannot fetch the kernel package linux-image-")
                .contains(": apt-get download failed: ")
                .endsWith("; run `sudo apt-get update` and check that the Debian mirror is reachable")
                .doesNotContain("\n");
        assertThat(leftovers(cache)).isEmpty();
        try (var s = Files.list(cache.resolve("kernel"))) {
            assertThat(s.map(f -> f.getFileName().toString()).toList()).containsExactly(".lock");
        }
    }

    private static List<Path> leftovers(Path cache) throws Exception {
        try (var s = Files.list(cache.resolve("kernel"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(".") && !p.getFileName().toString().equals(".lock"))
                    .toList();
        }
    }
}
