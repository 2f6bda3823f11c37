package io.krunctl.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Log level set-up. Logs always go to stderr (see {@code log4j2.properties}): stdout carries the
 * workload's bytes and nothing else. Called only by commands that run a VM, so {@code --version}
 * and {@code --help} never pay for starting Log4j.
 */
final class Logging {
    private Logging() {}

    static void configure(boolean debug, boolean verbose) {
        Level level = debug ? Level.DEBUG : verbose ? Level.INFO : Level.WARN;
        Configurator.setRootLevel(level);
    }
}
