package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: {@code krunctl exec} into a running VM through the guest agent. One VM, started with
 * {@code krunctl run --name}, whose workload only waits; every test execs into it from other
 * krunctl processes, as a user would from another terminal, and the workload is not disturbed.
 */
class ExecIT {
    private static final Duration EXEC = Duration.ofMinutes(2);

    @TempDir
    static Path dir;

    private static String name;
    private static KrunctlProcess vm;

    @BeforeAll
    static void startVm() throws Exception {
        Krunctl.assumeQemu();
        name = "exec-it-" + UUID.randomUUID().toString().substring(0, 8);
        Path spec = Krunctl.busyboxSpec(dir, "waiter", "", "/bin/busybox", "sh", "-c",
                "trap 'echo usr1' USR1; echo ready; while :; do /bin/busybox sleep 0.1; done");
        vm = KrunctlProcess.start("run", "--name", name, spec.toString());
        vm.awaitStdout("ready\n", Duration.ofMinutes(2));
    }

    @AfterAll
    static void stopVm() throws Exception {
        if (vm != null) {
            vm.signal("TERM");
            assertThat(vm.awaitExit(Duration.ofMinutes(1))).as("the workload's own end").isEqualTo(143);
            vm.close();
        }
    }

    private static Krunctl.Result exec(byte[] stdin, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("exec"));
        argv.addAll(List.of(args));
        return Krunctl.run(stdin, argv.toArray(String[]::new));
    }

    @Test
    void stdoutAndStderrAreSeparateAndTheExitCodeIsTheProcesss() throws Exception {
        Krunctl.Result r = exec(new byte[0], name, "--", "/bin/busybox", "sh", "-c",
                "echo out; echo err >&2; exit 3");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(3);
        assertThat(r.stdoutText()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
    }

    @Test
    void sixtyFourMegabytesThroughCatKeepTheirHash() throws Exception {
        byte[] data = new byte[64 << 20];
        new Random(64).nextBytes(data);

        Krunctl.Result r = exec(data, "-i", name, "--", "/bin/busybox", "cat");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(sha256(r.stdout())).isEqualTo(sha256(data));
    }

    @Test
    void deathBySignalIs128PlusNAndAMissingProgramIs127() throws Exception {
        Krunctl.Result killed = exec(new byte[0], name, "--", "/bin/busybox", "sh", "-c", "kill -9 $$");
        Krunctl.Result missing = exec(new byte[0], name, "--", "/no/such/program");

        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.stderr()).hasLineCount(1).startsWith("krunctl: exec: ").contains("/no/such/program");
    }

    @Test
    void environmentDirectoryAndUserComeFromTheFlags() throws Exception {
        Krunctl.Result r = exec(new byte[0], "-e", "K=V", "-w", "/dev", "-u", "1000:1000", name, "--",
                "/bin/busybox", "sh", "-c", "echo $K; pwd; /bin/busybox id -u; /bin/busybox id -g");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).isEqualTo("V\n/dev\n1000\n1000\n");
    }

    @Test
    void sigintAndSigtermReachTheExecdProcess() throws Exception {
        try (KrunctlProcess k = KrunctlProcess.start("exec", name, "--", "/bin/busybox", "sh", "-c",
                "trap 'echo got INT' INT; trap 'echo got TERM; exit 5' TERM; echo ready;"
                        + " while :; do /bin/busybox sleep 0.1; done")) {
            k.awaitStdout("ready\n", EXEC);
            k.signal("INT");
            k.awaitStdout("got INT\n", EXEC);
            k.signal("TERM");

            assertThat(k.awaitExit(EXEC)).as("stderr: %s", k.stderr()).isEqualTo(5);
            assertThat(k.stdoutToEnd()).isEqualTo("ready\ngot INT\ngot TERM\n");
        }
    }

    @Test
    void eightConcurrentExecsEachGetTheirOwnOutput() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Krunctl.Result>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                results.add(pool.submit(() -> exec(new byte[0], name, "--", "/bin/busybox", "sh", "-c",
                        "/bin/busybox seq " + (n * 1000) + " " + (n * 1000 + 999) + "; exit " + n)));
            }
            for (int i = 0; i < 8; i++) {
                Krunctl.Result r = results.get(i).get(5, TimeUnit.MINUTES);
                StringBuilder expected = new StringBuilder();
                for (int v = i * 1000; v < i * 1000 + 1000; v++) {
                    expected.append(v).append('\n');
                }
                assertThat(r.exitCode()).isEqualTo(i);
                assertThat(r.stdoutText()).isEqualTo(expected.toString());
            }
        }
    }

    @Test
    void anExecIntoAVmThatIsStillBootingWaitsForItsAgent() throws Exception {
        String booting = "boot-" + UUID.randomUUID().toString().substring(0, 8);
        Path spec = Krunctl.busyboxSpec(dir, "booting", "", "/bin/busybox", "sh", "-c",
                "echo up; exec /bin/busybox sleep 600");
        try (KrunctlProcess other = KrunctlProcess.start("run", "--name", booting, spec.toString())) {
            // The name is claimed before QEMU starts; exec as soon as it is there.
            long deadline = System.nanoTime() + EXEC.toNanos();
            while (!Krunctl.run(new byte[0], "ps").stdoutText().contains(booting + " ")) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
            Krunctl.Result r = exec(new byte[0], booting, "--", "/bin/busybox", "echo", "booted");

            assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
            assertThat(r.stdoutText()).isEqualTo("booted\n");
            // logs -f of a foreground VM: what it kept, then nothing more until the VM ends.
            try (KrunctlProcess follower = KrunctlProcess.start("logs", "-f", booting)) {
                follower.awaitStdout("up\n", EXEC);
                assertThat(Krunctl.run(new byte[0], "stop", booting).exitCode()).as("stop of a foreground VM")
                        .isZero();
                assertThat(other.awaitExit(EXEC)).as("its krunctl run ends with the workload's 143").isEqualTo(143);
                assertThat(follower.awaitExit(EXEC)).as("logs -f ends with the VM").isZero();
                assertThat(follower.stdoutToEnd()).isEqualTo("up\n");
            }
        }
    }

    @Test
    void killAndLogsWorkOnAForegroundVmToo() throws Exception {
        assertThat(Krunctl.run(new byte[0], "kill", name, "USR1").exitCode()).isZero();

        long deadline = System.nanoTime() + EXEC.toNanos();
        Krunctl.Result logs;
        do {
            logs = Krunctl.run(new byte[0], "logs", name);
            assertThat(System.nanoTime()).as("usr1 in the logs: %s", logs.stdoutText()).isLessThan(deadline);
        } while (!logs.stdoutText().contains("usr1"));
        assertThat(logs.exitCode()).isZero();
        assertThat(logs.stdoutText()).startsWith("ready\nusr1\n");
    }

    @Test
    void anUnknownNameIsAOneLineErrorWithItsOwnExitCode() throws Exception {
        Krunctl.Result r = exec(new byte[0], "no-such-vm-" + UUID.randomUUID().toString().substring(0, 8), "--",
                "true");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.NO_SUCH_VM);
        assertThat(r.stderr()).hasLineCount(1).startsWith("krunctl: no running VM is named no-such-vm-");
    }

    @Test
    void psListsTheRunningVmAndASecondRunCannotTakeItsName() throws Exception {
        Krunctl.Result ps = Krunctl.run(new byte[0], "ps");
        Path spec = Krunctl.busyboxSpec(dir, "clash", "", "/bin/busybox", "true");
        Krunctl.Result clash = Krunctl.run(new byte[0], "run", "--name", name, spec.toString());

        assertThat(ps.stdoutText().lines()).anySatisfy(l -> assertThat(l).startsWith(name + " ").contains("running"));
        assertThat(clash.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(clash.stderr()).hasLineCount(1).contains("a VM named " + name + " is already running");
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
