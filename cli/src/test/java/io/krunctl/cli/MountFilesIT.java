package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A virtiofs mount's own {@code files}: virtual files overlaid on the shared directory, seen in the
 * guest at their paths, read-only, one-shot when asked, while the host directory stays as it was and
 * the guest's real writes still reach it.
 */
class MountFilesIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void aMountsFilesOverlayItsDirectoryWithoutChangingIt() throws Exception {
        Path share = Files.createDirectories(dir.resolve("share"));
        Files.writeString(share.resolve("settings.ini"), "from the host\n");
        Files.writeString(dir.resolve("token.txt"), "secret-token\n");
        Path spec = dir.resolve("mount-files.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                root: {nullfs: {}}
                files:
                  - {path: /bin/busybox, source: /bin/busybox, mode: "0755"}
                mounts:
                  - type: virtiofs
                    source: ./share
                    destination: /srv/app
                    files:
                      - {path: /srv/app/settings.ini, content: "from the spec\\n"}
                      - {path: /srv/app/run/token, source: ./token.txt, oneShot: true}
                      - {path: /srv/app/run/key, content: "k", mode: "0400"}
                process:
                  args:
                    - /bin/busybox
                    - sh
                    - -c
                    - |
                      cd /srv/app
                      /bin/busybox cat settings.ini
                      /bin/busybox stat -c '%%a' run/key
                      /bin/busybox cat run/token
                      /bin/busybox cat run/token 2>/dev/null || echo "token gone"
                      echo change >> settings.ini 2>/dev/null || echo "settings.ini is read-only"
                      echo written > real.txt && /bin/busybox sync
                """.replace("%%", "%"));

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).as("stderr: %s", r.stderr()).isEqualTo("from the spec\n400\nsecret-token\ntoken gone\nsettings.ini is read-only\n");
        assertThat(Files.readString(share.resolve("settings.ini"))).isEqualTo("from the host\n");
        assertThat(share.resolve("run")).doesNotExist();
        assertThat(Files.readString(share.resolve("real.txt"))).isEqualTo("written\n");
    }
}
