//! rtnetlink: the three requests the init makes to configure an interface
//! (address, default route, MTU), encoded by hand, and a tiny client that
//! sends one request at a time and waits for the kernel's acknowledgement.
//!
//! Layout (all integers in host byte order, addresses in network order):
//! a 16-byte `nlmsghdr` (len u32, type u16, flags u16, seq u32, pid u32),
//! the request's fixed header, then attributes, each a 4-byte `rtattr`
//! (len u16 = 4 + payload, type u16) plus the payload, padded to 4 bytes.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::sys;

pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_NEWROUTE: u16 = 24;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_CREATE: u16 = 0x400;
pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFLA_MTU: u16 = 4;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RT_TABLE_MAIN: u8 = 254;
pub const RTPROT_BOOT: u8 = 3;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RTN_UNICAST: u8 = 1;
const AF_UNSPEC: u8 = 0;
const AF_INET: u8 = 2;

/// Flags of the requests that create or overwrite something: running the
/// init's setup twice (or over a kernel ip= configuration) is not an error.
const CREATE_FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A message under construction: the header is written first with a zero
/// length, `finish` fills the length in.
struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    fn new(kind: u16, flags: u16, seq: u32) -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // pid 0: the kernel
        Builder { buf }
    }

    fn bytes(mut self, data: &[u8]) -> Self {
        self.buf.extend_from_slice(data);
        self
    }

    fn attr(mut self, kind: u16, payload: &[u8]) -> Self {
        self.buf.resize(align4(self.buf.len()), 0);
        let len = u16::try_from(4 + payload.len()).expect("attribute payloads here are a few bytes");
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.buf.len()).expect("messages here are small");
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// RTM_NEWADDR: `address/prefix` on interface `index` (IFA_LOCAL and
/// IFA_ADDRESS both set to the address, as for any non-point-to-point link).
pub fn new_address(seq: u32, index: u32, address: Ipv4Addr, prefix: u8) -> Vec<u8> {
    // struct ifaddrmsg: family, prefixlen, flags, scope (u8 each), index (u32).
    let mut ifaddrmsg = vec![AF_INET, prefix, 0, RT_SCOPE_UNIVERSE];
    ifaddrmsg.extend_from_slice(&index.to_ne_bytes());
    Builder::new(RTM_NEWADDR, CREATE_FLAGS, seq)
        .bytes(&ifaddrmsg)
        .attr(IFA_LOCAL, &address.octets())
        .attr(IFA_ADDRESS, &address.octets())
        .finish()
}

/// RTM_NEWROUTE: the IPv4 default route (0.0.0.0/0) via `gateway` out of
/// interface `index`, main table, protocol "boot" (set at boot, as DHCP
/// clients do), universe scope, unicast.
pub fn new_default_route(seq: u32, index: u32, gateway: Ipv4Addr) -> Vec<u8> {
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope,
    // type (u8 each), flags (u32).
    let mut rtmsg = vec![AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST];
    rtmsg.extend_from_slice(&0u32.to_ne_bytes());
    Builder::new(RTM_NEWROUTE, CREATE_FLAGS, seq)
        .bytes(&rtmsg)
        .attr(RTA_OIF, &index.to_ne_bytes())
        .attr(RTA_GATEWAY, &gateway.octets())
        .finish()
}

/// RTM_NEWLINK on an existing interface: set its MTU.
pub fn set_mtu(seq: u32, index: u32, mtu: u32) -> Vec<u8> {
    // struct ifinfomsg: family (u8), pad (u8), type (u16), index (i32),
    // flags (u32), change (u32); change 0 leaves the flags alone.
    let mut ifinfomsg = vec![AF_UNSPEC, 0];
    ifinfomsg.extend_from_slice(&0u16.to_ne_bytes());
    ifinfomsg.extend_from_slice(&index.to_ne_bytes());
    ifinfomsg.extend_from_slice(&0u32.to_ne_bytes());
    ifinfomsg.extend_from_slice(&0u32.to_ne_bytes());
    Builder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq)
        .bytes(&ifinfomsg)
        .attr(IFLA_MTU, &mtu.to_ne_bytes())
        .finish()
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    buf.get(at..at + 4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    buf.get(at..at + 2).map(|b| u16::from_ne_bytes([b[0], b[1]]))
}

