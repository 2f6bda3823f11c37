//! Thin, checked wrappers over the system calls the init makes; those the
//! agent makes too come from `common::sys` and are re-exported here.
//!
//! Every wrapper returns `io::Result` (or, for calls that only return on
//! failure, the `io::Error`) and converts its string arguments itself: a NUL
//! byte inside an argument becomes `InvalidInput`, never a panic. `Failure`
//! names the step that failed, for the `krun-init: <step>: <reason>` lines.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use libc::{c_char, c_int, c_ulong};

#[cfg(test)]
pub use common::sys::wait;
pub use common::sys::{
    Fork, chdir, cstring, dup2, errno, exit_now, fork, get_winsize, invalid, kill, open, read, reason, reset_signals,
    set_controlling_tty, set_winsize, setsid, write_all,
};
use common::sys::{check, ptr_array, retry};

/// A failed step: what was being done, and the error the system gave.
#[derive(Debug)]
pub struct Failure {
    pub step: String,
    pub error: io::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, reason(&self.error))
    }
}

/// Attaches the name of the step to an `io::Result`.
pub trait Step<T> {
    fn step(self, step: &str) -> Result<T, Failure>;
    fn with_step(self, step: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T> Step<T> for io::Result<T> {
    fn step(self, step: &str) -> Result<T, Failure> {
        self.map_err(|error| Failure { step: step.to_owned(), error })
    }

    fn with_step(self, step: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|error| Failure { step: step(), error })
    }
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

pub fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let source = source.map(cstring).transpose()?;
    let target = cstring(target)?;
    let fstype = fstype.map(cstring).transpose()?;
    let data = data.map(cstring).transpose()?;
    // SAFETY: every pointer is null or a NUL-terminated string that outlives the call.
    check(unsafe { libc::mount(opt_ptr(&source), target.as_ptr(), opt_ptr(&fstype), flags, opt_ptr(&data).cast()) })?;
    Ok(())
}

pub fn umount_detach(target: &str) -> io::Result<()> {
    let target = cstring(target)?;
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) })?;
    Ok(())
}

pub fn mkdir(path: &str, mode: libc::mode_t) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::mkdir(path.as_ptr(), mode) })?;
    Ok(())
}

pub fn chmod(path: &str, mode: libc::mode_t) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::chmod(path.as_ptr(), mode) })?;
    Ok(())
}

pub fn chroot(path: &str) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::chroot(path.as_ptr()) })?;
    Ok(())
}

pub fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// `fd` moved to a number above 2 (close-on-exec), so that a later
/// redirect of stdin, stdout or stderr cannot replace what it refers to.
/// The kernel starts the init with 0-2 closed when it found no console,
/// and the next opens land there. Unchanged if already above 2, or if the
/// move fails.
pub fn above_stdio(fd: OwnedFd) -> OwnedFd {
    if fd.as_raw_fd() > 2 {
        return fd;
    }
    // SAFETY: F_DUPFD_CLOEXEC duplicates an open descriptor we own.
    match check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) }) {
        // SAFETY: a fresh descriptor owned by nobody else; `fd` closes on drop.
        Ok(high) => unsafe { OwnedFd::from_raw_fd(high) },
        Err(_) => fd,
    }
}

pub fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and does not use it afterwards.
    unsafe { libc::close(fd) };
}

