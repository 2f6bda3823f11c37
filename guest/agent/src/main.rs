//! The agent's entry point: `krun-agent [PORT]`, or `KRUN_AGENT_PORT=PORT`;
//! without either, the virtio-serial port named `krun-agent`.

use std::process::ExitCode;

use krun_agent::agent::Agent;
use krun_agent::port::{PORT_VARIABLE, PortSpec};

fn main() -> ExitCode {
    let spec = PortSpec::from(std::env::var_os(PORT_VARIABLE), std::env::args_os().nth(1));
    match Agent::new(spec).and_then(|mut agent| agent.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("krun-agent: {e}");
            ExitCode::FAILURE
        }
    }
}
