//! krunctl's own mounts: the `krunctl_mounts` key of the config file.
//!
//! ```json
//! "krunctl_mounts": [
//!   {"type": "virtiofs", "source": "krunctl-mnt0", "destination": "/data", "options": "ro"},
//!   {"type": "tmpfs", "source": "tmpfs", "destination": "/tmp", "options": "size=67108864"}
//! ]
//! ```
//!
//! A list of objects, mounted in order once the root is set up (after the
//! block-root switch and the config's libkrun-style tmpfs). `type` and
//! `destination` (absolute) are required strings; `source` is the virtio-fs
//! tag for `virtiofs` and defaults to `tmpfs` for `tmpfs`; `options` is a
//! mount(8)-style comma-separated list: `ro`, `rw`, `nosuid`, `nodev`,
//! `noexec`, `sync`, `dirsync`, `noatime`, `nodiratime`, `relatime`,
//! `strictatime` become mount flags, everything else is passed to the
//! filesystem as data. A tmpfs is always `nosuid,nodev`.
//!
//! Each destination is created first (`mkdir -p`; an existing directory is
//! fine, krunctl's root device offers missing top-level ones as virtual
//! directories). A virtio-fs tag the kernel has not registered yet is waited
//! for up to 5 s, as the root's is in stage 0. Any failure is fatal (exit
//! code 125): a workload must not run with a mount missing, writing to the
//! root what was meant for the host.
//!
//! `"krunctl_root_read_only": true` asks for the root to be remounted
//! read-only once the mounts are in place: the host refuses every change to
//! such a root anyway (EROFS), but a guest kernel that knows it refuses them
//! itself, so `access(W_OK)` tells programs the truth (SQLite, for one, picks
//! its temporary directory that way).
//!
//! Parsing is strict about shapes, like the rest of the config file: a
//! value of the wrong type makes the file invalid. An unknown `type` is
//! kept and refused when mounted, so that the workload does not start.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use libc::c_ulong;
use serde_json::{Map, Value};

use crate::sys::{self, Failure, Step};

pub const KEY: &str = "krunctl_mounts";
pub const READ_ONLY_ROOT_KEY: &str = "krunctl_root_read_only";
const TAG_TIMEOUT: Duration = Duration::from_secs(5);
const TAG_RETRY: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub kind: String,
    pub source: String,
    pub destination: String,
    pub options: String,
}

/// The `krunctl_mounts` entries of a config object; none when the key is
/// absent or null.
pub fn parse(top: &Map<String, Value>) -> Result<Vec<Mount>, String> {
    let entries = match top.get(KEY) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(format!("\"{KEY}\" is not an array")),
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let entry = entry.as_object().ok_or_else(|| format!("\"{KEY}\"[{i}] is not an object"))?;
        let text = |key: &str| match entry.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("\"{KEY}\"[{i}].{key} is not a string")),
        };
        let kind = text("type")?.ok_or_else(|| format!("\"{KEY}\"[{i}] has no type"))?;
        let destination = text("destination")?.ok_or_else(|| format!("\"{KEY}\"[{i}] has no destination"))?;
        if !destination.starts_with('/') {
            return Err(format!("\"{KEY}\"[{i}].destination is not an absolute path"));
        }
        let source = match text("source")? {
            Some(s) => s,
            None if kind == "tmpfs" => "tmpfs".to_owned(),
            None => return Err(format!("\"{KEY}\"[{i}] has no source")),
        };
        let options = text("options")?.unwrap_or_default();
        out.push(Mount { kind, source, destination, options });
    }
    Ok(out)
}

/// The `krunctl_root_read_only` flag; false when absent or null.
pub fn parse_read_only_root(top: &Map<String, Value>) -> Result<bool, String> {
    match top.get(READ_ONLY_ROOT_KEY) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("\"{READ_ONLY_ROOT_KEY}\" is not a boolean")),
    }
}

/// Remounts `/` read-only (its superblock: every mount of that filesystem).
pub fn remount_root_read_only() -> Result<(), Failure> {
    sys::mount(None, "/", None, libc::MS_REMOUNT | libc::MS_RDONLY, None).step("remount / read-only")
}

