//! A DHCPv4 client for one interface, as libkrun's init has: DISCOVER with
//! Rapid Commit (RFC 4039, option 80); an ACK in reply is used at once,
//! otherwise the OFFER is answered with a REQUEST and the ACK awaited (the
//! 4-message exchange of RFC 2131, which servers without Rapid Commit need,
//! QEMU's user-mode network among them). No renewal: the lease is applied
//! once, as libkrun does.
//!
//! The packet codec is pure (`discover`, `request`, `parse_reply`); the
//! exchange runs over a `Transport`, the real one being a UDP socket bound
//! to the interface (`SO_BINDTODEVICE`) on 0.0.0.0:68 with `SO_BROADCAST`,
//! sending to 255.255.255.255:67. That works before the interface has an
//! address: the kernel routes a limited broadcast out of the bound device
//! with source 0.0.0.0, and the broadcast flag asks the server to broadcast
//! its reply, which the socket then receives.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::sys;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// op (1) .. file (128): the fixed BOOTP header before the cookie.
pub const HEADER_LEN: usize = 236;
pub const OPTIONS_OFFSET: usize = HEADER_LEN + 4;
/// Requests are padded to this payload size: 576-byte IP datagrams, the
/// size every DHCP party must accept (RFC 2131 §2). libslirp, QEMU's
/// user-mode network, ignores requests shorter than its 576-byte
/// `struct bootp_t` (IP + UDP + BOOTP with a 312-byte option area).
pub const REQUEST_PAYLOAD_LEN: usize = 576 - 20 - 8;

pub const BOOTREQUEST: u8 = 1;
pub const BOOTREPLY: u8 = 2;
const HTYPE_ETHERNET: u8 = 1;
const HLEN_ETHERNET: u8 = 6;
const FLAG_BROADCAST: u16 = 0x8000;

pub const DHCPDISCOVER: u8 = 1;
pub const DHCPOFFER: u8 = 2;
pub const DHCPREQUEST: u8 = 3;
pub const DHCPACK: u8 = 5;
pub const DHCPNAK: u8 = 6;

pub const OPT_PAD: u8 = 0;
pub const OPT_SUBNET_MASK: u8 = 1;
pub const OPT_ROUTER: u8 = 3;
pub const OPT_DNS: u8 = 6;
pub const OPT_MTU: u8 = 26;
pub const OPT_REQUESTED_IP: u8 = 50;
pub const OPT_LEASE_TIME: u8 = 51;
pub const OPT_MESSAGE_TYPE: u8 = 53;
pub const OPT_SERVER_ID: u8 = 54;
pub const OPT_PARAMETER_LIST: u8 = 55;
pub const OPT_RAPID_COMMIT: u8 = 80;
pub const OPT_END: u8 = 255;

/// What the client asks the server to include.
const PARAMETERS: [u8; 5] = [OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_MTU, OPT_LEASE_TIME];

/// The MTU range libkrun accepts from DHCP: IPv6's minimum (whether IPv6
/// is in use is unknown) up to passt's maximum.
pub const MTU_MIN: u16 = 1280;
pub const MTU_MAX: u16 = 65520;

fn request_packet(xid: u32, mac: [u8; 6], options: &[(u8, &[u8])]) -> Vec<u8> {
    let mut p = Vec::with_capacity(REQUEST_PAYLOAD_LEN);
    p.extend_from_slice(&[BOOTREQUEST, HTYPE_ETHERNET, HLEN_ETHERNET, 0]);
    p.extend_from_slice(&xid.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes()); // secs
    p.extend_from_slice(&FLAG_BROADCAST.to_be_bytes());
    p.extend_from_slice(&[0; 16]); // ciaddr, yiaddr, siaddr, giaddr
    p.extend_from_slice(&mac);
    p.extend_from_slice(&[0; 10]); // rest of chaddr
    p.extend_from_slice(&[0; 64 + 128]); // sname, file
    debug_assert_eq!(p.len(), HEADER_LEN);
    p.extend_from_slice(&MAGIC_COOKIE);
    for (code, data) in options {
        p.push(*code);
        p.push(u8::try_from(data.len()).expect("option payloads here are short"));
        p.extend_from_slice(data);
    }
    p.push(OPT_END);
    if p.len() < REQUEST_PAYLOAD_LEN {
        p.resize(REQUEST_PAYLOAD_LEN, OPT_PAD);
    }
    p
}

