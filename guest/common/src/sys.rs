//! Thin, checked wrappers over the system calls both guest programs make.
//!
//! Every wrapper returns `io::Result` (or, for calls that only return on
//! failure, the `io::Error`) and converts its string arguments itself: a NUL
//! byte inside an argument becomes `InvalidInput`, never a panic.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use libc::{c_char, c_int};

/// The human text of an error: `strerror` for OS errors, without the
/// " (os error N)" suffix std appends.
pub fn reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" (os error ") {
        Some((head, _)) if error.raw_os_error().is_some() => head.to_owned(),
        _ => text,
    }
}

pub fn errno(error: &io::Error) -> c_int {
    error.raw_os_error().unwrap_or(0)
}

pub fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

pub fn cstring(s: impl AsRef<OsStr>) -> io::Result<CString> {
    CString::new(s.as_ref().as_bytes()).map_err(|_| invalid("contains a NUL byte"))
}

pub fn check(ret: c_int) -> io::Result<c_int> {
    if ret == -1 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

/// Runs `call` again while it fails with EINTR.
pub fn retry(mut call: impl FnMut() -> c_int) -> io::Result<c_int> {
    loop {
        match check(call()) {
            Err(e) if errno(&e) == libc::EINTR => continue,
            other => return other,
        }
    }
}

/// A NULL-terminated pointer array over `strings`; valid while they live.
pub fn ptr_array(strings: &[CString]) -> Vec<*const c_char> {
    strings.iter().map(|s| s.as_ptr()).chain([ptr::null()]).collect()
}

/// `open(2)`; the caller decides about O_CLOEXEC.
pub fn open(path: impl AsRef<OsStr>, flags: c_int) -> io::Result<OwnedFd> {
    let path = cstring(path)?;
    // SAFETY: NUL-terminated path; the mode argument is ignored without O_CREAT.
    let fd = retry(|| unsafe { libc::open(path.as_ptr(), flags, 0) })?;
    // SAFETY: `fd` was just returned by open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn dup2(old: RawFd, new: RawFd) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    retry(|| unsafe { libc::dup2(old, new) })?;
    Ok(())
}

pub fn chdir(path: impl AsRef<OsStr>) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::chdir(path.as_ptr()) })?;
    Ok(())
}

pub fn setsid() -> io::Result<()> {
    // SAFETY: no arguments.
    if unsafe { libc::setsid() } == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `ioctl(fd, TIOCSCTTY, 1)`: make the terminal on `fd` our controlling tty.
pub fn set_controlling_tty(fd: RawFd) -> io::Result<()> {
    // SAFETY: TIOCSCTTY takes an integer argument.
    check(unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 1 as c_int) })?;
    Ok(())
}

/// Runs a call returning a byte count (or -1) again while it fails with EINTR.
fn retry_len(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if errno(&e) != libc::EINTR {
            return Err(e);
        }
    }
}

/// `read(2)` into `buf`, retried on EINTR; 0 means end of file.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: pointer and length describe `buf`.
    retry_len(|| unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// One `write(2)`, retried on EINTR: how much was written.
pub fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: pointer and length describe `buf`.
    retry_len(|| unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
}

pub fn kill(pid: libc::pid_t, signal: c_int) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::kill(pid, signal) })?;
    Ok(())
}

pub fn get_winsize(fd: RawFd) -> io::Result<libc::winsize> {
    let mut ws = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one struct winsize, which `ws` is.
    check(unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) })?;
    Ok(ws)
}

/// `ioctl(fd, TIOCSWINSZ)`: the kernel sends SIGWINCH to the terminal's
/// foreground process group when the size changes.
pub fn set_winsize(fd: RawFd, ws: &libc::winsize) -> io::Result<()> {
    // SAFETY: TIOCSWINSZ reads one struct winsize, which `ws` is.
    check(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, ws) })?;
    Ok(())
}

/// Writes all of `buf` to `fd` (a blocking descriptor).
pub fn write_all(fd: RawFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match write(fd, buf)? {
            0 => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// `_exit(code)`: leaves the process without running any exit handlers.
pub fn exit_now(code: c_int) -> ! {
    // SAFETY: _exit never returns and touches no Rust state.
    unsafe { libc::_exit(code) }
}

pub enum Fork {
    Child,
    Parent(libc::pid_t),
}

pub fn fork() -> io::Result<Fork> {
    // SAFETY: both programs fork only while single-threaded (the init before its
    // control-port thread starts, the agent always is), so the child may keep
    // running Rust code.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid)),
    }
}

pub fn sigset(signals: &[c_int]) -> libc::sigset_t {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset initialises the set; sigaddset only sets bits in it
    // (an invalid number fails with EINVAL and changes nothing).
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for signal in signals {
            libc::sigaddset(set.as_mut_ptr(), *signal);
        }
        set.assume_init()
    }
}

/// A forked child's signal state as a fresh process has it, before it
/// execs: nothing blocked, every disposition default (exec keeps ignored
/// signals ignored and the mask as it is; the agent blocks SIGCHLD and
/// ignores SIGPIPE, and neither may leak into what it starts).
pub fn reset_signals() {
    let empty = sigset(&[]);
    // SAFETY: `empty` is an initialised sigset; the old mask is not wanted.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &empty, ptr::null_mut()) };
    for signal in 1..=libc::SIGRTMAX() {
        // SAFETY: SIG_DFL is always a valid disposition; numbers the kernel
        // or libc refuse (SIGKILL, SIGSTOP, libc's own) fail and stay as they are.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

/// `waitpid(pid, 0)`, for a child known to be exiting already.
pub fn wait(pid: libc::pid_t) -> io::Result<c_int> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    retry(|| unsafe { libc::waitpid(pid, &mut status, 0) })?;
    Ok(status)
}
