package io.krunctl.cli;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Log level set-up. Logs go to stderr (see {@code log4j2.properties}): stdout carries the
 * workload's bytes and nothing else. Called only by commands that run a VM, so {@code --version}
 * and {@code --help} never pay for starting Log4j.
 */
final class Logging {
    private Logging() {}

    static void configure(boolean debug, boolean verbose) {
        Level level = debug ? Level.DEBUG : verbose ? Level.INFO : Level.WARN;
        Configurator.setRootLevel(level);
    }

    /**
     * Logs to {@code file} instead of stderr: for an OCI container's supervisor, whose stderr is the
     * container's own (podman logs it as the workload's).
     */
    static void toFile(Path file, boolean debug) {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setStatusLevel(Level.ERROR);
        b.add(b.newAppender("file", "File").addAttribute("fileName", file.toString())
                .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d{ISO8601} %level: %msg%n")));
        b.add(b.newRootLogger(debug ? Level.DEBUG : Level.INFO).add(b.newAppenderRef("file")));
        Configurator.reconfigure(b.build());
    }
}
