package io.krunctl.nativeio;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The settings of a terminal, a value copy of glibc's {@code struct termios} (see
 * {@link Terminal#TERMIOS}). Read them with {@link Terminal#getAttributes}, change a copy, and write
 * them back with {@link Terminal#setAttributes}; the copy read first is what restores the terminal.
 *
 * @param iflag  input modes
 * @param oflag  output modes
 * @param cflag  control modes
 * @param lflag  local modes
 * @param line   line discipline
 * @param cc     the {@value #NCCS} control characters ({@code VINTR}, {@code VMIN}, ...)
 * @param ispeed input speed
 * @param ospeed output speed
 */
public record Termios(int iflag, int oflag, int cflag, int lflag, byte line, byte[] cc, int ispeed, int ospeed) {
    /** Number of control characters in glibc's {@code struct termios}. */
    public static final int NCCS = 32;

    // c_iflag bits (asm-generic/termbits.h, octal as there).
    public static final int IGNBRK = 0000001;
    public static final int BRKINT = 0000002;
    public static final int PARMRK = 0000010;
    public static final int ISTRIP = 0000040;
    public static final int INLCR = 0000100;
    public static final int IGNCR = 0000200;
    public static final int ICRNL = 0000400;
    public static final int IXON = 0002000;
    // c_oflag bits.
    public static final int OPOST = 0000001;
    public static final int ONLCR = 0000004;
    // c_cflag bits.
    public static final int CSIZE = 0000060;
    public static final int CS8 = 0000060;
    public static final int PARENB = 0000400;
    // c_lflag bits.
    public static final int ISIG = 0000001;
    public static final int ICANON = 0000002;
    public static final int ECHO = 0000010;
    public static final int ECHONL = 0000100;
    public static final int IEXTEN = 0100000;
    // c_cc indices.
    public static final int VINTR = 0;
    public static final int VTIME = 5;
    public static final int VMIN = 6;

    public Termios {
        if (cc.length != NCCS) {
            throw new IllegalArgumentException("termios needs " + NCCS + " control characters, got " + cc.length);
        }
        cc = cc.clone();
    }

    /** A copy of the control characters. */
    @Override
    public byte[] cc() {
        return cc.clone();
    }

    /**
     * These settings in raw mode, exactly as glibc's {@code cfmakeraw} makes them: no echo, no line
     * editing, no signals from the keyboard (^C is the byte 3), no input or output translation,
     * 8-bit characters, and a read returns as soon as one byte is there.
     */
    public Termios raw() {
        byte[] rawCc = cc.clone();
        rawCc[VMIN] = 1;
        rawCc[VTIME] = 0;
        return new Termios(
                iflag & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON),
                oflag & ~OPOST,
                (cflag & ~(CSIZE | PARENB)) | CS8,
                lflag & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN),
                line, rawCc, ispeed, ospeed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Termios t && iflag == t.iflag && oflag == t.oflag && cflag == t.cflag
                && lflag == t.lflag && line == t.line && Arrays.equals(cc, t.cc) && ispeed == t.ispeed
                && ospeed == t.ospeed;
    }

    @Override
    public int hashCode() {
        return ((iflag * 31 + oflag) * 31 + cflag) * 31 + lflag + 31 * Arrays.hashCode(cc);
    }

    /** The fields in the shape of {@code stty -g}: hex flags, then the control characters. */
    @Override
    public String toString() {
        return String.format("Termios[%x:%x:%x:%x:%s]", iflag, oflag, cflag, lflag, HexFormat.of().formatHex(cc));
    }
}
