package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Kernel modules: reading a {@code .ko}'s {@code .modinfo} section and ordering a set of modules so
 * that every module comes after the modules it {@code depends=} on. This replaces {@code depmod} and
 * {@code modinfo}, which the host need not have and whose {@code modules.dep} the Debian package does
 * not ship.
 */
final class KernelModules {

    /**
     * The modules krunctl's guest needs for a virtio-fs root over PCI, a console, block devices and
     * a network card ({@code virtio_net} pulls in {@code net_failover} and {@code failover}).
     */
    static final List<String> GUEST_MODULES =
            List.of("virtio_pci", "fuse", "virtiofs", "virtio_console", "virtio_blk", "virtio_net");

    /**
     * @param name    the module name ({@code name=} in {@code .modinfo}, or the file name), with
     *                {@code _} for {@code -}
     * @param file    where the {@code .ko} is
     * @param depends the module names it depends on, as listed
     */
    record Module(String name, Path file, List<String> depends) {}

    /** What {@code .modinfo} says: every {@code key=value} entry, in order. */
    record Modinfo(List<Map.Entry<String, String>> entries) {

        Optional<String> first(String key) {
            return entries.stream().filter(e -> e.getKey().equals(key)).map(Map.Entry::getValue).findFirst();
        }

        /** The {@code depends=} list, normalised; empty if none. */
        List<String> depends() {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, String> e : entries) {
                if (e.getKey().equals("depends")) {
                    for (String d : e.getValue().split(",")) {
                        if (!d.isBlank()) {
                            out.add(normalize(d.strip()));
                        }
                    }
                }
            }
            return out;
        }
    }

    private KernelModules() {}

    /** Module names treat {@code -} and {@code _} alike; the canonical form uses {@code _}. */
    static String normalize(String name) {
        return name.replace('-', '_');
    }

    /** The module name a file name implies: {@code virtio-rng.ko} is {@code virtio_rng}. */
    static String nameOf(Path ko) {
        String f = ko.getFileName().toString();
        int dot = f.indexOf(".ko");
        return normalize(dot < 0 ? f : f.substring(0, dot));
    }

    /** Reads the {@code .modinfo} section of the module {@code ko}. */
    static Modinfo modinfo(Path ko) throws IOException {
        try (Elf elf = Elf.open(ko)) {
            byte[] data = elf.sectionContents(".modinfo")
                    .orElseThrow(() -> new IOException(ko + " has no .modinfo section"));
            return parseModinfo(data);
        }
    }

    /** Parses a {@code .modinfo} section: NUL-separated {@code key=value} strings, NUL padding allowed. */
    static Modinfo parseModinfo(byte[] data) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == 0) {
                if (i > start) {
                    String s = new String(data, start, i - start, StandardCharsets.UTF_8);
                    int eq = s.indexOf('=');
                    if (eq > 0) {
                        out.add(Map.entry(s.substring(0, eq), s.substring(eq + 1)));
                    }
                }
                start = i + 1;
            }
        }
        return new Modinfo(List.copyOf(out));
    }

    /**
     * Indexes every module file under {@code dir} by module name. Compressed modules
     * ({@code .ko.xz}, {@code .ko.zst}, {@code .ko.gz}) are indexed too, so a caller can say why it
     * cannot use them.
     */
    static Map<String, Path> index(Path dir) throws IOException {
        Map<String, Path> out = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String f = p.getFileName().toString();
                if ((f.endsWith(".ko") || f.contains(".ko.")) && Files.isRegularFile(p)) {
                    out.putIfAbsent(nameOf(p), p);
                }
            }
        }
        return out;
    }

    /** The names in a {@code modules.builtin} file (one {@code kernel/.../x.ko} path per line). */
    static Set<String> builtin(Path modulesBuiltin) throws IOException {
        if (!Files.isRegularFile(modulesBuiltin)) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        for (String line : Files.readAllLines(modulesBuiltin, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(nameOf(Path.of(line.strip())));
            }
        }
        return out;
    }

    /**
     * Orders {@code wanted} and everything their {@code depends=} lists pull in, transitively, each
     * once, dependencies first. Roots are visited in the given order and each module's dependencies in
     * alphabetical order, so the result does not depend on how the kernel build listed them.
     * Modules in {@code builtin} are skipped.
     *
     * @param locate maps a module name to its file, or {@code null} when the kernel does not have it
     * @throws KernelException if a module is missing, compressed, unreadable, or in a dependency cycle
     */
    static List<Module> loadOrder(List<String> wanted, Function<String, Path> locate, Set<String> builtin)
            throws KernelException {
        Map<String, Module> done = new LinkedHashMap<>();
        for (String root : wanted) {
            visit(normalize(root), null, locate, builtin, done, new ArrayList<>());
        }
        return List.copyOf(done.values());
    }

    private static void visit(String name, String neededBy, Function<String, Path> locate, Set<String> builtin,
            Map<String, Module> done, List<String> path) throws KernelException {
        if (done.containsKey(name) || builtin.contains(name)) {
            return;
        }
        if (path.contains(name)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(name), path.size()));
            cycle.add(name);
            throw new KernelException(Kind.BAD_CONFIGURATION,
                    "kernel modules depend on each other in a cycle: " + String.join(" -> ", cycle));
        }
        Path file = locate.apply(name);
        if (file == null) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "the kernel has no module " + name
                    + (neededBy == null ? "" : " (needed by " + neededBy + ")")
                    + " and does not build it in; use a kernel with virtio-pci, fuse and virtiofs");
        }
        if (!file.getFileName().toString().endsWith(".ko")) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "module " + name + " is compressed (" + file.getFileName()
                    + "); krunctl loads uncompressed .ko modules only");
        }
        Modinfo info;
        try {
            info = modinfo(file);
        } catch (IOException e) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "cannot read module " + file + ": " + e.getMessage(), e);
        }
        String realName = info.first("name").map(KernelModules::normalize).orElse(name);
        if (!realName.equals(name)) {
            throw new KernelException(Kind.BAD_CONFIGURATION,
                    "module file " + file + " calls itself " + realName + ", expected " + name);
        }
        List<String> deps = info.depends();
        path.add(name);
        for (String d : deps.stream().distinct().sorted().toList()) {
            visit(d, name, locate, builtin, done, path);
        }
        path.removeLast();
        done.put(name, new Module(name, file, deps));
    }
}
