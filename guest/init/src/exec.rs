//! Starting the workload: stdio redirection to the host's virtio ports,
//! its user (the config's `process.user`), fork/exec, and waiting for it
//! while reaping every other child.

use std::ffi::{CString, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use libc::c_int;

use crate::agent;
use crate::config::User;
use crate::console;
use crate::control;
use crate::exit::{self, CANNOT_EXECUTE, NOT_FOUND, SETUP_FAILED};
use crate::ports::{DEV_DIR, PORTS_DIR, find_port, redirect_target, scan_ports};
use crate::sys::{self, Failure, Fork, Step};
use crate::tty;

/// The workload's stdio ports, opened by PID 1 (close-on-exec): the host
/// creates `krun-stdin`, `krun-stdout` and `krun-stderr` only for host
/// streams that are not terminals; the others stay on the console.
///
/// They are opened before the fork, not in the child, because a virtio
/// port admits one opener at a time: sharing the open port lets PID 1 keep
/// writing its own messages to `krun-stderr` while the workload runs. The
/// stderr port is the one PID 1 has held since before any root switch
/// (`console::keep_host_stderr`), duplicated.
#[derive(Default)]
pub struct StdioPorts {
    /// Indexed by the descriptor each replaces (0, 1, 2).
    ports: [Option<(OwnedFd, PathBuf)>; 3],
}

impl StdioPorts {
    /// Opens the ports the host created. Failing to list the ports is
    /// fatal (as in libkrun); a port that cannot be opened leaves its
    /// descriptor on the console, with a warning.
    pub fn open() -> Result<Self, Failure> {
        let listed = scan_ports(Path::new(PORTS_DIR), Path::new(DEV_DIR)).with_step(|| format!("open {PORTS_DIR}"))?;
        let mut ports = StdioPorts::default();
        for port in listed {
            let Some((target, flags)) = redirect_target(&port.name) else { continue };
            // The stderr port PID 1 holds already cannot be opened twice.
            let opened = match console::kept_host_stderr() {
                Some(kept) if target == 2 => kept.try_clone(),
                _ => sys::open(&port.device, flags | libc::O_NOCTTY | libc::O_CLOEXEC),
            };
            match opened {
                Ok(fd) => ports.ports[target as usize] = Some((fd, port.device)),
                Err(e) => console::warn(&format!("open {} ({})", port.name, port.device.display()), sys::reason(&e)),
            }
        }
        if let Some((fd, _)) = &ports.ports[2] {
            console::set_host_stderr(fd.as_raw_fd());
        }
        Ok(ports)
    }

    /// Points fds 0, 1 and 2 at the opened ports (dup2 leaves the copies
    /// without close-on-exec). A failure leaves that descriptor as it was.
    pub fn redirect(&self) {
        for (target, port) in self.ports.iter().enumerate() {
            let Some((fd, device)) = port else { continue };
            if let Err(e) = sys::dup2(fd.as_raw_fd(), target as RawFd) {
                console::local(format!("warning: redirect fd {target} to {}: {}", device.display(), sys::reason(&e)));
            }
        }
    }

    /// PID 1 after the fork: only the stderr port stays open, for messages.
    pub fn keep_stderr_only(&mut self) {
        self.ports[0] = None;
        self.ports[1] = None;
    }

    /// After an in-place redirect (PID 1 mode) fd 2 is the port itself.
    pub fn close_all(&mut self) {
        console::set_host_stderr(-1);
        self.ports = Default::default();
    }
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

/// Execs the workload; returns only if that failed, with the exit code to
/// report (the message has been written to fd 2 already).
fn exec(argv: &[CString]) -> c_int {
    let error = sys::execvp(argv);
    let program = argv.first().map_or_else(String::new, |p| p.to_string_lossy().into_owned());
    console::local(format!("cannot execute {program}: {}", sys::reason(&error)));
    exec_failure_code(&error)
}

/// One change of the workload's credentials, made in its own process just
/// before the exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// `setgroups`: exactly these supplementary groups.
    Groups(&'a [u32]),
    Gid(u32),
    Uid(u32),
    Umask(u32),
}

/// The step name in failure messages (`krun-init: setuid 1000: <reason>`).
impl fmt::Display for Credential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Groups(groups) => write!(f, "setgroups {groups:?}"),
            Credential::Gid(gid) => write!(f, "setgid {gid}"),
            Credential::Uid(uid) => write!(f, "setuid {uid}"),
            Credential::Umask(mask) => write!(f, "umask {mask:03o}"),
        }
    }
}