/// Looks for the kernel's answer to request `seq` in a datagram of netlink
/// messages: `Some(Ok)` for an acknowledgement (NLMSG_ERROR with error 0),
/// `Some(Err)` for a refusal (the negated errno), `None` if the datagram
/// holds no answer to `seq`. A malformed datagram is an error.
pub fn find_ack(datagram: &[u8], seq: u32) -> Option<io::Result<()>> {
    let mut at = 0;
    while at + NLMSG_HDRLEN <= datagram.len() {
        let len = u32_at(datagram, at)? as usize;
        if len < NLMSG_HDRLEN || at + len > datagram.len() {
            return Some(Err(io::Error::new(io::ErrorKind::InvalidData, "malformed netlink reply")));
        }
        let kind = u16_at(datagram, at + 4)?;
        let msg_seq = u32_at(datagram, at + 8)?;
        if msg_seq == seq && kind == NLMSG_ERROR {
            let Some(error) = u32_at(datagram, at + NLMSG_HDRLEN).filter(|_| len >= NLMSG_HDRLEN + 4) else {
                return Some(Err(io::Error::new(io::ErrorKind::InvalidData, "truncated netlink error message")));
            };
            let error = error as i32;
            return Some(if error == 0 { Ok(()) } else { Err(io::Error::from_raw_os_error(-error)) });
        }
        if msg_seq == seq && kind == NLMSG_DONE {
            return Some(Ok(()));
        }
        at += align4(len);
    }
    None
}

/// How long to wait for the kernel's acknowledgement (it answers at once;
/// this only keeps PID 1 from hanging on a kernel bug).
const ACK_TIMEOUT_MS: i32 = 2000;

/// A NETLINK_ROUTE socket that sends requests one at a time.
pub struct Netlink {
    sock: OwnedFd,
    seq: u32,
}

