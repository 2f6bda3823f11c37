//! Guest networking at boot: the loopback interface, DHCP on eth0
//! (`KRUN_DHCP=1`) and libkrun's TSI dummy interface (`tsi_hijack`).
//! Nothing here is fatal: failures are warnings and the workload starts.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;

use crate::console;
use crate::dhcp::{self, Reply, Timing, UdpTransport};
use crate::netlink::{self, Netlink};
use crate::sys;

pub const DHCP_INTERFACE: &str = "eth0";
pub const RESOLV_CONF: &str = "/etc/resolv.conf";
/// libkrun's TSI dummy interface and its address (PR #696: 203.0.113.1/24,
/// a documentation range that collides with nothing real).
pub const TSI_INTERFACE: &str = "dummy0";
pub const TSI_ADDRESS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
pub const TSI_PREFIX: u8 = 24;

/// Brings `name` up (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP added).
fn interface_up(sock: &OwnedFd, name: &str) -> io::Result<()> {
    let flags = sys::interface_flags(sock, name)?;
    let up = libc::IFF_UP as libc::c_short;
    if flags & up == 0 {
        sys::set_interface_flags(sock, name, flags | up)?;
    }
    Ok(())
}

/// Brings `lo` up.
pub fn loopback_up() -> io::Result<()> {
    interface_up(&sys::inet_dgram_socket()?, "lo")
}

/// The resolv.conf text for the offered DNS servers.
pub fn resolv_conf(servers: &[Ipv4Addr]) -> String {
    servers.iter().map(|s| format!("nameserver {s}\n")).collect()
}

/// Whether a resolv.conf text already names every one of `servers` on a
/// `nameserver` line (as the one krunctl serves on a read-only NullFs root
/// does), so that there is nothing to write.
pub fn lists_servers(existing: &str, servers: &[Ipv4Addr]) -> bool {
    let listed: Vec<Ipv4Addr> = existing
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver")).then(|| words.next()?.parse().ok()).flatten()
        })
        .collect();
    servers.iter().all(|s| listed.contains(s))
}

/// Applies a lease through rtnetlink: the address with its prefix, the MTU
/// when the server gave one, the default route when it named a router;
/// then `/etc/resolv.conf` when it offered DNS servers. Each failure is a
/// warning naming its step.
fn apply(interface: &str, lease: &Reply) {
    let index = match sys::interface_index(interface) {
        Ok(index) => index,
        Err(e) => return console::warn(&format!("DHCP: {interface} index"), sys::reason(&e)),
    };
    let mut nl = match Netlink::open() {
        Ok(nl) => nl,
        Err(e) => return console::warn("DHCP: netlink socket", sys::reason(&e)),
    };
    let prefix = lease.prefix_or_default();
    if let Err(e) = nl.request(|seq| netlink::new_address(seq, index, lease.address, prefix)) {
        // Without the address, the route cannot be added either.
        return console::warn(&format!("DHCP: add address {}/{prefix} to {interface}", lease.address), sys::reason(&e));
    }
    if let Some(mtu) = lease.mtu
        && let Err(e) = nl.request(|seq| netlink::set_mtu(seq, index, u32::from(mtu)))
    {
        console::warn(&format!("DHCP: set {interface} MTU {mtu}"), sys::reason(&e));
    }
    if let Some(router) = lease.router
        && let Err(e) = nl.request(|seq| netlink::new_default_route(seq, index, router))
    {
        console::warn(&format!("DHCP: add default route via {router}"), sys::reason(&e));
    }
    if !lease.dns.is_empty()
        && !std::fs::read_to_string(RESOLV_CONF).is_ok_and(|text| lists_servers(&text, &lease.dns))
        && let Err(e) = std::fs::write(RESOLV_CONF, resolv_conf(&lease.dns))
    {
        console::warn(
            &format!("DHCP: write {RESOLV_CONF}"),
            format!("{}; DNS servers not configured", sys::reason(&e)),
        );
    }
}

/// With `KRUN_DHCP=1`: bring eth0 up, get a lease, apply it.
pub fn dhcp() {
    let interface = DHCP_INTERFACE;
    let sock = match sys::inet_dgram_socket() {
        Ok(sock) => sock,
        Err(e) => return console::warn("DHCP: socket", sys::reason(&e)),
    };
    match sys::interface_flags(&sock, interface) {
        Ok(_) => {}
        Err(e) if sys::errno(&e) == libc::ENODEV => {
            return console::warn("DHCP", format!("KRUN_DHCP=1 but there is no {interface}"));
        }
        Err(e) => return console::warn(&format!("DHCP: {interface} flags"), sys::reason(&e)),
    }
    if let Err(e) = interface_up(&sock, interface) {
        return console::warn(&format!("DHCP: {interface} up"), sys::reason(&e));
    }
    let mac = match sys::interface_hwaddr(&sock, interface) {
        Ok(mac) => mac,
        Err(e) => return console::warn(&format!("DHCP: {interface} hardware address"), sys::reason(&e)),
    };
    let mut transport = match UdpTransport::open(interface) {
        Ok(t) => t,
        Err(e) => return console::warn(&format!("DHCP: UDP socket on {interface}:68"), sys::reason(&e)),
    };
    match dhcp::negotiate(&mut transport, sys::random_u32(), mac, &Timing::default()) {
        Ok(lease) => apply(interface, &lease),
        Err(reason) => console::warn(&format!("DHCP on {interface}"), reason),
    }
}

