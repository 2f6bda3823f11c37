package io.krunctl.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code krunctl exec}'s path on the host, over real unix sockets: {@link ExecClient} to
 * {@link ExecRelay} to {@link AgentChannel}, whose other end is played by {@link GuestAgent}, a
 * stand-in speaking the guest agent's part of the protocol as QEMU's end of the port would carry
 * it (the real agent is tested in guest/agent and end to end).
 */
class ExecRelayTest {
    @TempDir
    Path dir;

    private AgentChannel channel;
    private ExecRelay relay;
    private GuestAgent guest;

    @BeforeEach
    void setUp() throws Exception {
        channel = AgentChannel.listen(dir.resolve("agent.sock"));
        relay = ExecRelay.serve(dir.resolve("exec.sock"), channel);
        guest = GuestAgent.connect(dir.resolve("agent.sock"));
        channel.ready().get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
        channel.close();
        guest.close();
    }

    private ExecClient.Outcome exec(byte[] stdin, ByteArrayOutputStream out, ByteArrayOutputStream err,
            String... args) throws IOException {
        try (ExecClient client = ExecClient.connect(dir.resolve("exec.sock"))) {
            return client.run(new ExecRequest(List.of(args), List.of("PATH=/bin"), "/", 0, 0, false, 0, 0),
                    stdin == null ? null : new ByteArrayInputStream(stdin), out, err);
        }
    }

    @Test
    void megabytesOfInputComeBackByteForByteWithinTheCredits() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(1).nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        ExecClient.Outcome outcome = exec(data, out, new ByteArrayOutputStream(), "cat");

        assertThat(outcome.exitCode()).isZero();
        assertThat(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(guest.maxUnconsumedOutput).as("the guest never had more than a window in flight")
                .isLessThanOrEqualTo(Frame.WINDOW);
    }

    @Test
    void stdoutAndStderrStaySeparateAndTheExitCodeComesBack() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        ExecClient.Outcome outcome = exec(null, out, err, "say", "3");

