//! Code shared by krunctl's guest programs, `krun-init` and `krun-agent`.
//! std only: both are static binaries that must stay small.

pub mod ports;
pub mod sys;