/// The changes `user` asks for, in the order they must be made: the
/// supplementary groups (exactly `additionalGids`, none without it, as
/// runc does) and the gid while the process is still root, since setuid
/// drops the privilege to change them; then the uid; then the umask, if
/// given.
pub fn credential_steps(user: &User) -> Vec<Credential<'_>> {
    let mut steps =
        vec![Credential::Groups(&user.additional_gids), Credential::Gid(user.gid), Credential::Uid(user.uid)];
    steps.extend(user.umask.map(Credential::Umask));
    steps
}

fn apply_credential(step: Credential<'_>) -> io::Result<()> {
    match step {
        Credential::Groups(groups) => sys::setgroups(groups),
        Credential::Gid(gid) => sys::setgid(gid),
        Credential::Uid(uid) => sys::setuid(uid),
        Credential::Umask(mask) => {
            sys::umask(mask);
            Ok(())
        }
    }
}

/// Makes `user`'s changes through `apply`, in order; the first failure
/// stops them and names its step.
fn change_credentials<'u>(
    user: &'u User,
    mut apply: impl FnMut(Credential<'u>) -> io::Result<()>,
) -> Result<(), Failure> {
    for step in credential_steps(user) {
        apply(step).with_step(|| step.to_string())?;
    }
    Ok(())
}

/// Makes the calling process (the workload's, just before its exec) run as
/// `user`; nothing changes without one. Called after the stdio redirect and
/// `take_console`, which need root (TIOCSCTTY).
fn become_user(user: Option<&User>) -> Result<(), Failure> {
    user.map_or(Ok(()), |user| change_credentials(user, apply_credential))
}

/// Gives the calling session leader the console as controlling terminal;
/// a failure is a warning (the workload runs without job control).
fn take_console() {
    if let Err(e) = tty::take_controlling_terminal() {
        console::local(format!("warning: console as controlling terminal: {}", sys::reason(&e)));
    }
}

