package io.krunctl.vmm;

import io.krunctl.initblob.InitBlob;
import io.krunctl.virtiofs.vhostuser.VhostUserFsBackend;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.guest.GuestEnvironment;
import io.krunctl.vmm.guest.KernelCommandLine;
import io.krunctl.vmm.guest.KrunConfigJson;
import io.krunctl.vmm.initramfs.InitramfsBuilder;
import io.krunctl.vmm.kernel.BootKernel;
import io.krunctl.vmm.kernel.KernelException;
import io.krunctl.vmm.kernel.KernelProvider;
import io.krunctl.vmm.kernel.OwnKernel;
import io.krunctl.vmm.qemu.Accelerator;
import io.krunctl.vmm.qemu.GuestDevices;
import io.krunctl.vmm.qemu.QemuBinary;
import io.krunctl.vmm.qemu.QemuCommand;
import io.krunctl.vmm.qemu.QmpMonitor;
import io.krunctl.vmm.qemu.SerialDrain;
import io.krunctl.vmm.rootfs.FsDevices;
import io.krunctl.vmm.rootfs.RootEntries;
import io.krunctl.vmm.stdio.ControlChannel;
import io.krunctl.vmm.stdio.ControlMessage;
import io.krunctl.vmm.stdio.GuestStdio;
import io.krunctl.vmm.stdio.TerminalRelay;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs one {@link VmConfig} to completion: prepares the kernel and the root device, starts QEMU,
 * relays stdio, passes signals on, and returns the workload's exit code as the guest init reported
 * it.
 *
 * <p>Nothing outlives the call: QEMU runs under {@code setpriv --pdeathsig KILL} so that it dies
 * with krunctl even on SIGKILL, a shutdown hook stops it if the JVM exits first, and the private
 * runtime directory with every socket is deleted at the end.
 *
 * <p>The end of a run: the init reports the exit code through the virtio-fs device, syncs and
 * reboots, and the reboot ends QEMU. krunctl answers the report only once QEMU has passed on what
 * the guest queued on its stdout and stderr ports ({@link SerialDrain}), because the guest kernel's
 * reset of the devices on reboot would make QEMU discard it; then it copies the last bytes to stdout
 * and stderr, however long their readers take.
 */
public final class VmLauncher {
    /**
     * The exit code of a run whose {@link LaunchOptions#timeout()} ran out, whatever the workload did
     * then, as {@code timeout(1)} has it.
     */
    public static final int TIMED_OUT = 124;

    private static final Logger LOG = LogManager.getLogger(VmLauncher.class);
    private static final int NO_EXIT_CODE = Integer.MIN_VALUE;
    private static final int DEVICE_WORKERS = 2;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /** How long QEMU has to exit after {@code quit} before it is killed. */
    private static final Duration QUIT_GRACE = Duration.ofSeconds(3);
    /** How long the last output may take to reach stdout/stderr after a hard stop. */
    private static final Duration OUTPUT_GRACE_AFTER_STOP = Duration.ofSeconds(2);

    private VmLauncher() {}

    /**
     * Boots the VM, runs the workload and returns its exit code.
     *
     * @throws VmmException if the VM cannot be started or ends without an exit code
     */
    public static int run(VmConfig config, LaunchOptions options) throws VmmException {
        return run(config, options, control -> {});
    }

