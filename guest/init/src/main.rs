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

mod config;
mod console;
mod env;
mod exec;
mod exit;
mod fs;
mod net;
mod stage0;
mod sys;

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
        let failure = stage0::run(&args);
        // The failure may predate the console (see attach_std_fds).
        console::attach_std_fds();
        console::local(format!("stage0: {failure}"));
        return 1;
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
    match prepare(args) {
        Ok((argv, pid1)) => exec::run(&argv, pid1),
        Err(failure) => exit::fatal(&failure),
    }
}

/// Everything up to the exec: the workload's argv and whether it runs as
/// PID 1. The process environment has been replaced by the workload's.
fn prepare(args: &[OsString]) -> Result<(Vec<OsString>, bool), Failure> {
    fs::mount_filesystems()?;
    fs::make_root_shared()?;

    // Give the workload the console as controlling terminal (^C, job control).
    // setsid fails only if we already lead a process group, which is fine.
    let _ = sys::setsid();
    if let Err(e) = sys::set_controlling_tty(0) {
        console::warn("controlling terminal", sys::reason(&e));
    }
    if let Err(e) = net::loopback_up() {
        console::warn("lo up", sys::reason(&e));
    }

    let mut env = EnvMap::from_process();
    let config_path =
        env.get_nonempty("KRUN_CONFIG").map_or_else(|| PathBuf::from(config::DEFAULT_PATH), PathBuf::from);
    let (config, warning) = config::load(&config_path);
    if let Some(reason) = warning {
        console::warn(&format!("config {}", config_path.display()), format!("{reason}; ignoring it"));
    }
    env.apply_config_env(&config.env);
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
    Ok((argv, pid1))
}
