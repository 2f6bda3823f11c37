package io.krunctl.vmm;

import io.krunctl.initblob.InitBlob;
import io.krunctl.virtiofs.fs.AugmentFs;
import io.krunctl.virtiofs.fs.InodeAllocator;
import io.krunctl.virtiofs.fs.NullFs;
import io.krunctl.virtiofs.fuse.FuseServer;
import io.krunctl.virtiofs.vhostuser.VhostUserFsBackend;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.guest.KernelCommandLine;
import io.krunctl.vmm.guest.KrunConfigJson;
import io.krunctl.vmm.initramfs.InitramfsBuilder;
import io.krunctl.vmm.kernel.BootKernel;
import io.krunctl.vmm.kernel.KernelException;
import io.krunctl.vmm.kernel.KernelProvider;
import io.krunctl.vmm.qemu.QemuBinary;
import io.krunctl.vmm.qemu.QemuCommand;
import io.krunctl.vmm.qemu.QmpMonitor;
import io.krunctl.vmm.rootfs.RootEntries;
import io.krunctl.vmm.stdio.StdioRelay;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs one {@link VmConfig} to completion: prepares the kernel and the root device, starts QEMU,
 * relays stdio, and returns the workload's exit code as the guest init reported it.
 *
 * <p>Nothing outlives the call: QEMU runs under {@code setpriv --pdeathsig KILL} so that it dies
 * with krunctl even on SIGKILL, a shutdown hook stops it on SIGINT/SIGTERM, and the private
 * runtime directory with every socket is deleted at the end.
 */
public final class VmLauncher {
    private static final Logger LOG = LogManager.getLogger(VmLauncher.class);
    private static final int NO_EXIT_CODE = Integer.MIN_VALUE;
    private static final int DEVICE_WORKERS = 2;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private VmLauncher() {}

