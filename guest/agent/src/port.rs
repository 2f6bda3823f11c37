//! Where the agent talks to the host: the virtio-serial port named
//! `krun-agent`, or for tests an explicit path (a character device, FIFO
//! or file is opened; a unix socket is connected to).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use crate::sys;

pub const PORT_NAME: &str = "krun-agent";
/// Names an explicit port path, for tests and debugging.
pub const PORT_VARIABLE: &str = "KRUN_AGENT_PORT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// Look the port up by name under /sys/class/virtio-ports.
    Named,
    Path(PathBuf),
}

impl PortSpec {
    /// `KRUN_AGENT_PORT`, else the first argument, else discovery by name.
    pub fn from(variable: Option<std::ffi::OsString>, first_arg: Option<std::ffi::OsString>) -> PortSpec {
        match variable.filter(|v| !v.is_empty()).or(first_arg.filter(|a| !a.is_empty())) {
            Some(path) => PortSpec::Path(PathBuf::from(path)),
            None => PortSpec::Named,
        }
    }

    /// The port's path; `NotFound` when the host created no agent port.
    pub fn locate(&self) -> io::Result<PathBuf> {
        match self {
            PortSpec::Path(path) => Ok(path.clone()),
            PortSpec::Named => common::ports::find_port(PORT_NAME).ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no virtio-serial port named {PORT_NAME}"))
            }),
        }
    }
}

/// Opens the port non-blocking and close-on-exec (no session's process
/// may hold it).
pub fn open(path: &PathBuf) -> io::Result<OwnedFd> {
    let is_socket = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket());
    let fd = if is_socket {
        OwnedFd::from(UnixStream::connect(path)?)
    } else {
        sys::open(path, libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC)?
    };
    sys::set_nonblocking(fd.as_raw_fd())?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_over_the_argument_and_empty_means_unset() {
        let some = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(PortSpec::from(some("/a"), some("/b")), PortSpec::Path("/a".into()));
        assert_eq!(PortSpec::from(some(""), some("/b")), PortSpec::Path("/b".into()));
        assert_eq!(PortSpec::from(None, None), PortSpec::Named);
        assert_eq!(PortSpec::from(some(""), some("")), PortSpec::Named);
    }

    #[test]
    fn a_unix_socket_is_connected_to_and_a_missing_path_is_an_error() {
        let dir = std::env::temp_dir().join(format!("krun-agent-port-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let opened = open(&path);
        let accepted = listener.accept();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(opened.is_ok());
        assert!(accepted.is_ok());
        assert!(open(&dir.join("missing")).is_err());
    }
}
