package io.krunctl.vmm.kernel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link KernelProvider} in a separate JVM, for tests that need a second process (the cache's
 * FileLock) or a different environment (apt configuration). Prints one line: {@code OK <image>
 * <processes started>} or {@code ERROR <message>}.
 *
 * <p>Arguments: {@code dist <cacheDir>}, {@code host <cacheDir> <image>}, or {@code default-cache-dir}
 * (prints {@link KernelProvider#defaultCacheDir()}).
 */
public final class ProviderMain {

    private ProviderMain() {}

    public static void main(String[] args) {
        if (args[0].equals("default-cache-dir")) {
            System.out.println(KernelProvider.defaultCacheDir());
            return;
        }
        KernelProvider p = new KernelProvider(Path.of(args[1]));
        try {
            BootKernel k = args[0].equals("dist") ? p.distributionKernel() : p.hostImage(Path.of(args[2]));
            System.out.println("OK " + k.image() + " " + p.processesStarted());
        } catch (KernelException e) {
            System.out.println("ERROR " + e.getMessage());
        }
    }

    /** Starts this class in a new JVM with the test class path. */
    static ProcessBuilder command(String... args) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                javaBin, "-cp", System.getProperty("java.class.path"), ProviderMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
    }
}
