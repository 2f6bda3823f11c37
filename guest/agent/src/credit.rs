//! Flow control (PROTOCOL.md, "Flow control"): per session and direction
//! at most `WINDOW` bytes in flight. The agent keeps the host's grants for
//! output, and holds the stdin bytes the host sent until the process takes
//! them, crediting each byte back only once it has been written.

use crate::frame::WINDOW;

/// How many more STDOUT/STDERR bytes the agent may send.
#[derive(Debug)]
pub struct OutputWindow {
    credit: u32,
}

impl Default for OutputWindow {
    fn default() -> Self {
        OutputWindow { credit: WINDOW }
    }
}

impl OutputWindow {
    pub fn available(&self) -> usize {
        self.credit as usize
    }

    /// Records `n` bytes sent; never more than `available()` (the reader
    /// asks for no more), so a larger `n` only empties the window.
    pub fn spend(&mut self, n: usize) {
        self.credit = self.credit.saturating_sub(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// The host passed `n` bytes on. A grant beyond the window means the
    /// host counts differently from the agent: a malformed frame.
    pub fn grant(&mut self, n: u32) -> Result<(), String> {
        match self.credit.checked_add(n) {
            Some(credit) if credit <= WINDOW => {
                self.credit = credit;
                Ok(())
            }
            _ => Err(format!("OUTPUT_CREDIT of {n} with {} unspent exceeds the window of {WINDOW}", self.credit)),
        }
    }
}

/// Stdin bytes received from the host and not yet written to the process.
#[derive(Debug, Default)]
pub struct InputWindow {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written.
    written: usize,
    eof: bool,
}

impl InputWindow {
    /// Takes a STDIN payload (empty: end of file).
    pub fn accept(&mut self, data: &[u8]) -> Result<(), String> {
        if self.eof {
            return Err("STDIN after end of file".into());
        }
        if data.is_empty() {
            self.eof = true;
            return Ok(());
        }
        let held = self.pending().len();
        if held + data.len() > WINDOW as usize {
            return Err(format!("STDIN of {} bytes with {held} unwritten exceeds the window of {WINDOW}", data.len()));
        }
        if self.written > 0 {
            self.buf.drain(..self.written);
            self.written = 0;
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Appends a byte of the agent's own (a terminal's end-of-file
    /// character), outside the host's window: the caller must not credit it.
    pub fn push_own(&mut self, byte: u8) {
        self.buf.push(byte);
    }

    /// What is still to be written to the process.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// Records `n` bytes written; returns the credit to give back.
    pub fn written(&mut self, n: usize) -> u32 {
        let n = n.min(self.pending().len());
        self.written += n;
        if self.written == self.buf.len() {
            self.buf.clear();
            self.written = 0;
        }
        n as u32
    }

    /// Throws away what is pending (the process closed its stdin); returns
    /// the credit to give back, so the host's window does not stay used up.
    pub fn discard(&mut self) -> u32 {
        let n = self.pending().len();
        self.written(n)
    }

    /// End of file received and everything before it written.
    pub fn finished(&self) -> bool {
        self.eof && self.pending().is_empty()
    }

    pub fn at_eof(&self) -> bool {
        self.eof
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_starts_with_a_full_window_and_never_exceeds_it() {
        let mut w = OutputWindow::default();
        assert_eq!(w.available(), 262_144);
        assert!(w.grant(1).is_err(), "a full window takes no more");
        w.spend(100_000);
        assert_eq!(w.available(), 162_144);
        assert_eq!(w.grant(60_000), Ok(()));
        assert_eq!(w.available(), 222_144);
        assert!(w.grant(40_001).is_err());
        assert_eq!(w.available(), 222_144, "a refused grant changes nothing");
        assert!(w.grant(u32::MAX).is_err(), "no overflow");
        w.spend(usize::MAX);
        assert_eq!(w.available(), 0);
        assert_eq!(w.grant(262_144), Ok(()));
    }

    #[test]
    fn input_is_held_up_to_the_window_and_credited_as_written() {
        let mut w = InputWindow::default();
        assert_eq!(w.accept(&vec![1; 200_000]), Ok(()));
        assert_eq!(w.accept(&vec![2; 62_144]), Ok(()));
        assert_eq!(w.pending().len(), 262_144);
        assert!(w.accept(&[3]).is_err(), "one byte over the window");
        assert_eq!(w.written(100_000), 100_000);
        assert_eq!(w.pending()[0], 1);
        assert_eq!(w.accept(&vec![3; 100_000]), Ok(()));
        assert_eq!(w.pending().len(), 262_144);
        assert_eq!(w.written(162_144), 162_144);
        assert_eq!(w.pending()[0], 3);
        assert_eq!(w.written(usize::MAX), 100_000, "credit only what was held");
        assert!(w.pending().is_empty());
    }

    #[test]
    fn end_of_file_waits_for_the_data_before_it() {
        let mut w = InputWindow::default();
        w.accept(b"abc").unwrap();
        w.accept(b"").unwrap();
        assert!(w.at_eof());
        assert!(!w.finished());
        assert_eq!(w.accept(b"d"), Err("STDIN after end of file".into()));
        assert_eq!(w.accept(b""), Err("STDIN after end of file".into()));
        assert_eq!(w.written(3), 3);
        assert!(w.finished());
    }

    #[test]
    fn discarded_input_is_credited_back() {
        let mut w = InputWindow::default();
        w.accept(&[0; 1000]).unwrap();
        w.written(10);
        assert_eq!(w.discard(), 990);
        assert!(w.pending().is_empty());
        assert_eq!(w.discard(), 0);
    }
}
