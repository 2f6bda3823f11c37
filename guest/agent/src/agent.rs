//! The poll loop: one thread serving the port, every session's stdio and
//! SIGCHLD (through a signalfd), so no lock and no thread is ever needed.
//!
//! The connection to the host has two states. Open: frames flow, and each
//! (re)open starts with `HELLO`. Closed: nothing is read; the port is tried
//! again after a backoff. A virtio-serial port opens even before the host
//! side is connected but then reads end of file (and polls POLLHUP without
//! pause), so end of file, a read or write error, or an oversized frame
//! all close the connection and end every session (the host ends them too
//! when it sees the connection drop); only the oversized frame retries at
//! once, the others after the backoff, which doubles up to `BACKOFF_MAX`
//! until a frame arrives.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::frame::{self, Decoder, Exit, MAX_PAYLOAD, Message, RawFrame};
use crate::port::PortSpec;
use crate::request::ExecRequest;
use crate::session::{self, Session, Stream};
use crate::spawn::{self, OTHER_FAILURE};
use crate::sys;

const BACKOFF_MIN: Duration = Duration::from_millis(10);
/// Bounds how late the agent notices a host that connects to the port.
const BACKOFF_MAX: Duration = Duration::from_millis(250);
/// How long the agent looks for its port before it concludes the host made
/// none. virtio_console creates a port's device only when the host announces
/// it, on a work queue: on a loaded host the agent, started right after the
/// workload, was seen to look before its port existed, and to give up.
const PORT_APPEARS_WITHIN: Duration = Duration::from_secs(30);
/// Port reads per loop turn, so a busy host cannot starve the sessions.
const PORT_READS_PER_TURN: usize = 16;

/// Frames waiting for the port, which is non-blocking: nothing the agent
/// sends may stall the loop. Its size is bounded by the output windows
/// (plus small control frames).
#[derive(Default)]
struct Outbox {
    buf: Vec<u8>,
    sent: usize,
}

impl Outbox {
    fn push(&mut self, session: u32, message: &Message) {
        message.encode(session, &mut self.buf);
    }

    fn is_empty(&self) -> bool {
        self.sent == self.buf.len()
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.sent = 0;
    }

    /// Writes what the port takes now; an error means the connection is gone.
    fn flush(&mut self, port: &OwnedFd) -> io::Result<()> {
        while !self.is_empty() {
            match sys::write(port.as_raw_fd(), &self.buf[self.sent..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => self.sent += n,
                Err(e) if sys::errno(&e) == libc::EAGAIN => break,
                Err(e) => return Err(e),
            }
        }
        if self.is_empty() {
            self.clear();
        }
        Ok(())
    }
}

/// What a poll entry stands for.
#[derive(Clone, Copy)]
enum Source {
    Signals,
    Port,
    Stdin(u32),
    Output(u32, Stream),
}

pub struct Agent {
    spec: PortSpec,
    port: Option<OwnedFd>,
    decoder: Decoder,
    outbox: Outbox,
    sessions: BTreeMap<u32, Session>,
    /// Processes of sessions that ended before their process did (killed
    /// after a bad frame or a lost connection), reaped as they exit.
    zombies: Vec<libc::pid_t>,
    sigchld: OwnedFd,
    reconnect_at: Instant,
    backoff: Duration,
    /// Until when a missing port is looked for again.
    port_deadline: Instant,
    buf: Vec<u8>,
}

impl Agent {
    pub fn new(spec: PortSpec) -> io::Result<Agent> {
        Ok(Agent {
            spec,
            port: None,
            decoder: Decoder::default(),
            outbox: Outbox::default(),
            sessions: BTreeMap::new(),
            zombies: Vec::new(),
            sigchld: sys::sigchld_fd()?,
            reconnect_at: Instant::now(),
            backoff: BACKOFF_MIN,
            port_deadline: Instant::now() + PORT_APPEARS_WITHIN,
            buf: vec![0; MAX_PAYLOAD],
        })
    }

    /// Serves the host until an error the agent cannot recover from: no
    /// agent port at all, or poll itself failing.
    pub fn run(&mut self) -> io::Result<()> {
        loop {
            if self.port.is_none() && Instant::now() >= self.reconnect_at {
                self.connect()?;
            }
            let (mut fds, sources) = self.poll_set();
            sys::poll(&mut fds, self.timeout_ms())?;
            for (fd, source) in fds.iter().zip(sources) {
                if fd.revents != 0 {
                    self.dispatch(source, fd.revents);
                }
            }
            self.end_finished_sessions();
            self.flush();
        }
    }

