package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Provides the guest kernel: the distribution's cloud kernel, fetched once with the package manager
 * into a per-user cache, or a kernel image the user names.
 *
 * <p>Cache layout, under {@code cacheDir}:
 *
 * <pre>
 * kernel/
 *   .lock                              FileLock guarding every fill
 *   current-linux-image-cloud-amd64    the release the last fill resolved (one line)
 *   &lt;release&gt;/                          one directory per distribution kernel, renamed into place whole
 *     manifest                         format, release, package, version, image, module load order
 *     vmlinux                          the ELF kernel extracted from the package's bzImage
 *     modules/&lt;name&gt;.ko                the modules the guest loads
 *   host/&lt;sha256 of the image&gt;/        one directory per user-given bzImage, renamed into place whole
 *     vmlinux                          its extracted ELF kernel, or
 *     use-bzimage                      a marker: its payload cannot be extracted, boot the bzImage
 *   host/by-stat/dev-&lt;d&gt;-ino-&lt;i&gt;-size-&lt;s&gt;-mtime-&lt;ns&gt;
 *                                      "&lt;content sha256&gt; &lt;release&gt;": lets a hit skip reading the image
 * </pre>
 *
 * <p>Every cache directory is built under a temporary name and renamed into place, so a crashed run
 * never leaves a half-filled entry; fills hold an exclusive {@link java.nio.channels.FileLock} (and a
 * JVM-wide lock, because a FileLock does not exclude threads of one process), so concurrent runs
 * fill once. A cache hit reads two small files and checks that a few others exist; it starts no
 * process.
 */
public final class KernelProvider {

    private static final Logger LOG = LogManager.getLogger(KernelProvider.class);

