//! The frame codec of PROTOCOL.md, both directions: a 9-byte header
//! (length, session, kind) and the payload. The agent decodes host frames
//! and encodes its own; the tests (and any host written in Rust) use the
//! other half.
//!
//! Decoding has two levels because the protocol distinguishes two kinds of
//! damage: a length over `MAX_PAYLOAD` leaves the stream out of step
//! (`Oversized`, the connection is dropped), while anything wrong inside a
//! well-delimited frame (`Message::parse`) ends only that frame's session.

use std::fmt;

pub const VERSION: u16 = 1;
pub const HEADER_LEN: usize = 9;
pub const MAX_PAYLOAD: usize = 65_536;
/// Bytes in flight per session and direction (see Flow control).
pub const WINDOW: u32 = 262_144;

pub const HELLO: u8 = 0x01;
pub const STARTED: u8 = 0x10;
pub const STDOUT: u8 = 0x11;
pub const STDERR: u8 = 0x12;
pub const EXITED: u8 = 0x13;
pub const FAILED: u8 = 0x14;
pub const STDIN_CREDIT: u8 = 0x15;
pub const EXEC: u8 = 0x20;
pub const STDIN: u8 = 0x21;
pub const SIGNAL: u8 = 0x22;
pub const RESIZE: u8 = 0x23;
pub const OUTPUT_CREDIT: u8 = 0x24;

/// How a process ended, as `EXITED` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Status(i32),
    Signal(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    // Guest to host.
    Hello {
        version: u16,
    },
    Started {
        pid: u32,
    },
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exited(Exit),
    Failed {
        code: i32,
        reason: String,
    },
    StdinCredit(u32),
    // Host to guest.
    /// The raw JSON request; `request::ExecRequest::parse` reads it.
    Exec(Vec<u8>),
    /// Empty: end of file.
    Stdin(Vec<u8>),
    Signal(u32),
    Resize {
        rows: u16,
        cols: u16,
    },
    OutputCredit(u32),
}

/// A frame whose header could be read: its session, kind and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub session: u32,
    pub kind: u8,
    pub payload: Vec<u8>,
}

/// A length over `MAX_PAYLOAD`: the stream cannot be resynchronised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized(pub u32);

impl fmt::Display for Oversized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame length {} is over {MAX_PAYLOAD}", self.0)
    }
}

impl Message {
    pub fn kind(&self) -> u8 {
        match self {
            Message::Hello { .. } => HELLO,
            Message::Started { .. } => STARTED,
            Message::Stdout(_) => STDOUT,
            Message::Stderr(_) => STDERR,
            Message::Exited(_) => EXITED,
            Message::Failed { .. } => FAILED,
            Message::StdinCredit(_) => STDIN_CREDIT,
            Message::Exec(_) => EXEC,
            Message::Stdin(_) => STDIN,
            Message::Signal(_) => SIGNAL,
            Message::Resize { .. } => RESIZE,
            Message::OutputCredit(_) => OUTPUT_CREDIT,
        }
    }

    /// Whether the host sends this kind (the agent accepts only these).
    pub fn from_host(&self) -> bool {
        self.kind() >= EXEC
    }

