//! krunctl's stdio ports and which standard descriptor each replaces.
//! Finding ports by name is shared with the agent (`common::ports`).

use std::os::fd::RawFd;

use libc::c_int;

pub use common::ports::{DEV_DIR, PORTS_DIR, find_port, scan_ports};

pub const STDIN_PORT: &str = "krun-stdin";
pub const STDOUT_PORT: &str = "krun-stdout";
pub const STDERR_PORT: &str = "krun-stderr";

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

    #[test]
    fn only_the_three_krun_ports_redirect() {
        assert_eq!(redirect_target("krun-stdin"), Some((0, libc::O_RDONLY)));
        assert_eq!(redirect_target("krun-stdout"), Some((1, libc::O_WRONLY)));
        assert_eq!(redirect_target("krun-stderr"), Some((2, libc::O_WRONLY)));
        assert_eq!(redirect_target("krun-stdout\n"), None);
        assert_eq!(redirect_target("org.qemu.guest_agent.0"), None);
    }
}