/// `fstat(fd)`: (st_mode, st_rdev).
pub fn file_mode_and_rdev(fd: RawFd) -> io::Result<(libc::mode_t, libc::dev_t)> {
    let mut buf = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `buf` is a properly sized out-buffer; fstat fills it on success.
    check(unsafe { libc::fstat(fd, buf.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so `buf` is initialised (it was zeroed anyway).
    let st = unsafe { buf.assume_init() };
    Ok((st.st_mode, st.st_rdev))
}

/// `finit_module(fd, "", 0)`.
pub fn finit_module(module: &OwnedFd) -> io::Result<()> {
    let params = c"";
    // SAFETY: a valid descriptor, a NUL-terminated (empty) parameter string, no flags.
    let ret = unsafe { libc::syscall(libc::SYS_finit_module, module.as_raw_fd(), params.as_ptr(), 0) };
    if ret == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `ioctl(fd, request, arg)` for requests that take a plain integer argument.
pub fn ioctl_value(fd: &OwnedFd, request: c_ulong, arg: c_ulong) -> io::Result<c_int> {
    // SAFETY: the request takes its argument by value; no memory is shared.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), request, arg) })
}

pub fn sethostname(name: &[u8]) -> io::Result<()> {
    // SAFETY: pointer and length describe `name`.
    check(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) })?;
    Ok(())
}

pub fn setrlimit(resource: u32, cur: u64, max: u64) -> io::Result<()> {
    let limit = libc::rlimit { rlim_cur: cur, rlim_max: max };
    // SAFETY: `limit` is a valid rlimit for the duration of the call.
    check(unsafe { libc::setrlimit(resource, &limit) })?;
    Ok(())
}

/// `struct ifreq` as used by SIOC[GS]IFFLAGS: name, then the flags member of
/// the union, padded to the kernel's 40 bytes.
#[repr(C)]
struct IfReqFlags {
    name: [c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

fn ifreq(name: &str) -> io::Result<IfReqFlags> {
    let bytes = name.as_bytes();
    if bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(invalid("bad interface name"));
    }
    let mut req = IfReqFlags { name: [0; libc::IFNAMSIZ], flags: 0, _pad: [0; 22] };
    for (dst, src) in req.name.iter_mut().zip(bytes) {
        *dst = *src as c_char;
    }
    Ok(req)
}

pub fn inet_dgram_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain integer arguments.
    let fd = check(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just returned by socket and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn interface_flags(sock: &OwnedFd, name: &str) -> io::Result<libc::c_short> {
    let mut req = ifreq(name)?;
    // SAFETY: SIOCGIFFLAGS reads and writes one struct ifreq, which `req` is.
    check(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) })?;
    Ok(req.flags)
}

pub fn set_interface_flags(sock: &OwnedFd, name: &str, flags: libc::c_short) -> io::Result<()> {
    let mut req = ifreq(name)?;
    req.flags = flags;
    // SAFETY: SIOCSIFFLAGS reads one struct ifreq, which `req` is.
    check(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &mut req) })?;
    Ok(())
}

/// `struct ifreq` as used by SIOCGIFHWADDR: name, then a `struct sockaddr`
/// (family, 14 data bytes), padded to the kernel's 40 bytes.
#[repr(C)]
struct IfReqHwaddr {
    name: [c_char; libc::IFNAMSIZ],
    family: libc::sa_family_t,
    data: [u8; 14],
    _pad: [u8; 8],
}

/// The hardware (MAC) address of interface `name`.
pub fn interface_hwaddr(sock: &OwnedFd, name: &str) -> io::Result<[u8; 6]> {
    let flags_req = ifreq(name)?;
    let mut req = IfReqHwaddr { name: flags_req.name, family: 0, data: [0; 14], _pad: [0; 8] };
    // SAFETY: SIOCGIFHWADDR reads and writes one struct ifreq, which `req` is.
    check(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req) })?;
    let mut mac = [0; 6];
    mac.copy_from_slice(&req.data[..6]);
    Ok(mac)
}

/// `if_nametoindex(name)`.
pub fn interface_index(name: &str) -> io::Result<u32> {
    let name = cstring(name)?;
    // SAFETY: NUL-terminated name.
    match unsafe { libc::if_nametoindex(name.as_ptr()) } {
        0 => Err(io::Error::last_os_error()),
        index => Ok(index),
    }
}

/// `socket(domain, kind | SOCK_CLOEXEC, protocol)`.
pub fn socket(domain: c_int, kind: c_int, protocol: c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain integer arguments.
    let fd = check(unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, protocol) })?;
    // SAFETY: `fd` was just returned by socket and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `setsockopt` with an arbitrary option value.
pub fn setsockopt_bytes(sock: &OwnedFd, level: c_int, name: c_int, value: &[u8]) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| invalid("option value too long"))?;
    // SAFETY: pointer and length describe `value`.
    check(unsafe { libc::setsockopt(sock.as_raw_fd(), level, name, value.as_ptr().cast(), len) })?;
    Ok(())
}

