//! The agent's own system-call wrappers, on top of the ones it shares with
//! the init (`common::sys`, re-exported). The only module with `unsafe`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use libc::{c_char, c_int};

pub use common::sys::{
    Fork, chdir, dup2, errno, exit_now, fork, kill, open, read, reason, reset_signals, set_controlling_tty,
    set_winsize, setsid, wait, write, write_all,
};
use common::sys::{check, ptr_array, retry, sigset};

/// A pipe, both ends close-on-exec: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL only read and change the descriptor's status flags.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    Ok(())
}

/// A second descriptor of the same open file, close-on-exec.
pub fn dup_cloexec(fd: &OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC takes an integer argument (the lowest new number).
    let new = check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: `new` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `poll(2)`; EINTR counts as "nothing ready" (the loop recomputes its timeout).
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: c_int) -> io::Result<usize> {
    // SAFETY: pointer and length describe `fds`.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n >= 0 {
        return Ok(n as usize);
    }
    let e = io::Error::last_os_error();
    if errno(&e) == libc::EINTR { Ok(0) } else { Err(e) }
}

/// Blocks SIGCHLD and returns a non-blocking signalfd that reports it, so
/// the poll loop learns of exits without a signal handler.
pub fn sigchld_fd() -> io::Result<OwnedFd> {
    let set = sigset(&[libc::SIGCHLD]);
    // SAFETY: `set` is an initialised sigset; the old mask is not wanted.
    check(unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, ptr::null_mut()) })?;
    // SAFETY: -1 asks for a new descriptor; `set` is an initialised sigset.
    let fd = check(unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) })?;
    // SAFETY: `fd` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads every pending record of a signalfd; the records themselves do not
/// matter (SIGCHLD coalesces: the loop asks each child instead).
pub fn drain_signalfd(fd: &OwnedFd) {
    let mut buf = [0u8; 8 * std::mem::size_of::<libc::signalfd_siginfo>()];
    while matches!(read(fd.as_raw_fd(), &mut buf), Ok(n) if n > 0) {}
}

/// `waitpid(pid, WNOHANG)`: the raw status once `pid` has ended.
pub fn try_wait(pid: libc::pid_t) -> io::Result<Option<c_int>> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let ret = retry(|| unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) })?;
    Ok(if ret == pid { Some(status) } else { None })
}

pub fn killpg(pgrp: libc::pid_t, signal: c_int) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::killpg(pgrp, signal) })?;
    Ok(())
}

/// A new pseudo-terminal: its master (non-blocking, close-on-exec; what
/// posix_openpt does, with the flags it cannot take) and the slave's path.
pub fn open_pty() -> io::Result<(OwnedFd, CString)> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let master = open("/dev/ptmx", flags)?;
    // SAFETY: a valid master descriptor.
    check(unsafe { libc::grantpt(master.as_raw_fd()) })?;
    // SAFETY: a valid master descriptor.
    check(unsafe { libc::unlockpt(master.as_raw_fd()) })?;
    let mut name = [0 as c_char; 128];
    // SAFETY: pointer and length describe `name`; ptsname_r NUL-terminates on success.
    let ret = unsafe { libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    if ret != 0 {
        return Err(io::Error::from_raw_os_error(ret));
    }
    // SAFETY: ptsname_r succeeded, so `name` holds a NUL-terminated string.
    let slave = unsafe { CStr::from_ptr(name.as_ptr()) }.to_owned();
    Ok((master, slave))
}

pub fn getuid() -> libc::uid_t {
    // SAFETY: no arguments.
    unsafe { libc::getuid() }
}

pub fn getgid() -> libc::gid_t {
    // SAFETY: no arguments.
    unsafe { libc::getgid() }
}

/// `setgroups(0, NULL)`: no supplementary groups.
pub fn clear_groups() -> io::Result<()> {
    // SAFETY: an empty list needs no pointer.
    check(unsafe { libc::setgroups(0, ptr::null()) })?;
    Ok(())
}

pub fn setgid(gid: libc::gid_t) -> io::Result<()> {
    // SAFETY: plain integer argument.
    check(unsafe { libc::setgid(gid) })?;
    Ok(())
}

pub fn setuid(uid: libc::uid_t) -> io::Result<()> {
    // SAFETY: plain integer argument.
    check(unsafe { libc::setuid(uid) })?;
    Ok(())
}

/// `execve(path, argv, envp)`; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: &[*const c_char]) -> io::Error {
    let argv = ptr_array(argv);
    // SAFETY: NUL-terminated path; argv and envp are NULL-terminated arrays of
    // strings that outlive the call (the caller keeps `envp`'s strings alive).
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    io::Error::last_os_error()
}

/// A NULL-terminated pointer array over `strings`, for `execve`'s envp.
pub fn env_array(strings: &[CString]) -> Vec<*const c_char> {
    ptr_array(strings)
}