    /**
     * As {@link #run(VmConfig, LaunchOptions)}, handing {@code attach} the VM's controls before QEMU
     * starts, so that the caller can pass the signals it receives on.
     *
     * @return the workload's exit code; 128+N if the VM was stopped hard after signal N; 124 if the
     *         {@link LaunchOptions#timeout()} ran out
     */
    public static int run(VmConfig config, LaunchOptions options, Consumer<VmControl> attach) throws VmmException {
        Path qemu = QemuBinary.locate();
        BootKernel kernel = bootKernel(config.kernel(), options.kernelCache());
        byte[] init = InitBlob.bytes();
        boolean terminal = switch (options.stdio()) {
            case AUTO -> TerminalRelay.interactive();
            case PIPES -> false;
            case TERMINAL -> true;
        };

        AtomicInteger exitCode = new AtomicInteger(NO_EXIT_CODE);
        // Runs on a device worker while the init waits for the answer to its exit-code report.
        AtomicReference<Runnable> beforeReboot = new AtomicReference<>(() -> {});
        java.util.function.IntConsumer exitCodeSink = code -> {
            exitCode.set(code);
            beforeReboot.get().run();
        };
        java.util.Map<String, io.krunctl.virtiofs.fs.VirtualEntry> rootEntries = rootEntries(config, init);

        RuntimeDir dir;
        try {
            dir = RuntimeDir.create();
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot create a runtime directory: " + e.getMessage(), e);
        }
        AtomicReference<Process> qemuProcess = new AtomicReference<>();
        AtomicReference<Throwable> deviceFailure = new AtomicReference<>();
        Thread cleanupOnExit = Thread.ofPlatform().unstarted(() -> {
            Process p = qemuProcess.get();
            if (p != null) {
                p.destroyForcibly();
            }
            dir.close();
        });
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        Notices notices = new Notices();
        try {
            QemuCommand.Sockets sockets = new QemuCommand.Sockets(dir.resolve("rootfs.sock"),
                    dir.resolve("qmp.sock"), dir.resolve("control.sock"), terminal ? Optional.empty()
                            : Optional.of(new QemuCommand.StdioSockets(dir.resolve("stdin.sock"),
                                    dir.resolve("stdout.sock"), dir.resolve("stderr.sock"))));
            Path consoleLog = options.consoleLog().orElse(dir.resolve("console.log"));
            // A terminal console carries the whole interactive session: it is logged only on request.
            QemuCommand.Console console = terminal
                    ? new QemuCommand.Console.ToSocket(dir.resolve("console.sock"), options.consoleLog())
                    : options.streamConsole()
                            ? new QemuCommand.Console.ToSocket(dir.resolve("console.sock"), Optional.of(consoleLog))
                            : new QemuCommand.Console.ToFile(consoleLog);
            Path qemuLog = dir.resolve("qemu.log");
            Optional<Path> initramfs = initramfs(kernel, init, dir);
            String cmdline = KernelCommandLine.build(config.hostname(), initramfs.isPresent(),
                    QemuCommand.ROOT_TAG, options.verboseConsole(),
                    terminal ? TerminalRelay.windowSize() : Optional.empty());
            if (options.accelerator() == Accelerator.TCG && !(config.kernel() instanceof KernelChoice.HostImage)) {
                cmdline = KernelCommandLine.withoutApicTimer(cmdline);
            }
            cmdline = KernelCommandLine.append(cmdline, GuestEnvironment.variables(config));
            List<FsDevices.Share> shares = FsDevices.shares(config, dir.path());
            QemuCommand command = new QemuCommand(qemu, config.name(), options.accelerator(), config.cpus(),
                    config.memoryBytes() / VmConfig.MIB, kernel.image(), initramfs, cmdline, sockets, console,
                    new GuestDevices(config.allDisks(), config.network()),
                    shares.stream().map(FsDevices.Share::qemu).toList());
            Consumer<Throwable> onDeviceFailure = failure -> {
                deviceFailure.compareAndSet(null, failure);
                Process p = qemuProcess.get();
                if (p != null) {
                    p.destroyForcibly();
                }
            };

            // The filesystems close after every device has stopped (resources close in reverse order).
            try (FsDevices filesystems = FsDevices.open(config, shares, rootEntries, exitCodeSink);
                    VhostUserFsBackend device = VhostUserFsBackend.listen(sockets.rootFs(),
                            filesystems.rootHandler(), DEVICE_WORKERS, onDeviceFailure);
                    GuestStdio stdio = GuestStdio.bind(sockets, console, terminal);
                    ControlChannel control = ControlChannel.listen(sockets.control());
                    QmpMonitor qmp = QmpMonitor.listen(sockets.qmp())) {
                filesystems.listen(DEVICE_WORKERS, onDeviceFailure);
                RunControl run = new RunControl(
                        signal -> control.send(new ControlMessage.Signal(signal)),
                        () -> stdio.windowSize().ifPresent(size ->
                                control.send(new ControlMessage.WindowSize(size.rows(), size.cols()))),
                        notices::show, options.stopTimeout());
                beforeReboot.set(() -> {
                    run.workloadGone();
                    if (!terminal) {
                        drainOutputPorts(qmp, run, qemuProcess);
                    }
                });
                try {
                    attach.accept(run);
                    LOG.debug("starting {}", command.argv());
                    Process process = start(command, qemuLog);
                    qemuProcess.set(process);
                    if (terminal) {
                        notices.deferWhileRaw();
                    }
                    stdio.start();
                    // The time limit is the workload's: it starts when the init, having started the
                    // workload, opens the control port, so that boot time does not count.
                    options.timeout().ifPresent(limit -> qmp.portOpened(QemuCommand.CONTROL_DEVICE_ID)
                            .thenRun(() -> run.startTimeout(limit)));

                    superviseUntilQemuExits(process, qmp, run);
                    awaitOutput(stdio, run);
                    stdio.restoreTerminal();
                    notices.flush();

                    Optional<Integer> code = run.exitCode(exitCode.get() == NO_EXIT_CODE
                            ? Optional.empty() : Optional.of(exitCode.get()));
                    if (code.isPresent()) {
                        return code.get();
                    }
                    int qemuStatus = process.exitValue();
                    throw new VmmException(VmmException.Kind.VM_FAILED, describeFailure(
                            qemuStatus, qmp.shutdownReason(), deviceFailure.get(), qemuLog, consoleLog,
                            options.consoleLog().isPresent()));
                } finally {
                    run.close();
                    stdio.restoreTerminal();
                    notices.flush();
                }
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
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down; the hook is running or has run.
            }
        }
    }