/// `setsockopt` with an `int` option value.
pub fn setsockopt_int(sock: &OwnedFd, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    setsockopt_bytes(sock, level, name, &value.to_ne_bytes())
}

fn sockaddr_in(addr: std::net::SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(addr.ip().octets()) },
        sin_zero: [0; 8],
    }
}

/// `bind` of an AF_INET socket.
pub fn bind_inet(sock: &OwnedFd, addr: std::net::SocketAddrV4) -> io::Result<()> {
    let sa = sockaddr_in(addr);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `sa` is a valid sockaddr_in of `len` bytes.
    check(unsafe { libc::bind(sock.as_raw_fd(), (&raw const sa).cast(), len) })?;
    Ok(())
}

/// `sendto` an AF_INET address; the whole datagram or an error.
pub fn send_to_inet(sock: &OwnedFd, buf: &[u8], addr: std::net::SocketAddrV4) -> io::Result<()> {
    let sa = sockaddr_in(addr);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    loop {
        // SAFETY: `buf` and `sa` are valid for the lengths given.
        let n =
            unsafe { libc::sendto(sock.as_raw_fd(), buf.as_ptr().cast(), buf.len(), 0, (&raw const sa).cast(), len) };
        if n >= 0 {
            return if n as usize == buf.len() { Ok(()) } else { Err(io::Error::from(io::ErrorKind::WriteZero)) };
        }
        let e = io::Error::last_os_error();
        if errno(&e) != libc::EINTR {
            return Err(e);
        }
    }
}

/// `bind` of a netlink socket, address chosen by the kernel.
pub fn bind_netlink(sock: &OwnedFd) -> io::Result<()> {
    // SAFETY: an all-zero sockaddr_nl is valid; the family is set below.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    let len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: `sa` is a valid sockaddr_nl of `len` bytes.
    check(unsafe { libc::bind(sock.as_raw_fd(), (&raw const sa).cast(), len) })?;
    Ok(())
}

/// `send` of one whole message on a connected or netlink socket.
pub fn send(sock: &OwnedFd, buf: &[u8]) -> io::Result<()> {
    loop {
        // SAFETY: pointer and length describe `buf`.
        let n = unsafe { libc::send(sock.as_raw_fd(), buf.as_ptr().cast(), buf.len(), 0) };
        if n >= 0 {
            return if n as usize == buf.len() { Ok(()) } else { Err(io::Error::from(io::ErrorKind::WriteZero)) };
        }
        let e = io::Error::last_os_error();
        if errno(&e) != libc::EINTR {
            return Err(e);
        }
    }
}

/// `poll` on one descriptor for `events`, up to `timeout_ms` (retried on
/// EINTR with the full timeout again, which only lengthens a rare wait).
/// The returned events; empty on timeout.
pub fn poll_one(fd: RawFd, events: libc::c_short, timeout_ms: c_int) -> io::Result<libc::c_short> {
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = retry(|| unsafe { libc::poll(&mut pfd, 1, timeout_ms) })?;
    Ok(if n == 0 { 0 } else { pfd.revents })
}

/// Four random bytes from the kernel (`getrandom`, non-blocking); falls back
/// to the clock when the pool is not ready, which is good enough for a DHCP
/// transaction id.
pub fn random_u32() -> u32 {
    let mut buf = [0u8; 4];
    // SAFETY: pointer and length describe `buf`.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), libc::GRND_NONBLOCK) };
    if n == 4 {
        return u32::from_ne_bytes(buf);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.subsec_nanos() ^ (now.as_secs() as u32)
}

/// `pidfd_open(pid, 0)`: a descriptor that names the process for good, so a
/// signal sent through it can never reach a later process reusing the pid.
pub fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new descriptor (O_CLOEXEC by definition) owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `pidfd_send_signal(pidfd, signal, NULL, 0)`.
pub fn pidfd_send_signal(pidfd: &OwnedFd, signal: c_int) -> io::Result<()> {
    // SAFETY: a valid descriptor, a NULL siginfo and no flags.
    let ret = unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), signal, ptr::null::<libc::siginfo_t>(), 0)
    };
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `clock_gettime(clock)`.
pub fn clock_gettime(clock: libc::clockid_t) -> io::Result<libc::timespec> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer.
    check(unsafe { libc::clock_gettime(clock, &mut ts) })?;
    Ok(ts)
}