/// DHCPDISCOVER: broadcast flag, message type 1, Rapid Commit (option 80,
/// empty), and the parameter request list.
pub fn discover(xid: u32, mac: [u8; 6]) -> Vec<u8> {
    request_packet(
        xid,
        mac,
        &[(OPT_MESSAGE_TYPE, &[DHCPDISCOVER]), (OPT_RAPID_COMMIT, &[]), (OPT_PARAMETER_LIST, &PARAMETERS)],
    )
}

/// DHCPREQUEST in the SELECTING state: the offered address (option 50) and
/// the offering server (option 54); ciaddr stays 0 (RFC 2131 §4.3.2).
pub fn request(xid: u32, mac: [u8; 6], address: Ipv4Addr, server: Ipv4Addr) -> Vec<u8> {
    request_packet(
        xid,
        mac,
        &[
            (OPT_MESSAGE_TYPE, &[DHCPREQUEST]),
            (OPT_REQUESTED_IP, &address.octets()),
            (OPT_SERVER_ID, &server.octets()),
            (OPT_PARAMETER_LIST, &PARAMETERS),
        ],
    )
}

/// A server's reply (BOOTREPLY with a DHCP message type), decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub message_type: u8,
    pub xid: u32,
    pub chaddr: [u8; 6],
    /// yiaddr: the address offered or assigned.
    pub address: Ipv4Addr,
    pub server_id: Option<Ipv4Addr>,
    /// The subnet mask as a prefix length.
    pub prefix: Option<u8>,
    /// The first router of option 3.
    pub router: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    /// Option 26, clamped to [`MTU_MIN`, `MTU_MAX`].
    pub mtu: Option<u16>,
    pub lease_secs: Option<u32>,
    pub rapid_commit: bool,
}

impl Reply {
    /// The prefix to configure: the subnet mask's, else the address
    /// class's (RFC 2131 leaves the choice to the client without option 1).
    pub fn prefix_or_default(&self) -> u8 {
        self.prefix.unwrap_or(match self.address.octets()[0] {
            0..=127 => 8,
            128..=191 => 16,
            _ => 24,
        })
    }
}

/// A subnet mask's prefix length; `None` if the mask is not contiguous.
pub fn mask_to_prefix(mask: [u8; 4]) -> Option<u8> {
    let bits = u32::from_be_bytes(mask);
    let prefix = bits.leading_ones();
    (bits.checked_shl(prefix).unwrap_or(0) == 0).then_some(prefix as u8)
}

fn ipv4(data: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(data[0], data[1], data[2], data[3])
}

fn exact_len(code: u8, data: &[u8], len: usize) -> Result<(), String> {
    if data.len() == len { Ok(()) } else { Err(format!("option {code} has length {}, expected {len}", data.len())) }
}

fn address_list(code: u8, data: &[u8]) -> Result<Vec<Ipv4Addr>, String> {
    if data.is_empty() || !data.len().is_multiple_of(4) {
        return Err(format!("option {code} has length {}, expected a multiple of 4", data.len()));
    }
    Ok(data.chunks_exact(4).map(ipv4).collect())
}

