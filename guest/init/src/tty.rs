//! The console as the workload's terminal.
//!
//! When the host's stdio are terminals it creates no krun-stdin/-stdout/
//! -stderr ports and connects the console (hvc0) to the user's terminal,
//! in raw mode on the host side. The guest's tty line discipline then does
//! the terminal work: echo, line editing, ^C → SIGINT to the foreground
//! process group, CR → NL on input. So:
//!
//! * PID 1 puts the console's termios into a sane cooked state (libkrun
//!   bug #562 came from a wrong ICRNL setting) and applies the initial
//!   window size from `KRUN_TTY_ROWS` / `KRUN_TTY_COLS`;
//! * the workload runs in its own session with the console as controlling
//!   terminal and its own process group in the foreground, so ^C reaches
//!   it, an interactive shell gets job control, and `stty size` works.
//!
//! That holds whether or not the stdio ports exist: with them, the console
//! is still where `/dev/tty` leads and where a ^C written to the console
//! by the host turns into SIGINT.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::console;
use crate::sys;

pub const CONSOLE: &str = "/dev/console";

/// Linux termios bits the libc crate does not name (asm-generic/termbits.h).
const IUCLC: libc::tcflag_t = 0o001000;
const XCASE: libc::tcflag_t = 0o000004;

/// Control characters of a sane terminal (as `stty sane` sets them).
const CONTROL_CHARS: [(usize, u8); 15] = [
    (libc::VINTR, 0x03),  // ^C
    (libc::VQUIT, 0x1c),  // ^\
    (libc::VERASE, 0x7f), // DEL
    (libc::VKILL, 0x15),  // ^U
    (libc::VEOF, 0x04),   // ^D
    (libc::VTIME, 0),
    (libc::VMIN, 1),
    (libc::VSWTC, 0),
    (libc::VSTART, 0x11), // ^Q
    (libc::VSTOP, 0x13),  // ^S
    (libc::VSUSP, 0x1a),  // ^Z
    (libc::VEOL, 0),
    (libc::VREPRINT, 0x12), // ^R
    (libc::VDISCARD, 0x0f), // ^O
    (libc::VWERASE, 0x17),  // ^W
];

/// Makes `t` a sane cooked terminal: what `stty sane` sets, plus CS8 and
/// IUTF8 (the host terminal is assumed to speak UTF-8, so erasing a
/// multi-byte character erases all of it). Line speed is left alone.
pub fn make_sane(t: &mut libc::termios) {
    t.c_iflag &=
        !(libc::IGNBRK | libc::INLCR | libc::IGNCR | IUCLC | libc::IXOFF | libc::IXANY | libc::ISTRIP | libc::PARMRK);
    t.c_iflag |= libc::BRKINT | libc::ICRNL | libc::IXON | libc::IMAXBEL | libc::IUTF8;

    t.c_oflag &= !(libc::OLCUC
        | libc::OCRNL
        | libc::ONOCR
        | libc::ONLRET
        | libc::OFILL
        | libc::OFDEL
        | libc::NLDLY
        | libc::CRDLY
        | libc::TABDLY
        | libc::BSDLY
        | libc::VTDLY
        | libc::FFDLY);
    t.c_oflag |= libc::OPOST | libc::ONLCR;

    t.c_cflag &= !(libc::CSIZE | libc::PARENB);
    t.c_cflag |= libc::CS8 | libc::CREAD;

    t.c_lflag &= !(libc::ECHONL | libc::NOFLSH | XCASE | libc::TOSTOP | libc::ECHOPRT | libc::EXTPROC | libc::FLUSHO);
    t.c_lflag |= libc::ISIG
        | libc::ICANON
        | libc::IEXTEN
        | libc::ECHO
        | libc::ECHOE
        | libc::ECHOK
        | libc::ECHOCTL
        | libc::ECHOKE;

    for (index, value) in CONTROL_CHARS {
        t.c_cc[index] = value;
    }
}

/// A window dimension from `KRUN_TTY_ROWS` / `KRUN_TTY_COLS`: decimal, 0..=65535.
pub fn parse_dimension(value: &OsStr) -> Result<u16, String> {
    let text = value.to_str().unwrap_or("");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{:?} is not a decimal number", value));
    }
    text.parse::<u16>().map_err(|_| format!("{text} is out of range 0..65535"))
}

