//! The control port: a virtio-serial port named `krun-control` on which the
//! host sends newline-terminated ASCII lines while the workload runs:
//!
//! * `signal N`: send signal N (1..=64) to the workload process;
//! * `winsize ROWS COLS`: set the console's window size (TIOCSWINSZ; the
//!   kernel then sends SIGWINCH to the console's foreground process group);
//! * `time SECONDS NANOS`: the host's wall clock (seconds since the Unix
//!   epoch, nanoseconds 0..=999999999); the guest clock is stepped to it
//!   when more than 100 ms off (see `clock`).
//!
//! Words are separated by spaces or tabs; leading and trailing blanks and a
//! trailing CR are ignored; keywords are lower case; numbers are decimal.
//! Blank lines are ignored silently; anything else (unknown keyword, bad
//! number, extra words, a line over 256 bytes, non-ASCII) is a warning and
//! is ignored. End of file (the host disconnected) stops the reader; the
//! workload runs on.
//!
//! Design: the reader is a thread of PID 1, started after the fork. PID 1's
//! main thread keeps its blocking `waitpid(-1)` loop, which reaps every
//! child, and neither thread spins: the reader blocks in `read`. The
//! alternative, one `poll` over the port and a signalfd for SIGCHLD, would
//! need SIGCHLD blocked in PID 1, and a blocked signal mask is inherited
//! across fork and exec: it would have to be undone in the child and
//! handled around the fork, for no gain. The port is opened after the fork
//! and close-on-exec, so the workload never holds it. The workload is
//! signalled through a pidfd taken right after the fork, so a signal can
//! never hit an unrelated process that reuses the pid after the workload
//! was reaped.
//!
//! In PID 1 mode (`KRUN_INIT_PID1`) the workload replaces the init, and a
//! thread would not survive the exec: a child forked just before it reads
//! the port instead (`serve_for_pid1`), and signals PID 1. As for any PID 1,
//! the kernel delivers only the signals the workload has a handler for.

use std::os::fd::{AsRawFd, OwnedFd};

use libc::c_int;

use crate::clock::{self, WallTime};
use crate::console;
use crate::sys;

pub const PORT_NAME: &str = "krun-control";
/// Longest accepted line, newline excluded.
pub const MAX_LINE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Signal(c_int),
    Winsize { rows: u16, cols: u16 },
    Time(WallTime),
}

/// Parses one line (without its newline). `Ok(None)` for a blank line.
pub fn parse(line: &[u8]) -> Result<Option<Message>, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.is_ascii() {
        return Err("not ASCII".into());
    }
    let text = std::str::from_utf8(line).map_err(|_| "not ASCII".to_owned())?;
    let words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    let number = |word: &str, what: &str| -> Result<u64, String> {
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{what} {word:?} is not a decimal number"));
        }
        word.parse::<u64>().map_err(|_| format!("{what} {word} is out of range"))
    };
    match words.as_slice() {
        [] => Ok(None),
        ["signal", n] => {
            let n = number(n, "signal")?;
            if !(1..=64).contains(&n) {
                return Err(format!("signal {n} is out of range 1..64"));
            }
            Ok(Some(Message::Signal(n as c_int)))
        }
        ["winsize", rows, cols] => {
            let rows = number(rows, "rows")?;
            let cols = number(cols, "columns")?;
            let fit = |v: u64, what: &str| u16::try_from(v).map_err(|_| format!("{what} {v} is out of range 0..65535"));
            Ok(Some(Message::Winsize { rows: fit(rows, "rows")?, cols: fit(cols, "columns")? }))
        }
        ["time", secs, nanos] => {
            let secs = number(secs, "seconds")?;
            let nanos = number(nanos, "nanoseconds")?;
            let secs = i64::try_from(secs).map_err(|_| format!("seconds {secs} is out of range"))?;
            let time = u32::try_from(nanos).ok().and_then(|nanos| WallTime::new(secs, nanos));
            Ok(Some(Message::Time(time.ok_or_else(|| format!("nanoseconds {nanos} is out of range 0..999999999"))?)))
        }
        ["signal", ..] => Err("signal takes one number".into()),
        ["winsize", ..] => Err("winsize takes two numbers: ROWS COLS".into()),
        ["time", ..] => Err("time takes two numbers: SECONDS NANOS".into()),
        [keyword, ..] => Err(format!("unknown message {keyword:?}")),
    }
}

