//! Ending the VM: the exit code goes to the host through the virtio-fs
//! root, a block root is left clean, then the guest syncs and reboots. PID 1 never returns from here,
//! so the kernel never sees init exit (which would panic it).
//!
//! The code travels as an ioctl on a directory of the virtio-fs root. The
//! init opens that root once, first thing, and keeps the descriptor: after
//! a block-device root has been moved over `/`, `open("/")` would reach the
//! block device's filesystem, which has no host to tell, while the kept
//! descriptor still reaches the virtio-fs device.
//!
//! A block root would otherwise never be unmounted: rebooting with it
//! mounted read-write leaves its journal marked for recovery
//! (`needs_recovery`), which a later read-only boot cannot replay. So
//! before rebooting, PID 1 ends every other process (a file open for
//! writing makes a read-only remount fail with EBUSY) and remounts `/`
//! read-only, which flushes the journal and marks the filesystem clean,
//! as an unmount would. Both are best effort: a failure is a warning, and
//! waiting for the processes to go is bounded.
//!
//! One exception to "never exits": a PID 1 that has lost CAP_SYS_BOOT (a
//! `KRUN_INIT_PID1` workload whose exec failed after it took on the
//! config's `process.user`) cannot reboot, and exits instead: the kernel
//! panics, and krunctl's `panic=-1` turns that into the reboot.

use std::fmt::Display;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libc::{c_int, c_ulong};

use crate::console;
use crate::fs;
use crate::sys;

/// `_IO('v', 2)`: the host's virtio-fs device takes the FUSE_IOCTL with
/// this command on the root directory as the workload's exit code.
pub const EXIT_CODE_IOCTL: c_ulong = 0x7602;
/// `statfs.f_type` of FUSE mounts, virtio-fs included.
pub const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;

/// Exit code when the init cannot set up the workload's environment.
pub const SETUP_FAILED: c_int = 125;
/// Exit code when the command exists but cannot be executed.
pub const CANNOT_EXECUTE: c_int = 126;
/// Exit code when the command is not found.
pub const NOT_FOUND: c_int = 127;

static VIRTIOFS_ROOT: OnceLock<OwnedFd> = OnceLock::new();

/// Keeps a descriptor of the current root (`path`, normally "/") for the
/// exit code, if it is a FUSE (virtio-fs) mount; otherwise, or if it cannot
/// be opened, nothing is kept and `finish` falls back to `open("/")`.
pub fn keep_root(path: &str) {
    let Ok(fd) = sys::open(path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) else { return };
    // Opened before /dev is there to fill 0-2: kept on 0, a PID 1 mode
    // workload's stdin redirect closed it, and the code went nowhere.
    let fd = sys::above_stdio(fd);
    if sys::fd_filesystem_type(&fd).is_ok_and(|t| t == FUSE_SUPER_MAGIC) {
        let _ = VIRTIOFS_ROOT.set(fd);
    }
}

/// The kept virtio-fs root, if any.
pub fn virtiofs_root() -> Option<&'static OwnedFd> {
    VIRTIOFS_ROOT.get()
}

/// Sends `code` to the host through `root` if it is virtio-fs (libkrun
/// checks `statfs` for FUSE_SUPER_MAGIC first). `Ok(false)` when it is not.
fn report_through(root: &OwnedFd, code: c_int) -> std::io::Result<bool> {
    if sys::fd_filesystem_type(root)? != FUSE_SUPER_MAGIC {
        return Ok(false);
    }
    // The host reads the argument back as an i32: pass the code's bits.
    sys::ioctl_value(root, EXIT_CODE_IOCTL, code as u32 as c_ulong)?;
    Ok(true)
}

/// Sends `code` to the host through the kept root, else through "/".
pub fn report_exit_code(code: c_int) -> std::io::Result<bool> {
    match virtiofs_root() {
        Some(root) => report_through(root, code),
        None => {
            let root = sys::open("/", libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)?;
            report_through(&root, code)
        }
    }
}

/// How long killed processes may take to be gone before the block root is
/// remounted anyway (a process stuck in the kernel can outlive SIGKILL).
pub const KILL_WAIT: Duration = Duration::from_secs(2);
const REAP_POLL: Duration = Duration::from_millis(5);

