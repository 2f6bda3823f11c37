package io.krunctl.vmm.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputLogTest {
    private final OutputLog log = new OutputLog();

    private record Seen(ByteArrayOutputStream out, ByteArrayOutputStream err, List<String> ends)
            implements OutputLog.Reader {
        Seen() {
            this(new ByteArrayOutputStream(), new ByteArrayOutputStream(), new ArrayList<>());
        }

        @Override
        public void write(OutputLog.Stream stream, byte[] bytes, int offset, int length) {
            (stream == OutputLog.Stream.STDOUT ? out : err).write(bytes, offset, length);
        }

        @Override
        public void end() {
            ends.add("end");
        }
    }

    @Test
    void whatPassesThroughTheTeeReachesItsStreamAndIsKept() throws Exception {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        OutputStream tee = log.tee(terminal, OutputLog.Stream.STDOUT);
        tee.write("hello ".getBytes());
        tee.write("world\n".getBytes());
        log.tee(new ByteArrayOutputStream(), OutputLog.Stream.STDERR).write("oops\n".getBytes());
        Seen seen = new Seen();

        log.read(seen, false);

        assertThat(terminal.toString()).isEqualTo("hello world\n");
        assertThat(seen.out().toString()).isEqualTo("hello world\n");
        assertThat(seen.err().toString()).isEqualTo("oops\n");
        assertThat(seen.ends()).containsExactly("end");
    }

    @Test
    void onlyTheLastBytesAreKept() throws Exception {
        OutputStream tee = log.tee(OutputStream.nullOutputStream(), OutputLog.Stream.STDOUT);
        byte[] many = new byte[OutputLog.KEPT * 3 + 17];
        for (int i = 0; i < many.length; i++) {
            many[i] = (byte) i;
        }
        tee.write(many, 0, 1000);
        tee.write(many, 1000, many.length - 1000);

        assertThat(log.kept(OutputLog.Stream.STDOUT))
                .isEqualTo(Arrays.copyOfRange(many, many.length - OutputLog.KEPT, many.length));
    }

    @Test
    void aFollowerGetsWhatComesLaterUntilTheLogCloses() throws Exception {
        OutputStream tee = log.tee(OutputStream.nullOutputStream(), OutputLog.Stream.STDOUT);
        tee.write("before\n".getBytes());
        Seen seen = new Seen();
        log.read(seen, true);
        tee.write("after\n".getBytes());
        assertThat(seen.ends()).isEmpty();

        log.close();
        tee.write("too late\n".getBytes());

        assertThat(seen.out().toString()).isEqualTo("before\nafter\n");
        assertThat(seen.ends()).containsExactly("end");
    }
}
