package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.VmmException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KernelProvider} on user-given kernel images and its cache rules; no network. */
class KernelProviderTest {

    @TempDir
    Path tmp;

    private Path cache() {
        return tmp.resolve("cache");
    }

    @Test
    void extractsABzImageOnceKeyedByItsContent() throws Exception {
        byte[] vmlinux = Fixtures.pvhVmlinux(3 << 20);
        Path image = tmp.resolve("bzImage");
        Files.write(image, Fixtures.lz4BzImage(vmlinux, "6.1.0-77-custom (me@host) #1 SMP", tmp));

        KernelProvider p = new KernelProvider(cache());
        BootKernel k = p.hostImage(image);
        String hash = HostKernelImage.sha256(Files.readAllBytes(image));
        assertThat(k.image()).isEqualTo(cache().toAbsolutePath().resolve("kernel/host").resolve(hash).resolve("vmlinux"));
        assertThat(Files.readAllBytes(k.image())).isEqualTo(vmlinux);
        assertThat(k.modules()).isEmpty();
        assertThat(k.release()).isEqualTo("6.1.0-77-custom");
        assertThat(p.processesStarted()).isZero();

        // Second call: the same file, a cache hit (same path, not rewritten).
        long mtime = Files.getLastModifiedTime(k.image()).toMillis();
        BootKernel again = new KernelProvider(cache()).hostImage(image);
        assertThat(again).isEqualTo(k);
        assertThat(Files.getLastModifiedTime(again.image()).toMillis()).isEqualTo(mtime);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void noticesAnImageReplacedInPlace() throws Exception {
        Path image = tmp.resolve("bzImage");
        byte[] first = Fixtures.pvhVmlinux(100_000);
        Files.write(image, Fixtures.lz4BzImage(first, "6.1.0-1 #1", tmp));
        Files.setLastModifiedTime(image, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        KernelProvider p = new KernelProvider(cache());
        assertThat(Files.readAllBytes(p.hostImage(image).image())).isEqualTo(first);
        try (Stream<Path> memos = Files.list(cache().resolve("kernel/host/by-stat"))) {
            assertThat(memos.toList()).singleElement().satisfies(m -> assertThat(Files.readString(m))
                    .isEqualTo(HostKernelImage.sha256(Files.readAllBytes(image)) + " 6.1.0-1\n"));
        }

        byte[] second = Fixtures.pvhVmlinux(100_001);
        Files.write(image, Fixtures.lz4BzImage(second, "6.1.0-2 #1", tmp));
        Files.setLastModifiedTime(image, java.nio.file.attribute.FileTime.fromMillis(1_000_000_001_000L));
        BootKernel k = p.hostImage(image);
        assertThat(Files.readAllBytes(k.image())).isEqualTo(second);
        assertThat(k.release()).isEqualTo("6.1.0-2");
    }

    @Test
    void usesAnElfVmlinuxAsItIs() throws Exception {
        Path vmlinux = tmp.resolve("vmlinux");
        Files.write(vmlinux, Fixtures.pvhVmlinux(1000));
        BootKernel k = new KernelProvider(cache()).hostImage(vmlinux);
        assertThat(k.image()).isEqualTo(vmlinux.toAbsolutePath());
        assertThat(k.modules()).isEmpty();
        assertThat(Files.exists(cache())).as("nothing cached for an ELF").isFalse();
    }

    @Test
    void rejectsAnElfWithoutThePvhNote() throws Exception {
        Path vmlinux = tmp.resolve("vmlinux");
        Files.write(vmlinux, Fixtures.executableWithNotes(List.of(), 100));
        assertThatThrownBy(() -> new KernelProvider(cache()).hostImage(vmlinux))
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("without the PVH entry note")
                .hasMessageContaining("CONFIG_PVH=y")
                .hasMessageNotContaining("\n");
    }

    @Test
    void bootsABzImageItCannotExtractAsItIs() throws Exception {
        byte[] zstd = Fixtures.concat(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 1, 2, 3, 4}, Fixtures.le32(1 << 20));
        Path image = tmp.resolve("vmlinuz-zstd");
        Files.write(image, Fixtures.bzImage(30, 0x300, zstd, "6.8.0-1-generic #1"));
        BootKernel k = new KernelProvider(cache()).hostImage(image);
        assertThat(k.image()).isEqualTo(image.toAbsolutePath());
        assertThat(k.release()).isEqualTo("6.8.0-1-generic");
        // The decision is cached too.
        String hash = HostKernelImage.sha256(Files.readAllBytes(image));
        assertThat(cache().resolve("kernel/host").resolve(hash).resolve("use-bzimage")).isRegularFile();
        assertThat(new KernelProvider(cache()).hostImage(image)).isEqualTo(k);
    }

    @Test
    void bootsABzImageWhoseKernelHasNoPvhNoteAsItIs() throws Exception {
        byte[] vmlinux = Fixtures.executableWithNotes(List.of(), 10_000);
        Path image = tmp.resolve("bzImage-nopvh");
        Files.write(image, Fixtures.lz4BzImage(vmlinux, "5.10.0 #1", tmp));
        assertThat(new KernelProvider(cache()).hostImage(image).image()).isEqualTo(image.toAbsolutePath());
    }

    @Test
    void explainsUnusableFiles() throws Exception {
        Path missing = tmp.resolve("no-such-kernel");
        assertThatThrownBy(() -> new KernelProvider(cache()).hostImage(missing))
                .isInstanceOf(KernelException.class)
                .hasMessage("kernel image " + missing + " does not exist or is not a regular file")
                .extracting(e -> ((VmmException) e).kind()).isEqualTo(VmmException.Kind.BAD_CONFIGURATION);
        Path text = tmp.resolve("README");
        Files.writeString(text, "not a kernel at all, just some words to fill more than sixty-four bytes of file ".repeat(20));
        assertThatThrownBy(() -> new KernelProvider(cache()).hostImage(text))
                .isInstanceOf(KernelException.class).hasMessageContaining("neither an ELF vmlinux nor an x86 bzImage");
        Path corrupt = tmp.resolve("corrupt-bzImage");
        byte[] data = Fixtures.kernelLikeData(200_000, 4);
        byte[] lz = Fixtures.lz4Legacy(data, tmp);
        for (int i = 40; i < lz.length - 8; i++) {
            lz[i] = (byte) 0xff;
        }
        Files.write(corrupt, Fixtures.bzImage(30, 0x200, Fixtures.concat(lz, Fixtures.le32(data.length)), "x"));
        assertThatThrownBy(() -> new KernelProvider(cache()).hostImage(corrupt))
                .isInstanceOf(KernelException.class).hasMessageContaining("corrupt LZ4 block");
        assertThat(leftovers()).as("a failed fill leaves no staging directory").isEmpty();
    }

    @Test
    void replacesAnUnusableEntryAndCleansWhatACrashLeft() throws Exception {
        byte[] vmlinux = Fixtures.pvhVmlinux(50_000);
        Path image = tmp.resolve("bzImage");
        Files.write(image, Fixtures.lz4BzImage(vmlinux, "6.1.0-1 #1", tmp));
        String hash = HostKernelImage.sha256(Files.readAllBytes(image));
        Path entry = cache().resolve("kernel/host").resolve(hash);
        Files.createDirectories(entry.resolve("junk"));
        Files.createDirectories(cache().resolve("kernel/.staging-host-crashed/x"));
        Files.createDirectories(cache().resolve("kernel/.work-crashed"));

        BootKernel k = new KernelProvider(cache()).hostImage(image);
        assertThat(Files.readAllBytes(k.image())).isEqualTo(vmlinux);
        assertThat(entry.resolve("junk")).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void concurrentProcessesFillTheCacheOnce() throws Exception {
        // Big enough that the fills would overlap without the lock (checked: without it this fails).
        byte[] vmlinux = Fixtures.pvhVmlinux(24 << 20);
        Path image = tmp.resolve("bzImage");
        Files.write(image, Fixtures.lz4BzImage(vmlinux, "6.1.0-2 #1", tmp));
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ps.add(ProviderMain.command("host", cache().toString(), image.toString()).start());
        }
        List<String> lines = new ArrayList<>();
        for (Process p : ps) {
            lines.add(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        String expected = cache().toAbsolutePath().resolve("kernel/host")
                .resolve(HostKernelImage.sha256(Files.readAllBytes(image))).resolve("vmlinux").toString();
        assertThat(lines).allSatisfy(l -> assertThat(l).isEqualTo("OK " + expected + " 0"));
        assertThat(Files.readAllBytes(Path.of(expected))).isEqualTo(vmlinux);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void saysAptGetUpdateIsNeededWhenThePackageListsAreEmpty() throws Exception {
        // A real apt with empty package lists, through APT_CONFIG, in a child JVM.
        Path lists = Files.createDirectories(tmp.resolve("apt/lists/partial"));
        Path aptCache = Files.createDirectories(tmp.resolve("apt/cache/archives/partial"));
        Path conf = tmp.resolve("apt/apt.conf");
        Files.writeString(conf, "Dir::State::Lists \"" + lists.getParent() + "\";\nDir::Cache \"" + aptCache.getParent().getParent() + "\";\n");
        ProcessBuilder pb = ProviderMain.command("dist", cache().toString());
        pb.environment().put("APT_CONFIG", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("ERROR the package lists do not know linux-image-cloud-amd64 (are they empty?):"
                + " run `sudo apt-get update`, with Debian's main archive in the apt sources");
    }

    @Test
    void parsesTheMetapackagesDependency() {
        Matcher m = DistributionKernel.DEPENDS_IMAGE.matcher("Package: linux-image-cloud-amd64\nVersion: 6.1.192-2\n"
                + "Provides: linux-latest-modules-6.1.0-56-cloud-amd64\n"
                + "Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)\nDescription: Linux\n");
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).isEqualTo("linux-image-6.1.0-56-cloud-amd64");
        assertThat(m.group(2)).isEqualTo("6.1.0-56-cloud-amd64");
        assertThat(m.group(3)).isEqualTo("6.1.192-2");
        Matcher unpinned = DistributionKernel.DEPENDS_IMAGE.matcher("Depends: linux-image-6.1.0-9-cloud-amd64\n");
        assertThat(unpinned.find()).isTrue();
        assertThat(unpinned.group(3)).isNull();
    }

    @Test
    void condensesToolErrorsToOneLine() {
        assertThat(Subprocess.summary("W: Download is performed unsandboxed\nE: Failed to fetch http://x 404\nE: Some files failed\n"))
                .isEqualTo("Failed to fetch http://x 404; Some files failed");
        assertThat(Subprocess.summary("dpkg-deb: error: 'x.deb' is not a Debian format archive\n"))
                .isEqualTo("dpkg-deb: error: 'x.deb' is not a Debian format archive");
        assertThat(Subprocess.summary("")).isEqualTo("no error output");
    }

    @Test
    void defaultCacheDirFollowsXdgCacheHome() throws Exception {
        assertThat(defaultCacheDirWith("/var/tmp/xdg")).isEqualTo("/var/tmp/xdg/krunctl");
        String home = System.getProperty("user.home");
        assertThat(defaultCacheDirWith("relative/ignored")).isEqualTo(home + "/.cache/krunctl");
        assertThat(defaultCacheDirWith(null)).isEqualTo(home + "/.cache/krunctl");
    }

    private static String defaultCacheDirWith(String xdg) throws Exception {
        ProcessBuilder pb = ProviderMain.command("default-cache-dir");
        if (xdg == null) {
            pb.environment().remove("XDG_CACHE_HOME");
        } else {
            pb.environment().put("XDG_CACHE_HOME", xdg);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** Temporary entries of the cache that should not survive a finished call. */
    private List<Path> leftovers() throws IOException {
        Path k = cache().resolve("kernel");
        if (!Files.isDirectory(k)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(k)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".") && !n.equals(".lock");
            }).toList();
        }
    }
}