    /** The Debian metapackage that always depends on the current cloud kernel. */
    static final String METAPACKAGE = "linux-image-cloud-amd64";
    static final String POINTER = "current-" + METAPACKAGE;
    static final String MANIFEST = "manifest";
    static final String VMLINUX = "vmlinux";
    static final String MODULES = "modules";
    static final String USE_BZIMAGE = "use-bzimage";
    static final String STAT_MEMOS = "by-stat";
    /** Bumped whenever {@link KernelModules#GUEST_MODULES} changes, so that older entries fill again. */
    static final int MANIFEST_FORMAT = 2;

    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]*");
    static final Pattern DEPENDS_IMAGE =
            Pattern.compile("(?m)^Depends:.*?\\b(linux-image-([0-9][A-Za-z0-9._+~-]*))(?:\\s*\\(=\\s*([^)\\s]+)\\s*\\))?");
    private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(1);
    private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(15);
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private final Path cacheDir;
    private final Path kernelDir;
    private final AtomicInteger processesStarted = new AtomicInteger();

    /** A provider whose cache lives under {@code cacheDir} (created on first fill). */
    public KernelProvider(Path cacheDir) {
        this.cacheDir = cacheDir.toAbsolutePath();
        this.kernelDir = this.cacheDir.resolve("kernel");
    }

    /** {@code $XDG_CACHE_HOME/krunctl}, or {@code ~/.cache/krunctl} when that is unset or relative. */
    public static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "krunctl");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "krunctl");
    }

    /** The cache directory this provider uses. */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * The distribution's cloud kernel, from the cache when it has been fetched before (no package
     * manager call), otherwise fetched, extracted and cached first.
     *
     * @throws KernelException with a one-line, actionable message
     */
    public BootKernel distributionKernel() throws KernelException {
        return distributionKernel(false);
    }

    /**
     * Like {@link #distributionKernel()}; with {@code refresh}, asks the package manager for the
     * current kernel package even when one is cached, and fetches it if it is newer (a new release
     * or a new version of the same release).
     */
    public BootKernel distributionKernel(boolean refresh) throws KernelException {
        if (!refresh) {
            Optional<BootKernel> hit = cachedDistributionKernel();
            if (hit.isPresent()) {
                LOG.debug("guest kernel {} from the cache", hit.get().release());
                return hit.get();
            }
        }
        return withFillLock(() -> {
            if (!refresh) {
                Optional<BootKernel> hit = cachedDistributionKernel();
                if (hit.isPresent()) {
                    return hit.get(); // another run filled it while this one waited
                }
            }
            return fillDistributionKernel();
        });
    }

    /**
     * A kernel image given by the user. An ELF {@code vmlinux} is used as it is (it must carry the PVH
     * note). A bzImage with an LZ4 or gzip payload is extracted once to an ELF {@code vmlinux} in the
     * cache, keyed by the image's SHA-256; one whose payload cannot be extracted, or whose kernel has
     * no PVH note, is booted as the bzImage itself (slower: the guest decompresses it). The module list
     * is empty: such a kernel must have the drivers built in.
     */
    public BootKernel hostImage(Path kernel) throws KernelException {
        Path image = kernel.toAbsolutePath();
        if (!Files.isRegularFile(image)) {
            throw new KernelException(Kind.BAD_CONFIGURATION,
                    "kernel image " + kernel + " does not exist or is not a regular file");
        }
        byte[] head = new byte[64];
        try (InputStream in = Files.newInputStream(image)) {
            int n = in.readNBytes(head, 0, head.length);
            if (n < head.length) {
                head = Arrays.copyOf(head, n);
            }
        } catch (IOException e) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "cannot read kernel image " + kernel + ": " + e.getMessage(), e);
        }
        if (Elf.isElf(head)) {
            return elfImage(image);
        }
        // A file seen before (same path, size, mtime and inode) maps to its cache entry without being read.
        Path memo = statMemo(image);
        Optional<BootKernel> seen = readMemo(memo).flatMap(m -> cachedHostImage(kernelDir.resolve("host").resolve(m[0]), image, m[1]));
        if (seen.isPresent()) {
            return seen.get();
        }
        byte[] bytes;
        BzImage.Header header;
        try {
            bytes = Files.readAllBytes(image);
            header = BzImage.parse(bytes).orElseThrow(() -> new KernelException(Kind.BAD_CONFIGURATION,
                    "kernel image " + kernel + " is neither an ELF vmlinux nor an x86 bzImage"));
        } catch (IOException e) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "cannot use kernel image " + kernel + ": " + e.getMessage(), e);
        }
        String release = header.release();
        String hash = sha256(bytes);
        Path dir = kernelDir.resolve("host").resolve(hash);
        Optional<BootKernel> hit = cachedHostImage(dir, image, release);
        if (hit.isPresent()) {
            writeMemo(memo, hash, release);
            return hit.get();
        }
        BzImage.Compression compression = BzImage.compression(bytes, header);
        BootKernel filled = withFillLock(() -> {
            Optional<BootKernel> again = cachedHostImage(dir, image, release);
            if (again.isPresent()) {
                return again.get();
            }
            cleanStale();
            Path staging = kernelDir.resolve(".staging-host-" + UUID.randomUUID());
            try {
                Files.createDirectories(staging);
                if (!BzImage.canExtract(compression)) {
                    LOG.warn("kernel image {} has a {}-compressed payload, which krunctl cannot extract; "
                            + "booting the bzImage itself (the guest decompresses it, which costs seconds)",
                            kernel, compression.label);
                    Files.writeString(staging.resolve(USE_BZIMAGE), compression.label + "\n");
                } else {
                    long t0 = System.nanoTime();
                    Path vmlinux = staging.resolve(VMLINUX);
                    extractVmlinux(bytes, header, vmlinux, kernel.toString());
                    boolean pvh;
                    try (Elf elf = Elf.open(vmlinux)) {
                        pvh = elf.hasPvhNote();
                    }
                    if (!pvh) {
                        LOG.warn("the kernel in {} has no PVH entry note (CONFIG_PVH); booting the bzImage itself",
                                kernel);
                        Files.delete(vmlinux);
                        Files.writeString(staging.resolve(USE_BZIMAGE), "no PVH note\n");
                    } else {
                        LOG.info("extracted the kernel of {} to {} in {} ms", kernel, dir.resolve(VMLINUX),
                                (System.nanoTime() - t0) / 1_000_000);
                    }
                }
                forceDir(staging);
                publish(staging, dir); // replaces an unusable entry (one the check above rejected)
            } catch (IOException e) {
                throw new KernelException(Kind.BAD_CONFIGURATION,
                        "cannot extract the kernel from " + kernel + ": " + e.getMessage(), e);
            } finally {
                deleteQuietly(staging);
            }
            return cachedHostImage(dir, image, release).orElseThrow(() -> new KernelException(Kind.VM_FAILED,
                    "the kernel cache entry " + dir + " vanished right after it was written; check the cache directory"));
        });
        writeMemo(memo, hash, release);
        return filled;
    }

    /** How many external processes this provider has started (for tests: a cache hit starts none). */
    int processesStarted() {
        return processesStarted.get();
    }

    // ---------------------------------------------------------------- distribution kernel

    private Optional<BootKernel> cachedDistributionKernel() {
        String release;
        try {
            release = Files.readString(kernelDir.resolve(POINTER), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.debug("cannot read the kernel cache pointer: {}", e.toString());
            return Optional.empty();
        }
        if (!RELEASE.matcher(release).matches()) {
            return Optional.empty();
        }
        return loadManifest(kernelDir.resolve(release)).map(Manifest::bootKernel);
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
    private BootKernel fillDistributionKernel() throws KernelException {
        cleanStale();
        long t0 = System.nanoTime();
        KernelPackage resolved = resolvePackage();
        String pkg = resolved.name();
        String release = resolved.release();
        String version = resolved.version();
        Path dir = kernelDir.resolve(release);
        Optional<Manifest> existing = loadManifest(dir);
        if (existing.isPresent() && (version.isEmpty() || version.equals(existing.get().version()))) {
            writePointer(release);
            return existing.get().bootKernel();
        }
        LOG.info("fetching the guest kernel {} {} (once; it is cached in {})", pkg, version, dir);
        Path work = kernelDir.resolve(".work-" + UUID.randomUUID());
        Path staging = kernelDir.resolve(".staging-" + release + "-" + UUID.randomUUID());
        try {
            Path download = Files.createDirectories(work.resolve("download"));
            Path root = work.resolve("root");
            Files.createDirectories(staging.resolve(MODULES));

            String spec = version.isEmpty() ? pkg : pkg + "=" + version;
            Result r = run(List.of("apt-get", "-q", "download", spec), download, FETCH_TIMEOUT, pkg);
            if (r.exit() != 0) {
                throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot fetch the kernel package " + spec
                        + ": apt-get download failed: " + summary(r.stderr())
                        + "; run `sudo apt-get update` and check that the Debian mirror is reachable");
            }
            Path deb;
            try (Stream<Path> s = Files.list(download)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new KernelException(Kind.MISSING_PREREQUISITE, "cannot fetch the kernel package "
                                + spec + ": apt-get download left no .deb in " + download));
            }
            r = run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), work, FETCH_TIMEOUT, pkg);
            if (r.exit() != 0) {
                throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot unpack the kernel package " + deb.getFileName()
                        + ": dpkg-deb -x failed: " + summary(r.stderr()));
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
            extractVmlinux(bz, header, vmlinux, "/boot/vmlinuz-" + release + " of " + pkg);
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
                force(target);
                names.add(m.name());
            }
            Manifest manifest = new Manifest(dir, release, pkg, version, names);
            Path mf = staging.resolve(MANIFEST);
            Files.writeString(mf, manifest.text(), StandardCharsets.UTF_8);
            force(mf);
            forceDir(staging.resolve(MODULES));
            forceDir(staging);
            publish(staging, dir); // replaces an unusable entry, or an older version of the release
            writePointer(release);
            LOG.info("guest kernel {} ready in {} ms: vmlinux {} MiB, modules {}", release,
                    (System.nanoTime() - t0) / 1_000_000, Files.size(dir.resolve(VMLINUX)) >> 20, String.join(" ", names));
            return manifest.bootKernel();
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE,
                    "cannot prepare the kernel package " + pkg + " in " + kernelDir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(work);
            deleteQuietly(staging);
        }
    }

    /** A versioned kernel package: {@code linux-image-<release>} at {@code version} ("" if unknown). */
    private record KernelPackage(String name, String release, String version) {}

    /** Asks apt which versioned kernel package the metapackage currently depends on. */
    private KernelPackage resolvePackage() throws KernelException {
        Result r = run(List.of("apt-cache", "show", "--no-all-versions", METAPACKAGE), null, QUERY_TIMEOUT, METAPACKAGE);
        if (r.exit() != 0 || r.stdout().isBlank()) {
            String why = summary(r.stderr());
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
            Result show = run(List.of("apt-cache", "show", "--no-all-versions", m.group(1)), null, QUERY_TIMEOUT, m.group(1));
            Matcher v = Pattern.compile("(?m)^Version:\\s*(\\S+)").matcher(show.stdout());
            if (show.exit() == 0 && v.find()) {
                version = v.group(1);
            }
        }
        return new KernelPackage(m.group(1), m.group(2), version);
    }

    private void writePointer(String release) throws KernelException {
        try {
            Path tmp = kernelDir.resolve("." + POINTER + "-" + UUID.randomUUID() + ".tmp");
            Files.writeString(tmp, release + "\n", StandardCharsets.UTF_8);
            force(tmp);
            moveAtomic(tmp, kernelDir.resolve(POINTER), true);
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE,
                    "cannot write the kernel cache in " + kernelDir + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- host images

    private static BootKernel elfImage(Path image) throws KernelException {
        try (Elf elf = Elf.open(image)) {
            if (!elf.hasPvhNote()) {
                throw new KernelException(Kind.BAD_CONFIGURATION, "kernel image " + image
                        + " is an ELF without the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so QEMU cannot boot it;"
                        + " build it with CONFIG_PVH=y or give its bzImage");
            }
            return new BootKernel(image, List.of(), elfRelease(elf));
        } catch (IOException e) {
            throw new KernelException(Kind.BAD_CONFIGURATION, "cannot read kernel image " + image + ": " + e.getMessage(), e);
        }
    }

    /** The release from the {@code "Linux version "} banner in {@code .rodata}, or "unknown". */
    static String elfRelease(Elf elf) throws IOException {
        Optional<byte[]> rodata = elf.sectionContents(".rodata");
        if (rodata.isEmpty()) {
            return "unknown";
        }
        byte[] d = rodata.get();
        byte[] needle = "Linux version ".getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + needle.length < d.length; i++) {
            if (d[i] != 'L') {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (d[i + j] != needle[j]) {
                    continue outer;
                }
            }
            int s = i + needle.length;
            int e = s;
            while (e < d.length && d[e] != ' ' && d[e] != 0 && e - s < 128) {
                e++;
            }
            String r = new String(d, s, e - s, StandardCharsets.ISO_8859_1);
            if (!r.isEmpty() && !r.startsWith("%")) {
                return r;
            }
        }
        return "unknown";
    }

    /**
     * Where the content hash of {@code image} is remembered, keyed by what {@code stat} says about it
     * (device and inode, size, mtime in ns); {@code null} if the file system gives no file key. The
     * key is built without hashing: a cache hit must not pay for initialising a message digest.
     */
    private Path statMemo(Path image) {
        try {
            BasicFileAttributes a = Files.readAttributes(image, BasicFileAttributes.class);
            if (a.fileKey() == null) {
                return null;
            }
            String id = a.fileKey().toString().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "");
            String key = id + "-size-" + a.size() + "-mtime-" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            return kernelDir.resolve("host").resolve(STAT_MEMOS).resolve(key);
        } catch (IOException e) {
            return null;
        }
    }

    /** The {content hash, release} a memo holds. */
    private static Optional<String[]> readMemo(Path memo) {
        if (memo == null) {
            return Optional.empty();
        }
        try {
            String[] f = Files.readString(memo, StandardCharsets.UTF_8).strip().split(" ", 2);
            if (f.length == 2 && f[0].matches("[0-9a-f]{64}") && RELEASE.matcher(f[1]).matches()) {
                return Optional.of(f);
            }
        } catch (IOException e) {
            // no memo yet
        }
        return Optional.empty();
    }

    /** Remembers the content hash of an image; best effort (a lost memo costs one hash next time). */
    private static void writeMemo(Path memo, String hash, String release) {
        if (memo == null) {
            return;
        }
        try {
            Files.createDirectories(memo.getParent());
            Path tmp = memo.resolveSibling("." + memo.getFileName() + "-" + UUID.randomUUID() + ".tmp");
            Files.writeString(tmp, hash + " " + release + "\n", StandardCharsets.UTF_8);
            moveAtomic(tmp, memo, true);
        } catch (IOException e) {
            LOG.debug("cannot remember the hash of a kernel image in {}: {}", memo, e.toString());
        }
    }

    private static Optional<BootKernel> cachedHostImage(Path dir, Path bzImage, String release) {
        if (Files.isRegularFile(dir.resolve(VMLINUX))) {
            return Optional.of(new BootKernel(dir.resolve(VMLINUX), List.of(), release));
        }
        if (Files.isRegularFile(dir.resolve(USE_BZIMAGE))) {
            return Optional.of(new BootKernel(bzImage, List.of(), release));
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- shared helpers

    private static void extractVmlinux(byte[] bz, BzImage.Header header, Path target, String what)
            throws KernelException, IOException {
        BzImage.Compression c = BzImage.compression(bz, header);
        if (!BzImage.canExtract(c)) {
            throw new KernelException(Kind.MISSING_PREREQUISITE, what + " has a " + c.label
                    + "-compressed payload; krunctl extracts LZ4 and gzip payloads only");
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
            BzImage.extract(bz, header, out);
            out.flush();
            ch.force(true);
        }
    }

    @FunctionalInterface
    private interface Fill {
        BootKernel run() throws KernelException;
    }

    /** Runs {@code fill} holding the JVM-wide lock and the cache's FileLock. */
    private BootKernel withFillLock(Fill fill) throws KernelException {
        JVM_LOCK.lock();
        try {
            try {
                Files.createDirectories(kernelDir);
            } catch (IOException e) {
                throw new KernelException(Kind.MISSING_PREREQUISITE,
                        "cannot create the kernel cache " + kernelDir + ": " + e.getMessage(), e);
            }
            try (FileChannel lockFile = FileChannel.open(kernelDir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); var _ = lockFile.lock()) {
                return fill.run();
            } catch (IOException e) {
                throw new KernelException(Kind.MISSING_PREREQUISITE,
                        "cannot lock the kernel cache " + kernelDir + ": " + e.getMessage(), e);
            }
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** Removes what crashed fills left behind. Only called under the fill lock. */
    private void cleanStale() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(kernelDir, ".*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".staging-") || n.startsWith(".work-") || n.startsWith(".trash-")
                        || (n.startsWith("." + POINTER) && n.endsWith(".tmp"))) {
                    LOG.debug("removing {} left by an interrupted run", p);
                    deleteQuietly(p);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", kernelDir, e.toString());
        }
        Path memos = kernelDir.resolve("host").resolve(STAT_MEMOS);
        if (Files.isDirectory(memos)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(memos, ".*.tmp")) {
                for (Path p : ds) {
                    deleteQuietly(p);
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", memos, e.toString());
            }
        }
    }

    /**
     * Renames a finished staging directory to its final name; an existing entry there (which the
     * caller found unusable) is first renamed away and deleted. Only called under the fill lock.
     */
    private void publish(Path staging, Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path trash = kernelDir.resolve(".trash-" + UUID.randomUUID());
            moveAtomic(dir, trash, false);
            deleteQuietly(trash);
        }
        moveAtomic(staging, dir, false);
        forceDir(dir.getParent());
    }

    private static void moveAtomic(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache's file system cannot rename atomically: " + e.getMessage(), e);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(to + " appeared while it was being written", e);
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void forceDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("cannot delete {}: {}", p, e.toString());
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always available", e);
        }
    }

    // ---------------------------------------------------------------- processes

    record Result(int exit, String stdout, String stderr) {}

    /** Runs a command with {@code LC_ALL=C}, capturing its output. */
    private Result run(List<String> command, Path cwd, Duration timeout, String subject) throws KernelException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot run " + command.getFirst() + " to get " + subject
                    + ": " + e.getMessage() + "; the distribution kernel needs a Debian-based host with apt and dpkg,"
                    + " otherwise name a kernel image in the spec");
        }
        processesStarted.incrementAndGet();
        LOG.debug("running {}", String.join(" ", command));
        FutureTask<String> err = new FutureTask<>(() -> new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        Thread.ofVirtual().name("krunctl-" + command.getFirst() + "-stderr").start(err);
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new KernelException(Kind.MISSING_PREREQUISITE, String.join(" ", command)
                        + " did not finish within " + timeout.toMinutes() + " min; check the network and apt");
            }
            return new Result(p.exitValue(), out, get(err));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new KernelException(Kind.MISSING_PREREQUISITE, "cannot read the output of " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new KernelException(Kind.VM_FAILED, "interrupted while running " + command.getFirst(), e);
        }
    }

    private static String get(Future<String> f) throws InterruptedException {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    /** Condenses a tool's stderr to one line: its {@code E:} lines, or its last line. */
    static String summary(String stderr) {
        List<String> errors = new ArrayList<>();
        String last = "";
        for (String line : stderr.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            last = l;
            if (l.startsWith("E:")) {
                errors.add(l.substring(2).strip());
            }
        }
        String s = errors.isEmpty() ? last : String.join("; ", errors);
        return s.isEmpty() ? "no error output" : s;
    }
}