/// Runs the workload and ends the VM with its exit code.
///
/// Default mode: fork; the child starts a session, takes its stdio ports
/// and the console as controlling terminal, and execs; the parent (PID 1)
/// starts the agent (if krunctl serves one), serves the control port and
/// reaps every child until the workload ends, then reports the code. PID 1
/// mode (`pid1`): the agent and the control port's reader are started as
/// children, then the same set-up and exec in place; no code is reported
/// (the kernel panics when PID 1 exits, naming its status, which the host
/// reads), but a failure to exec still ends the VM with 126/127.
///
/// In both modes the workload's process becomes `user` (if given) last
/// before the exec; a failure is written to its fd 2 and ends it, and the
/// VM, with 125. The agent is started before and stays root.
pub fn run(
    argv: &[OsString],
    pid1: bool,
    console_tty: Option<OwnedFd>,
    agent: Option<OwnedFd>,
    user: Option<&User>,
) -> ! {
    let argv = match c_argv(argv) {
        Ok(argv) => argv,
        Err(failure) => exit::fatal(&failure),
    };
    let mut ports = match StdioPorts::open() {
        Ok(ports) => ports,
        Err(failure) => exit::fatal(&failure),
    };
    if pid1 {
        // Before the exec, or never: the agent becomes the workload's child
        // (see agent.rs).
        if let Some(agent) = agent {
            let _ = agent::start(agent);
        }
        start_control_relay(&mut ports, console_tty.as_ref());
        // PID 1 already leads its own session (main's setsid). When all
        // three ports exist the redirect closes the last descriptors of the
        // console, and the kernel then drops it as controlling terminal
        // again: as in libkrun, a PID 1 workload has one only in TTY mode.
        ports.redirect();
        ports.close_all();
        take_console();
        drop(console_tty);
        if let Err(failure) = become_user(user) {
            console::local(&failure);
            exit::finish(SETUP_FAILED);
        }
        exit::finish(exec(&argv));
    }
    let child = match sys::fork() {
        Ok(Fork::Child) => {
            // setsid cannot fail here: the fresh child leads no group.
            let _ = sys::setsid();
            ports.redirect();
            take_console();
            if let Err(failure) = become_user(user) {
                console::local(&failure);
                sys::exit_now(SETUP_FAILED);
            }
            sys::exit_now(exec(&argv))
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => exit::fatal(&Failure { step: "fork".into(), error: e }),
    };
    ports.keep_stderr_only();
    // After the workload's fork, so the agent is its sibling, and before
    // the control thread, so the init still forks single-threaded.
    if let Some(agent) = agent {
        let _ = agent::start(agent);
    }
    if let Some(device) = find_port(control::PORT_NAME) {
        let pidfd = sys::pidfd_open(child).ok();
        control::start(
            &device,
            control::Targets { pid: child, pidfd, console: console_tty, clock: Default::default() },
        );
    }
    exit::finish(wait_for(child));
}

/// PID 1 mode: forks the reader of the control port, which must outlive the
/// exec (see `control`). Its stdio goes to /dev/null and it keeps only the
/// stderr port, for warnings: holding the workload's stdin or stdout port
/// would hide the workload's own close from the host. It keeps the console
/// only in terminal mode (not every stdio port exists), where window sizes
/// arrive and the console is the workload's anyway; elsewhere a descriptor
/// held open would keep the console the workload's controlling terminal.
fn start_control_relay(ports: &mut StdioPorts, console_tty: Option<&OwnedFd>) {
    let Some(device) = find_port(control::PORT_NAME) else { return };
    let terminal_mode = ports.ports.iter().any(Option::is_none);
    match sys::fork() {
        Ok(Fork::Child) => {
            ports.keep_stderr_only();
            if let Ok(null) = sys::open("/dev/null", libc::O_RDWR | libc::O_CLOEXEC) {
                for target in 0..3 {
                    let _ = sys::dup2(null.as_raw_fd(), target);
                }
            }
            let console = if terminal_mode { console_tty.and_then(|c| c.try_clone().ok()) } else { None };
            control::serve_here(&device, control::Targets { pid: 1, pidfd: None, console, clock: Default::default() });
            sys::exit_now(0)
        }
        Ok(Fork::Parent(_)) => {}
        Err(e) => console::warn("control: fork its reader", sys::reason(&e)),
    }
}

/// Reaps children until `child` ends; its exit code, or 125 if it vanished.
/// Any other child (the agent, orphans the workload left) is only reaped:
/// its end never ends the VM.
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

    fn user(additional_gids: &[u32], umask: Option<u32>) -> User {
        User { uid: 1000, gid: 100, additional_gids: additional_gids.to_vec(), umask }
    }

    #[test]
    fn credentials_change_groups_then_gid_then_uid_then_umask() {
        let full = user(&[10, 27], Some(0o022));
        assert_eq!(
            credential_steps(&full),
            [Credential::Groups(&[10, 27]), Credential::Gid(100), Credential::Uid(1000), Credential::Umask(0o022)]
        );
        // Without additionalGids the groups are still set, to none; without
        // a umask it is left alone.
        let bare = user(&[], None);
        assert_eq!(credential_steps(&bare), [Credential::Groups(&[]), Credential::Gid(100), Credential::Uid(1000)]);
    }

    #[test]
    fn credentials_are_applied_in_order() {
        let full = user(&[10], Some(0o077));
        let mut made = Vec::new();
        let result = change_credentials(&full, |step| {
            made.push(step.to_string());
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(made, ["setgroups [10]", "setgid 100", "setuid 1000", "umask 077"]);
    }

    #[test]
    fn a_failed_credential_step_stops_the_rest_and_names_itself() {
        let full = user(&[], Some(0o022));
        let mut made = Vec::new();
        let failure = change_credentials(&full, |step| {
            made.push(step);
            match step {
                Credential::Gid(_) => Err(io::Error::from_raw_os_error(libc::EPERM)),
                _ => Ok(()),
            }
        })
        .err();
        assert_eq!(made, [Credential::Groups(&[]), Credential::Gid(100)]);
        assert_eq!(failure.map(|f| f.to_string()).as_deref(), Some("setgid 100: Operation not permitted"));
    }

    #[test]
    fn no_user_changes_no_credentials() {
        // Makes no system call: safe when the tests run as root.
        assert!(become_user(None).is_ok());
    }
}
