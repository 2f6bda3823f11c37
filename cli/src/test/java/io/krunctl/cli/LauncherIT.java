package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The {@code ./krunctl} launcher's JVM options (compiler directives, console redirection, the AOT
 * cache) keep the JVM quiet: whatever HotSpot would report on its console must reach neither the
 * workload's stdout nor the user's stderr.
 */
class LauncherIT {

    @Test
    void versionIsOnStdoutWithTheRuntimeSpecVersionAndStderrStaysEmpty() throws Exception {
        Krunctl.Result r = Krunctl.run(new byte[0], "--version");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).matches("krunctl version \\S+\nspec: 1\\.0\\.2\n");
        assertThat(r.stderr()).isEmpty();
    }
}
