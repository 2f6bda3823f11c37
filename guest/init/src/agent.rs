//! Starting krunctl's guest agent (`krun-agent`, see guest/agent) beside
//! the workload.
//!
//! krunctl serves the agent as the virtual file `/.krun_agent`. The init
//! opens it before the root can change (a block root replaces `/`) and
//! execs it through that descriptor later (execveat with AT_EMPTY_PATH),
//! so the agent runs whatever root the workload ends up with. A host that
//! serves no agent (an older krunctl) simply gets none.
//!
//! The agent is PID 1's child, never the workload's parent: the workload's
//! stdio, signals and exit code are untouched, and `exec::wait_for` waits
//! for the workload's pid only, so the agent's exit, or crash, is reaped
//! like any other orphan. In PID 1 mode the init becomes the workload, so
//! the agent started just before the exec is the workload's child: a
//! workload that reaps unknown children (any real init) is unaffected, and
//! exec into such a VM is worth more than that one extra child.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use crate::console;
use crate::env::DEFAULT_PATH;
use crate::sys::{self, Fork};

/// Where krunctl's root device serves the agent binary.
pub const AGENT_PATH: &str = "/.krun_agent";
/// The agent's argv[0].
pub const AGENT_NAME: &str = "krun-agent";

/// Opens the agent binary, if the host serves one; any failure other than
/// its absence is a warning (the workload runs without an agent).
pub fn open() -> Option<OwnedFd> {
    match sys::open(AGENT_PATH, libc::O_RDONLY | libc::O_CLOEXEC) {
        // Opened before /dev is there to fill 0-2 (see sys::above_stdio).
        Ok(fd) => Some(sys::above_stdio(fd)),
        Err(e) if sys::errno(&e) == libc::ENOENT => None,
        Err(e) => {
            console::warn(&format!("open {AGENT_PATH}"), format!("{}; no agent", sys::reason(&e)));
            None
        }
    }
}

/// The agent's environment: a PATH and, if set, the workload's TERM (for
/// terminal sessions that do not bring their own); nothing else of the
/// workload's, which exec requests replace entirely anyway.
pub fn environment(term: Option<&OsStr>) -> Vec<CString> {
    let mut env = vec![CString::new(format!("PATH={DEFAULT_PATH}")).unwrap_or_default()];
    if let Some(term) = term {
        let mut entry = b"TERM=".to_vec();
        entry.extend_from_slice(term.as_bytes());
        if let Ok(entry) = CString::new(entry) {
            env.push(entry);
        }
    }
    env
}

/// Forks the agent: a session of its own, stdio on /dev/null, no other
/// descriptor, default signal state. Must be called while the init is
/// single-threaded. Failures are warnings. The agent's pid, which nobody
/// waits for by name (see the module comment); the tests do.
pub fn start(agent: OwnedFd) -> Option<libc::pid_t> {
    let argv = [CString::new(AGENT_NAME).unwrap_or_default()];
    let envp = environment(std::env::var_os("TERM").as_deref());
    match sys::fork() {
        Ok(Fork::Child) => {
            sys::reset_signals();
            // Cannot fail: a fresh child leads no process group.
            let _ = sys::setsid();
            if let Ok(null) = sys::open("/dev/null", libc::O_RDWR | libc::O_CLOEXEC) {
                for target in 0..3 {
                    let _ = sys::dup2(null.as_raw_fd(), target);
                }
            }
            // Its messages go to the kernel log (dmesg, and the console with
            // --verbose), never into the workload's streams.
            if let Ok(kmsg) = sys::open("/dev/kmsg", libc::O_WRONLY | libc::O_CLOEXEC) {
                let _ = sys::dup2(kmsg.as_raw_fd(), 2);
            }
            // The init's own descriptors (console, stderr port, control
            // port) are close-on-exec already; this covers any that are not.
            let _ = sys::cloexec_from(3);
            // By its path first: on krunctl's own kernel the descriptor opened
            // at boot was seen to refuse execution (EACCES, now and on every
            // retry) in about one boot in three on a loaded host, while the
            // path ran the same file. The descriptor stays for a root that has
            // moved (a block root), where the path no longer leads to it.
            let path = CString::new(AGENT_PATH).unwrap_or_default();
            let by_path = sys::execve_with(&path, &argv, &envp);
            let by_fd = sys::fexecve(&agent, &argv, &envp);
            let why = format!("krun-init: start the agent: {}; by its descriptor: {}\n", sys::reason(&by_path),
                sys::reason(&by_fd));
            let _ = sys::write_all(2, why.as_bytes());
            sys::exit_now(127)
        }
        Ok(Fork::Parent(pid)) => Some(pid),
        Err(e) => {
            console::warn("start the agent: fork", sys::reason(&e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_gets_a_path_and_the_terminal_type_only() {
        let env = |term: Option<&str>| -> Vec<String> {
            environment(term.map(OsStr::new)).into_iter().map(|e| e.into_string().unwrap()).collect()
        };
        let path = format!("PATH={DEFAULT_PATH}");
        assert_eq!(env(None), vec![path.clone()]);
        assert_eq!(env(Some("xterm-256color")), vec![path.clone(), "TERM=xterm-256color".into()]);
        assert_eq!(env(Some("bad\0term")), vec![path], "a NUL byte drops TERM, not the agent");
    }

    #[test]
    fn the_agent_is_executed_through_its_descriptor() {
        // A shell stands in for the agent: with stdin on /dev/null it ends
        // at once, with status 0 if the exec worked (127 if not).
        let shell = sys::open("/bin/sh", libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
        let pid = start(shell).unwrap();
        let status = sys::wait(pid).unwrap();
        assert!(libc::WIFEXITED(status), "status {status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0);
    }
}
