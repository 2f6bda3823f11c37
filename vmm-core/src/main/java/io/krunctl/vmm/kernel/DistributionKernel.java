package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;
import io.krunctl.vmm.kernel.Subprocess.Result;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Debian's cloud kernel as the guest kernel: the package the metapackage {@value #METAPACKAGE}
 * depends on is fetched with {@code apt-get download}, unpacked with {@code dpkg-deb}, and its
 * vmlinux and the modules the guest needs are kept in a {@link KernelCache} entry per release. A
 * pointer file names the release the last fill resolved, so a cache hit starts no process.
 */
final class DistributionKernel {

    private static final Logger LOG = LogManager.getLogger(DistributionKernel.class);

    /** The Debian metapackage that always depends on the current cloud kernel. */
    static final String METAPACKAGE = "linux-image-cloud-amd64";
    static final String POINTER = "current-" + METAPACKAGE;
    static final String MANIFEST = "manifest";
    static final String VMLINUX = "vmlinux";
    static final String MODULES = "modules";
    /** Bumped whenever {@link KernelModules#GUEST_MODULES} changes, so that older entries fill again. */
    static final int MANIFEST_FORMAT = 2;

    static final Pattern DEPENDS_IMAGE =
            Pattern.compile("(?m)^Depends:.*?\\b(linux-image-([0-9][A-Za-z0-9._+~-]*))(?:\\s*\\(=\\s*([^)\\s]+)\\s*\\))?");
    private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(1);
    private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(15);

    private final KernelCache cache;
    private final Subprocess processes;

    DistributionKernel(KernelCache cache, Subprocess processes) {
        this.cache = cache;
        this.processes = processes;
    }

    /**
     * The kernel from the cache when it has been fetched before, otherwise fetched first; with
     * {@code refresh}, asks apt for the current package even when one is cached.
     */
    BootKernel get(boolean refresh) throws KernelException {
        if (!refresh) {
            Optional<BootKernel> hit = cached();
            if (hit.isPresent()) {
                LOG.debug("guest kernel {} from the cache", hit.get().release());
                return hit.get();
            }
        }
        return cache.withFillLock(() -> {
            if (!refresh) {
                Optional<BootKernel> hit = cached();
                if (hit.isPresent()) {
                    return hit.get(); // another run filled it while this one waited
                }
            }
            return fill();
        });
    }

