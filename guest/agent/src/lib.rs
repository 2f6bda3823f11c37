//! krun-agent: krunctl's guest agent. It serves exec sessions over the
//! `krun-agent` virtio-serial port, speaking the protocol of PROTOCOL.md.
//!
//! One thread, one poll(2) loop (`agent`) over the port, every session's
//! stdio and a signalfd for SIGCHLD. The library exists so the integration
//! tests can speak the same frames (`frame`) to the built binary.

pub mod agent;
pub mod credit;
pub mod frame;
pub mod port;
pub mod request;
pub mod session;
pub mod spawn;
mod sys;
