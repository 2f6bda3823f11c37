package io.krunctl.vmm.kernel;

import java.nio.file.Path;
import java.util.List;

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
 * <p>{@link KernelCache} makes every entry crash-safe and fills it once among concurrent runs;
 * {@link DistributionKernel} and {@link HostKernelImage} fill the two kinds of entry. A cache hit
 * reads two small files and checks that a few others exist; it starts no process.
 */
public final class KernelProvider {

    private final Path cacheDir;
    private final Subprocess processes = new Subprocess();
    private final DistributionKernel distribution;
    private final HostKernelImage hostImages;

    /** A provider whose cache lives under {@code cacheDir} (created on first fill). */
    public KernelProvider(Path cacheDir) {
        this.cacheDir = cacheDir.toAbsolutePath();
        Path kernelDir = this.cacheDir.resolve("kernel");
        Path hostDir = kernelDir.resolve("host");
        KernelCache cache = new KernelCache(kernelDir, List.of(HostKernelImage.memoDir(hostDir)));
        this.distribution = new DistributionKernel(cache, processes);
        this.hostImages = new HostKernelImage(cache, hostDir);
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
        return distribution.get(refresh);
    }

    /**
     * A kernel image given by the user. An ELF {@code vmlinux} is used as it is (it must carry the PVH
     * note). A bzImage with an LZ4 or gzip payload is extracted once to an ELF {@code vmlinux} in the
     * cache, keyed by the image's SHA-256; one whose payload cannot be extracted, or whose kernel has
     * no PVH note, is booted as the bzImage itself (slower: the guest decompresses it). The module list
     * is empty: such a kernel must have the drivers built in.
     */
    public BootKernel hostImage(Path kernel) throws KernelException {
        return hostImages.get(kernel);
    }

    /** How many external processes this provider has started (for tests: a cache hit starts none). */
    int processesStarted() {
        return processes.started();
    }
}