impl Netlink {
    pub fn open() -> io::Result<Self> {
        let sock = sys::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE)?;
        sys::bind_netlink(&sock)?;
        Ok(Netlink { sock, seq: 0 })
    }

    /// Sends the message `build(seq)` and waits for its acknowledgement.
    pub fn request(&mut self, build: impl FnOnce(u32) -> Vec<u8>) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        sys::send(&self.sock, &build(seq))?;
        let mut buf = vec![0u8; 8192];
        loop {
            let ready = sys::poll_one(self.sock.as_raw_fd(), libc::POLLIN, ACK_TIMEOUT_MS)?;
            if ready == 0 {
                return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
            }
            let n = sys::read(self.sock.as_raw_fd(), &mut buf)?;
            if let Some(result) = find_ack(&buf[..n], seq) {
                return result;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(msg: &[u8]) -> (u32, u16, u16, u32, u32) {
        (
            u32_at(msg, 0).unwrap(),
            u16_at(msg, 4).unwrap(),
            u16_at(msg, 6).unwrap(),
            u32_at(msg, 8).unwrap(),
            u32_at(msg, 12).unwrap(),
        )
    }

    /// The attributes after a fixed header of `fixed` bytes: (type, payload).
    fn attrs(msg: &[u8], fixed: usize) -> Vec<(u16, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = NLMSG_HDRLEN + fixed;
        while at < msg.len() {
            let len = u16_at(msg, at).unwrap() as usize;
            let kind = u16_at(msg, at + 2).unwrap();
            out.push((kind, msg[at + 4..at + len].to_vec()));
            at += align4(len);
        }
        assert_eq!(at, msg.len(), "attributes end exactly at the message end");
        out
    }

    #[test]
    fn new_address_message_layout() {
        let msg = new_address(7, 2, Ipv4Addr::new(10, 0, 2, 15), 24);
        assert_eq!(msg.len(), 16 + 8 + 8 + 8);
        assert_eq!(header(&msg), (40, RTM_NEWADDR, 0x1 | 0x4 | 0x400 | 0x100, 7, 0));
        assert_eq!(&msg[16..20], &[2, 24, 0, 0]); // AF_INET, /24, no flags, universe
        assert_eq!(u32_at(&msg, 20), Some(2));
        assert_eq!(attrs(&msg, 8), vec![(IFA_LOCAL, vec![10, 0, 2, 15]), (IFA_ADDRESS, vec![10, 0, 2, 15])]);
    }

    #[test]
    fn default_route_message_layout() {
        let msg = new_default_route(9, 3, Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(msg.len(), 16 + 12 + 8 + 8);
        assert_eq!(header(&msg), (44, RTM_NEWROUTE, 0x505, 9, 0));
        // AF_INET, dst_len 0 (default route), src_len, tos, main table, boot, universe, unicast.
        assert_eq!(&msg[16..24], &[2, 0, 0, 0, 254, 3, 0, 1]);
        assert_eq!(u32_at(&msg, 24), Some(0));
        assert_eq!(attrs(&msg, 12), vec![(RTA_OIF, 3u32.to_ne_bytes().to_vec()), (RTA_GATEWAY, vec![10, 0, 2, 2])]);
    }

    #[test]
    fn mtu_message_layout() {
        let msg = set_mtu(1, 2, 1500);
        assert_eq!(msg.len(), 16 + 16 + 8);
        assert_eq!(header(&msg), (40, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0));
        assert_eq!(msg[16], 0); // AF_UNSPEC
        assert_eq!(u32_at(&msg, 20), Some(2)); // ifi_index
        assert_eq!(u32_at(&msg, 28), Some(0)); // ifi_change: flags untouched
        assert_eq!(attrs(&msg, 16), vec![(IFLA_MTU, 1500u32.to_ne_bytes().to_vec())]);
    }

    fn error_message(seq: u32, error: i32) -> Vec<u8> {
        // nlmsghdr + nlmsgerr (error, then the offending request's header).
        let mut msg = Builder::new(NLMSG_ERROR, 0, seq).bytes(&error.to_ne_bytes()).bytes(&[0; 16]).finish();
        msg.truncate(16 + 4 + 16);
        msg
    }

    #[test]
    fn acknowledgements_and_refusals_are_found_by_sequence_number() {
        assert!(matches!(find_ack(&error_message(5, 0), 5), Some(Ok(()))));
        let refused = find_ack(&error_message(5, -libc::EEXIST), 5).unwrap().unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::EEXIST));
        assert!(find_ack(&error_message(4, 0), 5).is_none());
        // Two messages in one datagram: the second is the answer.
        let mut both = error_message(4, -libc::EPERM);
        both.extend_from_slice(&error_message(5, 0));
        assert!(matches!(find_ack(&both, 5), Some(Ok(()))));
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        assert!(find_ack(&[], 1).is_none());
        assert!(find_ack(&[1, 2, 3], 1).is_none());
        let mut bad_len = error_message(1, 0);
        bad_len[..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(matches!(find_ack(&bad_len, 1), Some(Err(_))));
        let mut tiny_len = error_message(1, 0);
        tiny_len[..4].copy_from_slice(&4u32.to_ne_bytes());
        assert!(matches!(find_ack(&tiny_len, 1), Some(Err(_))));
        let mut short_error = Builder::new(NLMSG_ERROR, 0, 1).finish();
        assert!(matches!(find_ack(&short_error, 1), Some(Err(_))));
        short_error.truncate(10);
        assert!(find_ack(&short_error, 1).is_none());
    }
}
