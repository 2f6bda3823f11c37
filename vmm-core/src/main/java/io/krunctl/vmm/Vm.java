package io.krunctl.vmm;

import io.krunctl.initblob.InitBlob;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.agent.AgentChannel;
import io.krunctl.vmm.agent.ExecRelay;
import io.krunctl.vmm.agent.LogServer;
import io.krunctl.vmm.config.KernelChoice;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.fsdev.FsDevices;
import io.krunctl.vmm.fsdev.RootEntries;
import io.krunctl.vmm.guest.GuestEnvironment;
import io.krunctl.vmm.guest.KernelCommandLine;
import io.krunctl.vmm.initramfs.InitramfsBuilder;
import io.krunctl.vmm.kernel.BootKernel;
import io.krunctl.vmm.kernel.KernelException;
import io.krunctl.vmm.kernel.KernelProvider;
import io.krunctl.vmm.kernel.OwnKernel;
import io.krunctl.vmm.qemu.Accelerator;
import io.krunctl.vmm.qemu.GuestDevices;
import io.krunctl.vmm.qemu.HostPorts;
import io.krunctl.vmm.qemu.QemuBinary;
import io.krunctl.vmm.qemu.QemuCommand;
import io.krunctl.vmm.qemu.QemuProcess;
import io.krunctl.vmm.qemu.QmpMonitor;
import io.krunctl.vmm.qemu.SerialDrain;
import io.krunctl.vmm.stdio.ControlChannel;
import io.krunctl.vmm.stdio.ControlMessage;
import io.krunctl.vmm.stdio.GuestStdio;
import io.krunctl.vmm.stdio.OutputLog;
import io.krunctl.vmm.stdio.TerminalRelay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One microVM's life. {@link #prepare} readies everything QEMU will connect to (kernel, runtime
 * directory, the virtio-fs devices, the stdio and control ports, QMP); {@link #start} boots it;
 * {@link #hostSignal} passes signals on; {@link #waitForExit} supervises it until QEMU has exited and
 * answers the workload's exit code; {@link #close} destroys whatever is left. {@code krunctl run} is
 * these four calls in a row.
 *
 * <p>Nothing outlives the VM: QEMU runs under {@code setpriv --pdeathsig KILL} so that it dies with
 * krunctl even on SIGKILL, a shutdown hook stops it if the JVM exits first, and the private runtime
 * directory with every socket is deleted by {@link #close}.
 *
 * <p>The end of a run: the init reports the exit code through the virtio-fs device, syncs and
 * reboots, and the reboot ends QEMU. The report is answered only once QEMU has passed on what the
 * guest queued on its stdout and stderr ports ({@link SerialDrain}), because the guest kernel's
 * reset of the devices on reboot would make QEMU discard it; then the last bytes are copied to
 * stdout and stderr, however long their readers take.
 */
public final class Vm implements VmControl, AutoCloseable {
    /**
     * The exit code of a run whose {@link LaunchOptions#timeout()} ran out, whatever the workload did
     * then, as {@code timeout(1)} has it.
     */
    public static final int TIMED_OUT = 124;

    private static final Logger LOG = LogManager.getLogger(Vm.class);
    private static final int NO_EXIT_CODE = Integer.MIN_VALUE;
    /** How long QEMU has to exit after {@code quit} before it is killed. */
    private static final Duration QUIT_GRACE = Duration.ofSeconds(3);
    /**
     * How long QEMU may take to exit after a virtio-fs connection ended before the connection counts
     * as lost: QEMU closes its sockets at the end of its clean-up, moments before it exits.
     */
    private static final Duration EXIT_AFTER_DISCONNECT = Duration.ofSeconds(5);
    /** How long the last output may take to reach stdout/stderr after a hard stop. */
    private static final Duration OUTPUT_GRACE_AFTER_STOP = Duration.ofSeconds(2);

    private final LaunchOptions options;
    private final boolean terminal;
    /** What {@link #close} releases, the last opened first. */
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private final Notices notices = new Notices();
    private final OutputLog output = new OutputLog();
    private final RuntimeDir dir;
    private final Thread cleanupOnExit;
    private final Path qemuLog;
    private final Path consoleLog;
    private final QemuCommand command;
    private final GuestStdio stdio;
    private final QmpMonitor qmp;
    private final AgentChannel agent;
    private final RunControl run;
    private final ClockSync clock;
    private final AtomicReference<Throwable> deviceFailure = new AtomicReference<>();
    private volatile Process qemu;
    private volatile int exitCode = NO_EXIT_CODE;
    /** Whether the workload is PID 1 ({@code process.pid1}), which reports no exit code. */
    private final boolean workloadIsPid1;

    /**
     * Prepares the VM {@code config} describes: everything but QEMU itself is up when this returns.
     *
     * @throws VmmException if a prerequisite is missing, the configuration cannot be served, or the
     *                      runtime directory and its sockets cannot be made
     */
    public static Vm prepare(VmConfig config, LaunchOptions options) throws VmmException {
        return new Vm(config, options);
    }

    private Vm(VmConfig config, LaunchOptions options) throws VmmException {
        this.options = options;
        this.workloadIsPid1 = config.process().pid1();
        this.terminal = switch (options.stdio()) {
            case AUTO -> TerminalRelay.interactive();
            case PIPES -> false;
            case TERMINAL -> true;
        };
        Path qemuBinary = QemuBinary.locate();
        HostPorts.requireFree(config.network());
        BootKernel kernel = bootKernel(config.kernel(), options.kernelCache());
        byte[] init = InitBlob.bytes();
        var rootEntries = RootEntries.of(config, init, InitBlob.agentBytes());
        try {
            this.dir = own(RuntimeDir.create());
            own(output);
            this.cleanupOnExit = Thread.ofPlatform().unstarted(this::killQemu);
            Runtime.getRuntime().addShutdownHook(cleanupOnExit);
            owned.push(this::removeShutdownHook);

            QemuCommand.Sockets sockets = new QemuCommand.Sockets(dir.resolve("rootfs.sock"),
                    dir.resolve("qmp.sock"), dir.resolve("control.sock"), terminal ? Optional.empty()
                            : Optional.of(new QemuCommand.StdioSockets(dir.resolve("stdin.sock"),
                                    dir.resolve("stdout.sock"), dir.resolve("stderr.sock"))),
                    Optional.of(dir.resolve("agent.sock")));
            this.consoleLog = options.consoleLog().orElse(dir.resolve("console.log"));
            // A terminal console carries the whole interactive session: it is logged only on request.
            QemuCommand.Console console = terminal
                    ? new QemuCommand.Console.ToSocket(dir.resolve("console.sock"), options.consoleLog())
                    : options.streamConsole()
                            ? new QemuCommand.Console.ToSocket(dir.resolve("console.sock"), Optional.of(consoleLog))
                            : new QemuCommand.Console.ToFile(consoleLog);
            this.qemuLog = dir.resolve("qemu.log");
            Optional<Path> initramfs = initramfs(kernel, init);
            String cmdline = KernelCommandLine.build(config.hostname(), initramfs.isPresent(),
                    QemuCommand.ROOT_TAG, options.verboseConsole(),
                    terminal ? TerminalRelay.windowSize() : Optional.empty());
            if (options.accelerator() == Accelerator.TCG && !(config.kernel() instanceof KernelChoice.HostImage)) {
                cmdline = KernelCommandLine.withoutApicTimer(cmdline);
            }
            cmdline = KernelCommandLine.append(cmdline, GuestEnvironment.variables(config));
            List<FsDevices.Share> shares = FsDevices.shares(config, dir.path());
            this.command = new QemuCommand(qemuBinary, config.name(), options.accelerator(), config.cpus(),
                    config.memoryBytes() / VmConfig.MIB, kernel.image(), initramfs, cmdline, sockets, console,
                    new GuestDevices(config.allDisks(), config.network()),
                    shares.stream().map(FsDevices.Share::qemu).toList());

            FsDevices devices = own(FsDevices.open(config, shares, rootEntries, this::guestExited));
            devices.listen(sockets.rootFs(), this::deviceFailed, this::deviceDisconnected);
            this.stdio = own(GuestStdio.bind(sockets, console, terminal));
            ControlChannel control = own(ControlChannel.listen(sockets.control()));
            this.qmp = own(QmpMonitor.listen(sockets.qmp()));
            this.agent = own(AgentChannel.listen(sockets.agent().orElseThrow()));
            this.run = new RunControl(
                    signal -> control.send(new ControlMessage.Signal(signal)),
                    () -> stdio.windowSize().ifPresent(size ->
                            control.send(new ControlMessage.WindowSize(size.rows(), size.cols()))),
                    notices::show, options.stopTimeout(), Timers.threaded("run-timers"));
            owned.push(run::close);
            this.clock = own(new ClockSync(control::send, InstantSource.system(), Timers.threaded("clock-sync")));
        } catch (IOException | VmmException | RuntimeException e) {
            close();
            throw e instanceof VmmException v ? v
                    : new VmmException(VmmException.Kind.VM_FAILED, "cannot prepare the VM: " + e.getMessage(), e);
        }
    }

    /**
     * Starts QEMU and the stdio relay, and arms the {@code --timeout} clock. The QEMU process is tied
     * to the calling thread (see {@link QemuProcess#start}): call this from the thread that then
     * waits in {@link #waitForExit}.
     */
    public void start() throws VmmException {
        LOG.debug("starting {}", command.argv());
        try {
            qemu = QemuProcess.start(command, qemuLog);
            if (terminal) {
                notices.deferWhileRaw();
            }
            stdio.start(output);
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot start the VM: " + e.getMessage(), e);
        }
        // A terminal's size may have changed, or been set at all, since the kernel command line
        // was written (an OCI engine sizes the container's terminal after create).
        if (terminal) {
            workloadStarted().thenRun(() -> run.hostSignal(Signals.SIGWINCH));
        }
        // The time limit is the workload's: it starts when the init, having started the workload,
        // opens the control port, so that boot time does not count.
        options.timeout().ifPresent(limit -> workloadStarted().thenRun(() -> run.startTimeout(limit)));
        // The guest clock follows the host's from then on (the init reads the port only from then).
        workloadStarted().thenRun(clock::start);
    }

    /**
     * Lets {@code krunctl exec} into this VM through {@code socket}: each client runs a process
     * beside the workload through the guest agent, until {@link #close}.
     */
    public void serveExec(Path socket) throws VmmException {
        try {
            own(ExecRelay.serve(socket, agent));
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot serve exec on " + socket + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Lets {@code krunctl logs} read the last of the workload's output through {@code socket}, and
     * follow it, until {@link #close}.
     */
    public void serveLogs(Path socket) throws VmmException {
        try {
            own(LogServer.serve(socket, output));
        } catch (IOException e) {
            throw new VmmException(VmmException.Kind.VM_FAILED, "cannot serve logs on " + socket + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Completes once the workload has started (the init opens the control port right after it
     * started the workload); never if the VM ends before.
     */
    public CompletableFuture<Void> workloadStarted() {
        return qmp.portOpened(QemuCommand.CONTROL_DEVICE_ID);
    }

    /** QEMU's pid once {@link #start} has started it. */
    public java.util.OptionalLong qemuPid() {
        Process p = qemu;
        return p == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(p.pid());
    }

    @Override
    public void hostSignal(int signal) {
        run.hostSignal(signal);
    }

    /**
     * Waits until QEMU has exited (made to by a hard stop, if one is requested) and the workload's
     * last output has reached stdout and stderr.
     *
     * @return the workload's exit code; 128+N if the VM was stopped hard after signal N;
     *         {@link #TIMED_OUT} if the time limit ran out
     * @throws VmmException if the VM ended without an exit code
     */
    public int waitForExit() throws VmmException {
        try {
            superviseUntilQemuExits();
            awaitOutput();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmException.Kind.VM_FAILED, "interrupted while the VM was running", e);
        } finally {
            stdio.restoreTerminal();
            notices.flush();
        }
        int reported = exitCode;
        Optional<Integer> code = run.exitCode(reported == NO_EXIT_CODE ? Optional.empty() : Optional.of(reported));
        if (code.isPresent()) {
            return code.get();
        }
        if (workloadIsPid1) {
            OptionalInt ended = Pid1Exit.code(consoleText(), qmp.shutdownReason());
            if (ended.isPresent()) {
                return ended.getAsInt();
            }
        }
        throw new VmmException(VmmException.Kind.VM_FAILED, VmFailure.describe(qemu.exitValue(),
                qmp.shutdownReason(), deviceFailure.get(), qemuLog, consoleLog, options.consoleLog().isPresent()));
    }

    /**
     * What the guest console showed: its log, or in terminal mode, where the console is the
     * workload's own output and is logged only on request, what the terminal was shown of it.
     */
    private String consoleText() {
        try {
            return Files.readString(consoleLog, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return new String(output.kept(OutputLog.Stream.STDOUT), StandardCharsets.ISO_8859_1);
        }
    }

    /** Kills QEMU if it still runs, stops every device and relay, and deletes the runtime directory. */
    @Override
    public void close() {
        killQemu();
        if (stdio != null) {
            stdio.restoreTerminal();
        }
        notices.flush();
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                LOG.debug("while destroying the VM: {}", e.toString());
            }
        }
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    private void killQemu() {
        Process p = qemu;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
        }
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook is running or has run.
        }
    }

    /** The guest init reported the workload's exit code; the guest reboots once this returns. */
    private void guestExited(int code) {
        exitCode = code;
        run.workloadGone();
        clock.close();
        if (!terminal) {
            holdRebootUntilOutputDrained();
        }
    }

    /** A virtio-fs device gave up: the VM cannot go on. */
    private void deviceFailed(Throwable failure) {
        deviceFailure.compareAndSet(null, failure);
        killQemu();
    }

    /**
     * A device's connection ended. QEMU exiting ends it, which is no fault; if QEMU goes on running
     * without the device, the guest waits on that share forever, so the VM is stopped as for a device
     * that gave up.
     */
    private void deviceDisconnected(String share, String why) {
        Process p = qemu;
        // Null only if QEMU connected and the connection ended before start() recorded QEMU.
        CompletableFuture<?> exit = p == null ? new CompletableFuture<>() : p.onExit();
        exit.thenApply(exited -> true)
                .completeOnTimeout(false, EXIT_AFTER_DISCONNECT.toMillis(), TimeUnit.MILLISECONDS)
                .thenAccept(exited -> {
                    if (!exited) {
                        LOG.debug("virtio-fs share '{}' disconnected ({}) and QEMU still runs: stopping it", share,
                                why);
                        deviceFailed(new DeviceDisconnected(share, why));
                    }
                });
    }

    /** Waits for QEMU to exit; on a hard-stop request, makes it: QMP {@code quit}, then SIGKILL. */
    private void superviseUntilQemuExits() throws InterruptedException {
        Process process = qemu;
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
    private void holdRebootUntilOutputDrained() {
        LOG.debug("the workload has exited; holding the guest's reboot until QEMU has passed on its output");
        try {
            boolean drained = SerialDrain.await(qmp, List.of(QemuCommand.STDOUT_PORT, QemuCommand.STDERR_PORT),
                    () -> {
                        Process p = qemu;
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
    private void awaitOutput() throws InterruptedException {
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

    private Optional<Path> initramfs(BootKernel kernel, byte[] init) throws IOException {
        if (kernel.modules().isEmpty()) {
            return Optional.empty();
        }
        Path out = dir.resolve("initramfs.cpio");
        InitramfsBuilder.write(out, init, kernel.modules());
        return Optional.of(out);
    }
}
