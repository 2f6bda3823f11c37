package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: {@code network: {mode: user}}. The guest init configures eth0 from QEMU's DHCP server
 * (which has no Rapid Commit, so the init's four-message fallback is what gets the address), the
 * guest fetches a file from an HTTP server this test runs on the host's loopback (the guest reaches
 * the host as 10.0.2.2), and a client on the host reaches an HTTP server in the guest through a
 * forwarded port.
 */
class NetworkIT {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void dhcpOutboundHttpAndAForwardedPort() throws Exception {
        String payload = "payload-from-host-" + UUID.randomUUID() + "\n";
        List<String> hostRequests = new CopyOnWriteArrayList<>();
        HttpServer host = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        host.createContext("/file", exchange -> {
            hostRequests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            byte[] body = payload.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        host.start();
        int forwarded = freeLoopbackPort();
        try {
            String script = String.join("\n",
                    "B=/bin/busybox",
                    "$B ip -4 -o addr show dev eth0 | $B sed 's/^/addr /'",
                    "$B ip route | $B sed 's/^/route /'",
                    "echo \"resolv=$($B cat /etc/resolv.conf)\"",
                    "echo \"fetched=$($B wget -q -O - http://10.0.2.2:" + host.getAddress().getPort() + "/file)\"",
                    // One HTTP request, answered by busybox httpd in inetd mode on the accepted socket.
                    "$B nc -l -p 80 -e $B httpd -i -h /www && echo served",
                    "");
            String files = "  - {path: /www/index.html, content: \"served-from-guest\\n\"}\n";
            String yaml = "apiVersion: krunctl/v1\nname: net\nroot: {nullfs: {}}\n"
                    + "network:\n  mode: user\n  ports: [\"" + forwarded + ":80\"]\n"
                    + "files:\n  - {path: /bin/busybox, source: /bin/busybox, mode: \"0755\"}\n" + files
                    + "process:\n  args: [/bin/busybox, sh, -c, " + Krunctl.quote(script) + "]\n";
            Path spec = dir.resolve("net.yaml");
            java.nio.file.Files.writeString(spec, yaml);

            CompletableFuture<Krunctl.Result> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return Krunctl.run(new byte[0], "run", spec.toString());
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            String response = fetchThroughForward(forwarded, run, Duration.ofSeconds(100));
            Krunctl.Result r = run.join();

            assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
            assertThat(r.stderr()).as("no init warnings, none about /etc/resolv.conf either").isEmpty();
            List<String> lines = r.stdoutText().lines().toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("addr ").contains("inet 10.0.2.15/24"));
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("route default via 10.0.2.2 dev eth0"));
            assertThat(lines).contains("resolv=nameserver 10.0.2.3", "fetched=" + payload.strip(), "served");
            assertThat(hostRequests).containsExactly("GET /file");

            assertThat(response).startsWith("HTTP/1.").contains(" 200 ").endsWith("\r\n\r\nserved-from-guest\n");
        } finally {
            host.stop(0);
        }
    }

    @Test
    void aTakenHostPortIsAOneLineSpecErrorNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path spec = Krunctl.busyboxSpec(dir, "taken", "network: {mode: user, ports: [\"" + port + ":80\"]}\n",
                    "/bin/busybox", "true");

            Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

            assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(ExitCodes.SPEC_INVALID);
            assertThat(r.stderr()).hasLineCount(1).startsWith("krunctl: network.ports: cannot forward 127.0.0.1:"
                    + port + " to guest port 80: ").doesNotContain("qemu");
        }
    }

    /**
     * Sends one HTTP request to the forwarded host port until the guest's server answers it. QEMU
     * accepts on the host port from the start and closes the connection when nothing listens in the
     * guest yet, so an empty answer means "try again".
     */
    private static String fetchThroughForward(int port, CompletableFuture<?> vm, Duration limit) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline) && !vm.isDone()) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (!answer.isEmpty()) {
                    return answer;
                }
            } catch (IOException e) {
                // Not listening yet on either side.
            }
            Thread.sleep(200);
        }
        throw new AssertionError("nothing answered on 127.0.0.1:" + port + " (VM done: " + vm.isDone() + ")");
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
