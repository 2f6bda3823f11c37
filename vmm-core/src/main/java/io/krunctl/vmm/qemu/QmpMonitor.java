package io.krunctl.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * krunctl's end of QEMU's machine protocol (QMP): QEMU connects to a socket krunctl listens on,
 * krunctl negotiates capabilities, watches events, runs commands and can ask QEMU to quit. The last
 * {@code SHUTDOWN} reason tells a guest reboot (the init's normal end) from a guest panic or a
 * host-side stop.
 */
public final class QmpMonitor implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(QmpMonitor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerSocketChannel listener;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final AtomicReference<String> shutdownReason = new AtomicReference<>();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> portsOpened = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile OutputStream commands;
    private volatile SocketChannel connection;

    private QmpMonitor(ServerSocketChannel listener) {
        this.listener = listener;
    }

    /** Listens on {@code path}; QEMU must be started after this returns. */
    public static QmpMonitor listen(Path path) throws IOException {
        QmpMonitor monitor = new QmpMonitor(ChardevSocket.listen(path));
        Thread.ofPlatform().daemon().name("qmp").start(monitor::serve);
        return monitor;
    }

    private void serve() {
        try (SocketChannel channel = listener.accept()) {
            connection = channel;
            BufferedReader in = new BufferedReader(
                    new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            String greeting = in.readLine();
            if (greeting == null) {
                return;
            }
            send(out, "{\"execute\":\"qmp_capabilities\"}");
            commands = out;
            ready.countDown();
            String line;
            while ((line = in.readLine()) != null) {
                onMessage(line);
            }
        } catch (IOException e) {
            LOG.debug("QMP connection ended: {}", e.toString());
        } finally {
            ready.countDown();
            IOException gone = new IOException("the QMP connection ended");
            pending.values().forEach(f -> f.completeExceptionally(gone));
        }
    }

    private void onMessage(String line) {
        try {
            JsonNode msg = JSON.readTree(line);
            JsonNode event = msg.get("event");
            if (event == null) {
                CompletableFuture<JsonNode> reply = msg.has("id") ? pending.remove(msg.get("id").asLong()) : null;
                if (msg.has("error")) {
                    LOG.debug("QMP error reply: {}", line);
                    if (reply != null) {
                        reply.completeExceptionally(new IOException(msg.path("error").path("desc").asText(line)));
                    }
                } else if (reply != null) {
                    reply.complete(msg.path("return"));
                }
                return;
            }
            LOG.debug("QMP event {}", line);
            if ("VSERPORT_CHANGE".equals(event.asText()) && msg.path("data").path("open").asBoolean(false)) {
                portOpened(msg.path("data").path("id").asText()).complete(null);
            }
            if ("SHUTDOWN".equals(event.asText())) {
                shutdownReason.set(msg.path("data").path("reason").asText("unknown"));
            }
        } catch (IOException e) {
            LOG.debug("unparsable QMP message {}: {}", line, e.toString());
        }
    }

    private static synchronized void send(OutputStream out, String json) throws IOException {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Asks QEMU to exit now. Returns false if the monitor was never connected or is gone. */
    public boolean quit() {
        try {
            if (!ready.await(2, TimeUnit.SECONDS) || commands == null) {
                return false;
            }
            send(commands, "{\"execute\":\"quit\"}");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs a QMP command and returns its {@code return} value.
     *
     * @throws IOException if QEMU answers with an error, the connection is gone, or no answer comes
     *                     within {@code timeout}
     */
    public JsonNode execute(String command, Map<String, Object> arguments, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!ready.await(timeout.toNanos(), TimeUnit.NANOSECONDS) || commands == null) {
            throw new IOException("QMP is not connected");
        }
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            var request = JSON.createObjectNode().put("execute", command).put("id", id);
            if (!arguments.isEmpty()) {
                request.set("arguments", JSON.valueToTree(arguments));
            }
            send(commands, JSON.writeValueAsString(request));
            return reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no answer to " + command + " within " + timeout.toMillis() + " ms");
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Completes when the guest first opens the virtio-serial port whose QEMU device id is
     * {@code deviceId} (QEMU reports only ports that have a device id).
     */
    public CompletableFuture<Void> portOpened(String deviceId) {
        return portsOpened.computeIfAbsent(deviceId, id -> new CompletableFuture<>());
    }

    /** The reason of QEMU's last SHUTDOWN event, such as {@code guest-reset} or {@code guest-panic}. */
    public Optional<String> shutdownReason() {
        return Optional.ofNullable(shutdownReason.get());
    }

    @Override
    public void close() {
        try {
            listener.close();
            SocketChannel c = connection;
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            LOG.debug("closing QMP: {}", e.toString());
        }
    }
}
