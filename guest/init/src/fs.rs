//! The guest's standard mounts (libkrun's `mount_filesystems`) and the shared
//! root propagation.

use std::io;
use std::os::unix::fs::symlink;
use std::path::Path;

use libc::c_ulong;

use crate::console;
use crate::sys::{self, Failure, Step};

const NOSUID_NOEXEC: c_ulong = libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_RELATIME;
const NODEV_NOSUID_NOEXEC: c_ulong = libc::MS_NODEV | NOSUID_NOEXEC;

/// `mkdir -p` for one level: success if `path` ends up being a directory.
/// On krunctl's NullFs root the standard directories already exist as
/// read-only virtual entries, so mkdir fails with EEXIST, EPERM or EROFS
/// there; what counts is that the directory is present.
pub fn ensure_dir(path: &str) -> io::Result<()> {
    match sys::mkdir(path, 0o755) {
        Ok(()) => Ok(()),
        Err(_) if Path::new(path).is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Mounts `fstype` on `target`; EBUSY (already mounted) counts as success.
pub fn mount_fs(fstype: &str, target: &str, flags: c_ulong) -> Result<(), Failure> {
    match sys::mount(Some(fstype), target, Some(fstype), flags, None) {
        Err(e) if sys::errno(&e) == libc::EBUSY => Ok(()),
        other => other.with_step(|| format!("mount {fstype} on {target}")),
    }
}

fn dir(path: &str) -> Result<(), Failure> {
    ensure_dir(path).with_step(|| format!("mkdir {path}"))
}

/// The mounts every workload gets, in libkrun's order.
pub fn mount_filesystems() -> Result<(), Failure> {
    dir("/dev")?;
    dir("/proc")?;
    dir("/sys")?;

    mount_fs("devtmpfs", "/dev", libc::MS_RELATIME)?;
    // Only now can the console be opened if the kernel could not.
    console::attach_std_fds();
    match sys::chmod("/dev/kvm", 0o666) {
        Err(e) if sys::errno(&e) != libc::ENOENT => console::warn("chmod /dev/kvm", sys::reason(&e)),
        _ => {}
    }

    mount_fs("proc", "/proc", NODEV_NOSUID_NOEXEC)?;
    mount_fs("sysfs", "/sys", NODEV_NOSUID_NOEXEC)?;
    dir("/sys/fs/cgroup")?;
    mount_fs("cgroup2", "/sys/fs/cgroup", NODEV_NOSUID_NOEXEC)?;

    dir("/dev/pts")?;
    dir("/dev/shm")?;
    mount_fs("devpts", "/dev/pts", NOSUID_NOEXEC)?;
    mount_fs("tmpfs", "/dev/shm", NOSUID_NOEXEC)?;

    // Best effort, as in libkrun: it may exist already.
    let _ = symlink("/proc/self/fd", "/dev/fd");
    Ok(())
}

/// `mount(NULL, "/", NULL, MS_REC|MS_SHARED, NULL)`.
pub fn make_root_shared() -> Result<(), Failure> {
    sys::mount(None, "/", None, libc::MS_REC | libc::MS_SHARED, None).step("make / shared")
}