    private Optional<BootKernel> cached() {
        String release;
        try {
            release = Files.readString(cache.root().resolve(POINTER), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.debug("cannot read the kernel cache pointer: {}", e.toString());
            return Optional.empty();
        }
        if (!BootKernel.RELEASE.matcher(release).matches()) {
            return Optional.empty();
        }
        return loadManifest(cache.root().resolve(release)).map(Manifest::bootKernel);
    }

    private record Manifest(Path dir, String release, String pkg, String version, List<String> modules) {

        BootKernel bootKernel() {
            List<Path> files = modules.stream().map(m -> dir.resolve(MODULES).resolve(m + ".ko")).toList();
            return new BootKernel(dir.resolve(VMLINUX), files, release);
        }

        String text() {
            return "# krunctl guest kernel cache entry; written once, never edited\n"
                    + "format=" + MANIFEST_FORMAT + "\n"
                    + "release=" + release + "\n"
                    + "package=" + pkg + "\n"
                    + "version=" + version + "\n"
                    + "image=" + VMLINUX + "\n"
                    + "modules=" + String.join(" ", modules) + "\n";
        }
    }

    /** Reads and checks a cache entry: the manifest parses and every file it names exists. */
    private static Optional<Manifest> loadManifest(Path dir) {
        Map<String, String> kv = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(MANIFEST), StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (!line.startsWith("#") && eq > 0) {
                    kv.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!String.valueOf(MANIFEST_FORMAT).equals(kv.get("format")) || kv.get("release") == null
                || kv.get("modules") == null || !VMLINUX.equals(kv.get("image"))) {
            return Optional.empty();
        }
        String mods = kv.get("modules").strip();
        List<String> modules = mods.isEmpty() ? List.of() : List.of(mods.split(" +"));
        Manifest m = new Manifest(dir, kv.get("release"), kv.getOrDefault("package", ""),
                kv.getOrDefault("version", ""), modules);
        if (!Files.isRegularFile(dir.resolve(VMLINUX))) {
            return Optional.empty();
        }
        for (String mod : modules) {
            if (!Files.isRegularFile(dir.resolve(MODULES).resolve(mod + ".ko"))) {
                return Optional.empty();
            }
        }
        return Optional.of(m);
    }

    /** Resolves, fetches, extracts and caches the current cloud kernel. Runs under the fill lock. */
    private BootKernel fill() throws KernelException {
        cache.cleanStale();
        long t0 = System.nanoTime();
        KernelPackage resolved = resolvePackage();
        String pkg = resolved.name();
        String release = resolved.release();
        String version = resolved.version();
        Path dir = cache.root().resolve(release);
        Optional<Manifest> existing = loadManifest(dir);
        if (existing.isPresent() && (version.isEmpty() || version.equals(existing.get().version()))) {
            writePointer(release);
            return existing.get().bootKernel();
        }
        LOG.info("fetching the guest kernel {} {} (once; it is cached in {})", pkg, version, dir);
        Path work = cache.work();
        Path staging = cache.staging(release);
        try {
            Path download = Files.createDirectories(work.resolve("download"));
            Path root = work.resolve("root");
            Files.createDirectories(staging.resolve(MODULES));

            String spec = version.isEmpty() ? pkg : pkg + "=" + version;
            Result r = processes.run(List.of("apt-get", "-q", "download", spec), download, FETCH_TIMEOUT, pkg);
            if (r.exit() != 0) {
                throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot fetch the kernel package " + spec
                        + ": apt-get download failed: " + Subprocess.summary(r.stderr())
                        + "; run `sudo apt-get update` and check that the Debian mirror is reachable");
            }
            Path deb;
            try (Stream<Path> s = Files.list(download)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new KernelException(Kind.MISSING_PREREQUISITE, "cannot fetch the kernel package "
                                + spec + ": apt-get download left no .deb in " + download));
            }
            r = processes.run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), work, FETCH_TIMEOUT, pkg);
            if (r.exit() != 0) {
                throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot unpack the kernel package " + deb.getFileName()
                        + ": dpkg-deb -x failed: " + Subprocess.summary(r.stderr()));
            }
            Files.delete(deb);

            Path vmlinuz = root.resolve("boot").resolve("vmlinuz-" + release);
            if (!Files.isRegularFile(vmlinuz)) {
                throw new KernelException(Kind.MISSING_PREREQUISITE,
                        "the kernel package " + pkg + " has no /boot/vmlinuz-" + release + "; it is not a kernel package krunctl knows");
            }
            byte[] bz = Files.readAllBytes(vmlinuz);
            BzImage.Header header = BzImage.parse(bz).orElseThrow(() -> new KernelException(Kind.MISSING_PREREQUISITE,
                    "/boot/vmlinuz-" + release + " from " + pkg + " is not a bzImage"));
            long tx = System.nanoTime();
            Path vmlinux = staging.resolve(VMLINUX);
            BzImage.extractTo(bz, header, vmlinux, "/boot/vmlinuz-" + release + " of " + pkg);
            try (Elf elf = Elf.open(vmlinux)) {
                if (!elf.hasPvhNote()) {
                    throw new KernelException(Kind.MISSING_PREREQUISITE, "the kernel of " + pkg
                            + " has no PVH entry note, so QEMU cannot boot it as an ELF; use a kernel built with CONFIG_PVH=y");
                }
            }
            LOG.debug("extracted vmlinux ({} bytes) in {} ms", Files.size(vmlinux), (System.nanoTime() - tx) / 1_000_000);

            Path modRoot = Stream.of(root.resolve("lib/modules").resolve(release), root.resolve("usr/lib/modules").resolve(release))
                    .filter(Files::isDirectory).findFirst()
                    .orElseThrow(() -> new KernelException(Kind.MISSING_PREREQUISITE,
                            "the kernel package " + pkg + " has no /lib/modules/" + release));
            Map<String, Path> index = KernelModules.index(modRoot);
            List<KernelModules.Module> order = KernelModules.loadOrder(KernelModules.GUEST_MODULES, index::get,
                    KernelModules.builtin(modRoot.resolve("modules.builtin")));
            List<String> names = new ArrayList<>();
            for (KernelModules.Module m : order) {
                Path target = staging.resolve(MODULES).resolve(m.name() + ".ko");
                Files.copy(m.file(), target);
                KernelCache.force(target);
                names.add(m.name());
            }
            Manifest manifest = new Manifest(dir, release, pkg, version, names);
            Path mf = staging.resolve(MANIFEST);
            Files.writeString(mf, manifest.text(), StandardCharsets.UTF_8);
            KernelCache.force(mf);
            KernelCache.forceDir(staging.resolve(MODULES));
            cache.publish(staging, dir); // replaces an unusable entry, or an older version of the release
            writePointer(release);
            LOG.info("guest kernel {} ready in {} ms: vmlinux {} MiB, modules {}", release,
                    (System.nanoTime() - t0) / 1_000_000, Files.size(dir.resolve(VMLINUX)) >> 20, String.join(" ", names));
            return manifest.bootKernel();
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE,
                    "cannot prepare the kernel package " + pkg + " in " + cache.root() + ": " + e.getMessage(), e);
        } finally {
            KernelCache.deleteQuietly(work);
            KernelCache.deleteQuietly(staging);
        }
    }

    /** A versioned kernel package: {@code linux-image-<release>} at {@code version} ("" if unknown). */
    private record KernelPackage(String name, String release, String version) {}

    /** Asks apt which versioned kernel package the metapackage currently depends on. */
    private KernelPackage resolvePackage() throws KernelException {
        Result r = processes.run(List.of("apt-cache", "show", "--no-all-versions", METAPACKAGE), null, QUERY_TIMEOUT, METAPACKAGE);
        if (r.exit() != 0 || r.stdout().isBlank()) {
            String why = Subprocess.summary(r.stderr());
            if (r.stdout().isBlank() || why.contains("No packages found") || why.contains("Unable to locate")) {
                throw new KernelException(Kind.MISSING_PREREQUISITE, "the package lists do not know " + METAPACKAGE
                        + " (are they empty?): run `sudo apt-get update`, with Debian's main archive in the apt sources");
            }
            throw new KernelException(Kind.MISSING_PREREQUISITE,
                    "cannot look up " + METAPACKAGE + ": apt-cache show failed: " + why);
        }
        Matcher m = DEPENDS_IMAGE.matcher(r.stdout());
        if (!m.find()) {
            throw new KernelException(Kind.MISSING_PREREQUISITE, METAPACKAGE
                    + " depends on no versioned linux-image package; run `sudo apt-get update` or name a kernel image in the spec");
        }
        String version = m.group(3) == null ? "" : m.group(3);
        if (version.isEmpty()) {
            // The metapackage pins the version in lockstep with its own; fall back to the image's candidate.
            Result show = processes.run(List.of("apt-cache", "show", "--no-all-versions", m.group(1)), null, QUERY_TIMEOUT, m.group(1));
            Matcher v = Pattern.compile("(?m)^Version:\\s*(\\S+)").matcher(show.stdout());
            if (show.exit() == 0 && v.find()) {
                version = v.group(1);
            }
        }
        return new KernelPackage(m.group(1), m.group(2), version);
    }

    private void writePointer(String release) throws KernelException {
        try {
            cache.replace(cache.root().resolve(POINTER), release + "\n", true);
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE,
                    "cannot write the kernel cache in " + cache.root() + ": " + e.getMessage(), e);
        }
    }
}
