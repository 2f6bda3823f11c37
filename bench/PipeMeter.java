import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;

/**
 * One end of a measured pipe, for bench/pipe.sh (run with `java PipeMeter.java`).
 *
 * <pre>
 *   write MIB [LABEL]  writes MIB MiB to stdout; with LABEL, reports the rate from the moment
 *               the first MiB was taken (the VM has booted and reads) until the last byte was taken
 *   read LABEL  reads stdin to end of file; reports the byte count and the rate from the first
 *               byte to the end (boot time excluded)
 * </pre>
 *
 * Reports are one line on stderr: {@code LABEL: N MiB in S s = R MiB/s}.
 */
public class PipeMeter {
    private static final int MIB = 1 << 20;

    public static void main(String[] args) throws IOException {
        if ((args.length == 2 || args.length == 3) && args[0].equals("write")) {
            write(Long.parseLong(args[1]), args.length == 3 ? args[2] : null);
        } else if (args.length == 2 && args[0].equals("read")) {
            read(args[1]);
        } else {
            System.err.println("usage: java PipeMeter.java write MIB [LABEL] | read LABEL");
            System.exit(64);
        }
    }

    private static void write(long mib, String label) throws IOException {
        byte[] chunk = new byte[MIB];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + (i >> 8)); // not all zeros, not compressible to nothing
        }
        FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        long start = 0;
        for (long i = 0; i < mib; i++) {
            out.write(chunk);
            if (i == 0) {
                start = System.nanoTime();
            }
        }
        out.close();
        if (label != null) {
            report(label, (mib - 1) * MIB, System.nanoTime() - start);
        }
    }

    private static void read(String label) throws IOException {
        FileInputStream in = new FileInputStream(FileDescriptor.in);
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        long start = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (total == 0 && n > 0) {
                start = System.nanoTime();
            }
            total += n;
        }
        report(label, total, System.nanoTime() - start);
    }

    private static void report(String label, long bytes, long nanos) {
        double seconds = nanos / 1e9;
        System.err.printf("%-28s %7.1f MiB in %6.2f s = %7.1f MiB/s%n", label + ":", bytes / (double) MIB, seconds,
                bytes / (double) MIB / seconds);
    }
}
