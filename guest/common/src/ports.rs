//! The host's named virtio-serial ports: where the guest finds them
//! (`/sys/class/virtio-ports/<vportNpM>/name`, device `/dev/<vportNpM>`).
//!
//! Discovery only, with no messages of its own: the init's console writes to
//! `krun-stderr` through it, so it must not depend on any way of reporting.

use std::io;
use std::path::{Path, PathBuf};

pub const PORTS_DIR: &str = "/sys/class/virtio-ports";
pub const DEV_DIR: &str = "/dev";

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

/// The device of the port called `name` among those `scan_ports` lists.
pub fn find_port_in(sys_dir: &Path, dev_dir: &Path, name: &str) -> Option<PathBuf> {
    let ports = scan_ports(sys_dir, dev_dir).ok()?;
    ports.into_iter().find(|p| p.name == name).map(|p| p.device)
}

/// The device of the port called `name`, if the guest has one.
pub fn find_port(name: &str) -> Option<PathBuf> {
    find_port_in(Path::new(PORTS_DIR), Path::new(DEV_DIR), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn ports_are_matched_by_name_and_mapped_to_their_device() {
        let root = std::env::temp_dir().join(format!("krun-common-ports-{}", std::process::id()));
        let sys_dir = root.join("sys");
        for (dir, name) in [
            ("vport1p0", ""),
            ("vport1p1", "krun-stdin\n"),
            ("vport1p3", "krun-stderr\n"),
            ("vport1p2", "krun-stdout"),
            ("vport2p1", "krun-agent\n"),
        ] {
            fs::create_dir_all(sys_dir.join(dir)).unwrap();
            fs::write(sys_dir.join(dir).join("name"), name).unwrap();
        }
        fs::create_dir_all(sys_dir.join("vport1p9")).unwrap(); // no name file
        let ports = scan_ports(&sys_dir, Path::new("/dev")).unwrap();
        let agent = find_port_in(&sys_dir, Path::new("/dev"), "krun-agent");
        let absent = find_port_in(&sys_dir, Path::new("/dev"), "krun-control");
        fs::remove_dir_all(&root).unwrap();

        let named: Vec<(&str, &str)> = ports.iter().map(|p| (p.name.as_str(), p.device.to_str().unwrap())).collect();
        assert_eq!(
            named,
            vec![
                ("", "/dev/vport1p0"),
                ("krun-stdin", "/dev/vport1p1"),
                ("krun-stdout", "/dev/vport1p2"),
                ("krun-stderr", "/dev/vport1p3"),
                ("krun-agent", "/dev/vport2p1"),
            ]
        );
        assert_eq!(agent, Some(PathBuf::from("/dev/vport2p1")));
        assert_eq!(absent, None);
    }

    #[test]
    fn missing_ports_directory_is_an_error() {
        let missing = Path::new("/nonexistent/krun-common/virtio-ports");
        assert!(scan_ports(missing, Path::new("/dev")).is_err());
        assert_eq!(find_port_in(missing, Path::new("/dev"), "krun-agent"), None);
    }
}