/// PID 1's console handle (close-on-exec, not a controlling terminal): the
/// termios are made sane and the initial window size applied. `None`, with
/// a warning, when there is no console terminal.
pub fn prepare_console(rows: Option<&OsStr>, cols: Option<&OsStr>) -> Option<OwnedFd> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let console = match console::open_console(flags, console::CONSOLE_TIMEOUT) {
        Ok(fd) => fd,
        Err(e) => {
            console::warn(&format!("open {CONSOLE}"), sys::reason(&e));
            return None;
        }
    };
    let fd = console.as_raw_fd();
    match sys::tcgetattr(fd) {
        Ok(mut t) => {
            make_sane(&mut t);
            if let Err(e) = sys::tcsetattr(fd, &t) {
                console::warn("console termios", sys::reason(&e));
            }
        }
        // Not a terminal (e.g. console=ttyS0 with no serial port): nothing to do.
        Err(e) if sys::errno(&e) == libc::ENOTTY => return Some(console),
        Err(e) => console::warn("console termios", sys::reason(&e)),
    }
    let rows = rows.map(|v| parse_dimension(v).map_err(|e| format!("KRUN_TTY_ROWS: {e}")));
    let cols = cols.map(|v| parse_dimension(v).map_err(|e| format!("KRUN_TTY_COLS: {e}")));
    let (rows, cols) = match (rows.transpose(), cols.transpose()) {
        (Ok(rows), Ok(cols)) => (rows, cols),
        (Err(e), _) | (_, Err(e)) => {
            console::warn("initial window size", format!("{e}; ignoring it"));
            (None, None)
        }
    };
    if rows.is_some() || cols.is_some() {
        let mut ws = sys::get_winsize(fd).unwrap_or(libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 });
        ws.ws_row = rows.unwrap_or(ws.ws_row);
        ws.ws_col = cols.unwrap_or(ws.ws_col);
        if let Err(e) = sys::set_winsize(fd, &ws) {
            console::warn("initial window size", sys::reason(&e));
        }
    }
    // The handle only serves ioctls; blocking mode does not matter for them,
    // and O_NONBLOCK kept the open from waiting on a modem line.
    Some(console)
}

/// Makes the console the calling process's controlling terminal with the
/// caller's process group in the foreground. The caller must lead a session
/// without a controlling terminal (the workload child after `setsid`, or
/// PID 1 in `KRUN_INIT_PID1` mode).
pub fn take_controlling_terminal() -> std::io::Result<()> {
    let console = sys::open(CONSOLE, libc::O_RDWR | libc::O_CLOEXEC | libc::O_NONBLOCK)?;
    sys::set_controlling_tty(console.as_raw_fd())?;
    sys::tcsetpgrp(console.as_raw_fd(), sys::getpid())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeroed() -> libc::termios {
        // SAFETY: termios is plain data; all-zero is a valid value.
        unsafe { std::mem::zeroed() }
    }

    #[test]
    fn raw_terminal_becomes_cooked() {
        let mut t = zeroed();
        make_sane(&mut t);
        for flag in [libc::ICRNL, libc::IXON, libc::BRKINT, libc::IUTF8] {
            assert_ne!(t.c_iflag & flag, 0);
        }
        assert_eq!(t.c_oflag & (libc::OPOST | libc::ONLCR), libc::OPOST | libc::ONLCR);
        for flag in [libc::ISIG, libc::ICANON, libc::ECHO, libc::ECHOE, libc::IEXTEN] {
            assert_ne!(t.c_lflag & flag, 0);
        }
        assert_eq!(t.c_cflag & libc::CSIZE, libc::CS8);
        assert_ne!(t.c_cflag & libc::CREAD, 0);
        assert_eq!(t.c_cc[libc::VINTR], 3);
        assert_eq!(t.c_cc[libc::VEOF], 4);
        assert_eq!(t.c_cc[libc::VERASE], 0x7f);
        assert_eq!(t.c_cc[libc::VSUSP], 0x1a);
        assert_eq!(t.c_cc[libc::VMIN], 1);
    }

    #[test]
    fn newline_mangling_flags_are_cleared() {
        let mut t = zeroed();
        t.c_iflag = libc::INLCR | libc::IGNCR | IUCLC | libc::ISTRIP;
        t.c_oflag = libc::OCRNL | libc::ONLRET | libc::OLCUC | libc::ONOCR;
        t.c_lflag = libc::TOSTOP | libc::ECHONL | libc::NOFLSH;
        t.c_cflag = libc::CS7 | libc::PARENB | libc::B9600;
        make_sane(&mut t);
        assert_eq!(t.c_iflag & (libc::INLCR | libc::IGNCR | IUCLC | libc::ISTRIP), 0);
        assert_eq!(t.c_oflag & (libc::OCRNL | libc::ONLRET | libc::OLCUC | libc::ONOCR), 0);
        assert_eq!(t.c_lflag & (libc::TOSTOP | libc::ECHONL | libc::NOFLSH), 0);
        assert_eq!(t.c_cflag & (libc::CSIZE | libc::PARENB), libc::CS8);
        assert_eq!(t.c_cflag & libc::CBAUD, libc::B9600, "line speed untouched");
    }

    #[test]
    fn dimensions_are_decimal_u16() {
        assert_eq!(parse_dimension(OsStr::new("24")), Ok(24));
        assert_eq!(parse_dimension(OsStr::new("0")), Ok(0));
        assert_eq!(parse_dimension(OsStr::new("65535")), Ok(65535));
        for bad in ["", "65536", "-1", "+3", "24 ", "0x10", "abc"] {
            assert!(parse_dimension(OsStr::new(bad)).is_err(), "{bad:?}");
        }
    }
}
