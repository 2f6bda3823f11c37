//! The built agent against a unix socket standing in for its port: real
//! sessions, real processes, the frames of PROTOCOL.md.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use krun_agent::frame::{Decoder, Exit, MAX_PAYLOAD, Message, WINDOW};

const TIMEOUT: Duration = Duration::from_secs(20);

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The host side: a listening socket the agent connects to, a thread that
/// decodes what the agent sends.
struct Host {
    dir: PathBuf,
    listener: UnixListener,
    writer: UnixStream,
    frames: Receiver<(u32, Message)>,
    agent: Child,
}

fn accept(listener: &UnixListener) -> (UnixStream, Receiver<(u32, Message)>) {
    let deadline = Instant::now() + TIMEOUT;
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut decoder = Decoder::default();
        let mut buf = vec![0; 65_536];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            decoder.push(&buf[..n]);
            while let Ok(Some(frame)) = decoder.next_frame() {
                let message = Message::parse(frame.kind, &frame.payload).expect("the agent sent a malformed frame");
                if tx.send((frame.session, message)).is_err() {
                    return;
                }
            }
        }
    });
    (stream, rx)
}

impl Host {
    fn start() -> Host {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("krun-agent-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("port");
        let listener = UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let agent = Command::new(env!("CARGO_BIN_EXE_krun-agent"))
            .env("KRUN_AGENT_PORT", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (writer, frames) = accept(&listener);
        let mut host = Host { dir, listener, writer, frames, agent };
        assert_eq!(host.recv(), (0, Message::Hello { version: 1 }));
        host
    }

    fn send(&mut self, session: u32, message: &Message) {
        let mut bytes = Vec::new();
        message.encode(session, &mut bytes);
        self.writer.write_all(&bytes).unwrap();
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    fn recv(&mut self) -> (u32, Message) {
        match self.frames.recv_timeout(TIMEOUT) {
            Ok(frame) => frame,
            Err(RecvTimeoutError::Timeout) => panic!("no frame from the agent in {TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the agent closed the connection"),
        }
    }

    /// Nothing arrives for `wait`.
    fn quiet(&mut self, wait: Duration) -> Option<(u32, Message)> {
        self.frames.recv_timeout(wait).ok()
    }

    /// Receives frames, passing output on, until `what` reaches `session`'s output.
    fn wait_for_output(&mut self, session: u32, what: &str) -> String {
        let mut seen = String::new();
        while !seen.contains(what) {
            match self.recv() {
                (s, Message::Stdout(data)) if s == session => {
                    self.send(s, &Message::OutputCredit(data.len() as u32));
                    seen.push_str(&String::from_utf8_lossy(&data));
                }
                (s, Message::StdinCredit(_)) if s == session => {}
                other => panic!("waiting for {what:?} in {seen:?}, got {other:?}"),
            }
        }
        seen
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.agent.kill();
        let _ = self.agent.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn exec_json(args: &[&str], tty: bool) -> Vec<u8> {
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut request = serde_json::json!({
        "args": args,
        "env": ["PATH=/usr/bin:/bin", "HOME=/", "TERM=xterm"],
        "workdir": "/",
        "uid": uid,
        "gid": gid,
        "tty": tty,
    });
    if tty {
        request["rows"] = 24.into();
        request["cols"] = 80.into();
    }
    request.to_string().into_bytes()
}

fn sh(script: &str) -> Vec<u8> {
    exec_json(&["sh", "-c", script], false)
}

#[derive(Debug, Default)]
struct Outcome {
    pid: Option<u32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit: Option<Exit>,
    failed: Option<(i32, String)>,
}

struct Run {
    request: Vec<u8>,
    stdin: Option<Vec<u8>>,
}

/// Runs sessions 1..=n at once, as a host would: stdin within the agent's
/// credit, output credited back as it is taken.
fn run_sessions(host: &mut Host, runs: Vec<Run>) -> HashMap<u32, Outcome> {
    struct State {
        stdin: Option<Vec<u8>>,
        sent: usize,
        eof_sent: bool,
        credit: u32,
        outcome: Outcome,
        done: bool,
    }
    let mut states: HashMap<u32, State> = HashMap::new();
    for (i, run) in runs.into_iter().enumerate() {
        let id = i as u32 + 1;
        host.send(id, &Message::Exec(run.request));
        let state = State {
            stdin: run.stdin,
            sent: 0,
            eof_sent: false,
            credit: WINDOW,
            outcome: Outcome::default(),
            done: false,
        };
        states.insert(id, state);
    }
    while states.values().any(|s| !s.done) {
        for (id, state) in states.iter_mut() {
            let Some(stdin) = &state.stdin else { continue };
            if state.done || state.outcome.pid.is_none() {
                continue;
            }
            let mut frames = Vec::new();
            while state.credit > 0 && state.sent < stdin.len() {
                let n = (stdin.len() - state.sent).min(MAX_PAYLOAD).min(state.credit as usize);
                frames.push(Message::Stdin(stdin[state.sent..state.sent + n].to_vec()));
                state.sent += n;
                state.credit -= n as u32;
            }
            if state.sent == stdin.len() && !state.eof_sent {
                frames.push(Message::Stdin(Vec::new()));
                state.eof_sent = true;
            }
            for frame in frames {
                host.send(*id, &frame);
            }
        }
        let (id, message) = host.recv();
        let state = states.get_mut(&id).unwrap_or_else(|| panic!("frame for unknown session {id}: {message:?}"));
        assert!(!state.done, "session {id} got {message:?} after its end");
        match message {
            Message::Started { pid } => state.outcome.pid = Some(pid),
            Message::Stdout(data) | Message::Stderr(data) if state.outcome.pid.is_none() => {
                panic!("session {id}: output {data:?} before STARTED")
            }
            Message::Stdout(data) => {
                host.send(id, &Message::OutputCredit(data.len() as u32));
                state.outcome.stdout.extend(data);
            }
            Message::Stderr(data) => {
                host.send(id, &Message::OutputCredit(data.len() as u32));
                state.outcome.stderr.extend(data);
            }
            Message::StdinCredit(n) => {
                state.credit += n;
                assert!(state.credit <= WINDOW, "session {id}: stdin credit over the window");
            }
            Message::Exited(exit) => {
                state.outcome.exit = Some(exit);
                state.done = true;
            }
            Message::Failed { code, reason } => {
                state.outcome.failed = Some((code, reason));
                state.done = true;
            }
            other => panic!("session {id}: unexpected {other:?}"),
        }
    }
    states.into_iter().map(|(id, s)| (id, s.outcome)).collect()
}

fn run_one(host: &mut Host, request: Vec<u8>, stdin: Option<Vec<u8>>) -> Outcome {
    run_sessions(host, vec![Run { request, stdin }]).remove(&1).unwrap()
}

/// Deterministic bytes that look random (xorshift).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn stdout_and_stderr_stay_separate_and_the_exit_status_is_relayed() {
    let mut host = Host::start();
    let out = run_one(&mut host, sh("echo hello; echo oops >&2; exit 3"), None);
    assert!(out.pid.is_some());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    assert_eq!(out.exit, Some(Exit::Status(3)));

    let out = run_one(&mut host, exec_json(&["echo", "a", "b"], false), None);
    assert_eq!(out.stdout, b"a b\n");
    assert_eq!(out.exit, Some(Exit::Status(0)));
}

#[test]
fn a_process_killed_by_a_signal_is_reported_as_such() {
    let mut host = Host::start();
    let out = run_one(&mut host, sh("kill -9 $$"), None);
    assert_eq!(out.exit, Some(Exit::Signal(9)));
}

#[test]
fn exec_failures_have_the_shell_codes_and_a_reason() {
    let mut host = Host::start();
    let out = run_one(&mut host, exec_json(&["no-such-command-krun"], false), None);
    let (code, reason) = out.failed.unwrap();
    assert_eq!(code, 127);
    assert!(reason.contains("not found") && reason.contains("no-such-command-krun"), "{reason}");

    let dir = std::env::temp_dir().join(format!("krun-agent-noexec-{}", std::process::id()));
    std::fs::write(&dir, "data").unwrap();
    let out = run_one(&mut host, exec_json(&[dir.to_str().unwrap()], false), None);
    std::fs::remove_file(&dir).unwrap();
    let (code, reason) = out.failed.unwrap();
    assert_eq!(code, 126, "{reason}");

    let mut request: serde_json::Value = serde_json::from_slice(&exec_json(&["true"], false)).unwrap();
    request["workdir"] = "/no/such/dir".into();
    let out = run_one(&mut host, request.to_string().into_bytes(), None);
    assert_eq!(out.failed, Some((125, "workdir /no/such/dir: No such file or directory".into())));
    assert_eq!(out.pid, None, "FAILED comes instead of STARTED");
}

#[test]
fn stdin_is_relayed_byte_exact_with_its_end_of_file() {
    let mut host = Host::start();
    let data = noise(1 << 20, 7);
    let out = run_one(&mut host, exec_json(&["cat"], false), Some(data.clone()));
    assert_eq!(out.exit, Some(Exit::Status(0)));
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "cat returned different bytes");

    let out = run_one(&mut host, sh("wc -c"), Some(Vec::new()));
    assert_eq!(out.stdout, b"0\n");
}

#[test]
fn stdin_a_process_does_not_read_is_credited_back() {
    let mut host = Host::start();
    let out = run_one(&mut host, sh("exec 0<&-; sleep 0.2"), Some(noise(1 << 20, 3)));
    assert_eq!(out.exit, Some(Exit::Status(0)));
}

#[test]
fn eight_sessions_run_at_once() {
    let mut host = Host::start();
    let inputs: Vec<Vec<u8>> = (0..8).map(|i| noise(300_000 + i * 1000, i as u64 + 11)).collect();
    let runs = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| Run {
            request: sh(&format!("cat; echo session-{i} >&2; exit {i}")),
            stdin: Some(input.clone()),
        })
        .collect();
    let outcomes = run_sessions(&mut host, runs);
    for (i, input) in inputs.iter().enumerate() {
        let out = &outcomes[&(i as u32 + 1)];
        assert!(out.stdout == *input, "session {i}: stdout differs");
        assert_eq!(out.stderr, format!("session-{i}\n").as_bytes());
        assert_eq!(out.exit, Some(Exit::Status(i as i32)));
    }
}

#[test]
fn a_background_child_holding_the_pipes_does_not_hold_the_session() {
    let mut host = Host::start();
    let started = Instant::now();
    let out = run_one(&mut host, sh("sleep 3 & echo hi"), None);
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.exit, Some(Exit::Status(0)));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[test]
fn a_signal_reaches_the_process() {
    let mut host = Host::start();
    host.send(1, &Message::Exec(sh("trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done")));
    assert!(matches!(host.recv(), (1, Message::Started { .. })));
    host.wait_for_output(1, "ready");
    host.send(1, &Message::Signal(15));
    host.wait_for_output(1, "got-term");
    assert_eq!(host.recv(), (1, Message::Exited(Exit::Status(7))));
}

#[test]
fn a_terminal_session_has_a_pty_that_resizes() {
    let mut host = Host::start();
    let out = run_one(&mut host, exec_json(&["tty"], true), None);
    assert!(out.stdout.starts_with(b"/dev/pts/"), "{:?}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stderr.is_empty());
    assert_eq!(out.exit, Some(Exit::Status(0)));

    host.send(2, &Message::Exec(exec_json(&["sh", "-c", "stty size; read line; stty size; exit 4"], true)));
    assert!(matches!(host.recv(), (2, Message::Started { .. })));
    host.wait_for_output(2, "24 80");
    host.send(2, &Message::Resize { rows: 50, cols: 132 });
    host.send(2, &Message::Stdin(b"\n".to_vec()));
    host.wait_for_output(2, "50 132");
    loop {
        match host.recv() {
            (2, Message::Exited(exit)) => break assert_eq!(exit, Exit::Status(4)),
            (2, Message::Stdout(data)) => host.send(2, &Message::OutputCredit(data.len() as u32)),
            (2, Message::StdinCredit(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn a_terminal_session_gets_end_of_file() {
    let mut host = Host::start();
    let out = run_one(&mut host, exec_json(&["sh", "-c", "cat >/dev/null; echo eof"], true), Some(b"line\n".to_vec()));
    assert!(String::from_utf8_lossy(&out.stdout).contains("eof"), "{:?}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.exit, Some(Exit::Status(0)));
}

#[test]
fn bad_frames_end_only_their_session() {
    let mut host = Host::start();
    // A bad request.
    host.send(1, &Message::Exec(br#"{"args":["true"]}"#.to_vec()));
    assert_eq!(host.recv(), (1, Message::Failed { code: 125, reason: "EXEC has no env".into() }));
    // A wrongly sized SIGNAL to a running session kills it.
    host.send(2, &Message::Exec(sh("sleep 30")));
    let (_, started) = host.recv();
    let Message::Started { pid } = started else { panic!("{started:?}") };
    host.send_raw(&[0, 0, 0, 3, 0, 0, 0, 2, 0x22, 0, 0, 15]);
    assert_eq!(host.recv(), (2, Message::Failed { code: 125, reason: "SIGNAL payload of 3 bytes, expected 4".into() }));
    let gone = Instant::now() + Duration::from_secs(5);
    // SAFETY: kill with signal 0 only checks the pid.
    while unsafe { libc::kill(pid as i32, 0) } == 0 {
        assert!(Instant::now() < gone, "the session's process survived");
        std::thread::sleep(Duration::from_millis(10));
    }
    // An unknown kind, and a host-bound kind, for a running session.
    host.send(3, &Message::Exec(sh("sleep 30")));
    assert!(matches!(host.recv(), (3, Message::Started { .. })));
    host.send_raw(&[0, 0, 0, 1, 0, 0, 0, 3, 0x30, 0]);
    assert_eq!(host.recv(), (3, Message::Failed { code: 125, reason: "unknown frame kind 0x30".into() }));
    host.send(4, &Message::Exec(sh("sleep 30")));
    assert!(matches!(host.recv(), (4, Message::Started { .. })));
    host.send(4, &Message::Stdout(b"x".to_vec()));
    assert_eq!(host.recv(), (4, Message::Failed { code: 125, reason: "STDOUT is not a host frame".into() }));
    // More credit than the window.
    host.send(5, &Message::Exec(sh("sleep 30")));
    assert!(matches!(host.recv(), (5, Message::Started { .. })));
    host.send(5, &Message::OutputCredit(1));
    let (id, failed) = host.recv();
    assert!(id == 5 && matches!(failed, Message::Failed { code: 125, .. }), "{failed:?}");
    // Frames for sessions that do not exist (any more) are dropped silently.
    host.send(2, &Message::Stdin(b"late".to_vec()));
    host.send(99, &Message::Signal(9));
    host.send(0, &Message::OutputCredit(1));
    assert_eq!(host.quiet(Duration::from_millis(300)), None);
    // The agent goes on.
    let out = run_sessions(&mut host, vec![Run { request: sh("echo still-here"), stdin: None }]);
    assert_eq!(out[&1].stdout, b"still-here\n");
}

#[test]
fn an_oversized_frame_drops_the_connection_and_the_agent_says_hello_again() {
    let mut host = Host::start();
    host.send(1, &Message::Exec(sh("sleep 30")));
    let (_, started) = host.recv();
    let Message::Started { pid } = started else { panic!("{started:?}") };
    host.send_raw(&[0, 1, 0, 1, 0, 0, 0, 1, 0x21]);
    let (writer, frames) = accept(&host.listener);
    host.writer = writer;
    host.frames = frames;
    assert_eq!(host.recv(), (0, Message::Hello { version: 1 }));
    let gone = Instant::now() + Duration::from_secs(5);
    // SAFETY: kill with signal 0 only checks the pid.
    while unsafe { libc::kill(pid as i32, 0) } == 0 {
        assert!(Instant::now() < gone, "the session's process survived the reconnection");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = run_one(&mut host, sh("echo again"), None);
    assert_eq!(out.stdout, b"again\n");
}

#[test]
fn the_agent_reconnects_when_the_host_goes_away() {
    let mut host = Host::start();
    host.writer.shutdown(std::net::Shutdown::Both).unwrap();
    let (writer, frames) = accept(&host.listener);
    host.writer = writer;
    host.frames = frames;
    assert_eq!(host.recv(), (0, Message::Hello { version: 1 }));
}
