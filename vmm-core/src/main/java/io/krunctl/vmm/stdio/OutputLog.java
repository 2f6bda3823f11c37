package io.krunctl.vmm.stdio;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The last bytes a foreground VM's workload wrote, per stream, for {@code krunctl logs}: the relay
 * copies what it passes on into a bounded ring ({@link #tee}), and readers get the ring and then,
 * if they follow, what comes after, until {@link #close()}. A detached VM needs none of this: its
 * output is in files.
 *
 * <p>Bounded so that a pipeline moving gigabytes costs a copy per chunk and no memory beyond the ring.
 */
public final class OutputLog implements AutoCloseable {
    /** Bytes kept per stream. */
    public static final int KEPT = 256 * 1024;

    /** The two streams. */
    public enum Stream { STDOUT, STDERR }

    /** A reader; called on the relay's threads, so it must not block long. */
    public interface Reader {
        void write(Stream stream, byte[] bytes, int offset, int length);

        /** The VM has ended: nothing more comes. */
        void end();
    }

    private final byte[][] rings = {new byte[KEPT], new byte[KEPT]};
    private final long[] written = new long[2];
    private final List<Reader> followers = new ArrayList<>();
    private boolean closed;

    /** {@code out} with every byte written also kept here as {@code stream}. */
    public OutputStream tee(OutputStream out, Stream stream) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                keep(stream, b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    private synchronized void keep(Stream stream, byte[] b, int off, int len) {
        byte[] ring = rings[stream.ordinal()];
        // Only the last KEPT bytes of a longer write can stay.
        int skip = Math.max(0, len - KEPT);
        written[stream.ordinal()] += skip;
        for (int i = skip; i < len; i++) {
            ring[(int) (written[stream.ordinal()]++ % KEPT)] = b[off + i];
        }
        for (Reader r : followers) {
            r.write(stream, b, off, len);
        }
    }

    /**
     * Gives {@code reader} what is kept, stdout first; then, with {@code follow}, what comes until the
     * VM ends. Without {@code follow}, or once the VM has ended, {@link Reader#end()} follows at once.
     */
    public synchronized void read(Reader reader, boolean follow) {
        for (Stream s : Stream.values()) {
            byte[] kept = kept(s);
            if (kept.length > 0) {
                reader.write(s, kept, 0, kept.length);
            }
        }
        if (follow && !closed) {
            followers.add(reader);
        } else {
            reader.end();
        }
    }

    /** Stops following {@code reader}. */
    public synchronized void forget(Reader reader) {
        followers.remove(reader);
    }

    /** The last {@link #KEPT} bytes of {@code s}, or fewer if it has not written as many. */
    public synchronized byte[] kept(Stream s) {
        long total = written[s.ordinal()];
        int n = (int) Math.min(total, KEPT);
        byte[] out = new byte[n];
        byte[] ring = rings[s.ordinal()];
        for (int i = 0; i < n; i++) {
            out[i] = ring[(int) ((total - n + i) % KEPT)];
        }
        return out;
    }

    /** The VM has ended: every follower is told. */
    @Override
    public synchronized void close() {
        closed = true;
        followers.forEach(Reader::end);
        followers.clear();
    }
}