/// Decodes a server's reply. Everything a malformed, truncated or foreign
/// packet can hold is an error; nothing panics. Options the client does not
/// use are skipped; the ones it uses must have their RFC 2132 lengths.
/// Option overload (52) is not supported: options hidden in the sname/file
/// fields are ignored.
pub fn parse_reply(packet: &[u8]) -> Result<Reply, String> {
    if packet.len() < OPTIONS_OFFSET {
        return Err(format!("too short ({} bytes)", packet.len()));
    }
    if packet[0] != BOOTREPLY {
        return Err(format!("op {} is not BOOTREPLY", packet[0]));
    }
    if packet[1] != HTYPE_ETHERNET || packet[2] != HLEN_ETHERNET {
        return Err("not an Ethernet reply".into());
    }
    if packet[HEADER_LEN..OPTIONS_OFFSET] != MAGIC_COOKIE {
        return Err("no DHCP magic cookie".into());
    }
    let mut reply = Reply {
        message_type: 0,
        xid: u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]),
        chaddr: [packet[28], packet[29], packet[30], packet[31], packet[32], packet[33]],
        address: ipv4(&packet[16..20]),
        server_id: None,
        prefix: None,
        router: None,
        dns: Vec::new(),
        mtu: None,
        lease_secs: None,
        rapid_commit: false,
    };
    let mut rest = &packet[OPTIONS_OFFSET..];
    // A missing END option is tolerated when the packet ends on an option boundary.
    while let Some((&code, tail)) = rest.split_first() {
        if code == OPT_END {
            break;
        }
        if code == OPT_PAD {
            rest = tail;
            continue;
        }
        let Some((&len, tail)) = tail.split_first() else {
            return Err(format!("option {code} truncated"));
        };
        let Some((data, tail)) = tail.split_at_checked(usize::from(len)) else {
            return Err(format!("option {code} truncated"));
        };
        rest = tail;
        match code {
            OPT_MESSAGE_TYPE => {
                exact_len(code, data, 1)?;
                reply.message_type = data[0];
            }
            OPT_SERVER_ID => {
                exact_len(code, data, 4)?;
                reply.server_id = Some(ipv4(data));
            }
            OPT_SUBNET_MASK => {
                exact_len(code, data, 4)?;
                let prefix = mask_to_prefix([data[0], data[1], data[2], data[3]]);
                reply.prefix = Some(prefix.ok_or_else(|| format!("subnet mask {} is not contiguous", ipv4(data)))?);
            }
            OPT_ROUTER => reply.router = address_list(code, data)?.first().copied(),
            OPT_DNS => reply.dns = address_list(code, data)?,
            OPT_MTU => {
                exact_len(code, data, 2)?;
                reply.mtu = Some(u16::from_be_bytes([data[0], data[1]]).clamp(MTU_MIN, MTU_MAX));
            }
            OPT_LEASE_TIME => {
                exact_len(code, data, 4)?;
                reply.lease_secs = Some(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
            }
            OPT_RAPID_COMMIT => {
                exact_len(code, data, 0)?;
                reply.rapid_commit = true;
            }
            _ => {}
        }
    }
    if reply.message_type == 0 {
        return Err("no DHCP message type".into());
    }
    Ok(reply)
}

/// Where packets go and come from; a UDP socket in the guest, a script in
/// the tests.
pub trait Transport {
    fn send(&mut self, packet: &[u8]) -> io::Result<()>;
    /// One datagram into `buf`, waiting up to `timeout`; `None` on timeout.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>>;
}

/// How long to wait for each answer, and for the whole exchange.
#[derive(Debug, Clone)]
pub struct Timing {
    /// One entry per DISCOVER sent; the REQUEST after an OFFER waits as long
    /// as the DISCOVER that brought it.
    pub waits: Vec<Duration>,
    /// The exchange gives up when this much time has passed.
    pub total: Duration,
}

impl Default for Timing {
    /// Four DISCOVERs waiting 1, 2, 3 and 4 s: at most 10 s in all.
    fn default() -> Self {
        Timing { waits: [1, 2, 3, 4].map(Duration::from_secs).to_vec(), total: Duration::from_secs(10) }
    }
}

/// How many REQUESTs answer one OFFER before the client starts over.
const REQUEST_TRIES: usize = 2;

struct Exchange<'a, T: Transport> {
    transport: &'a mut T,
    xid: u32,
    mac: [u8; 6],
    deadline: Instant,
    ignored: usize,
}

impl<T: Transport> Exchange<'_, T> {
    /// Waits up to `wait` (never past the deadline) for a reply to this
    /// exchange whose type is in `wanted`; other packets are skipped.
    fn await_reply(&mut self, wanted: &[u8], wait: Duration) -> io::Result<Option<Reply>> {
        let until = (Instant::now() + wait).min(self.deadline);
        let mut buf = vec![0u8; 1500];
        loop {
            let now = Instant::now();
            if now >= until {
                return Ok(None);
            }
            let Some(n) = self.transport.recv(&mut buf, until - now)? else {
                return Ok(None);
            };
            match parse_reply(&buf[..n]) {
                Ok(reply) if reply.xid == self.xid && reply.chaddr == self.mac => {
                    if wanted.contains(&reply.message_type) {
                        return Ok(Some(reply));
                    }
                }
                Ok(_) => {} // another client's exchange
                Err(_) => self.ignored += 1,
            }
        }
    }
}

