package io.krunctl.vmm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ELF reader, the .modinfo parser and the load-order computation, on synthetic ELF files. */
class KernelModulesTest {

    @TempDir
    Path tmp;

    /** Writes a module tree shaped like Debian's: kernel/<subdir>/<file>. */
    private Path tree(Map<String, String> fileToDepends) throws IOException {
        Path root = tmp.resolve("lib/modules/6.1.0-test");
        for (Map.Entry<String, String> e : fileToDepends.entrySet()) {
            Path f = root.resolve("kernel/drivers").resolve(e.getKey());
            Files.createDirectories(f.getParent());
            String name = KernelModules.nameOf(f);
            Files.write(f, Fixtures.module(name, e.getValue()));
        }
        return root;
    }

    /** The real dependencies of Debian 12's cloud kernel modules (as modinfo shows them). */
    private static Map<String, String> debianLike() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("virtio/virtio_pci.ko", "virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio");
        m.put("virtio/virtio.ko", "virtio_ring");
        m.put("virtio/virtio_ring.ko", "");
        m.put("virtio/virtio_pci_legacy_dev.ko", "");
        m.put("virtio/virtio_pci_modern_dev.ko", "");
        m.put("fs/fuse.ko", "");
        m.put("fs/virtiofs.ko", "fuse,virtio,virtio_ring");
        m.put("char/virtio_console.ko", "virtio,virtio_ring");
        m.put("block/virtio_blk.ko", "virtio,virtio_ring");
        m.put("net/virtio_net.ko", "net_failover,virtio,virtio_ring");
        m.put("net/net_failover.ko", "failover");
        m.put("core/failover.ko", "");
        return m;
    }

    @Test
    void readsSectionsOfARelocatableElf() throws IOException {
        Path f = tmp.resolve("x.ko");
        Files.write(f, Fixtures.module("x", "a,b"));
        try (Elf elf = Elf.open(f)) {
            assertThat(elf.sections()).extracting(Elf.Section::name).containsExactly("", ".text", ".modinfo", ".shstrtab");
            assertThat(elf.sectionContents(".text")).hasValueSatisfying(b -> assertThat(b).containsExactly(0xc3));
            assertThat(elf.sectionContents(".nope")).isEmpty();
            assertThat(elf.segments()).isEmpty();
        }
    }

    @Test
    void findsThePvhNote() throws IOException {
        Path with = tmp.resolve("vmlinux");
        Files.write(with, Fixtures.pvhVmlinux(1000));
        Path without = tmp.resolve("vmlinux-nopvh");
        Files.write(without, Fixtures.executableWithNotes(
                List.<Object[]>of(new Object[] {"Xen", 6, "linux\0".getBytes(StandardCharsets.US_ASCII)}), 1000));
        try (Elf elf = Elf.open(with)) {
            assertThat(elf.notes()).extracting(Elf.Note::name).containsExactly("Xen", "GNU", "Xen");
            assertThat(elf.hasPvhNote()).isTrue();
        }
        try (Elf elf = Elf.open(without)) {
            assertThat(elf.hasPvhNote()).isFalse();
        }
    }

    @Test
    void rejectsWhatIsNotElf() throws IOException {
        Path f = tmp.resolve("not-elf");
        Files.writeString(f, "#!/bin/sh\necho hello\n");
        assertThatThrownBy(() -> Elf.open(f)).isInstanceOf(IOException.class).hasMessageContaining("not an ELF file");
        Path truncated = tmp.resolve("truncated.ko");
        byte[] m = Fixtures.module("t", "");
        Files.write(truncated, java.util.Arrays.copyOf(m, m.length - 100));
        assertThatThrownBy(() -> KernelModules.modinfo(truncated)).isInstanceOf(IOException.class);
    }

    @Test
    void parsesModinfo() throws IOException {
        Path f = tmp.resolve("virtiofs.ko");
        Files.write(f, Fixtures.module("virtiofs", "fuse,virtio,virtio_ring"));
        KernelModules.Modinfo info = KernelModules.modinfo(f);
        assertThat(info.first("name")).hasValue("virtiofs");
        assertThat(info.first("license")).hasValue("GPL");
        assertThat(info.first("vermagic")).hasValue("6.1.0-test SMP mod_unload");
        assertThat(info.depends()).containsExactly("fuse", "virtio", "virtio_ring");

        assertThat(KernelModules.parseModinfo("depends=\0name=a\0".getBytes(StandardCharsets.US_ASCII)).depends()).isEmpty();
        assertThat(KernelModules.parseModinfo("\0\0depends=snd-pcm, virtio\0\0".getBytes(StandardCharsets.US_ASCII)).depends())
                .containsExactly("snd_pcm", "virtio");
    }

    @Test
    void ordersTheGuestModulesDependenciesFirst() throws Exception {
        Path root = tree(debianLike());
        Map<String, Path> index = KernelModules.index(root);
        assertThat(index).containsKeys("virtio_pci", "fuse", "virtio_net");

        List<KernelModules.Module> order = KernelModules.loadOrder(KernelModules.GUEST_MODULES, index::get, Set.of());
        assertThat(order).extracting(KernelModules.Module::name).containsExactly(
                "virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
                "fuse", "virtiofs", "virtio_console", "virtio_blk", "failover", "net_failover", "virtio_net");
        assertThat(order.get(4).depends()).containsExactly(
                "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio");
        assertThat(order.get(0).file()).isEqualTo(root.resolve("kernel/drivers/virtio/virtio_ring.ko"));
    }

    @Test
    void pullsInTransitiveDependenciesOnceAndMatchesDashesAndUnderscores() throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("top.ko", "mid_one,mid-two");
        m.put("mid-one.ko", "base");
        m.put("mid_two.ko", "base,mid_one");
        m.put("base.ko", "");
        Path root = tree(m);
        List<KernelModules.Module> order = KernelModules.loadOrder(List.of("top", "base"), KernelModules.index(root)::get, Set.of());
        assertThat(order).extracting(KernelModules.Module::name).containsExactly("base", "mid_one", "mid_two", "top");
    }

    @Test
    void skipsBuiltInModules() throws Exception {
        Path root = tree(debianLike());
        Path builtin = root.resolve("modules.builtin");
        Files.writeString(builtin, "kernel/fs/fuse/fuse.ko\nkernel/drivers/virtio/virtio_blk.ko\n");
        List<KernelModules.Module> order = KernelModules.loadOrder(KernelModules.GUEST_MODULES,
                KernelModules.index(root)::get, KernelModules.builtin(builtin));
        assertThat(order).extracting(KernelModules.Module::name).doesNotContain("fuse", "virtio_blk").contains("virtiofs");
    }

    @Test
    void namesAMissingModuleAndWhoNeedsIt() throws Exception {
        Map<String, String> modules = debianLike();
        modules.remove("net/net_failover.ko");
        Path root = tree(modules);
        assertThatThrownBy(() -> KernelModules.loadOrder(List.of("virtio_net"), KernelModules.index(root)::get, Set.of()))
                .isInstanceOf(KernelException.class)
                .hasMessage("the kernel has no module net_failover (needed by virtio_net) and does not build it in;"
                        + " use a kernel with virtio-pci, fuse and virtiofs");
    }

    @Test
    void detectsADependencyCycle() throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("a.ko", "b");
        m.put("b.ko", "c");
        m.put("c.ko", "a");
        Path root = tree(m);
        assertThatThrownBy(() -> KernelModules.loadOrder(List.of("a"), KernelModules.index(root)::get, Set.of()))
                .isInstanceOf(KernelException.class).hasMessageContaining("cycle: a -> b -> c -> a");
    }

    @Test
    void refusesCompressedModules() throws Exception {
        Path f = tmp.resolve("lib/modules/x/kernel/fs/fuse/fuse.ko.xz");
        Files.createDirectories(f.getParent());
        Files.write(f, new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0});
        assertThatThrownBy(() -> KernelModules.loadOrder(List.of("fuse"), KernelModules.index(tmp)::get, Set.of()))
                .isInstanceOf(KernelException.class).hasMessageContaining("fuse.ko.xz");
    }
}