/// With `tsi_hijack` on the kernel command line: dummy0 up with
/// 203.0.113.1/24. A kernel without dummy0 (ENODEV) is silently fine.
pub fn tsi_dummy() {
    let result = sys::inet_dgram_socket().and_then(|sock| interface_up(&sock, TSI_INTERFACE)).and_then(|()| {
        let index = sys::interface_index(TSI_INTERFACE)?;
        Netlink::open()?.request(|seq| netlink::new_address(seq, index, TSI_ADDRESS, TSI_PREFIX))
    });
    match result {
        Err(e) if sys::errno(&e) == libc::ENODEV => {}
        Err(e) => console::warn(&format!("{TSI_INTERFACE} {TSI_ADDRESS}/{TSI_PREFIX}"), sys::reason(&e)),
        Ok(()) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// `struct ifreq` with the 24-byte union viewed as raw bytes.
    #[repr(C)]
    struct IfReqRaw {
        name: [libc::c_char; libc::IFNAMSIZ],
        data: [u8; 24],
    }

    fn ifreq_get(sock: &OwnedFd, name: &str, request: libc::c_ulong) -> [u8; 24] {
        let mut req = IfReqRaw { name: [0; libc::IFNAMSIZ], data: [0; 24] };
        for (dst, src) in req.name.iter_mut().zip(name.as_bytes()) {
            *dst = *src as libc::c_char;
        }
        // SAFETY: the request reads and writes one struct ifreq, which `req` is.
        let ret = unsafe { libc::ioctl(sock.as_raw_fd(), request, &mut req) };
        assert_eq!(ret, 0, "ioctl {request:#x}: {}", io::Error::last_os_error());
        req.data
    }

    /// The rtnetlink messages, sent to the real kernel: in a network
    /// namespace of this test thread's own (network namespaces are per
    /// thread), on its loopback interface. Skipped where unshare is refused.
    #[test]
    fn kernel_accepts_the_address_mtu_and_route_messages() {
        // SAFETY: affects only this thread, which ends with the test.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            eprintln!("skipped: unshare(CLONE_NEWNET): {}", io::Error::last_os_error());
            return;
        }
        loopback_up().unwrap();
        let index = sys::interface_index("lo").unwrap();
        let mut nl = Netlink::open().unwrap();
        nl.request(|seq| netlink::new_address(seq, index, Ipv4Addr::new(10, 1, 2, 3), 24)).unwrap();
        // Replacing the same address again is no error (NLM_F_REPLACE).
        nl.request(|seq| netlink::new_address(seq, index, Ipv4Addr::new(10, 1, 2, 3), 24)).unwrap();
        nl.request(|seq| netlink::set_mtu(seq, index, 1400)).unwrap();
        nl.request(|seq| netlink::new_default_route(seq, index, Ipv4Addr::new(10, 1, 2, 1))).unwrap();
        // A refusal comes back as the kernel's errno.
        let refused = nl.request(|seq| netlink::set_mtu(seq, 9999, 1400)).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::ENODEV));

        // Binding works only to local addresses; on loopback the whole
        // prefix is local, which shows the /24 too.
        let bind = |a, b, c, d| {
            let sock = sys::inet_dgram_socket().unwrap();
            sys::bind_inet(&sock, std::net::SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), 0))
        };
        bind(10, 1, 2, 3).unwrap();
        bind(10, 1, 2, 254).unwrap();
        assert_eq!(bind(10, 1, 3, 1).unwrap_err().raw_os_error(), Some(libc::EADDRNOTAVAIL));
        let sock = sys::inet_dgram_socket().unwrap();
        let mtu = ifreq_get(&sock, "lo", libc::SIOCGIFMTU);
        assert_eq!(i32::from_ne_bytes([mtu[0], mtu[1], mtu[2], mtu[3]]), 1400);
        // /proc/thread-self/net: this thread's namespace, not the process's.
        let routes = std::fs::read_to_string("/proc/thread-self/net/route").unwrap();
        let default = routes.lines().find(|l| l.split('\t').nth(1) == Some("00000000")).expect("a default route");
        let gateway = u32::from_str_radix(default.split('\t').nth(2).unwrap(), 16).unwrap();
        assert_eq!(gateway.to_ne_bytes(), [10, 1, 2, 1]);
    }

    #[test]
    fn resolv_conf_has_one_nameserver_line_per_server() {
        assert_eq!(
            resolv_conf(&[Ipv4Addr::new(10, 0, 2, 3), Ipv4Addr::new(1, 1, 1, 1)]),
            "nameserver 10.0.2.3\nnameserver 1.1.1.1\n"
        );
        assert_eq!(resolv_conf(&[]), "");
    }

    #[test]
    fn a_resolv_conf_naming_every_offered_server_is_left_alone() {
        let dns = [Ipv4Addr::new(10, 0, 2, 3)];
        assert!(lists_servers("nameserver 10.0.2.3\n", &dns));
        assert!(lists_servers("# krunctl\nsearch lan\nnameserver\t10.0.2.3 \nnameserver 1.1.1.1\n", &dns));
        assert!(lists_servers(&resolv_conf(&[Ipv4Addr::new(1, 1, 1, 1), dns[0]]), &[dns[0], Ipv4Addr::new(1, 1, 1, 1)]));
        assert!(!lists_servers("", &dns));
        assert!(!lists_servers("nameserver 10.0.2.30\n", &dns));
        assert!(!lists_servers("# nameserver 10.0.2.3\n", &dns));
        assert!(!lists_servers("nameserver 10.0.2.3\n", &[dns[0], Ipv4Addr::new(8, 8, 8, 8)]));
        assert!(!lists_servers("nameservers 10.0.2.3\n", &dns));
    }
}