/// Runs the exchange and returns the server's ACK.
pub fn negotiate(transport: &mut impl Transport, xid: u32, mac: [u8; 6], timing: &Timing) -> Result<Reply, String> {
    let mut ex = Exchange { transport, xid, mac, deadline: Instant::now() + timing.total, ignored: 0 };
    let io_error = |e: io::Error| sys::reason(&e);
    let mut last_nak = false;
    for wait in &timing.waits {
        if Instant::now() >= ex.deadline {
            break;
        }
        ex.transport.send(&discover(xid, mac)).map_err(|e| format!("send DHCPDISCOVER: {}", io_error(e)))?;
        let Some(first) = ex.await_reply(&[DHCPOFFER, DHCPACK], *wait).map_err(io_error)? else {
            continue;
        };
        if first.message_type == DHCPACK {
            if first.address.is_unspecified() {
                return Err("DHCPACK without an address".into());
            }
            return Ok(first); // Rapid Commit
        }
        let Some(server) = first.server_id else {
            ex.ignored += 1; // an OFFER must name its server (RFC 2131 table 3)
            continue;
        };
        for _ in 0..REQUEST_TRIES {
            ex.transport
                .send(&request(xid, mac, first.address, server))
                .map_err(|e| format!("send DHCPREQUEST: {}", io_error(e)))?;
            match ex.await_reply(&[DHCPACK, DHCPNAK], *wait).map_err(io_error)? {
                Some(ack) if ack.message_type == DHCPACK => {
                    if ack.address.is_unspecified() {
                        return Err("DHCPACK without an address".into());
                    }
                    return Ok(ack);
                }
                Some(_) => {
                    last_nak = true;
                    break; // NAK: start over with a DISCOVER
                }
                None => {}
            }
        }
    }
    let mut reason = format!("no lease from a DHCP server within {} s", timing.total.as_secs());
    if last_nak {
        reason.push_str(" (the server refused the request: DHCPNAK)");
    }
    if ex.ignored > 0 {
        reason.push_str(&format!(" ({} unusable replies ignored)", ex.ignored));
    }
    Err(reason)
}

/// The UDP transport: bound to `interface` and port 68, broadcasting to
/// port 67.
pub struct UdpTransport {
    sock: OwnedFd,
}

impl UdpTransport {
    pub fn open(interface: &str) -> io::Result<Self> {
        let sock = sys::socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
        sys::setsockopt_bytes(&sock, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, interface.as_bytes())?;
        sys::setsockopt_int(&sock, libc::SOL_SOCKET, libc::SO_BROADCAST, 1)?;
        sys::setsockopt_int(&sock, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        sys::bind_inet(&sock, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, CLIENT_PORT))?;
        Ok(UdpTransport { sock })
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        sys::send_to_inet(&self.sock, packet, SocketAddrV4::new(Ipv4Addr::BROADCAST, SERVER_PORT))
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let ms = i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX);
        if sys::poll_one(self.sock.as_raw_fd(), libc::POLLIN, ms)? == 0 {
            return Ok(None);
        }
        sys::read(self.sock.as_raw_fd(), buf).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const XID: u32 = 0xdead_beef;

    /// The options of a request packet, as (code, data), up to END.
    fn options_of(packet: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = OPTIONS_OFFSET;
        while packet[at] != OPT_END {
            let (code, len) = (packet[at], packet[at + 1] as usize);
            out.push((code, packet[at + 2..at + 2 + len].to_vec()));
            at += 2 + len;
        }
        out
    }