/// Splits mount(8)-style options into mount flags and filesystem data.
pub fn flags_and_data(options: &str) -> (c_ulong, String) {
    let mut flags: c_ulong = 0;
    let mut data: Vec<&str> = Vec::new();
    for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match option {
            "ro" => flags |= libc::MS_RDONLY,
            "rw" => flags &= !libc::MS_RDONLY,
            "nosuid" => flags |= libc::MS_NOSUID,
            "nodev" => flags |= libc::MS_NODEV,
            "noexec" => flags |= libc::MS_NOEXEC,
            "sync" => flags |= libc::MS_SYNCHRONOUS,
            "dirsync" => flags |= libc::MS_DIRSYNC,
            "noatime" => flags |= libc::MS_NOATIME,
            "nodiratime" => flags |= libc::MS_NODIRATIME,
            "relatime" => flags |= libc::MS_RELATIME,
            "strictatime" => flags |= libc::MS_STRICTATIME,
            other => data.push(other),
        }
    }
    (flags, data.join(","))
}

/// `mkdir -p`: every missing component of an absolute path, mode 0755.
pub fn make_dirs(path: &str) -> Result<(), Failure> {
    let mut at = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        at.push('/');
        at.push_str(part);
        match sys::mkdir(&at, 0o755) {
            Ok(()) => {}
            Err(_) if Path::new(&at).is_dir() => {}
            Err(e) => return Err(e).with_step(|| format!("mkdir {at}")),
        }
    }
    Ok(())
}

/// Errors that mean the virtio-fs tag is not registered yet.
fn tag_not_ready(error: &io::Error) -> bool {
    matches!(sys::errno(error), libc::ENOENT | libc::ENODEV | libc::ENXIO)
}

fn mount_one(m: &Mount) -> Result<(), Failure> {
    let (flags, data) = flags_and_data(&m.options);
    let data = (!data.is_empty()).then_some(data.as_str());
    let step = || format!("mount {} {} on {}", m.kind, m.source, m.destination);
    match m.kind.as_str() {
        "tmpfs" => {
            make_dirs(&m.destination)?;
            sys::mount(Some(&m.source), &m.destination, Some("tmpfs"), flags | libc::MS_NOSUID | libc::MS_NODEV, data)
                .with_step(step)
        }
        "virtiofs" => {
            make_dirs(&m.destination)?;
            let deadline = Instant::now() + TAG_TIMEOUT;
            loop {
                match sys::mount(Some(&m.source), &m.destination, Some("virtiofs"), flags, data) {
                    Ok(()) => return Ok(()),
                    Err(e) if tag_not_ready(&e) && Instant::now() < deadline => std::thread::sleep(TAG_RETRY),
                    Err(e) => return Err(e).with_step(step),
                }
            }
        }
        other => Err(io::Error::from_raw_os_error(libc::ENODEV))
            .with_step(|| format!("mount {} on {}: unknown mount type {other:?}", m.source, m.destination)),
    }
}

