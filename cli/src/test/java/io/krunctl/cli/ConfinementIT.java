package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest that tries to get out of the directories it is given, through every door a shared
 * directory has: {@code ..} at and above a share's top, absolute and relative symbolic links
 * (planted on the host or made by the guest), renames and hard links towards outside paths,
 * {@code /proc/self/fd} and {@code /proc/self/root}, FIFOs and device nodes (refused, but on the share
 * that opts in with {@code devices: true}, where they become the host's). A secret file sits
 * next to the shared directories on the host: the guest can neither read nor change it, and nothing
 * appears outside the shares. Read-only shares and a read-only root refuse every change with EROFS,
 * also after the guest remounts them read-write, so the refusal is the host's.
 */
class ConfinementIT {
    @TempDir
    Path base;

    private String secret;
    private Path rootDir;
    private Path share;
    private Path ro;
    private Path devs;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @BeforeEach
    void layout() throws IOException, InterruptedException {
        secret = "TOP-SECRET-" + UUID.randomUUID();
        Files.writeString(base.resolve("secret.txt"), secret + "\n");
        rootDir = Files.createDirectories(base.resolve("rootdir"));
        Files.createDirectories(rootDir.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootDir.resolve("bin/busybox"));
        share = Files.createDirectories(base.resolve("share"));
        Files.writeString(share.resolve("file.txt"), "shared\n");
        Files.writeString(share.resolve("file2.txt"), "shared too\n");
        Files.createSymbolicLink(share.resolve("host-abs"), base.resolve("secret.txt"));
        Files.createSymbolicLink(share.resolve("host-rel"), Path.of("../secret.txt"));
        Files.createSymbolicLink(share.resolve("host-up"), Path.of(".."));
        Files.createSymbolicLink(share.resolve("host-abs-dir"), base);
        Files.createSymbolicLink(share.resolve("host-proc"), Path.of("/proc/self/cwd"));
        DebianRootfs.run(List.of("mkfifo", share.resolve("fifo").toString()));
        ro = Files.createDirectories(base.resolve("ro"));
        Files.writeString(ro.resolve("data.txt"), "read only\n");
        Files.createDirectories(ro.resolve("sub"));
        Files.writeString(ro.resolve("sub/inner.txt"), "inner\n");
        Files.createSymbolicLink(ro.resolve("link"), Path.of("data.txt"));
        devs = Files.createDirectories(base.resolve("devs"));
    }

    private Path spec(String name, boolean readOnlyRoot, String script) throws IOException {
        Path spec = base.resolve(name + ".yaml");
        Files.writeString(spec, String.join("\n",
                "apiVersion: krunctl/v1",
                "name: " + name,
                "root: {dir: ./rootdir" + (readOnlyRoot ? ", readOnly: true" : "") + "}",
                "mounts:",
                "  - {type: tmpfs, destination: /applets, size: 1Mi}",
                "  - {type: tmpfs, destination: /tmp, size: 8Mi}",
                "  - {type: virtiofs, source: ./share, destination: /share}",
                "  - {type: virtiofs, source: ./ro, destination: /ro, readOnly: true}",
                "  - {type: virtiofs, source: ./devs, destination: /devs, devices: true}",
                "files:",
                "  - {path: /check.sh, content: " + Krunctl.quote(script) + "}",
                "process:",
                "  args: [/bin/busybox, sh, /check.sh]",
                "  env: {SECRET: " + Krunctl.quote(secret) + ", HOSTBASE: " + Krunctl.quote(base.toString()) + "}",
                ""));
        return spec;
    }

    /** The device the guest makes on the share with {@code devices: true}: 240 is for local use. */
    private static final int OPT_IN_MAJOR = 240;
    private static final int OPT_IN_MINOR = 300;

    private static final String PRELUDE = String.join("\n",
            "/bin/busybox --install -s /applets; export PATH=/applets",
            // Reading PATH must not show the secret; a read that fails shows nothing.
            "nosecret() { if cat \"$2\" 2>/dev/null | grep -q \"$SECRET\"; then echo \"LEAK $1\"; else echo \"ok $1\"; fi; }",
            "fails() { name=$1; shift; if \"$@\" 2>/tmp/err; then echo \"ALLOWED $name\"; else echo \"ok $name: $(cat /tmp/err)\"; fi; }",
            "");

    @Test
    void theGuestCannotReachOrChangeAnythingOutsideItsDirectories() throws Exception {
        List<String> before = listing(base);
        String script = PRELUDE + String.join("\n",
                // ".." at and above the top of a share and of the root is the guest's own root.
                "nosecret dotdot-share /share/../secret.txt",
                "nosecret dotdot-share-deep /share/../../../../secret.txt",
                "nosecret dotdot-root /../secret.txt",
                "nosecret dotdot-ro /ro/../secret.txt",
                "nosecret cd-up \"$(cd /share/../.. && pwd)/secret.txt\"",
                "nosecret host-path \"$HOSTBASE/secret.txt\"",
                // Links planted on the host resolve in the guest, never on the host.
                "nosecret host-abs /share/host-abs",
                "nosecret host-rel /share/host-rel",
                "nosecret host-up /share/host-up/secret.txt",
                "nosecret host-abs-dir /share/host-abs-dir/secret.txt",
                "nosecret host-proc /share/host-proc/secret.txt",
                "nosecret proc-root /proc/self/root/../secret.txt",
                "exec 7</share",
                "nosecret proc-fd /proc/self/fd/7/../secret.txt",
                "nosecret proc-fd-up /proc/self/fd/7/host-up/secret.txt",
                // Links the guest makes itself.
                "ln -s ../secret.txt /share/g-rel",
                "ln -s \"$HOSTBASE/secret.txt\" /share/g-abs",
                "ln -s /proc/self/fd/7/.. /share/g-proc",
                "nosecret g-rel /share/g-rel",
                "nosecret g-abs /share/g-abs",
                "nosecret g-proc /share/g-proc/secret.txt",
                "fails write-g-abs sh -c 'echo PWNED > /share/g-abs'",
                "fails write-host-abs sh -c 'echo PWNED >> /share/host-abs'",
                // Renames and links towards outside: another device for the guest (EXDEV), and a
                // rename across shares is a copy into the guest's root, not the host's folder.
                "fails link-out ln /share/file2.txt /share/../../file2-linked",
                "fails link-ro ln /share/file2.txt /ro/file2-linked",
                "mv /share/file.txt /share/../moved.txt && echo \"moved $(cat /moved.txt)\"",
                "fails rename-into-ro mv /share/file2.txt /ro/",
                // Nodes: a FIFO is the guest kernel's own pipe (a read without a writer waits; the
                // host's FIFO is never opened), a device node is refused.
                "fails open-host-fifo timeout 3 cat /share/fifo",
                "fails mknod-block mknod /share/sda b 8 0",
                "fails mknod-char mknod /share/mem c 1 1",
                "mkfifo /share/guest-fifo && echo ok guest-fifo",
                // ... but made where the share opts in: an unassigned number, a minor above 255 (the
                // split encoding of dev_t).
                "mknod /devs/node c " + OPT_IN_MAJOR + " " + OPT_IN_MINOR + " && echo \"made $(stat -c '%F %t %T' /devs/node)\"",
                "echo \"listing-up $(ls -a /share/.. | tr '\\n' ' ')\"",
                "echo done",
                "");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec("confined", false, script).toString());

        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).contains("done");
        assertThat(lines).noneMatch(l -> l.startsWith("LEAK") || l.startsWith("ALLOWED"));
        assertThat(lines.stream().filter(l -> l.startsWith("ok ")).count()).isEqualTo(26);
        assertThat(lines).anyMatch(l -> l.startsWith("ok link-out: ") && l.contains("cross-device link"));
        assertThat(lines).anyMatch(l -> l.startsWith("ok mknod-block: ") && l.contains("Operation not permitted"));
        assertThat(lines).anyMatch(l -> l.startsWith("ok mknod-char: ") && l.contains("Operation not permitted"));
        assertThat(lines).contains("moved shared");
        String listing = lines.stream().filter(l -> l.startsWith("listing-up ")).findFirst().orElseThrow();
        assertThat(listing).as("the guest's root, not the host's folder").contains(" bin ", " moved.txt ")
                .doesNotContain("secret.txt", "rootdir");

        assertThat(Files.readString(base.resolve("secret.txt"))).isEqualTo(secret + "\n");
        assertThat(withoutInside(listing(base))).as("nothing new outside the shared directories")
                .isEqualTo(withoutInside(before));
        assertThat(rootDir.resolve("moved.txt")).hasContent("shared");
        assertThat(share.resolve("file.txt")).doesNotExist();
        assertThat(share.resolve("sda")).doesNotExist();
        assertThat(share.resolve("mem")).doesNotExist();
        // Only root may make device nodes on the host, so only a krunctl run as root makes the opted-in one.
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(lines).contains("made character special file f0 12c");
            assertThat(Files.getAttribute(devs.resolve("node"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                    .matches(m -> ((int) m & 0170000) == 0020000, "a character device");
            // glibc's dev_t: the minor's low byte, the major above it, the minor's upper bits from bit 20.
            assertThat(Files.getAttribute(devs.resolve("node"), "unix:rdev", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo((long) (OPT_IN_MINOR & 0xff) | (OPT_IN_MAJOR << 8) | ((long) (OPT_IN_MINOR & ~0xff) << 12));
        }
        assertThat(Files.readSymbolicLink(share.resolve("g-rel"))).isEqualTo(Path.of("../secret.txt"));
        assertThat(Files.isSymbolicLink(share.resolve("g-abs"))).isTrue();
        assertThat(Files.getAttribute(share.resolve("guest-fifo"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .matches(m -> ((int) m & 0170000) == 0010000, "a FIFO");
        assertThat(ro.resolve("file2-linked")).doesNotExist();
    }

    @Test
    void readOnlySharesAndRootsRefuseEveryChangeEvenRemountedReadWrite() throws Exception {
        Files.writeString(rootDir.resolve("data.txt"), "root data\n");
        Files.createDirectories(rootDir.resolve("sub"));
        Files.writeString(rootDir.resolve("sub/inner.txt"), "root inner\n");
        String tree = snapshot(base);
        String script = PRELUDE + String.join("\n",
                "for m in / /ro; do mount -o remount,rw $m && echo \"remounted $m\"; done",
                "for d in /ro /; do",
                "  f=$d/data.txt",
                "  fails \"$d create\" touch $d/new",
                "  fails \"$d truncating-open\" sh -c \"echo x > $f\"",
                "  fails \"$d append\" sh -c \"echo x >> $f\"",
                "  fails \"$d write-in-place\" dd if=/dev/zero of=$f bs=1 count=1 conv=notrunc",
                "  fails \"$d unlink\" rm $f",
                "  fails \"$d mkdir\" mkdir $d/dir",
                "  fails \"$d rmdir\" rmdir $d/sub",
                "  fails \"$d unlink-inner\" rm $d/sub/inner.txt",
                "  fails \"$d rename\" mv $f $d/renamed",
                "  fails \"$d link\" ln $f $d/hard",
                "  fails \"$d symlink\" ln -s x $d/sym",
                "  fails \"$d chmod\" chmod 600 $f",
                "  fails \"$d chown\" chown 1:1 $f",
                "  fails \"$d truncate\" truncate -s 0 $f",
                "  fails \"$d utimes\" touch -d 2001-01-01 $f",
                "  fails \"$d mkfifo\" mkfifo $d/fifo",
                "  fails \"$d mknod\" mknod $d/null c 1 3",
                "done",
                "nosecret ro-up /ro/../secret.txt",
                "echo \"reads $(cat /ro/data.txt /ro/link /ro/sub/inner.txt | tr '\\n' ' ')\"",
                "echo done",
                "");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec("read-only", true, script).toString());

        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).contains("remounted /", "remounted /ro", "ok ro-up", "reads read only read only inner ", "done");
        List<String> refusals = lines.stream().filter(l -> l.startsWith("ok /") || l.startsWith("ALLOWED")).toList();
        assertThat(refusals).hasSize(2 * 17);
        assertThat(refusals).allSatisfy(l -> assertThat(l).startsWith("ok ").contains("Read-only file system"));
        assertThat(snapshot(base)).as("the host tree is unchanged").isEqualTo(tree);
    }

    /** Every path under {@code dir}, relative, sorted. */
    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private static List<String> withoutInside(List<String> paths) {
        List<String> out = new ArrayList<>();
        for (String p : paths) {
            if (!p.startsWith("share/") && !p.startsWith("devs/") && !p.startsWith("rootdir/") && !p.endsWith(".yaml")) {
                out.add(p);
            }
        }
        return out;
    }

    /** Type, mode, size, times and content of every path under {@code dir}, links not followed. */
    private static String snapshot(Path dir) throws IOException {
        TreeMap<String, String> all = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                if (p.equals(dir) || p.toString().endsWith(".yaml")) {
                    continue;
                }
                var attrs = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,nlink",
                        LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.size(p) < 1_000_000
                        ? Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1)
                        : Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : "";
                all.put(dir.relativize(p).toString(), new TreeMap<>(attrs) + " " + content.hashCode());
            }
        }
        return all.toString().replace(", ", ",\n");
    }
}