    /** Waits for QEMU to exit; on a hard-stop request, makes it: QMP {@code quit}, then SIGKILL. */
    private static void superviseUntilQemuExits(Process process, QmpMonitor qmp, RunControl run)
            throws InterruptedException {
        try {
            CompletableFuture.anyOf(process.onExit(), run.hardStop()).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot happen: neither completes exceptionally", e);
        }
        if (!process.isAlive()) {
            return;
        }
        qmp.quit();
        if (!process.waitFor(QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.debug("QEMU did not quit within {} ms; killing it", QUIT_GRACE.toMillis());
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /**
     * Holds the init's reboot until QEMU has passed on what the guest queued on its stdout and stderr
     * ports, as long as a slow reader takes, unless the VM is being stopped or QEMU is gone.
     */
    private static void drainOutputPorts(QmpMonitor qmp, RunControl run, AtomicReference<Process> qemu) {
        LOG.debug("the workload has exited; holding the guest's reboot until QEMU has passed on its output");
        try {
            boolean drained = SerialDrain.await(qmp, List.of(QemuCommand.STDOUT_PORT, QemuCommand.STDERR_PORT),
                    () -> {
                        Process p = qemu.get();
                        return run.stopping() || (p != null && !p.isAlive());
                    });
            LOG.debug("the workload's output {} passed on before the guest reboots", drained ? "is" : "may not be");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until the last output has reached stdout and stderr (QEMU has closed its sockets). A
     * slow reader is waited for as long as it takes, like any program writing to a pipe, unless a
     * hard stop is requested, which gives the output a short grace period.
     */
    private static void awaitOutput(GuestStdio stdio, RunControl run) throws InterruptedException {
        while (!run.stopping()) {
            if (stdio.awaitOutput(Duration.ofMillis(200))) {
                return;
            }
        }
        if (!stdio.awaitOutput(OUTPUT_GRACE_AFTER_STOP)) {
            LOG.debug("the guest's last output did not reach the host within {} ms of the stop",
                    OUTPUT_GRACE_AFTER_STOP.toMillis());
        }
    }

    private static BootKernel bootKernel(KernelChoice choice, Path cache) throws VmmException {
        KernelProvider kernels = new KernelProvider(cache);
        try {
            return switch (choice) {
                case KernelChoice.Own o -> {
                    Optional<BootKernel> own = OwnKernel.find(kernels.cacheDir());
                    if (own.isEmpty()) {
                        LOG.warn("krunctl's own kernel is not built (`make build` builds it); booting the Debian"
                                + " kernel");
                    }
                    yield own.isPresent() ? own.get() : kernels.distributionKernel();
                }
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
            entries.file("/" + KrunConfigJson.FILE_NAME, KrunConfigJson.encode(config.process(), config.mounts(),
                    config.root() instanceof io.krunctl.vmm.config.RootConfig.Dir d && d.readOnly()), 0444, true);
            for (String mountPoint : RootEntries.MOUNT_POINTS) {
                if (FsDevices.lacksDirectory(config.root(), mountPoint)) {
                    entries.directory("/" + mountPoint);
                }
            }
            // Mount points exist even on a read-only root; over a host directory that has them, a
            // virtual directory only carries its virtual children (AugmentFs grafts them).
            for (io.krunctl.vmm.config.MountConfig mount : config.mounts()) {
                entries.directory(mount.destination());
            }
            for (String dir : GuestEnvironment.rootDirectories(config)) {
                entries.directory(dir);
            }
            for (VirtualFile file : config.files()) {
                entries.file(file.guestPath(), contentOf(file), file.mode(), file.oneShot());
            }
            Optional<VirtualFile> resolvConf = GuestEnvironment.resolvConf(config);
            if (resolvConf.isPresent()) {
                VirtualFile file = resolvConf.get();
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
        if (Files.isExecutable(SETSID)) {
            // A session of its own: a ^C or ^Z typed at krunctl's terminal signals the terminal's
            // foreground process group, and QEMU must not be in it. It would die of the SIGINT that
            // krunctl passes to the workload. (A child of the JVM never leads its process group, so
            // setsid execs QEMU in place instead of forking.)
            argv.add(SETSID.toString());
        }
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