/// Splits a byte stream into lines of at most `MAX_LINE` bytes. An overlong
/// line is reported once, as `Err`, and skipped up to its newline.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    overflow: bool,
}

impl LineSplitter {
    pub fn push(&mut self, mut data: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let (chunk, newline) = match data.iter().position(|b| *b == b'\n') {
                Some(i) => (&data[..i], true),
                None => (data, false),
            };
            data = &data[chunk.len() + usize::from(newline)..];
            if !self.overflow {
                self.pending.extend_from_slice(chunk);
                if self.pending.len() > MAX_LINE {
                    self.pending.clear();
                    self.overflow = true;
                    out.push(Err(format!("line longer than {MAX_LINE} bytes")));
                }
            }
            if newline {
                if !self.overflow {
                    out.push(Ok(std::mem::take(&mut self.pending)));
                }
                self.overflow = false;
            }
        }
        out
    }
}

/// What the messages act on.
pub struct Targets {
    /// The workload's pid, and a pidfd for it when the kernel gave one.
    pub pid: libc::pid_t,
    pub pidfd: Option<OwnedFd>,
    /// The console terminal (opened by PID 1, close-on-exec).
    pub console: Option<OwnedFd>,
    /// The guest's wall clock.
    pub clock: clock::Follower,
}

impl Targets {
    fn apply(&mut self, message: Message) {
        match message {
            Message::Signal(signal) => {
                let sent = match &self.pidfd {
                    Some(pidfd) => sys::pidfd_send_signal(pidfd, signal),
                    None => sys::kill(self.pid, signal),
                };
                match sent {
                    // The workload is gone; the VM is ending anyway.
                    Err(e) if sys::errno(&e) == libc::ESRCH => {}
                    Err(e) => console::warn(&format!("control: signal {signal}"), sys::reason(&e)),
                    Ok(()) => {}
                }
            }
            Message::Winsize { rows, cols } => {
                let Some(console) = &self.console else {
                    console::warn("control: winsize", "no console terminal");
                    return;
                };
                let fd = console.as_raw_fd();
                let mut ws =
                    sys::get_winsize(fd).unwrap_or(libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 });
                ws.ws_row = rows;
                ws.ws_col = cols;
                if let Err(e) = sys::set_winsize(fd, &ws) {
                    console::warn(&format!("control: winsize {rows} {cols}"), sys::reason(&e));
                }
            }
            Message::Time(host) => self.clock.follow(host),
        }
    }
}

/// Reads the port until end of file, acting on each message.
fn serve(port: OwnedFd, mut targets: Targets) {
    let mut splitter = LineSplitter::default();
    let mut buf = [0u8; 512];
    loop {
        let n = match sys::read(port.as_raw_fd(), &mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                console::warn(
                    &format!("control: read {PORT_NAME}"),
                    format!("{}; no longer reading it", sys::reason(&e)),
                );
                return;
            }
        };
        for line in splitter.push(&buf[..n]) {
            match line.and_then(|line| parse(&line).map_err(|e| format!("{e} in {:?}", String::from_utf8_lossy(&line))))
            {
                Ok(Some(message)) => targets.apply(message),
                Ok(None) => {}
                Err(e) => console::warn("control: ignoring a message", e),
            }
        }
    }
}

/// Starts the reader when the host created the control port. Called by
/// PID 1 after the fork; failures are warnings (the workload runs without).
pub fn start(device: &std::path::Path, targets: Targets) {
    let Some(port) = open(device) else { return };
    let spawned = std::thread::Builder::new()
        .name("krun-control".into())
        .stack_size(64 * 1024)
        .spawn(move || serve(port, targets));
    if let Err(e) = spawned {
        console::warn("control: start reader thread", e);
    }
}

/// Reads the port in the calling process until the host disconnects: the
/// body of PID 1 mode's relay child.
pub fn serve_here(device: &std::path::Path, targets: Targets) {
    if let Some(port) = open(device) {
        serve(port, targets);
    }
}

