//! Where the init's own messages go, and the standard descriptors it starts
//! from.
//!
//! Every line starts with `krun-init: `. Messages go to fd 2 (the kernel
//! console until the workload's redirects are in place) and, when `also_host`
//! is set, to the `krun-stderr` virtio port too, so a user whose terminal is
//! not attached to the console still sees them on the host's stderr.

use std::fmt::Display;
use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::ports;
use crate::sys;

const PREFIX: &str = "krun-init: ";

/// How long stage 1 waits for the console. virtio_console creates hvc0 only
/// when the host has announced port 0 as a console, on a work queue, and a
/// kernel with the driver built in may start the init before that: opening
/// /dev/console then fails with ENODEV (seen on a loaded host).
pub const CONSOLE_TIMEOUT: Duration = Duration::from_secs(5);
const CONSOLE_POLL: Duration = Duration::from_millis(5);

/// Opens /dev/console, waiting up to `wait` while no console device is
/// there yet (ENODEV).
pub fn open_console(flags: libc::c_int, wait: Duration) -> io::Result<OwnedFd> {
    let deadline = Instant::now() + wait;
    loop {
        match sys::open("/dev/console", flags) {
            Err(e) if sys::errno(&e) == libc::ENODEV && Instant::now() < deadline => std::thread::sleep(CONSOLE_POLL),
            other => return other,
        }
    }
}

/// The descriptor of the `krun-stderr` port the init's messages go through
/// (-1: none, open the port for each message). A virtio port has one opener
/// at a time, so while the workload holds the port the init cannot open it
/// again; it writes through the descriptor it shares with the workload.
static HOST_STDERR: AtomicI32 = AtomicI32::new(-1);

/// The `krun-stderr` port as PID 1 opened it early (`keep_host_stderr`).
static KEPT_HOST_STDERR: OnceLock<OwnedFd> = OnceLock::new();

/// Opens the `krun-stderr` port, if the host made one, and routes the
/// host-bound copy of messages through it from now on. Called while `/sys`
/// and `/dev` are still the virtio-fs root's: once a block root has
/// replaced `/`, the port cannot be found until the init has mounted them
/// there, and an image without mount points never gets that far.
/// Close-on-exec; the workload's stderr is a copy (`kept_host_stderr`).
pub fn keep_host_stderr() {
    let Some(port) = ports::find_port(ports::STDERR_PORT) else { return };
    // Blocking, like the workload's copy (they share the file status flags).
    match sys::open(&port, libc::O_WRONLY | libc::O_NOCTTY | libc::O_CLOEXEC) {
        Ok(fd) => {
            if KEPT_HOST_STDERR.set(fd).is_ok()
                && let Some(fd) = KEPT_HOST_STDERR.get()
            {
                set_host_stderr(fd.as_raw_fd());
            }
        }
        Err(e) => warn(&format!("open {} ({})", ports::STDERR_PORT, port.display()), sys::reason(&e)),
    }
}

/// The port `keep_host_stderr` opened, if it did.
pub fn kept_host_stderr() -> Option<&'static OwnedFd> {
    KEPT_HOST_STDERR.get()
}

/// Routes the host-bound copy of messages through `fd` from now on (-1:
/// back to opening the port for each message).
pub fn set_host_stderr(fd: RawFd) {
    HOST_STDERR.store(fd, Ordering::Relaxed);
}

/// How long a message may wait for the host to drain the port.
const HOST_WRITE_WAIT_MS: i32 = 500;

fn emit(text: &str, also_host: bool) {
    let line = format!("{PREFIX}{text}\n");
    let _ = sys::write_all(2, line.as_bytes());
    if !also_host {
        return;
    }
    let shared = HOST_STDERR.load(Ordering::Relaxed);
    if shared >= 0 {
        // The descriptor is blocking (the workload shares it): write only
        // when the port can take data, so a disconnected host cannot hang
        // PID 1 (poll reports POLLHUP, not POLLOUT, then).
        if let Ok(events) = sys::poll_one(shared, libc::POLLOUT, HOST_WRITE_WAIT_MS)
            && events & libc::POLLOUT != 0
        {
            let _ = sys::write_all(shared, line.as_bytes());
        }
    } else if let Some(port) = ports::find_port(ports::STDERR_PORT) {
        let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        if let Ok(fd) = sys::open(&port, flags) {
            let _ = sys::write_all(fd.as_raw_fd(), line.as_bytes());
        }
    }
}

/// A stage-1 error line (console and host stderr port).
pub fn error(text: impl Display) {
    emit(&text.to_string(), true);
}

/// A stage-1 warning line (console and host stderr port).
pub fn warn(what: &str, reason: impl Display) {
    emit(&format!("warning: {what}: {reason}"), true);
}

/// A line to fd 2 only: stage 0, and the workload child whose fd 2 already
/// is the host's stderr.
pub fn local(text: impl Display) {
    emit(&text.to_string(), false);
}

/// Whether `fd` is closed or refers to /dev/null.
fn detached(fd: RawFd) -> bool {
    match sys::file_mode_and_rdev(fd) {
        Err(_) => true,
        Ok((mode, rdev)) => mode & libc::S_IFMT == libc::S_IFCHR && rdev == libc::makedev(1, 3),
    }
}

/// Points fds 0, 1 and 2 at /dev/console wherever they are closed or on
/// /dev/null, falling back to /dev/null for closed ones.
///
/// The kernel opens /dev/console for init, but when no console driver is
/// registered yet (virtio_console is a module stage 0 has not loaded) or
/// the node is missing, all three are closed; anything the init opened next
/// would land on them, and the init's messages would vanish. Stage 0 calls
/// this right after mounting /dev (before opening anything else) and again
/// after loading the modules, without waiting; stage 1 right after mounting
/// /dev, waiting up to `wait` for the console to appear (the kernel had no
/// /dev to open it on when it booted straight from the virtio-fs root).
pub fn attach_std_fds(wait: Duration) {
    let targets: Vec<RawFd> = (0..3).filter(|fd| detached(*fd)).collect();
    if targets.is_empty() {
        return;
    }
    let (file, targets) = match open_console(libc::O_RDWR | libc::O_NOCTTY, wait) {
        Ok(file) => (file, targets),
        Err(_) => {
            let closed: Vec<RawFd> = targets.into_iter().filter(|fd| !sys::fd_is_open(*fd)).collect();
            match sys::open("/dev/null", libc::O_RDWR) {
                Ok(file) if !closed.is_empty() => (file, closed),
                _ => return,
            }
        }
    };
    let raw = file.into_raw_fd();
    for fd in targets {
        if fd != raw {
            let _ = sys::dup2(raw, fd);
        }
    }
    if !(0..3).contains(&raw) {
        sys::close(raw);
    }
}
