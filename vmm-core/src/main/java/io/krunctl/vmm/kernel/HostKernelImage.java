package io.krunctl.vmm.kernel;

import io.krunctl.vmm.VmmException.Kind;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Kernel images the user names. An ELF is checked and used where it lies; a bzImage is extracted
 * once into a {@link KernelCache} entry keyed by its SHA-256, and a memo keyed by what {@code stat}
 * says about the file lets a later run find that entry without reading and hashing the image again.
 */
final class HostKernelImage {

    private static final Logger LOG = LogManager.getLogger(HostKernelImage.class);

    static final String VMLINUX = "vmlinux";
    static final String USE_BZIMAGE = "use-bzimage";
    static final String STAT_MEMOS = "by-stat";

    private final KernelCache cache;
    private final Path hostDir;

    /** Images are cached in {@code hostDir}, a directory of {@code cache}. */
    HostKernelImage(KernelCache cache, Path hostDir) {
        this.cache = cache;
        this.hostDir = hostDir;
    }

    /** Where the stat memos of the images cached in {@code hostDir} live. */
    static Path memoDir(Path hostDir) {
        return hostDir.resolve(STAT_MEMOS);
    }

    /** See {@link KernelProvider#hostImage}. */
    BootKernel get(Path kernel) throws KernelException {
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
        Optional<BootKernel> seen = readMemo(memo).flatMap(m -> cachedHostImage(hostDir.resolve(m[0]), image, m[1]));
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
        Path dir = hostDir.resolve(hash);
        Optional<BootKernel> hit = cachedHostImage(dir, image, release);
        if (hit.isPresent()) {
            writeMemo(memo, hash, release);
            return hit.get();
        }
        BzImage.Compression compression = BzImage.compression(bytes, header);
        BootKernel filled = cache.withFillLock(() -> {
            Optional<BootKernel> again = cachedHostImage(dir, image, release);
            if (again.isPresent()) {
                return again.get();
            }
            cache.cleanStale();
            Path staging = cache.staging("host");
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
                    BzImage.extractTo(bytes, header, vmlinux, kernel.toString());
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
                cache.publish(staging, dir); // replaces an unusable entry (one the check above rejected)
            } catch (IOException e) {
                throw new KernelException(Kind.BAD_CONFIGURATION,
                        "cannot extract the kernel from " + kernel + ": " + e.getMessage(), e);
            } finally {
                KernelCache.deleteQuietly(staging);
            }
            return cachedHostImage(dir, image, release).orElseThrow(() -> new KernelException(Kind.VM_FAILED,
                    "the kernel cache entry " + dir + " vanished right after it was written; check the cache directory"));
        });
        writeMemo(memo, hash, release);
        return filled;
    }

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
            return memoDir(hostDir).resolve(key);
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
            if (f.length == 2 && f[0].matches("[0-9a-f]{64}") && BootKernel.RELEASE.matcher(f[1]).matches()) {
                return Optional.of(f);
            }
        } catch (IOException e) {
            // no memo yet
        }
        return Optional.empty();
    }

    /** Remembers the content hash of an image; best effort (a lost memo costs one hash next time). */
    private void writeMemo(Path memo, String hash, String release) {
        if (memo == null) {
            return;
        }
        try {
            cache.replace(memo, hash + " " + release + "\n", false);
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

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always available", e);
        }
    }
}
