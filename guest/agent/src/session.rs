//! One exec session: its process, the agent's ends of the process's stdio,
//! and the two credit windows.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::credit::{InputWindow, OutputWindow};
use crate::frame::Exit;
use crate::spawn::{Child, ChildIo};
use crate::sys;

/// How long a session whose process has exited waits for more output
/// before it ends anyway. A background child that inherited the pipes (or
/// the terminal) can keep them open for ever; the session is the process's,
/// so once it is gone and the pipes have been quiet this long, what the
/// background child writes later is not waited for.
pub const GRACE: Duration = Duration::from_millis(200);

/// The ASCII end-of-file character a terminal's line discipline turns into
/// an end of file for the reader (VEOF, ^D, in every default termios).
const TERMINAL_EOF: u8 = 0x04;

/// Which of the process's outputs a descriptor carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

pub struct Session {
    pub pid: libc::pid_t,
    pub terminal: bool,
    /// Where stdin goes: the pipe, or a second descriptor of the terminal
    /// master (so closing it for end of file leaves the output side open).
    pub stdin: Option<OwnedFd>,
    /// The process's stdout pipe, or the terminal master.
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    pub input: InputWindow,
    /// Set when the process closed its stdin: later data is thrown away
    /// (and credited back) instead of buffered.
    pub stdin_gone: bool,
    /// Bytes of the agent's own at the end of `input` (the terminal's
    /// end-of-file character), not to be credited to the host.
    own_bytes: u32,
    pub output: OutputWindow,
    /// Set once the process has been reaped; no signal goes to its pid after.
    pub exit: Option<Exit>,
    /// The last time output was read, or the process exited, or credit
    /// arrived: the grace period counts from it.
    pub quiet_since: Instant,
}

impl Session {
    pub fn new(child: Child) -> std::io::Result<Session> {
        let (terminal, stdin, stdout, stderr) = match child.io {
            ChildIo::Pipes { stdin, stdout, stderr } => (false, stdin, stdout, Some(stderr)),
            ChildIo::Terminal(master) => (true, sys::dup_cloexec(&master)?, master, None),
        };
        Ok(Session {
            pid: child.pid,
            terminal,
            stdin: Some(stdin),
            stdout: Some(stdout),
            stderr,
            input: InputWindow::default(),
            stdin_gone: false,
            own_bytes: 0,
            output: OutputWindow::default(),
            exit: None,
            quiet_since: Instant::now(),
        })
    }

    /// Takes a STDIN payload. With a terminal, end of file is the VEOF
    /// character (closing the master would hang the terminal up instead).
    pub fn accept_stdin(&mut self, data: &[u8]) -> Result<(), String> {
        if data.is_empty() && self.terminal && !self.input.at_eof() {
            self.input.push_own(TERMINAL_EOF);
            self.own_bytes = 1;
        }
        self.input.accept(data)
    }

    /// Writes what it can of the pending stdin; the credit to give back.
    pub fn write_stdin(&mut self) -> u32 {
        let mut credit = 0;
        if self.stdin_gone {
            credit += self.input.discard();
        }
        while let Some(fd) = &self.stdin {
            let pending = self.input.pending();
            if pending.is_empty() {
                break;
            }
            match sys::write(fd.as_raw_fd(), pending) {
                Ok(n) => credit += self.input.written(n),
                Err(e) if sys::errno(&e) == libc::EAGAIN => break,
                Err(_) => {
                    // EPIPE: the process closed its stdin; nothing more can
                    // reach it, and the host must not stay blocked on credit.
                    self.stdin = None;
                    self.stdin_gone = true;
                    credit += self.input.discard();
                }
            }
        }
        if self.input.finished() {
            self.stdin = None;
            // The end-of-file character was the last byte, written (or
            // thrown away) just now: it was never the host's to credit.
            credit -= self.own_bytes.min(credit);
            self.own_bytes = 0;
        }
        credit
    }

    /// Whether stdin has bytes to write (what the loop polls it for).
    pub fn wants_stdin_write(&self) -> bool {
        self.stdin.is_some() && !self.input.pending().is_empty()
    }

