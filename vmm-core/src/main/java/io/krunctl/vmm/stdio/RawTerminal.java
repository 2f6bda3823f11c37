package io.krunctl.vmm.stdio;

import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Terminal;
import io.krunctl.nativeio.Termios;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The host terminal in raw mode while a guest program owns it (the workload's console, an
 * {@code exec -t} session), its settings saved first and always put back: by {@link #restore()},
 * and by a shutdown hook if the JVM exits first. Only SIGKILL leaves it raw ({@code stty sane}
 * repairs it).
 */
public final class RawTerminal {
    private static final Logger LOG = LogManager.getLogger(RawTerminal.class);

    private final int fd;
    private final Termios saved;
    private final Thread restoreHook;
    private boolean raw;

    private RawTerminal(int fd, Termios saved) {
        this.fd = fd;
        this.saved = saved;
        this.restoreHook = Thread.ofPlatform().unstarted(this::restoreQuietly);
    }

    /** Saves the settings of the terminal on {@code fd}; nothing changes until {@link #enter()}. */
    public static RawTerminal save(int fd) throws NativeException {
        return new RawTerminal(fd, Terminal.getAttributes(fd));
    }

    /** Puts the terminal in raw mode. */
    public void enter() throws NativeException {
        Runtime.getRuntime().addShutdownHook(restoreHook);
        synchronized (this) {
            Terminal.setAttributes(fd, Terminal.TCSADRAIN, saved.raw());
            raw = true;
        }
    }

    /** Puts the saved settings back; safe to call more than once. */
    public void restore() {
        restoreQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // The JVM is shutting down (the hook restores the terminal), or raw mode was never entered.
        }
    }

    private synchronized void restoreQuietly() {
        if (!raw) {
            return;
        }
        try {
            Terminal.setAttributes(fd, Terminal.TCSADRAIN, saved);
            raw = false;
        } catch (NativeException e) {
            LOG.warn("cannot restore the terminal's settings ({}); run `stty sane`", e.getMessage());
        }
    }
}
