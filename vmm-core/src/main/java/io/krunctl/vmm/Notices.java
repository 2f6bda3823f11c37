package io.krunctl.vmm;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One-line messages for the user about the run itself (a time limit ran out, the VM is being
 * stopped), on stderr. While the host terminal is in raw mode they would land mid-screen without
 * a carriage return, inside the workload's session; they are kept until the terminal is restored.
 */
final class Notices {
    private static final Logger LOG = LogManager.getLogger(Vm.class);

    private final List<String> held = new ArrayList<>();
    private boolean holding;

    synchronized void show(String message) {
        if (holding) {
            held.add(message);
        } else {
            LOG.warn(message);
        }
    }

    /** Keeps messages until {@link #flush()}. */
    synchronized void deferWhileRaw() {
        holding = true;
    }

    /** Shows the kept messages; later ones are shown at once. */
    synchronized void flush() {
        holding = false;
        held.forEach(LOG::warn);
        held.clear();
    }
}
