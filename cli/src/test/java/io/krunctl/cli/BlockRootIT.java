package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: libkrun's block root with remount (an ext4 image the test builds with
 * {@code mkfs.ext4 -d} becomes the guest's {@code /}), extra disks in spec order, and the workload's
 * identity and limits: host name, working directory, environment and {@code process.rlimits}; a
 * block root is left clean (no journal to recover) however its workload ended, and the init's setup
 * errors reach the host's stderr from a block root as from a directory root.
 */
class BlockRootIT {
    private static final byte[] NO_INPUT = new byte[0];
    /**
     * A shell line that starts a background process which ignores SIGHUP and SIGTERM, holds
     * {@code /data/held} open for writing and outlives the workload; the line returns once the file
     * is open.
     */
    private static final String HOLDER = "(trap '' HUP TERM; exec 3>>/data/held; "
            + "while :; do /bin/busybox sleep 1; done) & "
            + "while [ ! -e /data/held ]; do /bin/busybox sleep 0.05; done";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemuAndE2fsprogs() {
        Krunctl.assumeQemu();
        // Not an assumption: e2fsprogs is a prerequisite (scripts/prereqs.sh), like QEMU in CI.
        tool("mkfs.ext4");
        tool("debugfs");
        tool("dumpe2fs");
    }

