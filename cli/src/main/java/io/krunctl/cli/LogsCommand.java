package io.krunctl.cli;

import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.agent.Frame;
import io.krunctl.vmm.agent.FrameCodec;
import io.krunctl.vmm.state.VmRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code krunctl logs [-f] NAME}: a detached VM's output. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Print what the workload of the VM named NAME wrote: its stdout on stdout, its stderr on stderr.",
            "For a VM started with krunctl run -d, everything, with krunctl's own messages about the run on"
                    + " stderr, while it runs and after it has exited, until its name is used again. For a VM"
                    + " running in the foreground, the last 256 KiB of each stream (the rest went to its terminal"
                    + " or pipeline), stdout first, while it runs."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl logs web", "  krunctl logs -f web"})
final class LogsCommand implements Callable<Integer> {
    private static final long POLL_MILLIS = 100;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing what the workload writes until the VM ends.")
    boolean follow;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        VmRegistry.Entry vm;
        try {
            vm = VmRegistry.ofCurrentUser().get(name);
        } catch (VmmException e) {
            return ExitCodes.reported(err, e);
        }
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        OutputStream stderr = new FileOutputStream(FileDescriptor.err);
        if (!vm.detached()) {
            return fromSupervisor(vm, stdout, stderr, err);
        }
        try (InputStream out = Files.newInputStream(vm.stdoutLog());
                InputStream errLog = Files.newInputStream(vm.stderrLog())) {
            while (true) {
                // Read the VM's state first: what was written before it ended is then all copied below.
                boolean running = follow && vm.alive();
                out.transferTo(stdout);
                errLog.transferTo(stderr);
                stdout.flush();
                stderr.flush();
                if (!running) {
                    return ExitCodes.OK;
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException e) {
            err.println("krunctl: cannot read the logs of " + name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.OK;
        }
    }

    /** A foreground VM's output, as its supervisor keeps the last of it ({@code OutputLog}). */
    private int fromSupervisor(VmRegistry.Entry vm, OutputStream stdout, OutputStream stderr, PrintWriter err) {
        if (!vm.alive()) {
            err.println("krunctl: the VM named " + name + " has ended; only a VM started with -d keeps its output");
            err.flush();
            return ExitCodes.NO_SUCH_VM;
        }
        try (SocketChannel supervisor = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            supervisor.connect(UnixDomainSocketAddress.of(vm.logsSocket()));
            supervisor.write(ByteBuffer.wrap(new byte[] {(byte) (follow ? 1 : 0)}));
            Frame f;
            while ((f = FrameCodec.read(supervisor)) != null) {
                (f.kind() == Frame.Kind.STDERR ? stderr : stdout).write(f.payload());
                (f.kind() == Frame.Kind.STDERR ? stderr : stdout).flush();
            }
            return ExitCodes.OK;
        } catch (IOException e) {
            err.println("krunctl: cannot read the output of " + name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        }
    }
}
