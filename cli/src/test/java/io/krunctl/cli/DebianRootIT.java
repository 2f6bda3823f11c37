package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A debootstrap'ed Debian 12 userland as the guest's root (root.dir), running its own programs:
 * Python writing a SQLite database that the host then opens and checks, the sqlite3 shell, tar,
 * cp -a, find, useradd, dpkg. Once read-only with a writable virtio-fs share and a tmpfs, once
 * read-write on a copy of the tree.
 */
class DebianRootIT {
    /** Inserts, updates, deletes and a VACUUM in WAL mode; prints what the host must find. */
    private static final String DB_PY = String.join("\n",
            "import random, sqlite3, sys",
            "c = sqlite3.connect(sys.argv[1])",
            "assert c.execute('pragma journal_mode=wal').fetchone()[0] == 'wal'",
            "c.execute('create table t(id integer primary key, n integer, b blob)')",
            "rnd = random.Random(7)",
            "for batch in range(8):",
            "    rows = [(rnd.randrange(1 << 40), rnd.randbytes(rnd.randrange(1, 3000))) for _ in range(250)]",
            "    with c:",
            "        c.executemany('insert into t(n, b) values (?, ?)', rows)",
            "with c:",
            "    c.execute('create index t_n on t(n)')",
            "    c.execute('delete from t where id % 7 = 0')",
            "    c.execute('update t set b = zeroblob(10) where id % 11 = 0')",
            "c.execute('vacuum')",
            "c.execute('pragma wal_checkpoint(truncate)')",
            "assert c.execute('pragma journal_mode=delete').fetchone()[0] == 'delete'",
            "print('guest-integrity', c.execute('pragma integrity_check').fetchone()[0])",
            "n, total, blobs = c.execute('select count(*), sum(n), sum(length(b)) from t').fetchone()",
            "print('guest-db', n, total, blobs)",
            "c.close()",
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
    void aReadOnlyDebianRootRunsPythonSqliteTarAndCpIntoAShare() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        String job = String.join("\n",
                "set -eu",
                "echo \"hostname $(cat /etc/hostname)\"",
                ". /etc/os-release; echo \"os $PRETTY_NAME\"",
                "python3 /work/db.py /out/test.db",
                "echo \"sqlite-cli $(sqlite3 /out/test.db 'select count(*) from t')\"",
                "tar -C /usr/lib/python3.11 -cf /out/json.tar json",
                "cp -a /usr/lib/python3.11/json /out/json-copy",
                "echo \"found $(find /out/json-copy -type f | wc -l)\"",
                "mkdir /tmp/x && tar -C /tmp/x -xf /out/json.tar && echo \"untar $(find /tmp/x -type f | wc -l)\"",
                "if touch /etc/krunctl-test 2>/tmp/err; then echo 'root writable'; else echo \"root refused: $(cat /tmp/err)\"; fi",
                "echo \"passwd $(head -c 5 /etc/passwd)\"",
                "");
        Path spec = dir.resolve("debian-ro.yaml");
        Files.writeString(spec, String.join("\n",
                "apiVersion: krunctl/v1",
                "name: debian-ro",
                "cpus: 2",
                "memory: 512Mi",
                "root: {dir: " + Krunctl.quote(rootfs.toString()) + ", readOnly: true}",
                "mounts:",
                "  - {type: virtiofs, source: ./out, destination: /out}",
                "  - {type: tmpfs, destination: /tmp, size: 64Mi}",
                "files:",
                "  - {path: /etc/hostname, content: \"vm1\\n\"}",
                "  - {path: /work/db.py, content: " + Krunctl.quote(DB_PY) + "}",
                "  - {path: /work/job.sh, content: " + Krunctl.quote(job) + "}",
                "process:",
                "  args: [/bin/sh, /work/job.sh]",
                ""));

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).contains("hostname vm1", "os Debian GNU/Linux 12 (bookworm)", "guest-integrity ok",
                "passwd root:");
        String guestDb = lines.stream().filter(l -> l.startsWith("guest-db ")).findFirst().orElseThrow();
        String[] expected = guestDb.split(" ");
        assertThat(DebianRootfs.checkDatabase(out.resolve("test.db")))
                .as("the host's SQLite reads what the guest wrote")
                .containsExactly("ok", expected[1], expected[2], expected[3]);
        assertThat(lines).contains("sqlite-cli " + expected[1]);

