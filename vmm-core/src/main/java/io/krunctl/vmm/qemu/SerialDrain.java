package io.krunctl.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Waits until QEMU has passed on the bytes the guest has queued so far on its output ports.
 *
 * <p>When a port's chardev cannot take more (the host reader is slow), QEMU stops taking buffers
 * from the port's virtqueue and leaves them there, up to 128 of them. The guest's writes returned
 * long ago, so the workload may exit with megabytes still queued; when the guest then reboots, its
 * kernel resets the virtio devices and QEMU discards what it still held. So before the init may
 * reboot, krunctl asks QEMU ({@code x-query-virtio-queue-element}, which reads the rings from guest
 * memory) until, on each port's transmit queue, the used index has reached the available index seen
 * at the start: every buffer queued until then has been written to the socket, where krunctl's relay
 * reads it. Buffers queued later (a background process still writing) are not waited for.
 */
public final class SerialDrain {
    private static final Logger LOG = LogManager.getLogger(SerialDrain.class);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 20;

    private SerialDrain() {}

    /**
     * Returns once the buffers queued now on the transmit queues of {@code ports} have been passed
     * on, or at once when {@code stop} says so. If QEMU cannot answer (an older QEMU without the
     * command, QEMU gone) there is nothing to wait for and this returns too.
     *
     * @return whether everything queued was seen passed on
     */
    public static boolean await(QmpMonitor qmp, List<Integer> ports, BooleanSupplier stop) throws InterruptedException {
        long polls = 0;
        for (int port : ports) {
            int queue = QemuCommand.transmitQueue(port);
            int target = -1;
            while (true) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                Ring ring;
                try {
                    ring = Ring.of(qmp.execute("x-query-virtio-queue-element",
                            Map.of("path", QemuCommand.SERIAL_QOM_PATH, "queue", queue), QUERY_TIMEOUT));
                } catch (IOException e) {
                    LOG.debug("cannot see virtio-serial queue {}: {}", queue, e.getMessage());
                    return false;
                }
                if (target < 0) {
                    target = ring.avail();
                }
                int left = ring.left(target);
                if (left == 0) {
                    break;
                }
                if (polls++ % 50 == 0) {
                    LOG.debug("port {}: {} buffers still queued in QEMU", port, left);
                }
                Thread.sleep(POLL_MILLIS);
            }
        }
        return true;
    }

    /**
     * The two ring indexes of a split virtqueue, free-running 16-bit counters.
     *
     * @param avail buffers the guest has made available
     * @param used  buffers the device (QEMU) has returned
     */
    record Ring(int avail, int used) {
        static Ring of(JsonNode element) throws IOException {
            JsonNode avail = element.path("avail").path("idx");
            JsonNode used = element.path("used").path("idx");
            if (!avail.canConvertToInt() || !used.canConvertToInt()) {
                throw new IOException("unexpected answer: " + element);
            }
            return new Ring(avail.asInt() & 0xffff, used.asInt() & 0xffff);
        }

        /** Buffers up to the available index {@code target} not returned yet; 0 once used has reached it. */
        int left(int target) {
            int left = (target - used) & 0xffff;
            // A queue holds at most 32768 entries: a larger distance means used is already past target.
            return left > 0x8000 ? 0 : left;
        }
    }
}