/// Reaps children through `wait` (a non-blocking waitpid) until there are
/// none left (ECHILD), another error, or `deadline`; `pause` runs while
/// children remain that have not ended yet. True if none are left.
fn reap_all(
    deadline: Instant,
    mut wait: impl FnMut() -> io::Result<Option<(libc::pid_t, c_int)>>,
    mut pause: impl FnMut(),
) -> bool {
    loop {
        match wait() {
            Ok(Some(_)) => continue,
            Ok(None) if Instant::now() < deadline => pause(),
            Ok(None) => return false,
            Err(e) => return sys::errno(&e) == libc::ECHILD,
        }
    }
}

/// Ends every process but PID 1 (SIGKILL to -1) and reaps them: each is a
/// child of PID 1 by the time it can be reaped, since the orphans of a
/// process that dies are given to PID 1 before it can be reaped itself.
fn end_other_processes() {
    if let Err(e) = sys::kill(-1, libc::SIGKILL)
        && sys::errno(&e) != libc::ESRCH
    {
        console::warn("kill the remaining processes", sys::reason(&e));
    }
    reap_all(Instant::now() + KILL_WAIT, sys::wait_any_nohang, || std::thread::sleep(REAP_POLL));
}

/// Leaves a block root as unmounting it would: clean, its journal empty.
/// Nothing to do without one, or without the privilege (a `KRUN_INIT_PID1`
/// workload that dropped root, whose VM ends in a panic anyway).
fn release_block_root() {
    if !fs::on_block_root() || sys::geteuid() != 0 {
        return;
    }
    end_other_processes();
    sys::sync();
    if let Err(e) = sys::mount(None, "/", None, libc::MS_REMOUNT | libc::MS_RDONLY, None) {
        console::warn("remount the block root read-only", sys::reason(&e));
    }
}

/// Reports `code`, releases a block root, syncs and reboots. Never returns.
pub fn finish(code: c_int) -> ! {
    if let Err(e) = report_exit_code(code) {
        console::warn("report exit code to the host", sys::reason(&e));
    }
    release_block_root();
    sys::sync();
    let e = sys::reboot(libc::RB_AUTOBOOT);
    if sys::errno(&e) == libc::EPERM {
        // No longer root: pausing forever would leave the VM running.
        sys::exit_now(code);
    }
    console::warn("reboot", sys::reason(&e));
    let e = sys::reboot(libc::RB_POWER_OFF);
    console::warn("power off", sys::reason(&e));
    sys::halt_forever()
}

/// A setup step failed: say so, end the VM with code 125.
pub fn fatal(failure: impl Display) -> ! {
    console::error(failure);
    finish(SETUP_FAILED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaps(script: Vec<io::Result<Option<(libc::pid_t, c_int)>>>, deadline: Instant) -> (bool, usize, usize) {
        let mut script = script.into_iter();
        let mut calls = 0;
        let mut pauses = 0;
        let done = reap_all(
            deadline,
            || {
                calls += 1;
                script.next().unwrap_or(Ok(None))
            },
            || pauses += 1,
        );
        (done, calls, pauses)
    }

    fn echild() -> io::Result<Option<(libc::pid_t, c_int)>> {
        Err(io::Error::from_raw_os_error(libc::ECHILD))
    }

    #[test]
    fn reaping_goes_on_until_no_child_is_left() {
        let later = Instant::now() + Duration::from_secs(60);
        let script = vec![Ok(Some((7, 9))), Ok(None), Ok(Some((8, 9))), Ok(None), Ok(None), echild()];
        assert_eq!(reaps(script, later), (true, 6, 3));
        assert_eq!(reaps(vec![echild()], later), (true, 1, 0), "no children at all");
    }

    #[test]
    fn reaping_gives_up_at_the_deadline_or_on_another_error() {
        let past = Instant::now();
        assert_eq!(reaps(vec![Ok(Some((7, 9))), Ok(None)], past), (false, 2, 0));
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(reaps(vec![Err(io::Error::from_raw_os_error(libc::EINVAL))], later), (false, 1, 0));
    }
}
