//! The guest's standard mounts (libkrun's `mount_filesystems`), the switch
//! to a block-device root, the config file's tmpfs, and the shared root
//! propagation.

use std::io;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::env::BlockRoot;

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
    console::attach_std_fds(console::CONSOLE_TIMEOUT);
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

/// Where a root is mounted before it is moved over `/`: the block-device
/// root in stage 1 (krunctl's NullFs root serves it as a virtual
/// directory), the virtio-fs root in stage 0 (a directory of the initramfs).
pub const NEW_ROOT: &str = "/newroot";
/// How long the block device node may take to appear: devtmpfs creates it
/// when virtio_blk has probed the disk, which can trail the module load.
pub const DEVICE_TIMEOUT: Duration = Duration::from_secs(5);
const DEVICE_POLL: Duration = Duration::from_millis(10);

/// Set once a block root has replaced `/` (moved over it and chrooted into).
static ON_BLOCK_ROOT: AtomicBool = AtomicBool::new(false);

/// Whether `/` is a block root, which must be remounted read-only before
/// the VM ends (see `exit::release_block_root`).
pub fn on_block_root() -> bool {
    ON_BLOCK_ROOT.load(Ordering::Relaxed)
}

/// The block-device filesystems in a `/proc/filesystems` text: the lines
/// not marked `nodev`, in the kernel's order except that ext4 comes first.
/// (The ext4 driver registers ext3 and ext2 before itself; probing those
/// first on an ext4 disk makes the kernel log "couldn't mount as ext3" on
/// the console, which in TTY mode is the user's terminal. The ext4 driver
/// mounts ext2 and ext3 disks as well, so nothing else changes.)
pub fn block_filesystems(proc_filesystems: &str) -> Vec<&str> {
    let mut names: Vec<&str> = proc_filesystems
        .lines()
        .filter_map(|line| {
            let (flag, name) = line.split_once('\t').unwrap_or(("", line));
            let name = name.trim();
            (flag.trim() != "nodev" && !name.is_empty()).then_some(name)
        })
        .collect();
    if let Some(i) = names.iter().position(|n| *n == "ext4") {
        let ext4 = names.remove(i);
        names.insert(0, ext4);
    }
    names
}

/// Errors that only say "not this filesystem type" while probing.
fn wrong_type(error: &io::Error) -> bool {
    matches!(sys::errno(error), libc::EINVAL | libc::ENODEV | libc::ENOTBLK)
}

fn wait_for_device(device: &str) -> Result<(), Failure> {
    let deadline = Instant::now() + DEVICE_TIMEOUT;
    while !Path::new(device).exists() {
        if Instant::now() >= deadline {
            return Err(io::Error::from_raw_os_error(libc::ENOENT))
                .with_step(|| format!("wait for block device {device} ({} s)", DEVICE_TIMEOUT.as_secs()));
        }
        std::thread::sleep(DEVICE_POLL);
    }
    Ok(())
}

/// Mounts `device` on `target` as `fstype`; a write-protected device is
/// mounted read-only instead, with a warning (as mount(8) does).
fn mount_device(device: &str, target: &str, fstype: &str, data: Option<&str>) -> io::Result<()> {
    match sys::mount(Some(device), target, Some(fstype), 0, data) {
        Err(e) if matches!(sys::errno(&e), libc::EROFS | libc::EACCES) => {
            sys::mount(Some(device), target, Some(fstype), libc::MS_RDONLY, data)?;
            console::warn(&format!("mount {device}"), "the device is write-protected; mounted read-only");
            Ok(())
        }
        other => other,
    }
}

