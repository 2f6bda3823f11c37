//! krun-init: krunctl's guest init. One static binary, two roles:
//!
//! * stage 0, when `/krunctl/modules.order` exists: `/init` of the generated
//!   initramfs (see `stage0`);
//! * stage 1 otherwise: `/init.krun` on the virtio-fs root, PID 1, the port
//!   of libkrun's init contract (mounts, config, environment, workload,
//!   exit code, reboot).
//!
//! The C `main` is defined here instead of Rust's: std's start-up code
//! would open /dev/null for closed fds 0-2 and abort when it cannot (an
//! initramfs has no /dev before stage 0 mounts it), and it would leave
//! SIGPIPE ignored, which the workload would inherit through exec.

#![cfg_attr(not(test), no_main)]
#![cfg_attr(test, allow(dead_code))]

mod agent;
mod clock;
mod config;
mod console;
mod control;
mod dhcp;
mod env;
mod exec;
mod exit;
mod fs;
mod mounts;
mod net;
mod netlink;
mod ports;
mod stage0;
mod sys;
mod tty;

use std::ffi::{CStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use libc::{c_char, c_int};

use crate::env::EnvMap;
use crate::sys::{Failure, Step};

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: the C runtime passes `argc` valid NUL-terminated strings.
    let args = unsafe { collect_args(argc, argv) };
    if std::path::Path::new(stage0::MODULES_ORDER).exists() {
        stage0::run(&args);
    }
    stage1(&args)
}

/// # Safety
/// `argv` must hold `argc` valid NUL-terminated strings.
unsafe fn collect_args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .filter_map(|i| {
            // SAFETY: i < argc, per the caller's guarantee.
            let arg = unsafe { *argv.add(i) };
            // SAFETY: non-null entries are NUL-terminated strings.
            (!arg.is_null())
                .then(|| OsString::from(std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(arg) }.to_bytes())))
        })
        .collect()
}

/// Stage 1, in libkrun's order. Never returns: it ends in `exit::finish`.
fn stage1(args: &[OsString]) -> ! {
    // Before anything can move another root over "/": the exit code goes
    // through the virtio-fs root (see `exit`).
    exit::keep_root("/");
    match prepare(args) {
        Ok(workload) => {
            exec::run(&workload.argv, workload.pid1, workload.console, workload.agent, workload.user.as_ref())
        }
        Err(failure) => exit::fatal(&failure),
    }
}

struct Workload {
    argv: Vec<OsString>,
    pid1: bool,
    /// PID 1's handle on the console terminal, for window-size changes.
    console: Option<std::os::fd::OwnedFd>,
    /// The agent binary, opened before the root could change.
    agent: Option<std::os::fd::OwnedFd>,
    /// The config's `process.user`, applied in the workload's process.
    user: Option<config::User>,
}

/// Everything up to the exec. The process environment has been replaced by
/// the workload's.
fn prepare(args: &[OsString]) -> Result<Workload, Failure> {
    let mut env = EnvMap::from_process();
    // While "/" is still the virtio-fs root that serves it.
    let agent = agent::open();

    fs::mount_filesystems()?;
    // While the ports' /sys and /dev are there: a block root may lack them.
    console::keep_host_stderr();
    let block_root = env.block_root();
    if let Some(root) = &block_root {
        fs::switch_to_block_root(root)?;
    }
    fs::make_root_shared()?;

    // A session of our own, without a controlling terminal: the workload
    // gets the console as its controlling terminal in a session of its own
    // (exec::run). setsid fails only if we already lead a process group.
    let _ = sys::setsid();
    let console = tty::prepare_console(env.get("KRUN_TTY_ROWS"), env.get("KRUN_TTY_COLS"));

    if let Err(e) = net::loopback_up() {
        console::warn("lo up", sys::reason(&e));
    }
    if env.wants_dhcp() {
        net::dhcp();
    }
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if env::kernel_words(&cmdline).iter().any(|w| w == "tsi_hijack") {
        net::tsi_dummy();
    }

    let config_path =
        env.get_nonempty("KRUN_CONFIG").map_or_else(|| PathBuf::from(config::DEFAULT_PATH), PathBuf::from);
    let fallback = block_root.as_ref().and(exit::virtiofs_root());
    let (config, warning) = config::load_with_fallback(&config_path, fallback);
    if let Some(reason) = warning {
        console::warn(&format!("config {}", config_path.display()), format!("{reason}; ignoring it"));
    }
    env.apply_config_env(&config.env);
    fs::mount_config_tmpfs(&config.tmpfs)?;
    mounts::mount_all(&config.mounts)?;
    if config.read_only_root {
        mounts::remount_root_read_only()?;
    }
    env.apply_krun_overrides();

    let hostname = env.hostname();
    sys::sethostname(hostname.as_bytes()).with_step(|| format!("sethostname {}", hostname.to_string_lossy()))?;

    if let Some(value) = env.get("KRUN_RLIMITS") {
        let (limits, invalid) = env::parse_rlimits(&value.to_string_lossy());
        for item in invalid {
            console::warn("KRUN_RLIMITS", format!("skipping invalid item {item:?}"));
        }
        for limit in limits {
            if let Err(e) = sys::setrlimit(limit.resource, limit.cur, limit.max) {
                console::warn(&format!("setrlimit {}={}:{}", limit.resource, limit.cur, limit.max), sys::reason(&e));
            }
        }
    }

    if let Some(dir) = env.workdir(config.cwd.as_deref()) {
        sys::chdir(&dir).with_step(|| format!("chdir {}", dir.to_string_lossy()))?;
    }

    let argv = env::choose_argv(&env, config.argv.as_deref(), args);
    let pid1 = env.wants_pid1();
    sys::replace_environment(&env.workload_env()).step("environment")?;
    Ok(Workload { argv, pid1, console, agent, user: config.user })
}
