//! Guest networking at boot: the loopback interface.

use std::io;

use crate::sys;

/// Brings `lo` up (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP added).
pub fn loopback_up() -> io::Result<()> {
    let sock = sys::inet_dgram_socket()?;
    let flags = sys::interface_flags(&sock, "lo")?;
    let up = libc::IFF_UP as libc::c_short;
    if flags & up == 0 {
        sys::set_interface_flags(&sock, "lo", flags | up)?;
    }
    Ok(())
}
