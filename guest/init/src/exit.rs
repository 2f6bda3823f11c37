//! Ending the VM: the exit code goes to the host through the virtio-fs
//! root, then the guest syncs and reboots. PID 1 never returns from here,
//! so the kernel never sees init exit (which would panic it).

use std::fmt::Display;

use libc::{c_int, c_ulong};

use crate::console;
use crate::exec::SETUP_FAILED;
use crate::sys;

/// `_IO('v', 2)`: the host's virtio-fs device takes the FUSE_IOCTL with
/// this command on the root directory as the workload's exit code.
pub const EXIT_CODE_IOCTL: c_ulong = 0x7602;
/// `statfs.f_type` of FUSE mounts, virtio-fs included.
pub const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;

/// Sends `code` to the host, if the root is virtio-fs. `Ok(false)` when it
/// is not (nobody to tell).
pub fn report_exit_code(code: c_int) -> std::io::Result<bool> {
    if sys::filesystem_type("/")? != FUSE_SUPER_MAGIC {
        return Ok(false);
    }
    let root = sys::open("/", libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)?;
    // The host reads the argument back as an i32: pass the code's bits.
    sys::ioctl_value(&root, EXIT_CODE_IOCTL, code as u32 as c_ulong)?;
    Ok(true)
}

/// Reports `code`, syncs and reboots. Never returns.
pub fn finish(code: c_int) -> ! {
    if let Err(e) = report_exit_code(code) {
        console::warn("report exit code to the host", sys::reason(&e));
    }
    sys::sync();
    let e = sys::reboot(libc::RB_AUTOBOOT);
    console::warn("reboot", sys::reason(&e));
    let e = sys::reboot(libc::RB_POWER_OFF);
    console::warn("power off", sys::reason(&e));
    sys::halt_forever()
}

/// A stage-1 setup step failed: say so, end the VM with code 125.
pub fn fatal(failure: impl Display) -> ! {
    console::error(failure);
    finish(SETUP_FAILED)
}