    fn connect(&mut self) -> io::Result<()> {
        // A port that is still missing after PORT_APPEARS_WITHIN was never
        // asked for (the host wants no agent): that ends the agent. Anything
        // else is retried.
        let path = match self.spec.locate() {
            Ok(path) => path,
            Err(e) if e.kind() == io::ErrorKind::NotFound && Instant::now() < self.port_deadline => {
                self.retry_later(&e.to_string());
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        match crate::port::open(&path) {
            Ok(port) => {
                self.port = Some(port);
                self.outbox.push(0, &Message::Hello { version: frame::VERSION });
            }
            Err(e) => self.retry_later(&format!("open {}: {}", path.display(), sys::reason(&e))),
        }
        Ok(())
    }

    fn retry_later(&mut self, why: &str) {
        if self.backoff == BACKOFF_MIN {
            log(why);
        }
        self.reconnect_at = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    /// Ends every session and closes the port; `at_once` reopens it on the
    /// next turn instead of after the backoff.
    fn disconnect(&mut self, why: &str, at_once: bool) {
        for (_, session) in std::mem::take(&mut self.sessions) {
            self.kill(&session);
        }
        self.port = None;
        self.decoder = Decoder::default();
        self.outbox.clear();
        if at_once {
            log(why);
            self.backoff = BACKOFF_MIN;
            self.reconnect_at = Instant::now();
        } else {
            self.retry_later(why);
        }
    }

    fn poll_set(&self) -> (Vec<libc::pollfd>, Vec<Source>) {
        let mut fds = Vec::with_capacity(2 + 3 * self.sessions.len());
        let mut sources = Vec::with_capacity(fds.capacity());
        let mut add = |fd: &OwnedFd, events: libc::c_short, source| {
            fds.push(libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 });
            sources.push(source);
        };
        add(&self.sigchld, libc::POLLIN, Source::Signals);
        if let Some(port) = &self.port {
            let out = if self.outbox.is_empty() { 0 } else { libc::POLLOUT };
            add(port, libc::POLLIN | out, Source::Port);
        }
        for (id, session) in &self.sessions {
            if session.wants_stdin_write()
                && let Some(fd) = &session.stdin
            {
                add(fd, libc::POLLOUT, Source::Stdin(*id));
            }
            // Without credit the pipes are left out entirely: a pipe at end
            // of file reports POLLHUP whatever is asked, and would spin.
            if session.output.available() > 0 {
                for stream in [Stream::Stdout, Stream::Stderr] {
                    if let Some(fd) = session.output_fd(stream) {
                        add(fd, libc::POLLIN, Source::Output(*id, stream));
                    }
                }
            }
        }
        (fds, sources)
    }

    fn timeout_ms(&self) -> libc::c_int {
        let reconnect = self.port.is_none().then_some(self.reconnect_at);
        let deadline = self.sessions.values().filter_map(Session::deadline).chain(reconnect).min();
        match deadline {
            None => -1,
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                // Round up: waking before the deadline would only poll again.
                wait.as_micros().div_ceil(1000).min(60_000) as libc::c_int
            }
        }
    }

    fn dispatch(&mut self, source: Source, revents: libc::c_short) {
        match source {
            Source::Signals => {
                sys::drain_signalfd(&self.sigchld);
                self.reap();
            }
            Source::Port => {
                if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                    self.read_port();
                }
            }
            Source::Stdin(id) => self.write_stdin(id),
            Source::Output(id, stream) => {
                let Some(session) = self.sessions.get_mut(&id) else { return };
                if let Some(n) = session.read_output(stream, &mut self.buf) {
                    let data = self.buf[..n].to_vec();
                    let message = match stream {
                        Stream::Stdout => Message::Stdout(data),
                        Stream::Stderr => Message::Stderr(data),
                    };
                    self.outbox.push(id, &message);
                }
            }
        }
    }

    fn read_port(&mut self) {
        for _ in 0..PORT_READS_PER_TURN {
            let Some(port) = &self.port else { return };
            match sys::read(port.as_raw_fd(), &mut self.buf) {
                Ok(0) => return self.disconnect("the host closed the port (or is not connected yet)", false),
                Ok(n) => self.decoder.push(&self.buf[..n]),
                Err(e) if sys::errno(&e) == libc::EAGAIN => return,
                Err(e) => return self.disconnect(&format!("read the port: {}", sys::reason(&e)), false),
            }
            loop {
                match self.decoder.next_frame() {
                    Ok(Some(frame)) => {
                        self.backoff = BACKOFF_MIN;
                        self.handle(frame);
                    }
                    Ok(None) => break,
                    Err(oversized) => return self.disconnect(&format!("{oversized}; reconnecting"), true),
                }
            }
        }
    }

    fn flush(&mut self) {
        let Some(port) = &self.port else { return };
        if let Err(e) = self.outbox.flush(port) {
            self.disconnect(&format!("write the port: {}", sys::reason(&e)), false);
        }
    }

