//! Starting the workload: stdio redirection to the host's virtio ports,
//! fork/exec, and waiting for it while reaping every other child.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::path::{Path, PathBuf};

use libc::c_int;

use crate::console;
use crate::exit;
use crate::sys::{self, Failure, Fork, Step};

pub const PORTS_DIR: &str = "/sys/class/virtio-ports";
pub const DEV_DIR: &str = "/dev";
pub const STDIN_PORT: &str = "krun-stdin";
pub const STDOUT_PORT: &str = "krun-stdout";
pub const STDERR_PORT: &str = "krun-stderr";

/// Exit code when the init cannot set up the workload's environment.
pub const SETUP_FAILED: c_int = 125;
/// Exit code when the command exists but cannot be executed.
pub const CANNOT_EXECUTE: c_int = 126;
/// Exit code when the command is not found.
pub const NOT_FOUND: c_int = 127;

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

/// Points fds 0, 1 and 2 at the `krun-stdin`, `krun-stdout` and
/// `krun-stderr` ports where the host created them (it does so only for
/// host streams that are not terminals; the others stay on the console).
/// Failing to list the ports is fatal; a port that cannot be opened leaves
/// its descriptor on the console, with a warning.
pub fn setup_redirects() -> Result<(), Failure> {
    let ports = scan_ports(Path::new(PORTS_DIR), Path::new(DEV_DIR)).with_step(|| format!("open {PORTS_DIR}"))?;
    for port in ports {
        let Some((target, flags)) = redirect_target(&port.name) else { continue };
        let opened = sys::open(&port.device, flags | libc::O_NOCTTY).and_then(|fd| {
            if fd.as_raw_fd() == target {
                // Opened straight onto the closed target descriptor: keep it.
                let _ = fd.into_raw_fd();
                Ok(())
            } else {
                sys::dup2(fd.as_raw_fd(), target)
            }
        });
        if let Err(e) = opened {
            console::local(format!(
                "warning: redirect {} to {}: {}",
                port.name,
                port.device.display(),
                sys::reason(&e)
            ));
        }
    }
    Ok(())
}

/// The code reported when exec fails: 127 if the command was not found,
/// 126 for anything else.
pub fn exec_failure_code(error: &io::Error) -> c_int {
    if sys::errno(error) == libc::ENOENT { NOT_FOUND } else { CANNOT_EXECUTE }
}

/// The workload's exit code from a raw wait status: its exit status, or
/// 128 + the signal that killed it. `None` for stop/continue reports.
pub fn status_to_code(status: c_int) -> Option<c_int> {
    if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Some(128 + libc::WTERMSIG(status))
    } else {
        None
    }
}

fn c_argv(argv: &[OsString]) -> Result<Vec<CString>, Failure> {
    if argv.is_empty() {
        return Err(Failure { step: "command".into(), error: sys::invalid("empty command line") });
    }
    argv.iter().map(sys::cstring).collect::<io::Result<Vec<_>>>().step("command")
}

/// Redirects and execs; returns only if that failed, with the exit code to
/// report (the message has been written to fd 2 already).
fn redirect_and_exec(argv: &[CString]) -> c_int {
    if let Err(failure) = setup_redirects() {
        console::local(&failure);
        return SETUP_FAILED;
    }
    let error = sys::execvp(argv);
    let program = argv.first().map_or_else(String::new, |p| p.to_string_lossy().into_owned());
    console::local(format!("cannot execute {program}: {}", sys::reason(&error)));
    exec_failure_code(&error)
}

/// Runs the workload and ends the VM with its exit code.
///
/// Default mode: fork; the child redirects its stdio and execs; the parent
/// (PID 1) reaps every child until the workload ends, then reports the code.
/// PID 1 mode (`pid1`): redirect and exec in place; no code is reported on
/// success, but a failure to exec still ends the VM with 126/127.
pub fn run(argv: &[OsString], pid1: bool) -> ! {
    let argv = match c_argv(argv) {
        Ok(argv) => argv,
        Err(failure) => exit::fatal(&failure),
    };
    if pid1 {
        let code = redirect_and_exec(&argv);
        exit::finish(code);
    }
    let child = match sys::fork() {
        Ok(Fork::Child) => sys::exit_now(redirect_and_exec(&argv)),
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => exit::fatal(&Failure { step: "fork".into(), error: e }),
    };
    exit::finish(wait_for(child));
}

/// Reaps children until `child` ends; its exit code, or 125 if it vanished.
fn wait_for(child: libc::pid_t) -> c_int {
    loop {
        match sys::wait_any() {
            Ok((pid, status)) if pid == child => {
                if let Some(code) = status_to_code(status) {
                    return code;
                }
            }
            Ok(_) => continue,
            Err(e) => {
                console::warn("waitpid", sys::reason(&e));
                return SETUP_FAILED;
            }
        }
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

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(status_to_code(0), Some(0));
        assert_eq!(status_to_code(3 << 8), Some(3));
        assert_eq!(status_to_code(255 << 8), Some(255));
        assert_eq!(status_to_code(libc::SIGKILL), Some(137));
        assert_eq!(status_to_code(libc::SIGSEGV | 0x80), Some(139)); // core dumped
        assert_eq!(status_to_code(0x137f), None); // stopped by SIGSTOP
    }

    #[test]
    fn exec_failures_map_to_126_and_127() {
        assert_eq!(exec_failure_code(&io::Error::from_raw_os_error(libc::ENOENT)), 127);
        assert_eq!(exec_failure_code(&io::Error::from_raw_os_error(libc::EACCES)), 126);
        assert_eq!(exec_failure_code(&io::Error::from_raw_os_error(libc::ENOEXEC)), 126);
    }

    #[test]
    fn a_nul_byte_in_the_command_is_a_setup_failure_not_a_panic() {
        let failure = c_argv(&["/bin/echo".into(), "a\0b".into()]).err();
        assert_eq!(failure.map(|f| f.step), Some("command".to_owned()));
        assert!(c_argv(&[]).is_err());
    }
}
