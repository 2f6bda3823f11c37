package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: libkrun's block root with remount (an ext4 image the test builds with
 * {@code mkfs.ext4 -d} becomes the guest's {@code /}), extra disks in spec order, and the workload's
 * identity and limits: host name, working directory, environment and {@code process.rlimits}.
 */
class BlockRootIT {
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemuAndE2fsprogs() {
        Krunctl.assumeQemu();
        // Not an assumption: e2fsprogs is a prerequisite (scripts/prereqs.sh), like QEMU in CI.
        tool("mkfs.ext4");
        tool("debugfs");
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
