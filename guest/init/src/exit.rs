//! Ending the VM: the exit code goes to the host through the virtio-fs
//! root, then the guest syncs and reboots. PID 1 never returns from here,
//! so the kernel never sees init exit (which would panic it).
//!
//! The code travels as an ioctl on a directory of the virtio-fs root. The
//! init opens that root once, first thing, and keeps the descriptor: after
//! a block-device root has been moved over `/`, `open("/")` would reach the
//! block device's filesystem, which has no host to tell, while the kept
//! descriptor still reaches the virtio-fs device.
//!
//! One exception to "never exits": a PID 1 that has lost CAP_SYS_BOOT (a
//! `KRUN_INIT_PID1` workload whose exec failed after it took on the
//! config's `process.user`) cannot reboot, and exits instead: the kernel
//! panics, and krunctl's `panic=-1` turns that into the reboot.

use std::fmt::Display;
use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use libc::{c_int, c_ulong};

use crate::console;
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

/// Reports `code`, syncs and reboots. Never returns.
pub fn finish(code: c_int) -> ! {
    if let Err(e) = report_exit_code(code) {
        console::warn("report exit code to the host", sys::reason(&e));
    }
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