    fn handle(&mut self, frame: RawFrame) {
        let id = frame.session;
        let parsed = Message::parse(frame.kind, &frame.payload).and_then(|message| {
            if message.from_host() {
                Ok(message)
            } else {
                Err(format!("{} is not a host frame", frame::kind_name(frame.kind).unwrap_or("?")))
            }
        });
        let message = match parsed {
            Ok(message) => message,
            Err(reason) if self.sessions.contains_key(&id) => return self.fail_session(id, reason),
            // The host waits for an answer to every EXEC, even a broken one.
            Err(reason) if frame.kind == frame::EXEC && id != 0 => {
                return self.outbox.push(id, &Message::Failed { code: OTHER_FAILURE, reason });
            }
            Err(reason) => return log(&format!("session {id}: ignoring a frame: {reason}")),
        };
        if id == 0 {
            return log(&format!("ignoring {} for session 0", frame::kind_name(frame.kind).unwrap_or("?")));
        }
        if let Message::Exec(json) = &message {
            if self.sessions.contains_key(&id) {
                return self.fail_session(id, "EXEC for a session that is running".into());
            }
            return self.exec(id, json);
        }
        // Anything else for a session that does not exist crossed its end
        // (EXITED or FAILED) on the way: it is dropped, see PROTOCOL.md.
        let Some(session) = self.sessions.get_mut(&id) else { return };
        let outcome = match message {
            Message::Stdin(data) => session.accept_stdin(&data).map(|()| self.write_stdin(id)),
            Message::Signal(signal) => {
                if let Err(e) = session.signal(signal as i32) {
                    log(&format!("session {id}: signal {signal}: {}", sys::reason(&e)));
                }
                Ok(())
            }
            Message::Resize { rows, cols } => {
                if let Err(e) = session.resize(rows, cols) {
                    log(&format!("session {id}: resize: {}", sys::reason(&e)));
                }
                Ok(())
            }
            Message::OutputCredit(n) => session.grant_output(n),
            other => Err(format!("unexpected {}", frame::kind_name(other.kind()).unwrap_or("?"))),
        };
        if let Err(reason) = outcome {
            self.fail_session(id, reason);
        }
    }

    fn exec(&mut self, id: u32, json: &[u8]) {
        let started = ExecRequest::parse(json)
            .map_err(|reason| spawn::SpawnError { code: OTHER_FAILURE, reason })
            .and_then(|request| spawn::spawn(&request));
        match started {
            Ok(child) => {
                let pid = child.pid;
                match Session::new(child) {
                    Ok(session) => {
                        self.sessions.insert(id, session);
                        self.outbox.push(id, &Message::Started { pid: pid as u32 });
                    }
                    Err(e) => {
                        let _ = sys::kill(pid, libc::SIGKILL);
                        self.zombies.push(pid);
                        let reason = format!("set up the terminal: {}", sys::reason(&e));
                        self.outbox.push(id, &Message::Failed { code: OTHER_FAILURE, reason });
                    }
                }
            }
            Err(failure) => self.outbox.push(id, &Message::Failed { code: failure.code, reason: failure.reason }),
        }
    }

    fn write_stdin(&mut self, id: u32) {
        let Some(session) = self.sessions.get_mut(&id) else { return };
        let credit = session.write_stdin();
        if credit > 0 {
            self.outbox.push(id, &Message::StdinCredit(credit));
        }
    }

    /// A malformed frame ends its session: the process group is killed and
    /// the host told why.
    fn fail_session(&mut self, id: u32, reason: String) {
        log(&format!("session {id}: {reason}"));
        if let Some(session) = self.sessions.remove(&id) {
            self.kill(&session);
        }
        self.outbox.push(id, &Message::Failed { code: OTHER_FAILURE, reason });
    }

    fn kill(&mut self, session: &Session) {
        if session.exit.is_none() {
            // The group holds what the process started; the pid itself too,
            // in case the process left its group.
            let _ = sys::killpg(session.pid, libc::SIGKILL);
            let _ = sys::kill(session.pid, libc::SIGKILL);
            self.zombies.push(session.pid);
        }
    }

    fn reap(&mut self) {
        for (id, session) in self.sessions.iter_mut().filter(|(_, s)| s.exit.is_none()) {
            match sys::try_wait(session.pid) {
                Ok(Some(status)) => {
                    if let Some(exit) = session::exit_of(status) {
                        session.reaped(exit);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    // ECHILD: someone else reaped it; the status is lost.
                    log(&format!("session {id}: waitpid {}: {}", session.pid, sys::reason(&e)));
                    session.reaped(Exit::Status(OTHER_FAILURE));
                }
            }
        }
        self.zombies.retain(|pid| matches!(sys::try_wait(*pid), Ok(None)));
    }

    fn end_finished_sessions(&mut self) {
        let now = Instant::now();
        let finished: Vec<(u32, Exit)> =
            self.sessions.iter().filter_map(|(id, s)| s.finished(now).map(|exit| (*id, exit))).collect();
        for (id, exit) in finished {
            self.sessions.remove(&id);
            self.outbox.push(id, &Message::Exited(exit));
        }
    }
}

fn log(message: &str) {
    eprintln!("krun-agent: {message}");
}