    pub fn output_fd(&self, stream: Stream) -> Option<&OwnedFd> {
        match stream {
            Stream::Stdout => self.stdout.as_ref(),
            Stream::Stderr => self.stderr.as_ref(),
        }
    }

    /// Reads at most the output credit into `buf`: the bytes read, `None`
    /// when nothing is ready. End of file (or, for a terminal, EIO once every
    /// slave descriptor is closed) closes the descriptor.
    pub fn read_output(&mut self, stream: Stream, buf: &mut [u8]) -> Option<usize> {
        let limit = buf.len().min(self.output.available());
        let fd = self.output_fd(stream)?;
        if limit == 0 {
            return None;
        }
        match sys::read(fd.as_raw_fd(), &mut buf[..limit]) {
            Ok(0) => {
                self.close_output(stream);
                None
            }
            Ok(n) => {
                self.output.spend(n);
                self.quiet_since = Instant::now();
                Some(n)
            }
            Err(e) if sys::errno(&e) == libc::EAGAIN => None,
            Err(_) => {
                self.close_output(stream);
                None
            }
        }
    }

    fn close_output(&mut self, stream: Stream) {
        match stream {
            Stream::Stdout => self.stdout = None,
            Stream::Stderr => self.stderr = None,
        }
    }

    /// The host passed output on.
    pub fn grant_output(&mut self, n: u32) -> Result<(), String> {
        if self.output.available() == 0 {
            self.quiet_since = Instant::now();
        }
        self.output.grant(n)
    }

    pub fn reaped(&mut self, exit: Exit) {
        self.exit = Some(exit);
        self.quiet_since = Instant::now();
    }

    /// When the session is over: the exit to report, once the process has
    /// exited and its output has reached end of file, or been quiet for
    /// `GRACE` while the agent could have read it.
    pub fn finished(&self, now: Instant) -> Option<Exit> {
        let exit = self.exit?;
        let drained = self.stdout.is_none() && self.stderr.is_none();
        let quiet = self.output.available() > 0 && now >= self.quiet_since + GRACE;
        (drained || quiet).then_some(exit)
    }

    /// When `finished` may next change without any descriptor becoming
    /// ready: the end of the grace period.
    pub fn deadline(&self) -> Option<Instant> {
        (self.exit.is_some() && self.output.available() > 0).then_some(self.quiet_since + GRACE)
    }

    /// Sends `signal` to the process (with a terminal, to its process
    /// group). After the process has been reaped its pid may belong to
    /// someone else: nothing is sent then.
    pub fn signal(&self, signal: i32) -> std::io::Result<()> {
        if self.exit.is_some() {
            return Ok(());
        }
        let sent = if self.terminal { sys::killpg(self.pid, signal) } else { sys::kill(self.pid, signal) };
        match sent {
            Err(e) if sys::errno(&e) == libc::ESRCH => Ok(()),
            other => other,
        }
    }

    pub fn resize(&self, rows: u16, cols: u16) -> std::io::Result<()> {
        match (&self.stdout, self.terminal) {
            (Some(master), true) => {
                let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
                sys::set_winsize(master.as_raw_fd(), &size)
            }
            _ => Ok(()),
        }
    }
}

/// The `EXITED` value for a raw wait status; `None` for stop reports.
pub fn exit_of(status: libc::c_int) -> Option<Exit> {
    if libc::WIFEXITED(status) {
        Some(Exit::Status(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Exit::Signal(libc::WTERMSIG(status)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_become_exits() {
        assert_eq!(exit_of(0), Some(Exit::Status(0)));
        assert_eq!(exit_of(3 << 8), Some(Exit::Status(3)));
        assert_eq!(exit_of(libc::SIGKILL), Some(Exit::Signal(9)));
        assert_eq!(exit_of(libc::SIGSEGV | 0x80), Some(Exit::Signal(11)));
        assert_eq!(exit_of(0x137f), None);
    }
}