    #[test]
    fn discover_has_rapid_commit_and_the_bootp_basics() {
        let p = discover(XID, MAC);
        assert_eq!(p.len(), 548);
        assert_eq!(&p[..4], &[1, 1, 6, 0]); // BOOTREQUEST, Ethernet, 6-byte MAC, 0 hops
        assert_eq!(&p[4..8], &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(&p[10..12], &[0x80, 0x00]); // broadcast flag
        assert!(p[12..28].iter().all(|b| *b == 0)); // ciaddr..giaddr
        assert_eq!(&p[28..34], &MAC);
        assert!(p[34..236].iter().all(|b| *b == 0));
        assert_eq!(&p[236..240], &[99, 130, 83, 99]);
        assert_eq!(
            options_of(&p),
            vec![(53, vec![1]), (80, vec![]), (55, vec![1, 3, 6, 26, 51])],
            "message type DISCOVER, Rapid Commit with no data, parameter list"
        );
    }

    #[test]
    fn request_names_the_offered_address_and_the_server() {
        let p = request(XID, MAC, Ipv4Addr::new(10, 0, 2, 15), Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(p.len(), 548);
        assert_eq!(p[0], 1);
        assert!(p[12..16].iter().all(|b| *b == 0), "ciaddr stays 0 while selecting");
        assert_eq!(
            options_of(&p),
            vec![(53, vec![3]), (50, vec![10, 0, 2, 15]), (54, vec![10, 0, 2, 2]), (55, vec![1, 3, 6, 26, 51])]
        );
    }

    /// A server reply with the given options (code, data), END appended.
    fn reply(message_type: u8, xid: u32, yiaddr: [u8; 4], options: &[(u8, &[u8])]) -> Vec<u8> {
        let mut p = vec![0u8; HEADER_LEN];
        p[..4].copy_from_slice(&[2, 1, 6, 0]);
        p[4..8].copy_from_slice(&xid.to_be_bytes());
        p[16..20].copy_from_slice(&yiaddr);
        p[28..34].copy_from_slice(&MAC);
        p.extend_from_slice(&MAGIC_COOKIE);
        p.extend_from_slice(&[53, 1, message_type]);
        for (code, data) in options {
            p.push(*code);
            p.push(data.len() as u8);
            p.extend_from_slice(data);
        }
        p.push(255);
        p
    }

    /// What libslirp sends (QEMU user-mode network defaults).
    fn slirp(message_type: u8, xid: u32) -> Vec<u8> {
        reply(
            message_type,
            xid,
            [10, 0, 2, 15],
            &[
                (54, &[10, 0, 2, 2]),
                (1, &[255, 255, 255, 0]),
                (3, &[10, 0, 2, 2]),
                (6, &[10, 0, 2, 3]),
                (51, &86400u32.to_be_bytes()),
            ],
        )
    }

    #[test]
    fn offer_options_are_decoded() {
        let r = parse_reply(&slirp(DHCPOFFER, XID)).unwrap();
        assert_eq!(r.message_type, DHCPOFFER);
        assert_eq!(r.xid, XID);
        assert_eq!(r.chaddr, MAC);
        assert_eq!(r.address, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(r.server_id, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(r.prefix, Some(24));
        assert_eq!(r.router, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(r.dns, vec![Ipv4Addr::new(10, 0, 2, 3)]);
        assert_eq!(r.mtu, None);
        assert_eq!(r.lease_secs, Some(86400));
        assert!(!r.rapid_commit);
    }

    #[test]
    fn ack_with_several_routers_and_dns_servers_mtu_and_rapid_commit() {
        let p = reply(
            DHCPACK,
            XID,
            [192, 168, 127, 2],
            &[
                (0, &[]), // encoded as [0, 0]: two pad bytes
                (1, &[255, 255, 240, 0]),
                (3, &[192, 168, 127, 1, 192, 168, 127, 254]),
                (6, &[8, 8, 8, 8, 1, 1, 1, 1]),
                (26, &9000u16.to_be_bytes()),
                (80, &[]),
                (12, b"host"), // unused option, skipped
            ],
        );
        let r = parse_reply(&p).unwrap();
        assert_eq!(r.message_type, DHCPACK);
        assert_eq!(r.prefix, Some(20));
        assert_eq!(r.router, Some(Ipv4Addr::new(192, 168, 127, 1)));
        assert_eq!(r.dns, vec![Ipv4Addr::new(8, 8, 8, 8), Ipv4Addr::new(1, 1, 1, 1)]);
        assert_eq!(r.mtu, Some(9000));
        assert!(r.rapid_commit);
        assert_eq!(r.server_id, None);
    }

    #[test]
    fn mtu_is_clamped_like_libkrun() {
        let low = parse_reply(&reply(DHCPACK, XID, [10, 0, 0, 2], &[(26, &576u16.to_be_bytes())])).unwrap();
        assert_eq!(low.mtu, Some(1280));
        let high = parse_reply(&reply(DHCPACK, XID, [10, 0, 0, 2], &[(26, &65535u16.to_be_bytes())])).unwrap();
        assert_eq!(high.mtu, Some(65520));
    }

    #[test]
    fn masks_become_prefixes_and_holes_are_rejected() {
        assert_eq!(mask_to_prefix([255, 255, 255, 255]), Some(32));
        assert_eq!(mask_to_prefix([255, 255, 255, 0]), Some(24));
        assert_eq!(mask_to_prefix([255, 255, 254, 0]), Some(23));
        assert_eq!(mask_to_prefix([255, 0, 0, 0]), Some(8));
        assert_eq!(mask_to_prefix([0, 0, 0, 0]), Some(0));
        assert_eq!(mask_to_prefix([255, 0, 255, 0]), None);
        assert_eq!(mask_to_prefix([0, 0, 0, 255]), None);
        assert!(parse_reply(&reply(DHCPACK, XID, [10, 0, 0, 2], &[(1, &[255, 0, 255, 0])])).is_err());
    }

    #[test]
    fn default_prefix_follows_the_address_class() {
        let r = |a: [u8; 4]| parse_reply(&reply(DHCPACK, XID, a, &[])).unwrap().prefix_or_default();
        assert_eq!(r([10, 0, 2, 15]), 8);
        assert_eq!(r([172, 16, 0, 5]), 16);
        assert_eq!(r([192, 168, 1, 5]), 24);
    }

    #[test]
    fn malformed_and_truncated_packets_are_rejected_without_panic() {
        let good = slirp(DHCPACK, XID);
        assert!(parse_reply(&good).is_ok());
        // Every truncation inside the header or an option is an error (or,
        // at an option boundary, a shorter but valid packet); none panics.
        for len in 0..good.len() {
            let _ = parse_reply(&good[..len]);
            if len < OPTIONS_OFFSET + 3 {
                assert!(parse_reply(&good[..len]).is_err(), "length {len}");
            }
        }
        assert!(parse_reply(&good[..OPTIONS_OFFSET + 4]).is_err()); // inside option 54
        let mut not_reply = good.clone();
        not_reply[0] = 1;
        assert!(parse_reply(&not_reply).is_err());
        let mut no_cookie = good.clone();
        no_cookie[236] = 0;
        assert!(parse_reply(&no_cookie).is_err());
        let mut not_ethernet = good.clone();
        not_ethernet[1] = 6;
        assert!(parse_reply(&not_ethernet).is_err());
        // An option length running past the end.
        let mut overrun = good[..OPTIONS_OFFSET].to_vec();
        overrun.extend_from_slice(&[53, 1, 5, 6, 200, 1, 2, 3]);
        assert_eq!(parse_reply(&overrun).unwrap_err(), "option 6 truncated");
        // Wrong lengths for options the client uses.
        for (code, data) in [(54u8, &[1u8, 2, 3][..]), (1, &[255; 5]), (3, &[]), (6, &[1; 6]), (26, &[5]), (51, &[1])] {
            let p = reply(DHCPACK, XID, [10, 0, 0, 2], &[(code, data)]);
            assert!(parse_reply(&p).is_err(), "option {code} with {} bytes", data.len());
        }
        let p = reply(DHCPACK, XID, [10, 0, 0, 2], &[(80, &[1])]);
        assert!(parse_reply(&p).is_err());
        // BOOTP without a DHCP message type.
        let mut bootp = good[..OPTIONS_OFFSET].to_vec();
        bootp.push(255);
        assert_eq!(parse_reply(&bootp).unwrap_err(), "no DHCP message type");
        // Garbage of every byte value does not panic.
        for b in 0..=255u8 {
            let _ = parse_reply(&[b; 600]);
        }
    }

    /// A scripted server: each sent packet is decoded and answered with
    /// the packets the script returns for it.
    struct Script<F: FnMut(&Reply, &[u8]) -> Vec<Vec<u8>>> {
        answer: F,
        queue: VecDeque<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl<F: FnMut(&Reply, &[u8]) -> Vec<Vec<u8>>> Transport for Script<F> {
        fn send(&mut self, packet: &[u8]) -> io::Result<()> {
            // Decode the request with the reply parser by flipping op.
            let mut as_reply = packet.to_vec();
            as_reply[0] = BOOTREPLY;
            let decoded = parse_reply(&as_reply).expect("the client sends well-formed packets");
            self.sent.push(decoded.message_type);
            let answers = (self.answer)(&decoded, packet);
            self.queue.extend(answers);
            Ok(())
        }

        fn recv(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<Option<usize>> {
            Ok(self.queue.pop_front().map(|p| {
                buf[..p.len()].copy_from_slice(&p);
                p.len()
            }))
        }
    }

    fn script<F: FnMut(&Reply, &[u8]) -> Vec<Vec<u8>>>(answer: F) -> Script<F> {
        Script { answer, queue: VecDeque::new(), sent: Vec::new() }
    }

    fn fast() -> Timing {
        Timing { waits: vec![Duration::from_millis(50); 4], total: Duration::from_secs(5) }
    }

    #[test]
    fn rapid_commit_ack_ends_the_exchange_after_one_discover() {
        let mut t = script(|req, _| {
            assert_eq!(req.message_type, DHCPDISCOVER);
            assert!(req.rapid_commit);
            vec![reply(DHCPACK, XID, [10, 0, 2, 15], &[(80, &[]), (1, &[255, 255, 255, 0])])]
        });
        let ack = negotiate(&mut t, XID, MAC, &fast()).unwrap();
        assert_eq!(ack.address, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(t.sent, vec![DHCPDISCOVER]);
    }

    #[test]
    fn without_rapid_commit_the_offer_is_requested_like_slirp_wants() {
        let mut t = script(|req, raw| match req.message_type {
            DHCPDISCOVER => vec![slirp(DHCPOFFER, XID)],
            DHCPREQUEST => {
                assert_eq!(&raw[OPTIONS_OFFSET + 3..OPTIONS_OFFSET + 9], &[50, 4, 10, 0, 2, 15]);
                assert_eq!(&raw[OPTIONS_OFFSET + 9..OPTIONS_OFFSET + 15], &[54, 4, 10, 0, 2, 2]);
                vec![slirp(DHCPACK, XID)]
            }
            other => panic!("unexpected message type {other}"),
        });
        let ack = negotiate(&mut t, XID, MAC, &fast()).unwrap();
        assert_eq!(ack.message_type, DHCPACK);
        assert_eq!(ack.router, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!(t.sent, vec![DHCPDISCOVER, DHCPREQUEST]);
    }

    #[test]
    fn foreign_and_malformed_replies_are_skipped() {
        let mut t = script(|req, _| match req.message_type {
            DHCPDISCOVER => vec![
                slirp(DHCPOFFER, XID ^ 1),           // another transaction
                b"garbage".to_vec(),                 // not DHCP
                slirp(DHCPACK, XID)[..250].to_vec(), // truncated
                slirp(DHCPOFFER, XID),
            ],
            _ => vec![slirp(DHCPOFFER, XID), slirp(DHCPACK, XID)], // a stray OFFER first
        });
        let ack = negotiate(&mut t, XID, MAC, &fast()).unwrap();
        assert_eq!(ack.message_type, DHCPACK);
    }

    #[test]
    fn silence_gives_up_after_every_discover() {
        let mut t = script(|_, _| vec![]);
        let e = negotiate(&mut t, XID, MAC, &fast()).unwrap_err();
        assert!(e.starts_with("no lease from a DHCP server within 5 s"), "{e}");
        assert_eq!(t.sent, vec![DHCPDISCOVER; 4]);
    }

    #[test]
    fn a_nak_starts_over_and_a_lost_ack_is_requested_again() {
        let mut requests = 0;
        let mut t = script(move |req, _| match req.message_type {
            DHCPDISCOVER => vec![slirp(DHCPOFFER, XID)],
            _ => {
                requests += 1;
                match requests {
                    1 => vec![slirp(DHCPNAK, XID)],
                    2 => vec![], // lost
                    _ => vec![slirp(DHCPACK, XID)],
                }
            }
        });
        assert!(negotiate(&mut t, XID, MAC, &fast()).is_ok());
        assert_eq!(t.sent, vec![DHCPDISCOVER, DHCPREQUEST, DHCPDISCOVER, DHCPREQUEST, DHCPREQUEST]);
    }

    #[test]
    fn an_offer_without_server_id_is_not_requested() {
        let mut t = script(|_, _| vec![reply(DHCPOFFER, XID, [10, 0, 2, 15], &[])]);
        let e = negotiate(&mut t, XID, MAC, &fast()).unwrap_err();
        assert!(e.contains("4 unusable replies ignored"), "{e}");
        assert_eq!(t.sent, vec![DHCPDISCOVER; 4]);
    }
}