/// Mounts every entry, in order; the first failure stops the boot.
pub fn mount_all(mounts: &[Mount]) -> Result<(), Failure> {
    mounts.iter().try_for_each(mount_one)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(json: &str) -> Map<String, Value> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => map,
            other => panic!("{json}: {other:?}"),
        }
    }

    fn mount(kind: &str, source: &str, destination: &str, options: &str) -> Mount {
        Mount { kind: kind.into(), source: source.into(), destination: destination.into(), options: options.into() }
    }

    #[test]
    fn entries_are_read_in_order_with_defaults() {
        let m = parse(&top(
            r#"{"krunctl_mounts":[
                {"type":"virtiofs","source":"krunctl-mnt0","destination":"/data","options":"ro"},
                {"type":"tmpfs","destination":"/tmp"},
                {"type":"tmpfs","source":"tmpfs","destination":"/run","options":"size=1048576","extra":1}]}"#,
        ))
        .unwrap();
        assert_eq!(
            m,
            vec![
                mount("virtiofs", "krunctl-mnt0", "/data", "ro"),
                mount("tmpfs", "tmpfs", "/tmp", ""),
                mount("tmpfs", "tmpfs", "/run", "size=1048576"),
            ]
        );
    }

    #[test]
    fn absent_or_null_means_none() {
        assert!(parse(&top(r#"{}"#)).unwrap().is_empty());
        assert!(parse(&top(r#"{"krunctl_mounts":null}"#)).unwrap().is_empty());
        assert!(parse(&top(r#"{"krunctl_mounts":[]}"#)).unwrap().is_empty());
    }

    #[test]
    fn wrong_shapes_are_errors() {
        assert_eq!(parse(&top(r#"{"krunctl_mounts":{}}"#)).unwrap_err(), "\"krunctl_mounts\" is not an array");
        assert_eq!(parse(&top(r#"{"krunctl_mounts":["/tmp"]}"#)).unwrap_err(), "\"krunctl_mounts\"[0] is not an object");
        assert_eq!(
            parse(&top(r#"{"krunctl_mounts":[{"destination":"/t"}]}"#)).unwrap_err(),
            "\"krunctl_mounts\"[0] has no type"
        );
        assert_eq!(
            parse(&top(r#"{"krunctl_mounts":[{"type":"tmpfs"}]}"#)).unwrap_err(),
            "\"krunctl_mounts\"[0] has no destination"
        );
        assert_eq!(
            parse(&top(r#"{"krunctl_mounts":[{"type":"virtiofs","destination":"/d"}]}"#)).unwrap_err(),
            "\"krunctl_mounts\"[0] has no source"
        );
        assert_eq!(
            parse(&top(r#"{"krunctl_mounts":[{"type":"tmpfs","destination":"tmp"}]}"#)).unwrap_err(),
            "\"krunctl_mounts\"[0].destination is not an absolute path"
        );
        assert_eq!(
            parse(&top(r#"{"krunctl_mounts":[{"type":"tmpfs","destination":"/t","options":["ro"]}]}"#)).unwrap_err(),
            "\"krunctl_mounts\"[0].options is not a string"
        );
    }

    #[test]
    fn the_read_only_root_flag_is_a_boolean() {
        assert!(!parse_read_only_root(&top(r#"{}"#)).unwrap());
        assert!(!parse_read_only_root(&top(r#"{"krunctl_root_read_only":null}"#)).unwrap());
        assert!(!parse_read_only_root(&top(r#"{"krunctl_root_read_only":false}"#)).unwrap());
        assert!(parse_read_only_root(&top(r#"{"krunctl_root_read_only":true}"#)).unwrap());
        assert_eq!(
            parse_read_only_root(&top(r#"{"krunctl_root_read_only":"yes"}"#)).unwrap_err(),
            "\"krunctl_root_read_only\" is not a boolean"
        );
    }

    #[test]
    fn unknown_types_are_kept_for_the_mount_step_to_refuse() {
        let m = parse(&top(r#"{"krunctl_mounts":[{"type":"nfs","source":"x:/y","destination":"/n"}]}"#)).unwrap();
        assert_eq!(m, vec![mount("nfs", "x:/y", "/n", "")]);
    }

    #[test]
    fn options_split_into_flags_and_data() {
        assert_eq!(flags_and_data(""), (0, String::new()));
        assert_eq!(flags_and_data("ro"), (libc::MS_RDONLY, String::new()));
        assert_eq!(flags_and_data("ro,rw"), (0, String::new()));
        assert_eq!(
            flags_and_data("size=67108864, nosuid,mode=0755,noexec,nodev"),
            (libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV, "size=67108864,mode=0755".to_owned())
        );
        assert_eq!(
            flags_and_data("noatime,nodiratime,relatime,strictatime,sync,dirsync"),
            (
                libc::MS_NOATIME
                    | libc::MS_NODIRATIME
                    | libc::MS_RELATIME
                    | libc::MS_STRICTATIME
                    | libc::MS_SYNCHRONOUS
                    | libc::MS_DIRSYNC,
                String::new()
            )
        );
    }

    #[test]
    fn make_dirs_creates_every_missing_component() {
        let base = std::env::temp_dir().join(format!("krun-init-mounts-{}", std::process::id()));
        let deep = base.join("a/b/c");
        make_dirs(deep.to_str().unwrap()).unwrap();
        assert!(deep.is_dir());
        make_dirs(deep.to_str().unwrap()).expect("existing directories are fine");
        std::fs::write(base.join("file"), b"x").unwrap();
        let failure = make_dirs(base.join("file/sub").to_str().unwrap()).unwrap_err();
        assert!(failure.step.ends_with("/file"), "the file is in the way: {}", failure.step);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
