package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The init is the user's to replace: the bundled init written with {@code krunctl init-binary} and
 * given back with {@code init: {source}} runs as usual, and an init of one's own (a busybox script,
 * from {@code init.source} or from {@code files} with {@code init.disabled}) runs as PID 1 instead.
 * Nothing then reports an exit code: the script's exit panics the guest kernel, whose message
 * carries the script's own exit status, and krunctl exits 70 naming it. (The script does not print:
 * an init that exits at once can lose what it wrote to the console, which the kernel may not have
 * passed on before the panic.)
 */
class CustomInitIT {
    /** The script's exit status, 42, as the kernel's panic shows a wait status. */
    private static final String SCRIPT_EXIT = "exitcode=0x00002a00";
    private static final String SCRIPT = "#!/bin/busybox sh\nexit 42\n";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    private Path spec(String name, String init, String extraFiles, String args) throws Exception {
        Path spec = dir.resolve(name + ".yaml");
        Files.writeString(spec, "apiVersion: krunctl/v1\n"
                + "name: " + name + "\n"
                + "root: {nullfs: {}}\n"
                + "init: " + init + "\n"
                + "files:\n"
                + "  - {path: /bin/busybox, source: /bin/busybox, mode: \"0755\"}\n"
                + extraFiles
                + "process: {args: " + args + "}\n");
        return spec;
    }

    @Test
    void theBundledInitWrittenOutRunsAsUsualFromInitSource() throws Exception {
        Path init = dir.resolve("krun-init");
        Krunctl.Result written = Krunctl.run(new byte[0], "init-binary", "-o", init.toString());
        assertThat(written.exitCode()).as("stderr: %s", written.stderr()).isZero();
        assertThat(Files.isExecutable(init)).isTrue();

        Path spec = spec("own-init-source", "{source: ./krun-init}", "",
                "[/bin/busybox, sh, -c, \"echo from-the-workload; exit 7\"]");
        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(7);
        assertThat(r.stdoutText()).isEqualTo("from-the-workload\n");
    }

    @Test
    void aDisabledInitRunsTheSpecsOwnFile() throws Exception {
        Path spec = spec("own-init-files", "{disabled: true}",
                "  - {path: /init.krun, content: " + Krunctl.quote(SCRIPT) + ", mode: \"0755\"}\n",
                "[/bin/never-run]");
        assertOwnInitRan(spec);
    }

    @Test
    void aScriptFromInitSourceRunsAsTheInit() throws Exception {
        Files.writeString(dir.resolve("init.sh"), SCRIPT);
        Path spec = spec("own-init-script", "{source: init.sh}", "", "[/bin/never-run]");
        assertOwnInitRan(spec);
    }

    private void assertOwnInitRan(Path spec) throws Exception {
        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(ExitCodes.VM_FAILED);
        assertThat(r.stderr()).contains("the guest kernel panicked: Attempted to kill init! " + SCRIPT_EXIT);
    }
}
