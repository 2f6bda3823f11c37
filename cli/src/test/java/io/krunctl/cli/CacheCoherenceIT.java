package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What krunctl-spec(5) promises of the cache policies, end to end: a Python program in a Debian
 * guest watches files of a shared directory while the host changes them, in every way a host
 * changes a file (rewrite in place keeping the size, truncate, append, replace by rename), through
 * a fresh open, a descriptor held open, and a shared mapping. Under {@code auto} each change must
 * reach the guest within a second (the test allows half a second more for polling and the stdout
 * relay under TCG); under {@code never} at the guest's very next access. What the guest writes and
 * syncs is on the host, byte for byte, before the guest goes on.
 */
class CacheCoherenceIT {
    /** The promise, 1 s, plus the guest's 20 ms polling and the stdout relay on a busy 2-core host. */
    private static final Duration AUTO_BOUND = Duration.ofMillis(1500);

    /**
     * The guest's side. For each case it primes its cache, says "ready CASE", and then either polls
     * ({@code poll}: until the new content shows, "seen CASE") or waits for the host's line and looks
     * once ({@code once}: "seen CASE" or "stale CASE").
     */
    private static final String WATCH_PY = String.join("\n",
            "import hashlib, mmap, os, sys, time",
            "mode = sys.argv[1]",
            "D = '/data/'",
            "def say(*a):",
            "    print(*a, flush=True)",
            "def by_open(name):",
            "    with open(D + name, 'rb') as f:",
            "        return f.read()",
            "def watch(case, look, want):",
            "    look()",
            "    say('ready', case)",
            "    if mode == 'once':",
            "        sys.stdin.readline()",
            "        say('seen' if look() == want else 'stale', case)",
            "        return",
            "    end = time.monotonic() + 10",
            "    while look() != want:",
            "        if time.monotonic() > end:",
            "            say('stale', case)",
            "            return",
            "        time.sleep(0.02)",
            "    say('seen', case)",
            "watch('rewrite', lambda: by_open('rewrite'), b'second!')",
            "watch('truncate', lambda: by_open('truncate'), b'')",
            "watch('append', lambda: by_open('append'), b'line 1\\nline 2\\n')",
            "watch('rename', lambda: by_open('rename'), b'the replacement')",
            "held = os.open(D + 'held', os.O_RDONLY)",
            "watch('held', lambda: os.pread(held, 100, 0), b'BBBBBBBB')",
            "if mode == 'poll':",
            "    f = open(D + 'mapped', 'rb')",
            "    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)",
            "    def mapped():",
            "        os.stat(D + 'mapped')",
            "        return m[:8]",
            "    watch('mapped', mapped, b'DDDDDDDD')",
            "data = bytes(range(256)) * 4099",
            "with open(D + 'written', 'wb') as f:",
            "    f.write(data)",
            "    f.flush()",
            "    os.fsync(f.fileno())",
            "    say('written', hashlib.sha256(data).hexdigest())",
            "    sys.stdin.readline()",
            "say('done')",
            "");

    private static Path rootfs;

    @TempDir
    Path dir;

    @BeforeAll
    static void debian() throws Exception {
        Krunctl.assumeQemu();
        rootfs = DebianRootfs.ensure();
    }

    @Test
    void underCacheAutoEveryHostChangeReachesTheGuestWithinASecond() throws Exception {
        Map<String, Duration> seenAfter = watch("auto", "poll");
        System.out.println("cache auto, each change seen after: " + seenAfter);

        assertThat(seenAfter).containsOnlyKeys("rewrite", "truncate", "append", "rename", "held", "mapped");
        assertThat(seenAfter).allSatisfy((change, after) -> assertThat(after).as(change).isLessThan(AUTO_BOUND));
    }

    @Test
    void underCacheNeverEveryHostChangeIsSeenAtTheNextAccess() throws Exception {
        Map<String, Duration> seenAfter = watch("never", "once");

        assertThat(seenAfter).containsOnlyKeys("rewrite", "truncate", "append", "rename", "held");
    }

    /**
     * Boots the guest with /data shared under {@code cache}, makes each change when the guest is
     * ready for it, and answers how long after each change the guest reported the new content.
     */
    private Map<String, Duration> watch(String cache, String mode) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("rewrite"), "first!!");
        Files.writeString(data.resolve("truncate"), "something");
        Files.writeString(data.resolve("append"), "line 1\n");
        Files.writeString(data.resolve("rename"), "the original");
        Files.writeString(data.resolve("held"), "AAAAAAAA");
        Files.writeString(data.resolve("mapped"), "CCCCCCCC");
        Path spec = dir.resolve("watch.yaml");
        Files.writeString(spec, String.join("\n",
                "apiVersion: krunctl/v1",
                "name: watch-" + cache,
                "memory: 512Mi",
                "root: {dir: " + Krunctl.quote(rootfs.toString()) + ", readOnly: true}",
                "mounts:",
                "  - {type: virtiofs, source: " + Krunctl.quote(data.toString()) + ", destination: /data, cache: "
                        + cache + "}",
                "files:",
                "  - {path: /work/watch.py, content: " + Krunctl.quote(WATCH_PY) + "}",
                "process:",
                "  args: [python3, /work/watch.py, " + mode + "]",
                ""));

        Map<String, Duration> seenAfter = new LinkedHashMap<>();
        try (KrunctlProcess vm = KrunctlProcess.start("run", spec.toString())) {
            var lines = new BufferedReader(new InputStreamReader(vm.stdout(), StandardCharsets.UTF_8));
            OutputStream stdin = vm.stdin();
            while (true) {
                String line = lines.readLine();
                assertThat(line).as("the guest's next line; stderr: %s", vm.stderr()).isNotNull();
                String[] words = line.split(" ");
                switch (words[0]) {
                    case "ready" -> {
                        change(data, words[1]);
                        long changed = System.nanoTime();
                        if (mode.equals("once")) {
                            stdin.write('\n');
                            stdin.flush();
                        }
                        String answer = lines.readLine();
                        assertThat(answer).as("after the host's change of %s", words[1]).isEqualTo("seen " + words[1]);
                        seenAfter.put(words[1], Duration.ofNanos(System.nanoTime() - changed));
                    }
                    case "written" -> {
                        assertThat(sha256(Files.readAllBytes(data.resolve("written"))))
                                .as("the host has what the guest wrote and synced, while the guest waits")
                                .isEqualTo(words[1]);
                        stdin.write('\n');
                        stdin.flush();
                    }
                    case "done" -> {
                        assertThat(vm.awaitExit(Duration.ofSeconds(60))).as("stderr: %s", vm.stderr()).isZero();
                        return seenAfter;
                    }
                    default -> throw new AssertionError("unexpected line from the guest: " + line);
                }
            }
        }
    }

    /** The host's change for each case: what the guest must then read. */
    private static void change(Path data, String which) throws IOException {
        Path file = data.resolve(which);
        switch (which) {
            case "rewrite" -> Files.writeString(file, "second!");
            case "truncate" -> Files.write(file, new byte[0]);
            case "append" -> Files.writeString(file, "line 2\n", StandardOpenOption.APPEND);
            case "rename" -> Files.move(Files.writeString(data.resolve("rename.new"), "the replacement"), file,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            case "held" -> Files.writeString(file, "BBBBBBBB");
            case "mapped" -> {
                // In place, as a mapped file is changed: the guest's mapping is of this very inode.
                try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap("DDDDDDDD".getBytes(StandardCharsets.US_ASCII)), 0);
                }
            }
            default -> throw new AssertionError("unknown case " + which);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