    @Test
    void ext4ImageIsTheRootWritesPersistAndTheWorkloadSeesItsSpec() throws Exception {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        Files.createDirectories(rootfs.resolve("data"));
        Files.writeString(rootfs.resolve("data/marker"), "made-by-mkfs\n");
        Files.createDirectories(rootfs.resolve("srv/app"));
        Files.createDirectories(rootfs.resolve("mnt"));
        Path image = mkfs(rootfs, dir.resolve("root.ext4"), "48M");
        Path extra = dir.resolve("extra");
        Files.createDirectories(extra);
        Files.writeString(extra.resolve("hello"), "hello-from-vdb\n");
        Path data = mkfs(extra, dir.resolve("data.img"), "4M");
        String dataDigest = md5(data);

        String script = String.join("\n",
                "B=/bin/busybox",
                "echo \"root=$($B grep ' / ' /proc/mounts | $B cut -d' ' -f1-4)\"",
                "echo \"marker=$($B cat /data/marker)\"",
                "echo \"hostname=$($B hostname)\"",
                "echo \"pwd=$(pwd)\"",
                "echo \"nofile=$(ulimit -Sn):$(ulimit -Hn) nproc=$(ulimit -Su):$(ulimit -Hu)\"",
                "$B env | $B sort | $B sed 's/^/env /'",
                "echo \"vdb-ro=$($B cat /sys/block/vdb/ro)\"",
                "$B mount -o ro /dev/vdb /mnt && echo \"vdb=$($B cat /mnt/hello)\"",
                "echo written-in-guest > /data/new",
                "exit 7",
                "");
        Path spec = dir.resolve("block-root.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: block-root
                hostname: builder
                root:
                  disk: {path: ./root.ext4, fstype: ext4, options: "commit=7,errors=remount-ro"}
                disks:
                  - {path: ./data.img, readOnly: true}
                process:
                  args: [/bin/busybox, sh, -c, %s]
                  env: {GREETING: hi there, CC: gcc}
                  workdir: /srv/app
                  rlimits:
                    nofile: {soft: 4096, hard: 8192}
                    nproc: {soft: 512, hard: 600}
                """.formatted(Krunctl.quote(script)));

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("the workload's exit code; stderr: %s", r.stderr()).isEqualTo(7);
        assertThat(r.stderr()).as("no init warnings on a clean run").isEmpty();
        List<String> lines = r.stdoutText().lines().toList();
        // No dev, proc or sys in the image: the init creates them (and the options reach ext4).
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("root=/dev/vda / ext4 rw,").contains("commit=7"));
        assertThat(lines).contains(
                "marker=made-by-mkfs",
                "hostname=builder",
                "pwd=/srv/app",
                "nofile=4096:8192 nproc=512:600",
                "env GREETING=hi there",
                "env CC=gcc",
                "vdb-ro=1",
                "vdb=hello-from-vdb");
        assertThat(lines).filteredOn(l -> l.startsWith("env ")).noneMatch(l -> l.startsWith("env KRUN_"));

        // The write went through the guest's page cache and virtio-blk into the host file.
        assertThat(debugfsCat(image, "/data/new")).isEqualTo("written-in-guest\n");
        assertThat(debugfsCat(image, "/data/marker")).isEqualTo("made-by-mkfs\n");
        assertThat(md5(data)).as("the read-only disk is untouched").isEqualTo(dataDigest);
    }

    @Test
    void readOnlyRootDiskIsMountedReadOnlyWithoutWarningsAndProbed() throws Exception {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        // The init cannot create the mount points on a read-only image; any real root has them.
        for (String d : List.of("dev", "proc", "sys")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Path image = mkfs(rootfs, dir.resolve("ro.ext4"), "16M");
        String digest = md5(image);
        Path spec = dir.resolve("ro-root.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: ro-root
                root:
                  disk: {path: ./ro.ext4, readOnly: true}
                process:
                  args: [/bin/busybox, sh, -c, %s]
                """.formatted(Krunctl.quote(
                "/bin/busybox grep ' / ' /proc/mounts | /bin/busybox cut -d' ' -f1-4;"
                        + " if (echo x > /x) 2>/dev/null; then echo writable; else echo refused; fi")));

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).as("no 'write-protected' warning: krunctl asks for a read-only mount").isEmpty();
        assertThat(r.stdoutText()).isEqualTo("/dev/vda / ext4 ro,relatime\nrefused\n");
        assertThat(md5(image)).as("the image is untouched").isEqualTo(digest);
    }

    @Test
    void aReadWriteRunLeavesACleanImageThatAReadOnlyRunThenReads() throws Exception {
        Path image = writableImage("clean.ext4");
        Path spec = blockRootSpec("rw-write", image, false, "echo written-in-guest > /data/new");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).as("no init warnings").isEmpty();
        assertCleanAndReadableReadOnly(image, "/data/new", "written-in-guest\n");
    }

    @Test
    void aWorkloadStoppedByAForwardedSigtermLeavesACleanImage() throws Exception {
        Path image = writableImage("sigterm.ext4");
        // A background process that survives the workload and holds a file open for writing: it
        // alone would make a read-only remount fail with EBUSY.
        Path spec = blockRootSpec("rw-sigterm", image, false, String.join("\n",
                "echo before-sigterm > /data/new",
                HOLDER,
                "echo ready",
                "while :; do /bin/busybox sleep 0.1; done"));

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            k.awaitStdout("ready\n", Duration.ofMinutes(2));
            k.signal("TERM");

            assertThat(k.awaitExit(Duration.ofMinutes(1))).as("stderr: %s", k.stderr()).isEqualTo(143);
            assertThat(k.stderr()).as("no init warnings").isEmpty();
        }
        assertCleanAndReadableReadOnly(image, "/data/new", "before-sigterm\n");
    }

    @Test
    void aWorkloadThatKillsItselfWithSigkillLeavesACleanImage() throws Exception {
        Path image = writableImage("sigkill.ext4");
        Path spec = blockRootSpec("rw-sigkill", image, false, String.join("\n",
                "echo before-sigkill > /data/new",
                HOLDER,
                "kill -KILL $$"));

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(137);
        assertThat(r.stderr()).as("no init warnings").isEmpty();
        assertCleanAndReadableReadOnly(image, "/data/new", "before-sigkill\n");
    }

    @Test
    void aMissingProgramOnABlockRootEndsWith127ItsLineOnStderrAndACleanImage() throws Exception {
        Path image = writableImage("no-program.ext4");
        Path spec = dir.resolve("no-program.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: no-program
                root:
                  disk: {path: ./no-program.ext4}
                process:
                  args: [/usr/bin/no-such-program, arg]
                """);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(127);
        // The same line SetupFailureIT expects from a NullFs root.
        assertThat(r.stderr()).isEqualTo(
                "krun-init: cannot execute /usr/bin/no-such-program: No such file or directory\n");
        assertThat(r.stdout()).isEmpty();
        assertClean(image);
    }

    @Test
    void aMissingWorkdirOnABlockRootEndsWith125ItsLineOnStderrAndACleanImage() throws Exception {
        Path image = writableImage("no-workdir.ext4");
        Path spec = dir.resolve("no-workdir.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: no-workdir
                root:
                  disk: {path: ./no-workdir.ext4}
                process:
                  args: [/bin/busybox, "true"]
                  workdir: /no/such/dir
                """);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(125);
        assertThat(r.stderr()).isEqualTo("krun-init: chdir /no/such/dir: No such file or directory\n");
        assertThat(r.stdout()).isEmpty();
        assertClean(image);
    }

    @Test
    void aSetupErrorBeforeTheBlockRootHasItsOwnSysAndDevReachesStderr() throws Exception {
        // A read-only image without /dev, /proc and /sys: the init cannot create the mount points
        // once it has moved the image over /, where the ports' /sys and /dev are gone.
        Path rootfs = dir.resolve("bare");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        Path image = mkfs(rootfs, dir.resolve("bare.ext4"), "16M");
        Path spec = blockRootSpec("bare", image, true, "echo unreachable");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(125);
        assertThat(r.stderr()).isEqualTo("krun-init: mkdir /dev: Read-only file system\n");
        assertThat(r.stdout()).isEmpty();
    }

    /** A 32 MiB ext4 image with busybox, {@code /data} and the mount points a read-only run needs. */
    private Path writableImage(String name) throws Exception {
        Path rootfs = dir.resolve(name + ".d");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String d : List.of("data", "dev", "proc", "sys")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        return mkfs(rootfs, dir.resolve(name), "32M");
    }

    /** A spec booting {@code image} as the root ({@code readOnly} or not) that runs {@code script} in sh. */
    private Path blockRootSpec(String name, Path image, boolean readOnly, String script) throws IOException {
        Path spec = dir.resolve(name + ".yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: %s
                root:
                  disk: {path: %s, readOnly: %s}
                process:
                  args: [/bin/busybox, sh, -c, %s]
                """.formatted(name, Krunctl.quote(image.toString()), readOnly, Krunctl.quote(script)));
        return spec;
    }

    /**
     * The image was left as an unmount leaves it ({@code dumpe2fs -h}: state clean, no journal to
     * recover), and a read-only boot of it, which could not replay a journal, reads {@code file}.
     */
    private void assertCleanAndReadableReadOnly(Path image, String file, String content) throws Exception {
        assertClean(image);
        Path spec = blockRootSpec("ro-read", image, true, "/bin/busybox cat " + file);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("the read-only boot; stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdoutText()).isEqualTo(content);
        assertClean(image);
    }

    /** {@code dumpe2fs -h IMAGE} says the file system is clean and has no journal to recover. */
    private static void assertClean(Path image) throws Exception {
        Process p = new ProcessBuilder(tool("dumpe2fs").toString(), "-h", image.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("dumpe2fs: %s", out).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines).as("dumpe2fs -h").anySatisfy(
                l -> assertThat(l).matches("Filesystem state: +clean"));
        assertThat(lines).as("dumpe2fs -h").anySatisfy(
                l -> assertThat(l).startsWith("Filesystem features:").doesNotContain("needs_recovery"));
    }

    /** {@code mkfs.ext4 -d SOURCE IMAGE SIZE}: an ext4 image holding a copy of {@code source}. */
    private static Path mkfs(Path source, Path image, String size) throws Exception {
        Process p = new ProcessBuilder(tool("mkfs.ext4").toString(), "-q", "-F", "-d", source.toString(),
                image.toString(), size).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("mkfs.ext4: %s", out).isZero();
        return image;
    }

    /** A file of an ext4 image, read on the host with {@code debugfs}, which needs no mount. */
    private static String debugfsCat(Path image, String path) throws Exception {
        Process p = new ProcessBuilder(tool("debugfs").toString(), "-R", "cat " + path, image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return out;
    }

    private static Path tool(String name) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new AssertionError(name + " is missing: scripts/prereqs.sh installs e2fsprogs");
    }

    private static String md5(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