    /**
     * Boots the VM, runs the workload and returns its exit code.
     *
     * @throws VmmException if the VM cannot be started or ends without an exit code
     */
    public static int run(VmConfig config, LaunchOptions options) throws VmmException {
        Path qemu = QemuBinary.locate();
        BootKernel kernel = bootKernel(config.kernel(), options.kernelCache());
        byte[] init = InitBlob.bytes();

        AtomicInteger exitCode = new AtomicInteger(NO_EXIT_CODE);
        InodeAllocator inodes = new InodeAllocator();
        AugmentFs rootFs = new AugmentFs(new NullFs(), inodes, rootEntries(config, init), exitCode::set);
        FuseServer fuse = new FuseServer(rootFs);

        RuntimeDir dir;
        try {
            dir = RuntimeDir.create();
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot create a runtime directory: " + e.getMessage(), e);
        }
        AtomicReference<Process> qemuProcess = new AtomicReference<>();
        AtomicReference<Throwable> deviceFailure = new AtomicReference<>();
        Thread cleanupOnSignal = Thread.ofPlatform().unstarted(() -> {
            Process p = qemuProcess.get();
            if (p != null) {
                p.destroyForcibly();
            }
            dir.close();
        });
        Runtime.getRuntime().addShutdownHook(cleanupOnSignal);
        try {
            QemuCommand.Sockets sockets = new QemuCommand.Sockets(dir.resolve("rootfs.sock"),
                    dir.resolve("qmp.sock"), dir.resolve("stdin.sock"), dir.resolve("stdout.sock"),
                    dir.resolve("stderr.sock"));
            Path consoleLog = options.consoleLog().orElse(dir.resolve("console.log"));
            Path qemuLog = dir.resolve("qemu.log");
            Optional<Path> initramfs = initramfs(kernel, init, dir);
            String cmdline = KernelCommandLine.build(config.hostname(), initramfs.isPresent(),
                    QemuCommand.ROOT_TAG, options.verboseConsole());
            QemuCommand command = new QemuCommand(qemu, config.name(), options.accelerator(), config.cpus(),
                    config.memoryBytes() / VmConfig.MIB, kernel.image(), initramfs, cmdline, sockets, consoleLog);

            try (VhostUserFsBackend device = VhostUserFsBackend.listen(sockets.rootFs(), fuse::handle,
                            DEVICE_WORKERS, failure -> {
                                deviceFailure.compareAndSet(null, failure);
                                Process p = qemuProcess.get();
                                if (p != null) {
                                    p.destroyForcibly();
                                }
                            });
                    StdioRelay stdio = StdioRelay.bind(sockets.stdin(), sockets.stdout(), sockets.stderr());
                    QmpMonitor qmp = QmpMonitor.listen(sockets.qmp())) {
                LOG.debug("starting {}", command.argv());
                Process process = start(command, qemuLog);
                qemuProcess.set(process);
                stdio.startWithProcessStdio();
                int qemuStatus = process.waitFor();
                if (!stdio.awaitOutputs(Duration.ofSeconds(10))) {
                    LOG.warn("the guest's output did not end within 10 s after QEMU exited");
                }
                int code = exitCode.get();
                if (code != NO_EXIT_CODE) {
                    return code;
                }
                throw new VmmException(VmmException.Kind.VM_FAILED, describeFailure(
                        qemuStatus, qmp.shutdownReason(), deviceFailure.get(), qemuLog, consoleLog,
                        options.consoleLog().isPresent()));
            }
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot start the VM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmException.Kind.VM_FAILED, "interrupted while the VM was running", e);
        } finally {
            Process p = qemuProcess.get();
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
            dir.close();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnSignal);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down; the hook is running or has run.
            }
        }
    }

    private static BootKernel bootKernel(KernelChoice choice, Path cache) throws VmmException {
        KernelProvider kernels = new KernelProvider(cache);
        try {
            return switch (choice) {
                case KernelChoice.Distribution d -> kernels.distributionKernel();
                case KernelChoice.HostImage h -> kernels.hostImage(h.path());
            };
        } catch (KernelException e) {
            throw new VmmException(VmmException.Kind.MISSING_PREREQUISITE, e.getMessage(), e);
        }
    }

    static java.util.Map<String, io.krunctl.virtiofs.fs.VirtualEntry> rootEntries(VmConfig config, byte[] init)
            throws VmmException {
        RootEntries entries = new RootEntries();
        try {
            entries.file("/init.krun", init, 0755, true);
            entries.file("/" + KrunConfigJson.FILE_NAME, KrunConfigJson.encode(config.process()), 0444, true);
            for (String mountPoint : RootEntries.MOUNT_POINTS) {
                entries.directory("/" + mountPoint);
            }
            for (VirtualFile file : config.files()) {
                entries.file(file.guestPath(), contentOf(file), file.mode(), file.oneShot());
            }
        } catch (IllegalArgumentException e) {
            throw new VmmException(VmmException.Kind.BAD_CONFIGURATION, e.getMessage(), e);
        }
        return entries.build();
    }

    private static byte[] contentOf(VirtualFile file) throws VmmException {
        return switch (file.content()) {
            case VirtualFile.Content.Inline inline -> inline.bytes();
            case VirtualFile.Content.HostFile host -> {
                try {
                    yield Files.readAllBytes(host.path());
                } catch (IOException e) {
                    throw new VmmException(VmmException.Kind.BAD_CONFIGURATION,
                            "cannot read " + host.path() + " for " + file.guestPath() + ": " + e.getMessage(), e);
                }
            }
        };
    }

    private static Optional<Path> initramfs(BootKernel kernel, byte[] init, RuntimeDir dir) throws IOException {
        if (kernel.modules().isEmpty()) {
            return Optional.empty();
        }
        Path out = dir.resolve("initramfs.cpio");
        InitramfsBuilder.write(out, init, kernel.modules());
        return Optional.of(out);
    }

    private static Process start(QemuCommand command, Path qemuLog) throws IOException {
        List<String> argv = new java.util.ArrayList<>();
        if (Files.isExecutable(SETPRIV)) {
            // The parent-death signal is tied to the thread that forks; run() is called on the
            // thread that waits for QEMU, so it lives as long as QEMU should.
            argv.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        }
        argv.addAll(command.argv());
        return new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(qemuLog.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(qemuLog.toFile()))
                .start();
    }

    private static String describeFailure(int qemuStatus, Optional<String> shutdownReason, Throwable deviceFailure,
            Path qemuLog, Path consoleLog, boolean consoleKept) {
        StringBuilder why = new StringBuilder("the VM ended without reporting the workload's exit code");
        if (deviceFailure != null) {
            why.append(" (virtio-fs device failed: ").append(deviceFailure.getMessage()).append(')');
        } else if (qemuStatus != 0) {
            why.append(" (QEMU exited with status ").append(qemuStatus).append(')');
        } else {
            shutdownReason.ifPresent(r -> why.append(" (QEMU shutdown reason: ").append(r).append(')'));
        }
        String qemuTail = tail(qemuLog, 5);
        if (!qemuTail.isEmpty()) {
            why.append("; QEMU said: ").append(qemuTail);
        }
        String consoleTail = tail(consoleLog, 5);
        if (!consoleTail.isEmpty()) {
            why.append("; guest console: ").append(consoleTail);
        }
        if (!consoleKept) {
            why.append("; rerun with --console FILE to keep the whole guest console");
        }
        return why.toString();
    }

    /** The last {@code lines} non-empty lines of a log, joined with " | " to keep the error one line. */
    static String tail(Path log, int lines) {
        try {
            // Console output may hold partial UTF-8 or control bytes; decode leniently.
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
