package io.krunctl.vmm;

import io.krunctl.vmm.stdio.ControlMessage;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Consumer;

/**
 * Keeps the guest's wall clock on the host's: sends the host's time on the control port when the
 * workload starts and then every {@link #INTERVAL}, and the guest init steps its clock to it when
 * they are more than 100 ms apart (guest/README.md, "Guest time"). The guest clock otherwise stands
 * still while the host is suspended, drifts under TCG, and keeps whatever a workload set it to.
 *
 * <p>It starts only once the guest has opened the control port, so a time never waits in the
 * channel for QEMU to connect and arrives stale. The messages go out on a timer thread of their
 * own, so that a write the guest is slow to take never delays the run's stop timeout.
 */
final class ClockSync implements AutoCloseable {
    /**
     * How often the host sends its time: also the longest a guest clock stays wrong after a host
     * suspend or a guest's {@code date -s}.
     */
    static final Duration INTERVAL = Duration.ofSeconds(5);

    private final Consumer<ControlMessage> send;
    private final InstantSource clock;
    private final Timers timers;
    private boolean started;
    private boolean closed;

    /**
     * @param send   passes a message to the guest init
     * @param clock  the host's wall clock
     * @param timers when to send; closed by {@link #close()}
     */
    ClockSync(Consumer<ControlMessage> send, InstantSource clock, Timers timers) {
        this.send = send;
        this.clock = clock;
        this.timers = timers;
    }

    /** Sends the time now and every {@link #INTERVAL} until {@link #close()}; later calls do nothing. */
    void start() {
        synchronized (this) {
            if (started || closed) {
                return;
            }
            started = true;
        }
        tick();
    }

    private void tick() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        // Read the clock right before sending: the guest takes the time as it is when it arrives.
        send.accept(ControlMessage.Time.of(clock.instant()));
        synchronized (this) {
            // Under the lock, so that closed timers are never asked to schedule.
            if (!closed) {
                timers.schedule(INTERVAL, this::tick);
            }
        }
    }

    /** Stops sending. */
    @Override
    public synchronized void close() {
        closed = true;
        timers.close();
    }
}