    /// Decodes a payload of `kind`; the error says what is wrong with it.
    pub fn parse(kind: u8, payload: &[u8]) -> Result<Message, String> {
        let name = kind_name(kind).ok_or_else(|| unknown_kind(kind))?;
        let exact = |len: usize| {
            if payload.len() == len {
                Ok(())
            } else {
                Err(format!("{name} payload of {} bytes, expected {len}", payload.len()))
            }
        };
        let data = |payload: &[u8]| {
            if payload.is_empty() { Err(format!("empty {name} payload")) } else { Ok(payload.to_vec()) }
        };
        Ok(match kind {
            HELLO => {
                exact(2)?;
                Message::Hello { version: u16::from_be_bytes([payload[0], payload[1]]) }
            }
            STARTED => {
                exact(4)?;
                Message::Started { pid: be_u32(payload) }
            }
            STDOUT => Message::Stdout(data(payload)?),
            STDERR => Message::Stderr(data(payload)?),
            EXITED => {
                exact(5)?;
                let value = be_u32(&payload[1..]) as i32;
                match payload[0] {
                    0 => Message::Exited(Exit::Status(value)),
                    1 => Message::Exited(Exit::Signal(value)),
                    how => return Err(format!("EXITED with unknown how {how}")),
                }
            }
            FAILED => {
                if payload.len() < 4 {
                    return Err(format!("FAILED payload of {} bytes, expected at least 4", payload.len()));
                }
                let reason = std::str::from_utf8(&payload[4..]).map_err(|_| "FAILED reason is not UTF-8")?;
                Message::Failed { code: be_u32(payload) as i32, reason: reason.to_owned() }
            }
            STDIN_CREDIT => {
                exact(4)?;
                Message::StdinCredit(be_u32(payload))
            }
            EXEC => Message::Exec(data(payload)?),
            STDIN => Message::Stdin(payload.to_vec()),
            SIGNAL => {
                exact(4)?;
                let signal = be_u32(payload);
                if !(1..=64).contains(&signal) {
                    return Err(format!("signal {signal} is not in 1..64"));
                }
                Message::Signal(signal)
            }
            RESIZE => {
                exact(4)?;
                Message::Resize {
                    rows: u16::from_be_bytes([payload[0], payload[1]]),
                    cols: u16::from_be_bytes([payload[2], payload[3]]),
                }
            }
            OUTPUT_CREDIT => {
                exact(4)?;
                Message::OutputCredit(be_u32(payload))
            }
            _ => return Err(unknown_kind(kind)),
        })
    }

    /// Appends the frame carrying this message for `session` to `out`.
    /// Data longer than `MAX_PAYLOAD` is the caller's error; it is cut
    /// rather than sent with a length the peer would reject.
    pub fn encode(&self, session: u32, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; HEADER_LEN]);
        match self {
            Message::Hello { version } => out.extend_from_slice(&version.to_be_bytes()),
            Message::Started { pid } => out.extend_from_slice(&pid.to_be_bytes()),
            Message::Stdout(data) | Message::Stderr(data) | Message::Exec(data) | Message::Stdin(data) => {
                out.extend_from_slice(&data[..data.len().min(MAX_PAYLOAD)])
            }
            Message::Exited(exit) => {
                let (how, value) = match exit {
                    Exit::Status(code) => (0u8, *code),
                    Exit::Signal(signal) => (1u8, *signal),
                };
                out.push(how);
                out.extend_from_slice(&value.to_be_bytes());
            }
            Message::Failed { code, reason } => {
                out.extend_from_slice(&code.to_be_bytes());
                // Cut on a character boundary so the reason stays UTF-8.
                let mut end = reason.len().min(MAX_PAYLOAD - 4);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                out.extend_from_slice(&reason.as_bytes()[..end]);
            }
            Message::StdinCredit(n) | Message::Signal(n) | Message::OutputCredit(n) => {
                out.extend_from_slice(&n.to_be_bytes())
            }
            Message::Resize { rows, cols } => {
                out.extend_from_slice(&rows.to_be_bytes());
                out.extend_from_slice(&cols.to_be_bytes());
            }
        }
        let len = (out.len() - start - HEADER_LEN) as u32;
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
        out[start + 4..start + 8].copy_from_slice(&session.to_be_bytes());
        out[start + 8] = self.kind();
    }
}

fn unknown_kind(kind: u8) -> String {
    format!("unknown frame kind 0x{kind:02x}")
}