fn open(device: &std::path::Path) -> Option<OwnedFd> {
    let flags = libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC;
    match sys::open(device, flags) {
        Ok(port) => Some(port),
        Err(e) => {
            console::warn(&format!("control: open {PORT_NAME} ({})", device.display()), sys::reason(&e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Option<Message> {
        parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn signal_messages() {
        assert_eq!(ok("signal 15"), Some(Message::Signal(15)));
        assert_eq!(ok("signal 1"), Some(Message::Signal(1)));
        assert_eq!(ok("signal 64"), Some(Message::Signal(64)));
        assert_eq!(ok("  signal\t2 \r"), Some(Message::Signal(2)));
        assert_eq!(ok("signal 002"), Some(Message::Signal(2)));
    }

    #[test]
    fn winsize_messages() {
        assert_eq!(ok("winsize 24 80"), Some(Message::Winsize { rows: 24, cols: 80 }));
        assert_eq!(ok("winsize 0 0"), Some(Message::Winsize { rows: 0, cols: 0 }));
        assert_eq!(ok("winsize 65535 1\r"), Some(Message::Winsize { rows: 65535, cols: 1 }));
    }

    #[test]
    fn time_messages() {
        let at = |secs, nanos| Some(Message::Time(WallTime::new(secs, nanos).unwrap_or_else(|| panic!("{nanos}"))));
        assert_eq!(ok("time 1700000000 123456789"), at(1_700_000_000, 123_456_789));
        assert_eq!(ok("time 0 0"), at(0, 0));
        assert_eq!(ok("time 1700000000 999999999\r"), at(1_700_000_000, 999_999_999));
        assert_eq!(ok(" time\t9223372036854775807  000000001 "), at(i64::MAX, 1));
    }

    #[test]
    fn blank_lines_are_nothing() {
        assert_eq!(ok(""), None);
        assert_eq!(ok("  \t \r"), None);
    }

    #[test]
    fn bad_messages_are_errors() {
        for line in [
            "signal 0",
            "signal 65",
            "signal -9",
            "signal +9",
            "signal 9x",
            "signal TERM",
            "signal",
            "signal 9 9",
            "signal 99999999999999999999999",
            "winsize 24",
            "winsize 24 80 1",
            "winsize 65536 80",
            "winsize -1 80",
            "winsize a b",
            "time",
            "time 1700000000",
            "time 1700000000 1 2",
            "time 1700000000 1000000000",
            "time 1700000000 99999999999",
            "time 9223372036854775808 0",
            "time -1 0",
            "time 1700000000.5 0",
            "time 1700000000 -1",
            "Time 1700000000 0",
            "SIGNAL 9",
            "Winsize 24 80",
            "resize 24 80",
            "hello",
            "signal\u{a0}9",
        ] {
            assert!(parse(line.as_bytes()).is_err(), "{line:?} should be rejected");
        }
        assert!(parse(b"signal \xff").is_err());
        let e = parse(b"frobnicate 1").unwrap_err();
        assert_eq!(e, "unknown message \"frobnicate\"");
    }

    #[test]
    fn lines_are_split_across_reads() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"sig").is_empty());
        assert_eq!(s.push(b"nal 2\nwinsize 1"), vec![Ok(b"signal 2".to_vec())]);
        assert_eq!(s.push(b" 2\n\n"), vec![Ok(b"winsize 1 2".to_vec()), Ok(Vec::new())]);
        assert!(s.push(b"").is_empty());
    }

    #[test]
    fn overlong_lines_are_reported_once_and_skipped() {
        let mut s = LineSplitter::default();
        let long = vec![b'x'; MAX_LINE + 1];
        let out = s.push(&long);
        assert_eq!(out.len(), 1);
        assert!(out[0].is_err());
        assert!(s.push(&long).is_empty(), "still the same line: no second report");
        assert_eq!(s.push(b"tail\nsignal 9\n"), vec![Ok(b"signal 9".to_vec())]);
        // Exactly MAX_LINE bytes is fine.
        let exact = vec![b'y'; MAX_LINE];
        let out = s.push(&[exact.as_slice(), b"\n"].concat());
        assert_eq!(out, vec![Ok(exact)]);
    }
}
