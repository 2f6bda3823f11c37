//! Stage 0: `/init` in the initramfs krunctl generates for kernels whose
//! virtio and virtio-fs drivers are modules. It loads the modules listed in
//! `/krunctl/modules.order`, mounts the virtio-fs root (tag `/dev/root`),
//! moves it over `/` and execs `/init.krun` there with the arguments and
//! environment the kernel gave it.
//!
//! On failure it prints `krun-init: stage0: <step>: <reason>` on the
//! console and on the `krun-stderr` port (mounting devtmpfs and sysfs to
//! find it), reports exit code 125 through the virtio-fs root if that was
//! mounted, and reboots (the host sees the VM end; with no root mounted it
//! gets no exit code and must treat that as a failure). A module that fails
//! to load does not stop the others from loading, so that the console and
//! the root, which the message and the code need, still come up.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use libc::c_char;

use crate::console;
use crate::exit::{self, SETUP_FAILED};
use crate::fs::{NEW_ROOT, ensure_dir, mount_fs};
use crate::sys::{self, Failure, Step};

/// Its presence makes the binary run as stage 0.
pub const MODULES_ORDER: &str = "/krunctl/modules.order";
pub const ROOT_TAG: &str = "/dev/root";
pub const STAGE1: &str = "/init.krun";
/// How long the virtio-fs device may take to appear after its driver loads.
pub const ROOT_MOUNT_TIMEOUT: Duration = Duration::from_secs(5);
const ROOT_MOUNT_RETRY: Duration = Duration::from_millis(10);

unsafe extern "C" {
    /// The C runtime's environment block: passed on to stage 1 untouched.
    static environ: *const *const c_char;
}

/// The module paths of `modules.order`, one per line, in load order.
/// Surrounding whitespace, empty lines and `#` comment lines are ignored.
pub fn parse_modules_order(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect()
}

/// Errors that mean "the device or its driver is not there yet".
fn root_not_ready(error: &std::io::Error) -> bool {
    matches!(sys::errno(error), libc::ENOENT | libc::ENODEV | libc::EINVAL | libc::ENXIO)
}

fn load_module(path: &str) -> std::io::Result<()> {
    let module = sys::open(path, libc::O_RDONLY | libc::O_CLOEXEC)?;
    match sys::finit_module(&module) {
        Err(e) if sys::errno(&e) == libc::EEXIST => Ok(()),
        other => other,
    }
}

fn mount_root() -> Result<(), Failure> {
    let deadline = Instant::now() + ROOT_MOUNT_TIMEOUT;
    loop {
        match sys::mount(Some(ROOT_TAG), NEW_ROOT, Some("virtiofs"), 0, None) {
            Ok(()) => return Ok(()),
            Err(e) if root_not_ready(&e) && Instant::now() < deadline => std::thread::sleep(ROOT_MOUNT_RETRY),
            Err(e) => {
                return Err(e).with_step(|| {
                    format!("mount virtiofs {ROOT_TAG} on {NEW_ROOT} (waited up to {} s)", ROOT_MOUNT_TIMEOUT.as_secs())
                });
            }
        }
    }
}

/// Runs stage 0: execs stage 1, or ends the VM on failure.
pub fn run(args: &[OsString]) -> ! {
    let Err(failure) = switch_root(args);
    // The failure may predate the console (see attach_std_fds), and after
    // the chroot neither /dev nor /sys is mounted: mount what finding the
    // krun-stderr port needs, best effort.
    console::attach_std_fds(Duration::ZERO);
    let _ = ensure_dir("/dev").map(|()| mount_fs("devtmpfs", "/dev", 0));
    let _ = ensure_dir("/sys").map(|()| mount_fs("sysfs", "/sys", libc::MS_NODEV | libc::MS_NOSUID | libc::MS_NOEXEC));
    console::error(format!("stage0: {failure}"));
    exit::finish(SETUP_FAILED)
}

fn switch_root(args: &[OsString]) -> Result<std::convert::Infallible, Failure> {
    ensure_dir("/dev").step("mkdir /dev")?;
    mount_fs("devtmpfs", "/dev", 0)?;
    console::attach_std_fds(Duration::ZERO);
    ensure_dir("/proc").step("mkdir /proc")?;
    mount_fs("proc", "/proc", libc::MS_NODEV | libc::MS_NOSUID | libc::MS_NOEXEC)?;

    let order = std::fs::read_to_string(MODULES_ORDER).with_step(|| format!("read {MODULES_ORDER}"))?;
    let mut first_failure = None;
    for module in parse_modules_order(&order) {
        if let Err(failure) = load_module(module).with_step(|| format!("load module {module}")) {
            console::attach_std_fds(Duration::ZERO);
            console::local(format!("stage0: {failure}"));
            first_failure.get_or_insert(failure);
        }
    }
    // The console driver may have been among the modules: fds the kernel
    // could not open at boot get the console now.
    console::attach_std_fds(Duration::ZERO);

    ensure_dir(NEW_ROOT).with_step(|| format!("mkdir {NEW_ROOT}"))?;
    mount_root()?;
    // From here on a failure can be reported to the host through the root.
    exit::keep_root(NEW_ROOT);
    if let Some(failure) = first_failure {
        return Err(failure);
    }

    // Stage 1 mounts its own /dev and /proc; these stay behind on the
    // initramfs, detached.
    let _ = sys::umount_detach("/proc");
    let _ = sys::umount_detach("/dev");

    sys::chdir(NEW_ROOT).with_step(|| format!("chdir {NEW_ROOT}"))?;
    sys::mount(Some("."), "/", None, libc::MS_MOVE, None).with_step(|| format!("move {NEW_ROOT} to /"))?;
    sys::chroot(".").step("chroot")?;
    sys::chdir("/").step("chdir /")?;

    let path = sys::cstring(STAGE1).with_step(|| format!("exec {STAGE1}"))?;
    let mut argv = vec![path.clone()];
    for arg in args.iter().skip(1) {
        argv.push(sys::cstring(arg).with_step(|| format!("exec {STAGE1}"))?);
    }
    // SAFETY: reading the pointer value of the C runtime's `environ`.
    let envp = unsafe { environ };
    Err(sys::execve(&path, &argv, envp)).with_step(|| format!("exec {STAGE1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_load_in_file_order() {
        let text = "/krunctl/modules/virtio_ring.ko\n/krunctl/modules/virtio.ko\n/krunctl/modules/virtiofs.ko\n";
        assert_eq!(
            parse_modules_order(text),
            vec!["/krunctl/modules/virtio_ring.ko", "/krunctl/modules/virtio.ko", "/krunctl/modules/virtiofs.ko",]
        );
    }

    #[test]
    fn blank_lines_comments_whitespace_and_crlf_are_ignored() {
        let text = "\n  /m/a.ko  \r\n# generated by krunctl\n\n/m/b.ko";
        assert_eq!(parse_modules_order(text), vec!["/m/a.ko", "/m/b.ko"]);
        assert!(parse_modules_order("").is_empty());
        assert!(parse_modules_order("\n\n").is_empty());
    }

    #[test]
    fn missing_device_or_driver_is_retried_but_other_errors_are_not() {
        for errno in [libc::ENOENT, libc::ENODEV, libc::EINVAL, libc::ENXIO] {
            assert!(root_not_ready(&std::io::Error::from_raw_os_error(errno)));
        }
        for errno in [libc::EACCES, libc::EPERM, libc::EIO, libc::ENOMEM] {
            assert!(!root_not_ready(&std::io::Error::from_raw_os_error(errno)));
        }
    }
}
