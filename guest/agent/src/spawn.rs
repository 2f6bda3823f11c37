//! Starting a session's process: fork, set up the child (session, terminal
//! or pipes, user, workdir) and exec; the parent learns of any failure
//! before it answers `STARTED`, through a close-on-exec error pipe (end of
//! file on it means the exec succeeded).

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use libc::c_int;

use crate::request::ExecRequest;
use crate::sys::{self, Fork};

/// Exit codes of `FAILED`, as the init uses them for the workload.
pub const OTHER_FAILURE: i32 = 125;
pub const CANNOT_EXECUTE: i32 = 126;
pub const NOT_FOUND: i32 = 127;

/// A started process and the agent's ends of its stdio.
pub struct Child {
    pub pid: libc::pid_t,
    pub io: ChildIo,
}

pub enum ChildIo {
    /// stdin's write end, stdout's and stderr's read ends (non-blocking).
    Pipes { stdin: OwnedFd, stdout: OwnedFd, stderr: OwnedFd },
    /// The terminal's master (non-blocking).
    Terminal(OwnedFd),
}

/// Why there is no process: the `FAILED` code and reason.
#[derive(Debug, PartialEq, Eq)]
pub struct SpawnError {
    pub code: i32,
    pub reason: String,
}

impl SpawnError {
    fn other(what: &str, error: &io::Error) -> SpawnError {
        SpawnError { code: OTHER_FAILURE, reason: format!("{what}: {}", sys::reason(error)) }
    }
}

/// The child's steps, as reported through the error pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Step {
    Terminal = 1,
    Stdio = 2,
    Groups = 3,
    Gid = 4,
    Uid = 5,
    Workdir = 6,
    Exec = 7,
}

impl Step {
    fn from_byte(byte: u8) -> Option<Step> {
        [Step::Terminal, Step::Stdio, Step::Groups, Step::Gid, Step::Uid, Step::Workdir, Step::Exec]
            .into_iter()
            .find(|s| *s as u8 == byte)
    }
}

/// The code and reason for a failed child step.
fn failure(step: Step, errno: c_int, request: &ExecRequest) -> SpawnError {
    let error = io::Error::from_raw_os_error(errno);
    let what = match step {
        Step::Terminal => "open the terminal".to_owned(),
        Step::Stdio => "set up stdin, stdout and stderr".to_owned(),
        Step::Groups => "clear supplementary groups".to_owned(),
        Step::Gid => format!("setgid {}", request.gid),
        Step::Uid => format!("setuid {}", request.uid),
        Step::Workdir => format!("workdir {}", request.workdir.to_string_lossy()),
        Step::Exec => {
            let program = request.args[0].to_string_lossy();
            let code = exec_failure_code(errno);
            let what = if code == NOT_FOUND { "not found" } else { "cannot execute" };
            return SpawnError { code, reason: format!("{what}: {program}: {}", sys::reason(&error)) };
        }
    };
    SpawnError::other(&what, &error)
}

/// 127 when the program is not there, 126 when it is but cannot be run.
pub fn exec_failure_code(errno: c_int) -> i32 {
    if matches!(errno, libc::ENOENT | libc::ENOTDIR) { NOT_FOUND } else { CANNOT_EXECUTE }
}