        Path json = rootfs.resolve("usr/lib/python3.11/json");
        long files;
        try (Stream<Path> walk = Files.walk(json)) {
            files = walk.filter(Files::isRegularFile).count();
        }
        assertThat(lines).contains("found " + files, "untar " + files);
        DebianRootfs.run(List.of("diff", "-r", "--no-dereference", json.toString(), out.resolve("json-copy").toString()));
        Path someFile = json.resolve("decoder.py");
        assertThat(Files.getLastModifiedTime(out.resolve("json-copy/decoder.py")))
                .as("cp -a kept the time").isEqualTo(Files.getLastModifiedTime(someFile));
        assertThat(Files.getPosixFilePermissions(out.resolve("json-copy/decoder.py")))
                .isEqualTo(Files.getPosixFilePermissions(someFile));
        assertThat(DebianRootfs.run(List.of("tar", "-tf", out.resolve("json.tar").toString())).lines())
                .contains("json/decoder.py");
        assertThat(lines).contains("root refused: touch: cannot touch '/etc/krunctl-test': Read-only file system");
        assertThat(rootfs.resolve("etc/krunctl-test")).doesNotExist();
        assertThat(Files.readString(rootfs.resolve("etc/hostname"))).as("the virtual file only shadows it")
                .isNotEqualTo("vm1\n");
        assertThat(rootfs.resolve("work")).as("virtual directories are not written to the host").doesNotExist();
    }

    @Test
    void aWritableDebianRootKeepsWhatTheGuestWrites() throws Exception {
        Path root = DebianRootfs.copy(rootfs, dir.resolve("rootfs"));
        String job = String.join("\n",
                "set -eu",
                "useradd -m -u 1234 -U alice",
                "setpriv --reuid=1234 --regid=1234 --clear-groups sh -c 'echo mine > /home/alice/own.txt'",
                "python3 /root/db.py /root/py.db",
                "sqlite3 /root/notes.db \"create table t(n integer, b blob);"
                        + " insert into t values (1, randomblob(100)), (2, randomblob(5000));\"",
                "cp -a /etc /root/etc-copy",
                "tar -C / -czf /root/etc.tgz etc",
                "mkdir /root/ops && cd /root/ops && echo a > a && ln a hard && ln -s a soft && mv a b"
                        + " && mkdir d && mv d e && rmdir e && mkdir -p x/y/z && rm -r x",
                "python3 -c \"import os; os.setxattr('/root/ops/b', 'user.krunctl', b'kept');"
                        + " print('xattr', os.getxattr('/root/ops/b', 'user.krunctl').decode(),"
                        + " os.listxattr('/root/ops/b'))\"",
                "echo \"dpkg $(dpkg-query -W -f='${Status}' python3)\"",
                "echo \"py-files $(find /usr/lib/python3.11 -name '*.py' | wc -l)\"",
                "");
        Files.writeString(root.resolve("root/db.py"), DB_PY);
        Files.writeString(root.resolve("root/job.sh"), job);
        Path spec = dir.resolve("debian-rw.yaml");
        Files.writeString(spec, String.join("\n",
                "apiVersion: krunctl/v1",
                "name: debian-rw",
                "cpus: 2",
                "memory: 512Mi",
                "root: {dir: ./rootfs}",
                "process:",
                "  args: [/bin/sh, /root/job.sh]",
                ""));

        try {
            checkWritableRoot(root, Krunctl.run(new byte[0], "run", spec.toString()));
        } finally {
            // Quietly: JUnit's clean-up warns about every symbolic link of a whole userland.
            DebianRootfs.run(List.of("rm", "-rf", root.toString()));
        }
    }

    private static void checkWritableRoot(Path root, Krunctl.Result r) throws Exception {
        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).contains("guest-integrity ok", "dpkg install ok installed");
        String[] expected = lines.stream().filter(l -> l.startsWith("guest-db ")).findFirst().orElseThrow().split(" ");
        assertThat(DebianRootfs.checkDatabase(root.resolve("root/py.db")))
                .containsExactly("ok", expected[1], expected[2], expected[3]);
        assertThat(DebianRootfs.run(List.of("python3", "-c", "import sqlite3; c = sqlite3.connect('"
                + root.resolve("root/notes.db") + "'); print(c.execute('pragma integrity_check').fetchone()[0],"
                + " c.execute('select sum(length(b)) from t').fetchone()[0])")).strip())
                .isEqualTo("ok 5100");

        Path own = root.resolve("home/alice/own.txt");
        assertThat(Files.readString(own)).isEqualTo("mine\n");
        if (isRoot()) {
            assertThat(Files.getAttribute(own, "unix:uid")).as("created as the guest's user").isEqualTo(1234);
            assertThat(Files.getAttribute(own, "unix:gid")).isEqualTo(1234);
            assertThat(Files.getAttribute(root.resolve("home/alice"), "unix:uid")).isEqualTo(1234);
        }
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("alice:x:1234:1234:");
        assertThat(Files.readString(root.resolve("root/etc-copy/passwd"))).contains("alice:x:1234:1234:");
        assertThat(DebianRootfs.run(List.of("tar", "-tzf", root.resolve("root/etc.tgz").toString())).lines())
                .contains("etc/passwd", "etc/os-release");

        Path ops = root.resolve("root/ops");
        try (Stream<Path> list = Files.list(ops)) {
            assertThat(list.map(p -> p.getFileName().toString()).sorted()).containsExactly("b", "hard", "soft");
        }
        assertThat(Files.getAttribute(ops.resolve("b"), "unix:nlink")).isEqualTo(2);
        assertThat(lines).contains("xattr kept ['user.krunctl']");
        ByteBuffer value = ByteBuffer.allocate(16);
        Files.getFileAttributeView(ops.resolve("b"), UserDefinedFileAttributeView.class).read("krunctl", value);
        assertThat(new String(value.array(), 0, value.position(), StandardCharsets.UTF_8))
                .as("the guest's extended attribute on the host file").isEqualTo("kept");
        assertThat(Files.isSameFile(ops.resolve("b"), ops.resolve("hard"))).isTrue();
        assertThat(Files.readSymbolicLink(ops.resolve("soft")).toString()).isEqualTo("a");
        assertThat(Files.exists(ops.resolve("soft"))).as("a dangling link, as the guest left it").isFalse();
        assertThat(Files.isSymbolicLink(ops.resolve("soft"))).isTrue();

        long pyFiles;
        try (Stream<Path> walk = Files.walk(root.resolve("usr/lib/python3.11"))) {
            pyFiles = walk.filter(p -> p.toString().endsWith(".py") && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .count();
        }
        assertThat(lines).contains("py-files " + pyFiles);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