/// `clock_settime(clock, ts)`: steps the clock (CAP_SYS_TIME).
pub fn clock_settime(clock: libc::clockid_t, ts: &libc::timespec) -> io::Result<()> {
    // SAFETY: `ts` is a valid timespec for the duration of the call.
    check(unsafe { libc::clock_settime(clock, ts) })?;
    Ok(())
}

/// `setgroups(2)`: exactly `groups` as the supplementary groups (none when
/// empty).
pub fn setgroups(groups: &[libc::gid_t]) -> io::Result<()> {
    // SAFETY: pointer and length describe `groups`; the kernel reads nothing
    // when the length is 0.
    check(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) })?;
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

/// `umask(2)`: sets the file mode creation mask (the kernel keeps only its
/// permission bits) and returns the previous one; it cannot fail.
pub fn umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: plain integer argument.
    unsafe { libc::umask(mask) }
}

pub fn getpid() -> libc::pid_t {
    // SAFETY: no arguments.
    unsafe { libc::getpid() }
}

pub fn tcgetattr(fd: RawFd) -> io::Result<libc::termios> {
    let mut t = std::mem::MaybeUninit::<libc::termios>::zeroed();
    // SAFETY: `t` is a properly sized out-buffer.
    check(unsafe { libc::tcgetattr(fd, t.as_mut_ptr()) })?;
    // SAFETY: tcgetattr succeeded, so `t` is initialised (it was zeroed anyway).
    Ok(unsafe { t.assume_init() })
}

pub fn tcsetattr(fd: RawFd, termios: &libc::termios) -> io::Result<()> {
    // SAFETY: `termios` is a valid struct for the duration of the call.
    retry(|| unsafe { libc::tcsetattr(fd, libc::TCSANOW, termios) })?;
    Ok(())
}

/// `tcsetpgrp(fd, pgrp)`: make `pgrp` the terminal's foreground group.
pub fn tcsetpgrp(fd: RawFd, pgrp: libc::pid_t) -> io::Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::tcsetpgrp(fd, pgrp) })?;
    Ok(())
}

/// `fstatfs(fd).f_type`.
pub fn fd_filesystem_type(fd: &OwnedFd) -> io::Result<i64> {
    let mut buf = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: `buf` is a properly sized out-buffer; fstatfs fills it on success.
    check(unsafe { libc::fstatfs(fd.as_raw_fd(), buf.as_mut_ptr()) })?;
    // SAFETY: fstatfs succeeded, so `buf` is initialised (it was zeroed anyway).
    Ok(unsafe { buf.assume_init() }.f_type)
}

/// `openat(dir, path, flags)`; the caller decides about O_CLOEXEC.
pub fn openat(dir: &OwnedFd, path: impl AsRef<OsStr>, flags: c_int) -> io::Result<OwnedFd> {
    let path = cstring(path)?;
    // SAFETY: a valid directory descriptor and a NUL-terminated path.
    let fd = retry(|| unsafe { libc::openat(dir.as_raw_fd(), path.as_ptr(), flags, 0) })?;
    // SAFETY: `fd` was just returned by openat and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `waitpid(-1, &status, 0)`, retried on EINTR: (pid, raw wait status).
pub fn wait_any() -> io::Result<(libc::pid_t, c_int)> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let pid = retry(|| unsafe { libc::waitpid(-1, &mut status, 0) })?;
    Ok((pid, status))
}

/// `waitpid(-1, &status, WNOHANG)`, retried on EINTR: `None` while no
/// child has ended (ECHILD, no children at all, is an error).
pub fn wait_any_nohang() -> io::Result<Option<(libc::pid_t, c_int)>> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let pid = retry(|| unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) })?;
    Ok((pid != 0).then_some((pid, status)))
}

pub fn geteuid() -> libc::uid_t {
    // SAFETY: no arguments; geteuid cannot fail.
    unsafe { libc::geteuid() }
}

pub fn sync() {
    // SAFETY: no arguments.
    unsafe { libc::sync() }
}

/// `reboot(cmd)`; returns only if the kernel refused.
pub fn reboot(cmd: c_int) -> io::Error {
    // SAFETY: plain integer argument.
    unsafe { libc::reboot(cmd) };
    io::Error::last_os_error()
}