        assertThat(outcome).isEqualTo(new ExecClient.Outcome(3, java.util.Optional.empty()));
        assertThat(out.toString()).isEqualTo("to stdout\n");
        assertThat(err.toString()).isEqualTo("to stderr\n");
    }

    @Test
    void aProgramThatCannotStartEndsWithTheAgentsCodeAndReason() throws Exception {
        ExecClient.Outcome outcome = exec(null, new ByteArrayOutputStream(), new ByteArrayOutputStream(), "missing");

        assertThat(outcome.exitCode()).isEqualTo(127);
        assertThat(outcome.failure()).contains("missing: not found");
    }

    @Test
    void aSignalReachesTheProcessAndItsDeathIs128PlusN() throws Exception {
        try (ExecClient client = ExecClient.connect(dir.resolve("exec.sock"))) {
            Future<ExecClient.Outcome> outcome = Executors.newVirtualThreadPerTaskExecutor().submit(() -> client.run(
                    new ExecRequest(List.of("wait"), List.of(), "/", 0, 0, false, 0, 0), null,
                    new ByteArrayOutputStream(), new ByteArrayOutputStream()));
            guest.started.take();
            client.signal(15);

            assertThat(outcome.get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(143);
        }
    }

    @Test
    void aClientThatGoesAwayHasItsProcessKilled() throws Exception {
        ExecClient client = ExecClient.connect(dir.resolve("exec.sock"));
        Executors.newVirtualThreadPerTaskExecutor().submit(() -> client.run(
                new ExecRequest(List.of("wait"), List.of(), "/", 0, 0, false, 0, 0), null,
                new ByteArrayOutputStream(), new ByteArrayOutputStream()));
        int session = guest.started.take();
        client.close();

        assertThat(guest.signals.poll(5, TimeUnit.SECONDS)).isEqualTo(List.of(session, 9));
    }

    @Test
    void eightSessionsAtOnceEachGetTheirOwnBytes() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> results = new ArrayList<>();
            List<byte[]> inputs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] data = new byte[300_000 + i];
                new Random(i).nextBytes(data);
                inputs.add(data);
                results.add(pool.submit(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    assertThat(exec(data, out, new ByteArrayOutputStream(), "cat").exitCode()).isZero();
                    return out.toByteArray();
                }));
            }
            for (int i = 0; i < 8; i++) {
                assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(inputs.get(i));
            }
        }
    }

    @Test
    void anExecIntoAVmWhoseAgentNeverAnswersFailsWithAClearReasonAfterTheWait() throws Exception {
        try (AgentChannel silent = AgentChannel.listen(dir.resolve("silent.sock"));
                ExecRelay waiting = ExecRelay.serve(dir.resolve("silent-exec.sock"), silent, Duration.ofMillis(300));
                ExecClient client = ExecClient.connect(dir.resolve("silent-exec.sock"))) {
            ExecClient.Outcome outcome = client.run(new ExecRequest(List.of("true"), List.of(), "/", 0, 0, false, 0, 0),
                    null, new ByteArrayOutputStream(), new ByteArrayOutputStream());

            assertThat(outcome.exitCode()).isEqualTo(ExecRelay.CANNOT_EXEC);
            assertThat(outcome.failure()).hasValueSatisfying(reason -> assertThat(reason)
                    .startsWith("the guest agent did not answer within 300ms of the exec"));
        }
    }

    /**
     * The guest agent's part: HELLO on connect, then per EXEC one of four behaviours chosen by the
     * program name: {@code cat} echoes stdin within the credits, {@code say N} writes a line to each
     * stream and exits N, {@code missing} fails with 127, {@code wait} waits for a signal.
     */
    static final class GuestAgent implements AutoCloseable {
        final BlockingQueue<Integer> started = new LinkedBlockingQueue<>();
        final BlockingQueue<List<Integer>> signals = new LinkedBlockingQueue<>();
        volatile long maxUnconsumedOutput;
        private final SocketChannel port;
        private final Map<Integer, long[]> outputCredit = new ConcurrentHashMap<>();
        private final Map<Integer, ByteArrayOutputStream> pending = new ConcurrentHashMap<>();
        private final Thread reader;

        private GuestAgent(SocketChannel port) {
            this.port = port;
            this.reader = Thread.ofVirtual().start(this::serve);
        }

        static GuestAgent connect(Path socket) throws IOException {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            c.connect(UnixDomainSocketAddress.of(socket));
            GuestAgent agent = new GuestAgent(c);
            agent.send(Frame.hello());
            return agent;
        }

        private synchronized void send(Frame f) throws IOException {
            FrameCodec.write(port, f);
        }

        private void serve() {
            try {
                Map<Integer, String> programs = new ConcurrentHashMap<>();
                Frame f;
                while ((f = FrameCodec.read(port)) != null) {
                    int s = f.session();
                    switch (f.kind()) {
                        case EXEC -> {
                            ExecRequest r = ExecRequest.fromJson(s, f.payload());
                            String program = r.args().get(0);
                            programs.put(s, program);
                            outputCredit.put(s, new long[] {Frame.WINDOW});
                            pending.put(s, new ByteArrayOutputStream());
                            switch (program) {
                                case "missing" -> send(Frame.failed(s, 127, "missing: not found"));
                                case "say" -> {
                                    send(Frame.started(s, 100 + s));
                                    send(Frame.data(s, Frame.Kind.STDOUT, "to stdout\n".getBytes(), 0, 10));
                                    send(Frame.data(s, Frame.Kind.STDERR, "to stderr\n".getBytes(), 0, 10));
                                    send(Frame.exited(s, false, Integer.parseInt(r.args().get(1))));
                                }
                                default -> {
                                    send(Frame.started(s, 100 + s));
                                    started.add(s);
                                }
                            }
                        }
                        case STDIN -> {
                            if (!programs.get(s).equals("cat")) {
                                continue;
                            }
                            if (f.payload().length == 0) {
                                pending.get(s).write(new byte[0]);
                                flush(s, true);
                            } else {
                                pending.get(s).write(f.payload());
                                flush(s, false);
                            }
                        }
                        case OUTPUT_CREDIT -> {
                            outputCredit.get(s)[0] += f.number();
                            if (programs.get(s).equals("cat")) {
                                flush(s, false);
                            }
                        }
                        case SIGNAL -> {
                            signals.add(List.of(s, f.number()));
                            if (f.number() != 9) {
                                send(Frame.exited(s, true, f.number()));
                            }
                        }
                        default -> { }
                    }
                }
            } catch (IOException e) {
                // The host closed the port.
            }
        }

        /** Echoes what stdin brought, as far as the output credit allows; EXITED after end of input. */
        private final Map<Integer, Boolean> inputEnded = new ConcurrentHashMap<>();

        private void flush(int s, boolean end) throws IOException {
            if (end) {
                inputEnded.put(s, true);
            }
            ByteArrayOutputStream buffer = pending.get(s);
            byte[] data = buffer.toByteArray();
            long[] credit = outputCredit.get(s);
            int sent = 0;
            while (sent < data.length && credit[0] > 0) {
                int n = (int) Math.min(Math.min(Frame.MAX_PAYLOAD, credit[0]), data.length - sent);
                send(Frame.data(s, Frame.Kind.STDOUT, data, sent, n));
                credit[0] -= n;
                sent += n;
                // What the host holds unconsumed: the window less the credit left.
                maxUnconsumedOutput = Math.max(maxUnconsumedOutput, Frame.WINDOW - credit[0]);
            }
            if (sent > 0) {
                send(Frame.credit(s, Frame.Kind.STDIN_CREDIT, sent));
            }
            buffer.reset();
            buffer.write(data, sent, data.length - sent);
            if (buffer.size() == 0 && inputEnded.getOrDefault(s, false)) {
                send(Frame.exited(s, false, 0));
                inputEnded.remove(s);
            }
        }

        @Override
        public void close() throws IOException {
            port.close();
            reader.interrupt();
        }
    }
}