pub fn kind_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        HELLO => "HELLO",
        STARTED => "STARTED",
        STDOUT => "STDOUT",
        STDERR => "STDERR",
        EXITED => "EXITED",
        FAILED => "FAILED",
        STDIN_CREDIT => "STDIN_CREDIT",
        EXEC => "EXEC",
        STDIN => "STDIN",
        SIGNAL => "SIGNAL",
        RESIZE => "RESIZE",
        OUTPUT_CREDIT => "OUTPUT_CREDIT",
        _ => return None,
    })
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Splits a byte stream into frames, whatever the read boundaries.
#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out as frames.
    consumed: usize,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        if self.consumed > 0 && self.consumed == self.buf.len() {
            self.buf.clear();
            self.consumed = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, `None` until one has fully arrived.
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>, Oversized> {
        let pending = &self.buf[self.consumed..];
        if pending.len() < HEADER_LEN {
            self.compact();
            return Ok(None);
        }
        let len = be_u32(pending);
        if len as usize > MAX_PAYLOAD {
            return Err(Oversized(len));
        }
        let total = HEADER_LEN + len as usize;
        if pending.len() < total {
            self.compact();
            return Ok(None);
        }
        let frame =
            RawFrame { session: be_u32(&pending[4..]), kind: pending[8], payload: pending[HEADER_LEN..total].to_vec() };
        self.consumed += total;
        Ok(Some(frame))
    }

    /// Bytes received but not yet part of a returned frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.consumed
    }

    /// Drops what was handed out, so the buffer holds at most one partial frame.
    fn compact(&mut self) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Message> {
        vec![
            Message::Hello { version: VERSION },
            Message::Started { pid: 4242 },
            Message::Stdout(b"out".to_vec()),
            Message::Stderr(vec![0xff; MAX_PAYLOAD]),
            Message::Exited(Exit::Status(3)),
            Message::Exited(Exit::Signal(9)),
            Message::Exited(Exit::Status(-1)),
            Message::Failed { code: 127, reason: "exec nope: No such file or directory".into() },
            Message::Failed { code: 125, reason: String::new() },
            Message::StdinCredit(WINDOW),
            Message::Exec(br#"{"args":["true"]}"#.to_vec()),
            Message::Stdin(b"in".to_vec()),
            Message::Stdin(Vec::new()),
            Message::Signal(15),
            Message::Resize { rows: 50, cols: 132 },
            Message::OutputCredit(65_536),
        ]
    }

    #[test]
    fn every_kind_round_trips_through_one_stream() {
        let mut stream = Vec::new();
        for (i, message) in every_kind().iter().enumerate() {
            message.encode(i as u32, &mut stream);
        }
        let mut decoder = Decoder::default();
        // Byte by byte for the first frames, then the rest at once: frames
        // must not depend on how reads split the stream.
        let (head, tail) = stream.split_at(40);
        let mut frames = Vec::new();
        for byte in head {
            decoder.push(&[*byte]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        decoder.push(tail);
        while let Some(frame) = decoder.next_frame().unwrap() {
            frames.push(frame);
        }
        assert_eq!(decoder.pending(), 0);
        let decoded: Vec<Message> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                assert_eq!(f.session, i as u32);
                Message::parse(f.kind, &f.payload).unwrap()
            })
            .collect();
        assert_eq!(decoded, every_kind());
    }

    #[test]
    fn the_header_is_big_endian_length_session_kind() {
        let mut out = Vec::new();
        Message::Signal(15).encode(7, &mut out);
        assert_eq!(out, [0, 0, 0, 4, 0, 0, 0, 7, SIGNAL, 0, 0, 0, 15]);
        out.clear();
        Message::Hello { version: 1 }.encode(0, &mut out);
        assert_eq!(out, [0, 0, 0, 2, 0, 0, 0, 0, HELLO, 0, 1]);
        out.clear();
        Message::Exited(Exit::Signal(9)).encode(1, &mut out);
        assert_eq!(out, [0, 0, 0, 5, 0, 0, 0, 1, EXITED, 1, 0, 0, 0, 9]);
    }

    #[test]
    fn direction_follows_the_kind() {
        for message in every_kind() {
            assert_eq!(message.from_host(), message.kind() >= 0x20, "{message:?}");
        }
    }

    #[test]
    fn truncated_frames_wait_for_more() {
        let mut stream = Vec::new();
        Message::Stdin(vec![7; 100]).encode(3, &mut stream);
        for cut in 0..stream.len() {
            let mut decoder = Decoder::default();
            decoder.push(&stream[..cut]);
            assert_eq!(decoder.next_frame(), Ok(None), "cut at {cut}");
            decoder.push(&stream[cut..]);
            assert_eq!(decoder.next_frame().unwrap().map(|f| f.payload.len()), Some(100));
        }
    }

    #[test]
    fn an_oversized_length_is_reported_before_its_payload_arrives() {
        let mut decoder = Decoder::default();
        decoder.push(&[0, 1, 0, 1, 0, 0, 0, 1, STDIN]);
        assert_eq!(decoder.next_frame(), Err(Oversized(65_537)));
        let mut decoder = Decoder::default();
        decoder.push(&[0xff; HEADER_LEN]);
        assert_eq!(decoder.next_frame(), Err(Oversized(u32::MAX)));
        // Exactly the maximum is fine.
        let mut decoder = Decoder::default();
        let mut stream = vec![0, 1, 0, 0, 0, 0, 0, 1, STDIN];
        stream.extend(vec![0; MAX_PAYLOAD]);
        decoder.push(&stream);
        assert_eq!(decoder.next_frame().unwrap().map(|f| f.payload.len()), Some(MAX_PAYLOAD));
    }

    #[test]
    fn payloads_of_the_wrong_size_are_errors() {
        let cases: &[(u8, &[u8], &str)] = &[
            (HELLO, &[0], "HELLO payload of 1 bytes, expected 2"),
            (STARTED, &[0, 0, 1], "STARTED payload of 3 bytes, expected 4"),
            (STDOUT, &[], "empty STDOUT payload"),
            (STDERR, &[], "empty STDERR payload"),
            (EXITED, &[0, 0, 0, 0], "EXITED payload of 4 bytes, expected 5"),
            (EXITED, &[2, 0, 0, 0, 0], "EXITED with unknown how 2"),
            (FAILED, &[0, 0, 0], "FAILED payload of 3 bytes, expected at least 4"),
            (FAILED, &[0, 0, 0, 125, 0xff], "FAILED reason is not UTF-8"),
            (STDIN_CREDIT, &[0; 5], "STDIN_CREDIT payload of 5 bytes, expected 4"),
            (EXEC, &[], "empty EXEC payload"),
            (SIGNAL, &[0, 15], "SIGNAL payload of 2 bytes, expected 4"),
            (SIGNAL, &[0, 0, 0, 0], "signal 0 is not in 1..64"),
            (SIGNAL, &[0, 0, 0, 65], "signal 65 is not in 1..64"),
            (RESIZE, &[0, 24, 0, 80, 0], "RESIZE payload of 5 bytes, expected 4"),
            (OUTPUT_CREDIT, &[], "OUTPUT_CREDIT payload of 0 bytes, expected 4"),
        ];
        for (kind, payload, reason) in cases {
            assert_eq!(Message::parse(*kind, payload), Err((*reason).to_owned()));
        }
    }

    #[test]
    fn unknown_kinds_are_errors() {
        for kind in [0x00, 0x02, 0x16, 0x1f, 0x25, 0xff] {
            assert_eq!(Message::parse(kind, b"x"), Err(format!("unknown frame kind 0x{kind:02x}")));
        }
    }

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        let mut out = Vec::new();
        Message::Failed { code: 125, reason: "é".repeat(MAX_PAYLOAD) }.encode(1, &mut out);
        assert!(out.len() <= HEADER_LEN + MAX_PAYLOAD);
        let frame = {
            let mut d = Decoder::default();
            d.push(&out);
            d.next_frame().unwrap().unwrap()
        };
        assert!(matches!(Message::parse(frame.kind, &frame.payload), Ok(Message::Failed { code: 125, .. })));
    }
}
