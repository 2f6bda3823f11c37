package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks libkrun's own NullFs-root test makes, run inside a real guest: one-shot entries vanish
 * once consumed, persistent ones re-read identically, virtual files refuse writes, sizes and offsets
 * are exact, and readdir never shows virtual entries.
 */
class NullFsRootIT {
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void virtualFilesBehaveAsLibkrunsDo() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        long busyboxSize = Files.size(busybox);
        byte[] all = Files.readAllBytes(busybox);
        // Two pages from the middle of the file, read by the guest at that offset.
        byte[] middle = java.util.Arrays.copyOfRange(all, 100 * 4096, 102 * 4096);
        String middleMd5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(middle));

        String script = String.join("\n",
                "B=/bin/busybox",
                "check() { if eval \"$2\"; then echo \"ok $1\"; else echo \"FAIL $1\"; fi; }",
                "check init-consumed '[ ! -e /init.krun ]'",
                "check config-consumed '[ ! -e /.krun_config.json ]'",
                "first=$($B cat /etc/once)",
                "check one-shot-first-read '[ \"$first\" = once ]'",
                "check one-shot-gone '[ ! -e /etc/once ]'",
                "a=$($B md5sum < /etc/motd); b=$($B md5sum < /etc/motd)",
                "check persistent-reread '[ \"$a\" = \"$b\" ] && [ \"$($B cat /etc/motd)\" = hello ]'",
                "err=$( (echo x > /etc/motd) 2>&1 )",
                "check write-refused 'case \"$err\" in *\"Permission denied\"*|*\"Operation not permitted\"*) true;; *) false;; esac'",
                "check content-unchanged '[ \"$($B cat /etc/motd)\" = hello ]'",
                "check stat-size-small '[ \"$($B stat -c %s /etc/motd)\" = 6 ]'",
                "check stat-size-busybox '[ \"$($B stat -c %s /bin/busybox)\" = " + busyboxSize + " ]'",
                "check read-at-0 '[ \"$($B dd if=/data/alpha bs=1 skip=0 count=3 2>/dev/null)\" = 012 ]'",
                "check read-at-10 '[ \"$($B dd if=/data/alpha bs=1 skip=10 count=5 2>/dev/null)\" = abcde ]'",
                "check read-at-tail '[ \"$($B dd if=/data/alpha bs=1 skip=33 count=10 2>/dev/null)\" = xyz ]'",
                "check read-past-eof '[ \"$($B dd if=/data/alpha bs=1 skip=100 count=5 2>/dev/null | $B wc -c)\" = 0 ]'",
                "check read-pages '[ \"$($B dd if=/bin/busybox bs=4096 skip=100 count=2 2>/dev/null | $B md5sum | $B cut -d\" \" -f1)\" = "
                        + middleMd5 + " ]'",
                "echo \"listing: $($B ls -a / | $B tr '\\n' ' ')\"",
                "");
        String files = "  - {path: /etc/motd, content: \"hello\\n\"}\n"
                + "  - {path: /etc/once, content: \"once\\n\", oneShot: true}\n"
                + "  - {path: /data/alpha, content: \"" + ALPHABET + "\"}\n"
                + "  - {path: /check.sh, content: " + Krunctl.quote(script) + "}\n";
        Path spec = Krunctl.busyboxSpec(dir, "nullfs-checks", files, "/bin/busybox", "sh", "/check.sh");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).as("guest checks").contains(
                "ok init-consumed", "ok config-consumed", "ok one-shot-first-read", "ok one-shot-gone",
                "ok persistent-reread", "ok write-refused", "ok content-unchanged", "ok stat-size-small",
                "ok stat-size-busybox", "ok read-at-0", "ok read-at-10", "ok read-at-tail", "ok read-past-eof",
                "ok read-pages");
        assertThat(lines).noneMatch(l -> l.startsWith("FAIL"));
        String listing = lines.stream().filter(l -> l.startsWith("listing:")).findFirst().orElseThrow();
        assertThat(listing.substring("listing:".length()).trim().split("\\s+"))
                .as("ls -a / shows no virtual entry")
                .doesNotContain("init.krun", ".krun_config.json", "bin", "etc", "data", "check.sh",
                        "dev", "proc", "sys");
    }
}
