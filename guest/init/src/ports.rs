//! The host's named virtio-serial ports: where the guest finds them
//! (`/sys/class/virtio-ports/<vportNpM>/name`) and which standard
//! descriptor each of krunctl's stdio ports replaces.
//!
//! Discovery only, with no messages of its own: the console writes to
//! `krun-stderr` through it, so it must not depend on the console.

use std::io;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use libc::c_int;

pub const PORTS_DIR: &str = "/sys/class/virtio-ports";
pub const DEV_DIR: &str = "/dev";
pub const STDIN_PORT: &str = "krun-stdin";
pub const STDOUT_PORT: &str = "krun-stdout";
pub const STDERR_PORT: &str = "krun-stderr";

#[derive(Debug, PartialEq)]
pub struct Port {
    /// The port's name, e.g. `krun-stdout`.
    pub name: String,
    /// Its character device, e.g. `/dev/vport1p2`.
    pub device: PathBuf,
}

/// Lists the named virtio-serial ports: each `<sys_dir>/<vportNpM>/name`
/// (trailing newline stripped) with its device `<dev_dir>/<vportNpM>`.
/// Entries without a readable name are skipped. Sorted by device.
pub fn scan_ports(sys_dir: &Path, dev_dir: &Path) -> io::Result<Vec<Port>> {
    let mut ports = Vec::new();
    for entry in std::fs::read_dir(sys_dir)? {
        let Ok(entry) = entry else { continue };
        let Ok(name) = std::fs::read_to_string(entry.path().join("name")) else { continue };
        ports.push(Port { name: name.trim_end_matches('\n').to_owned(), device: dev_dir.join(entry.file_name()) });
    }
    ports.sort_by(|a, b| a.device.cmp(&b.device));
    Ok(ports)
}

/// The device of the port called `name`, if the guest has one.
pub fn find_port(name: &str) -> Option<PathBuf> {
    let ports = scan_ports(Path::new(PORTS_DIR), Path::new(DEV_DIR)).ok()?;
    ports.into_iter().find(|p| p.name == name).map(|p| p.device)
}

/// Which standard descriptor a port replaces, and how it is opened.
pub fn redirect_target(port_name: &str) -> Option<(RawFd, c_int)> {
    match port_name {
        STDIN_PORT => Some((0, libc::O_RDONLY)),
        STDOUT_PORT => Some((1, libc::O_WRONLY)),
        STDERR_PORT => Some((2, libc::O_WRONLY)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn ports_are_matched_by_name_and_mapped_to_their_device() {
        let root = std::env::temp_dir().join(format!("krun-init-ports-{}", std::process::id()));
        let sys_dir = root.join("sys");
        for (dir, name) in
            [("vport1p0", ""), ("vport1p1", "krun-stdin\n"), ("vport1p3", "krun-stderr\n"), ("vport1p2", "krun-stdout")]
        {
            fs::create_dir_all(sys_dir.join(dir)).unwrap();
            fs::write(sys_dir.join(dir).join("name"), name).unwrap();
        }
        fs::create_dir_all(sys_dir.join("vport1p9")).unwrap(); // no name file
        let ports = scan_ports(&sys_dir, Path::new("/dev")).unwrap();
        fs::remove_dir_all(&root).unwrap();

        let named: Vec<(&str, &str)> = ports.iter().map(|p| (p.name.as_str(), p.device.to_str().unwrap())).collect();
        assert_eq!(
            named,
            vec![
                ("", "/dev/vport1p0"),
                ("krun-stdin", "/dev/vport1p1"),
                ("krun-stdout", "/dev/vport1p2"),
                ("krun-stderr", "/dev/vport1p3"),
            ]
        );
    }

    #[test]
    fn missing_ports_directory_is_an_error() {
        let missing = Path::new("/nonexistent/krun-init/virtio-ports");
        assert!(scan_ports(missing, Path::new("/dev")).is_err());
    }

    #[test]
    fn only_the_three_krun_ports_redirect() {
        assert_eq!(redirect_target("krun-stdin"), Some((0, libc::O_RDONLY)));
        assert_eq!(redirect_target("krun-stdout"), Some((1, libc::O_WRONLY)));
        assert_eq!(redirect_target("krun-stderr"), Some((2, libc::O_WRONLY)));
        assert_eq!(redirect_target("krun-stdout\n"), None);
        assert_eq!(redirect_target("org.qemu.guest_agent.0"), None);
    }
}