/// libkrun's block-root switch: mount the device on /newroot (with its
/// fstype, or trying every block filesystem of /proc/filesystems), move it
/// over `/`, chroot into it, and mount the standard filesystems there.
pub fn switch_to_block_root(root: &BlockRoot) -> Result<(), Failure> {
    let device = root.device.as_str();
    dir(NEW_ROOT)?;
    wait_for_device(device)?;
    let data = root.options.as_deref();
    match &root.fstype {
        Some(fstype) => mount_device(device, NEW_ROOT, fstype, data)
            .with_step(|| format!("mount {device} ({fstype}) on {NEW_ROOT}"))?,
        None => {
            let known = std::fs::read_to_string("/proc/filesystems").step("read /proc/filesystems")?;
            let candidates = block_filesystems(&known);
            let mut failure: Option<io::Error> = None;
            let mut mounted = false;
            for fstype in &candidates {
                match mount_device(device, NEW_ROOT, fstype, data) {
                    Ok(()) => {
                        mounted = true;
                        break;
                    }
                    // Keep the first error that says more than "wrong type".
                    Err(e) if failure.as_ref().is_none_or(wrong_type) => failure = Some(e),
                    Err(_) => {}
                }
            }
            if !mounted {
                let error = failure.unwrap_or_else(|| io::Error::from_raw_os_error(libc::ENODEV));
                return Err(error).with_step(|| {
                    format!(
                        "mount {device} on {NEW_ROOT} (tried {})",
                        if candidates.is_empty() { "nothing".into() } else { candidates.join(", ") }
                    )
                });
            }
        }
    }
    sys::chdir(NEW_ROOT).with_step(|| format!("chdir {NEW_ROOT}"))?;
    sys::mount(Some("."), "/", None, libc::MS_MOVE, None).with_step(|| format!("move {NEW_ROOT} to /"))?;
    sys::chroot(".").step("chroot into the block root")?;
    ON_BLOCK_ROOT.store(true, Ordering::Relaxed);
    sys::chdir("/").step("chdir /")?;
    mount_filesystems()
}

/// Decodes the octal escapes (`\040` for a space, ...) of a /proc/mounts field.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let value =
                (bytes[i + 1] - b'0') as u32 * 64 + (bytes[i + 2] - b'0') as u32 * 8 + (bytes[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount points listed in a /proc/mounts text.
pub fn mount_points(proc_mounts: &str) -> Vec<String> {
    proc_mounts.lines().filter_map(|line| line.split(' ').nth(1)).map(unescape_mount_field).collect()
}

/// Mounts the config file's tmpfs: the first candidate destination that is
/// not already a mount point per /proc/mounts (not `stat`, which would
/// trigger Podman's tmpfs auto-mounts), with MS_NOEXEC|MS_NOSUID|MS_NODEV|
/// MS_RELATIME, as libkrun does. Failing to mount it is fatal there too.
pub fn mount_config_tmpfs(candidates: &[String]) -> Result<(), Failure> {
    if candidates.is_empty() {
        return Ok(());
    }
    let mounted = std::fs::read_to_string("/proc/mounts").map(|text| mount_points(&text)).unwrap_or_default();
    let Some(destination) = candidates.iter().find(|c| !mounted.contains(c)) else {
        return Ok(());
    };
    let flags = libc::MS_NOEXEC | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_RELATIME;
    sys::mount(Some("tmpfs"), destination, Some("tmpfs"), flags, None)
        .with_step(|| format!("mount tmpfs on {destination} (config mounts)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_filesystems_skip_nodev_ones() {
        let text =
            "nodev\tsysfs\nnodev\ttmpfs\n\text3\n\text2\n\text4\nnodev\tfuse\n\tfuseblk\nnodev\tvirtiofs\n\tvfat\n";
        assert_eq!(block_filesystems(text), vec!["ext4", "ext3", "ext2", "fuseblk", "vfat"]);
        assert_eq!(block_filesystems("\txfs\n\tbtrfs\n"), vec!["xfs", "btrfs"]);
        assert!(block_filesystems("").is_empty());
        assert!(block_filesystems("nodev\tproc\n").is_empty());
    }

    #[test]
    fn mount_points_are_the_second_field_unescaped() {
        let text = "/dev/root / virtiofs rw,relatime 0 0\n\
                    devtmpfs /dev devtmpfs rw 0 0\n\
                    tmpfs /my\\040dir tmpfs rw 0 0\n\
                    tmpfs /tab\\011and\\134slash tmpfs rw 0 0\n\
                    broken\n";
        assert_eq!(mount_points(text), vec!["/", "/dev", "/my dir", "/tab\tand\\slash"]);
        assert_eq!(unescape_mount_field("\\04"), "\\04", "short escapes stay");
        assert_eq!(unescape_mount_field("\\999"), "\\999", "non-octal escapes stay");
        assert_eq!(unescape_mount_field("a\\"), "a\\");
    }

    #[test]
    fn only_wrong_type_errors_are_passed_over_while_probing() {
        for errno in [libc::EINVAL, libc::ENODEV, libc::ENOTBLK] {
            assert!(wrong_type(&io::Error::from_raw_os_error(errno)));
        }
        for errno in [libc::EIO, libc::EACCES, libc::ENOENT, libc::EBUSY] {
            assert!(!wrong_type(&io::Error::from_raw_os_error(errno)));
        }
    }
}