/// `execve(path, argv, envp)`; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: *const *const c_char) -> io::Error {
    let argv = ptr_array(argv);
    // SAFETY: NUL-terminated path, NULL-terminated argv of live strings, and
    // `envp` is the process's own environ (NULL-terminated).
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp) };
    io::Error::last_os_error()
}

/// `execve(path, argv, envp)` with an environment of its own; returns only
/// on failure.
pub fn execve_with(path: &CStr, argv: &[CString], envp: &[CString]) -> io::Error {
    let envp = ptr_array(envp);
    execve(path, argv, envp.as_ptr())
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`, fexecve: runs the file
/// open on `fd` whatever the root has become since. Returns only on failure.
pub fn fexecve(fd: &OwnedFd, argv: &[CString], envp: &[CString]) -> io::Error {
    let argv = ptr_array(argv);
    let envp = ptr_array(envp);
    // SAFETY: a valid descriptor, an empty NUL-terminated path, and
    // NULL-terminated arrays of strings that outlive the call.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            fd.as_raw_fd(),
            c"".as_ptr(),
            argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    io::Error::last_os_error()
}

/// Marks every descriptor from `first` up close-on-exec
/// (`close_range(first, ~0, CLOSE_RANGE_CLOEXEC)`, Linux 5.11).
pub fn cloexec_from(first: RawFd) -> io::Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: plain integer arguments; only descriptor flags change.
    let ret =
        unsafe { libc::syscall(libc::SYS_close_range, first as libc::c_uint, libc::c_uint::MAX, CLOSE_RANGE_CLOEXEC) };
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `execvp(argv[0], argv)`; returns only on failure. `argv` must not be empty.
pub fn execvp(argv: &[CString]) -> io::Error {
    let Some(file) = argv.first() else {
        return invalid("empty argument list");
    };
    let ptrs = ptr_array(argv);
    // SAFETY: NUL-terminated file name and NULL-terminated argv of live strings.
    unsafe { libc::execvp(file.as_ptr(), ptrs.as_ptr()) };
    io::Error::last_os_error()
}

/// Replaces the whole process environment with `vars` (what execvp passes on
/// and where it looks up PATH).
pub fn replace_environment(vars: &[(OsString, OsString)]) -> io::Result<()> {
    let mut owned = Vec::with_capacity(vars.len());
    for (key, value) in vars {
        if key.is_empty() || key.as_bytes().contains(&b'=') {
            return Err(invalid("bad environment variable name"));
        }
        owned.push((cstring(key)?, cstring(value)?));
    }
    // SAFETY: called before any thread exists; nothing holds pointers into environ.
    if unsafe { libc::clearenv() } != 0 {
        return Err(invalid("clearenv failed"));
    }
    for (key, value) in &owned {
        // SAFETY: NUL-terminated strings; setenv copies them.
        check(unsafe { libc::setenv(key.as_ptr(), value.as_ptr(), 1) })?;
    }
    Ok(())
}

/// Last resort for PID 1 when even reboot is refused: never return.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: pause only blocks until a signal arrives.
        unsafe { libc::pause() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In a child, with stdin closed as the kernel leaves it without a
    /// console: the directory opened next lands on 0, and is moved off it.
    #[test]
    fn a_descriptor_opened_onto_stdin_moves_above_stdio() {
        match fork().expect("fork") {
            Fork::Child => {
                close(0);
                let code = match open("/", libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) {
                    Ok(fd) if fd.as_raw_fd() != 0 => 2,
                    Ok(fd) => {
                        let moved = above_stdio(fd);
                        // 0 is closed again, and the directory is still open above 2.
                        if moved.as_raw_fd() > 2 && !fd_is_open(0) && fd_filesystem_type(&moved).is_ok() { 0 } else { 1 }
                    }
                    Err(_) => 3,
                };
                exit_now(code)
            }
            Fork::Parent(pid) => {
                let status = wait(pid).expect("wait");
                assert!(libc::WIFEXITED(status), "status {status:#x}");
                assert_eq!(libc::WEXITSTATUS(status), 0);
            }
        }
    }
}