pub fn spawn(request: &ExecRequest) -> Result<Child, SpawnError> {
    // Everything the child needs is allocated here, before the fork.
    let candidates = request.candidates();
    let envp = sys::env_array(&request.env);
    let terminal = match request.tty {
        Some((rows, cols)) => {
            let (master, slave) = sys::open_pty().map_err(|e| SpawnError::other("open a terminal", &e))?;
            let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
            sys::set_winsize(master.as_raw_fd(), &size).map_err(|e| SpawnError::other("set the window size", &e))?;
            Some((master, slave))
        }
        None => None,
    };
    let pipes = match terminal {
        Some(_) => None,
        None => {
            let pipe = || sys::pipe().map_err(|e| SpawnError::other("pipe", &e));
            Some([pipe()?, pipe()?, pipe()?])
        }
    };
    let (error_read, error_write) = sys::pipe().map_err(|e| SpawnError::other("pipe", &e))?;

    let pid = match sys::fork().map_err(|e| SpawnError::other("fork", &e))? {
        Fork::Child => {
            let slave = terminal.as_ref().map(|(_, slave)| slave);
            let stdio = pipes.as_ref().map(|[i, o, e]| [i.0.as_raw_fd(), o.1.as_raw_fd(), e.1.as_raw_fd()]);
            let (step, error) = child(request, slave, stdio, &candidates, &envp);
            let mut report = [step as u8, 0, 0, 0, 0];
            report[1..].copy_from_slice(&sys::errno(&error).to_be_bytes());
            let _ = sys::write_all(error_write.as_raw_fd(), &report);
            sys::exit_now(NOT_FOUND)
        }
        Fork::Parent(pid) => pid,
    };
    drop(error_write);
    let mut report = [0u8; 5];
    let mut got = 0;
    while got < report.len() {
        match sys::read(error_read.as_raw_fd(), &mut report[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => break,
        }
    }
    if got > 0 {
        // The child is exiting; reap it now so no zombie is left behind.
        let _ = sys::wait(pid);
        let errno = c_int::from_be_bytes([report[1], report[2], report[3], report[4]]);
        return Err(match Step::from_byte(report[0]).filter(|_| got == report.len()) {
            Some(step) => failure(step, errno, request),
            None => SpawnError { code: OTHER_FAILURE, reason: "the child failed before exec".into() },
        });
    }
    let io = match (terminal, pipes) {
        (Some((master, _)), _) => ChildIo::Terminal(master),
        (None, Some([stdin, stdout, stderr])) => {
            let ends = (stdin.1, stdout.0, stderr.0);
            for fd in [&ends.0, &ends.1, &ends.2] {
                // Cannot fail on a pipe we own; a blocking end would only
                // stall the loop, never corrupt a session.
                let _ = sys::set_nonblocking(fd.as_raw_fd());
            }
            ChildIo::Pipes { stdin: ends.0, stdout: ends.1, stderr: ends.2 }
        }
        (None, None) => return Err(SpawnError { code: OTHER_FAILURE, reason: "no stdio".into() }),
    };
    Ok(Child { pid, io })
}

/// In the child: returns only on failure, with the step and the error.
fn child(
    request: &ExecRequest,
    slave: Option<&CString>,
    stdio: Option<[RawFd; 3]>,
    candidates: &[CString],
    envp: &[*const libc::c_char],
) -> (Step, io::Error) {
    sys::reset_signals();
    // A fresh child leads no group, so setsid cannot fail: the process and
    // everything it starts form a group the agent can signal as a whole.
    let _ = sys::setsid();
    if let Some(slave) = slave {
        // Opened without O_NOCTTY by a session leader with no terminal, the
        // slave becomes the controlling terminal; TIOCSCTTY makes sure.
        let fd = match sys::open(OsStr::from_bytes(slave.as_bytes()), libc::O_RDWR) {
            Ok(fd) => fd,
            Err(e) => return (Step::Terminal, e),
        };
        if let Err(e) = sys::set_controlling_tty(fd.as_raw_fd()) {
            return (Step::Terminal, e);
        }
        for target in 0..3 {
            if let Err(e) = sys::dup2(fd.as_raw_fd(), target) {
                return (Step::Stdio, e);
            }
        }
    } else if let Some(fds) = stdio {
        for (target, fd) in fds.into_iter().enumerate() {
            if let Err(e) = sys::dup2(fd, target as RawFd) {
                return (Step::Stdio, e);
            }
        }
    }
    // Changing users needs privilege; an agent already running as the
    // requested user (the tests) has nothing to change.
    if sys::getuid() == 0 || request.uid != sys::getuid() || request.gid != sys::getgid() {
        if let Err(e) = sys::clear_groups() {
            return (Step::Groups, e);
        }
        if let Err(e) = sys::setgid(request.gid) {
            return (Step::Gid, e);
        }
        if let Err(e) = sys::setuid(request.uid) {
            return (Step::Uid, e);
        }
    }
    if let Err(e) = sys::chdir(OsStr::from_bytes(request.workdir.as_bytes())) {
        return (Step::Workdir, e);
    }
    (Step::Exec, exec(request, candidates, envp))
}

/// Tries each candidate as execvp does: a missing file moves on, a file
/// without permission is remembered and the search goes on, any other error
/// stops it; a file the kernel cannot run (ENOEXEC) is run by /bin/sh.
fn exec(request: &ExecRequest, candidates: &[CString], envp: &[*const libc::c_char]) -> io::Error {
    let mut denied = None;
    for path in candidates {
        let error = sys::execve(path, &request.args, envp);
        match sys::errno(&error) {
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => continue,
            libc::EACCES => denied = Some(error),
            libc::ENOEXEC => {
                let mut argv = vec![c"/bin/sh".to_owned(), path.clone()];
                argv.extend(request.args.iter().skip(1).cloned());
                let _ = sys::execve(c"/bin/sh", &argv, envp);
                return error;
            }
            _ => return error,
        }
    }
    denied.unwrap_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
}
