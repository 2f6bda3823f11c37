//! The workload configuration file, `/.krun_config.json` (or `$KRUN_CONFIG`).
//!
//! Two shapes are accepted, as in libkrun's Rust init:
//!
//! * an OCI runtime-spec `config.json`: when a `process` object is present,
//!   `process.args`, `process.env`, `process.cwd` and `process.user` are used
//!   and nothing at the top level is consulted;
//! * otherwise the top level itself: `args` (alias `Cmd`), `env` (alias
//!   `Env`), `cwd` (aliases `WorkingDir`, `Cwd`), plus `Entrypoint`, which is
//!   prepended to the args, or used alone when there are none.
//!
//! Both shapes may carry an OCI-style top-level `mounts` array: each entry
//! an object whose `destination`, `type` and `source` are strings when
//! present (other keys, e.g. `options`, are ignored). Entries with type and
//! source both `tmpfs` are candidates for the workload's tmpfs: the init
//! mounts the first one whose destination is not yet a mount point.
//!
//! Both shapes may also carry krunctl's own `krunctl_mounts` and
//! `krunctl_root_read_only` (see `mounts`).
//!
//! `process.user` (OCI shape only; a flat file has no user, and Docker's
//! string `User` is ignored like any unknown key) is who the workload runs
//! as:
//!
//! ```json
//! "user": {"uid": 1000, "gid": 1000, "additionalGids": [10, 27], "umask": 18}
//! ```
//!
//! `uid` and `gid` are required, `additionalGids` and `umask` optional; all
//! are JSON integers in 0..=4294967295, and `umask` at most 0o777 (511;
//! JSON has no octal: 0o022 is 18). The supplementary groups become exactly
//! `additionalGids`, none when it is absent (as runc does). Without `user`
//! the workload keeps the init's credentials (root) and umask.
//!
//! Key names are case-sensitive. When a key and its alias are both present,
//! the first name in the lists above wins. `null`, an empty array and an
//! empty string count as absent (image configs carry `"WorkingDir": ""` and
//! `"Entrypoint": null`). Unknown keys are ignored. A value of the wrong type
//! makes the whole file invalid, like any other parse error.

use std::io;
use std::path::Path;

use serde_json::{Map, Value};

pub const DEFAULT_PATH: &str = "/.krun_config.json";

#[derive(Debug, Default, PartialEq)]
pub struct Config {
    /// The command line, Entrypoint already applied.
    pub argv: Option<Vec<String>>,
    /// `KEY=VALUE` entries, unvalidated.
    pub env: Vec<String>,
    pub cwd: Option<String>,
    /// Destinations of the `mounts` entries of type and source `tmpfs`, in
    /// file order.
    pub tmpfs: Vec<String>,
    /// krunctl's own mounts (`krunctl_mounts`, see `mounts`), in order.
    pub mounts: Vec<crate::mounts::Mount>,
    /// `krunctl_root_read_only`: remount `/` read-only after the mounts.
    pub read_only_root: bool,
    /// `process.user`: who the workload runs as; `None` keeps root.
    pub user: Option<User>,
}

/// The OCI `process.user` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    /// `additionalGids`: exactly the supplementary groups (empty when absent).
    pub additional_gids: Vec<u32>,
    /// `umask`: `None` leaves the umask as it is.
    pub umask: Option<u32>,
}

/// The largest umask: the permission bits.
const UMASK_MAX: u32 = 0o777;

/// Reads the file at `path`. A missing file gives the defaults silently;
/// an unreadable or unparsable one gives the defaults and a warning text.
#[cfg(test)]
pub fn load(path: &Path) -> (Config, Option<String>) {
    load_with_fallback(path, None)
}

/// Reads the config file at `path` like `load`; when it is missing there
/// and `fallback_root` is given, reads it at the same path under that
/// directory instead: the
/// virtio-fs root kept from before a block-device root was moved over `/`
/// (libkrun reads the file in the block root; krunctl's host serves it on
/// the virtio-fs root, which the move hides).
pub fn load_with_fallback(path: &Path, fallback_root: Option<&std::os::fd::OwnedFd>) -> (Config, Option<String>) {
    // Read, never look first: krunctl serves the file as a one-shot entry
    // that vanishes after its first lookup.
    let bytes = match (std::fs::read(path), fallback_root) {
        (Err(e), Some(root)) if e.kind() == io::ErrorKind::NotFound => {
            let relative = path.strip_prefix("/").unwrap_or(path);
            crate::sys::openat(root, relative, libc::O_RDONLY | libc::O_CLOEXEC).and_then(|fd| {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut bytes)?;
                Ok(bytes)
            })
        }
        (read, _) => read,
    };
    match bytes {
        Ok(bytes) => match parse(&bytes) {
            Ok(config) => (config, None),
            Err(reason) => (Config::default(), Some(reason)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => (Config::default(), None),
        Err(e) => (Config::default(), Some(crate::sys::reason(&e))),
    }
}

pub fn parse(bytes: &[u8]) -> Result<Config, String> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Value::Object(top) = root else {
        return Err("the top level is not a JSON object".into());
    };
    let mut config = match top.get("process") {
        None | Some(Value::Null) => parse_flat(&top)?,
        Some(Value::Object(process)) => Config {
            argv: string_list(process, &["args"])?,
            env: string_list(process, &["env"])?.unwrap_or_default(),
            cwd: string(process, &["cwd"])?,
            tmpfs: Vec::new(),
            mounts: Vec::new(),
            read_only_root: false,
            user: user(process)?,
        },
        Some(_) => return Err("\"process\" is not an object".into()),
    };
    config.tmpfs = tmpfs_destinations(&top)?;
    config.mounts = crate::mounts::parse(&top)?;
    config.read_only_root = crate::mounts::parse_read_only_root(&top)?;
    Ok(config)
}

fn tmpfs_destinations(top: &Map<String, Value>) -> Result<Vec<String>, String> {
    let Some((_, value)) = field(top, &["mounts"]) else {
        return Ok(Vec::new());
    };
    let entries = value.as_array().ok_or("\"mounts\" is not an array")?;
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let entry = entry.as_object().ok_or_else(|| format!("\"mounts\"[{i}] is not an object"))?;
        let text = |key: &str| match entry.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("\"mounts\"[{i}].{key} is not a string")),
        };
        let (destination, kind, source) = (text("destination")?, text("type")?, text("source")?);
        if kind == Some("tmpfs")
            && source == Some("tmpfs")
            && let Some(destination) = destination.filter(|d| !d.is_empty())
        {
            out.push(destination.to_owned());
        }
    }
    Ok(out)
}

fn parse_flat(top: &Map<String, Value>) -> Result<Config, String> {
    let args = string_list(top, &["args", "Cmd"])?;
    let entrypoint = string_list(top, &["Entrypoint"])?;
    let argv = match (entrypoint, args) {
        (Some(mut entrypoint), Some(args)) => {
            entrypoint.extend(args);
            Some(entrypoint)
        }
        (Some(entrypoint), None) => Some(entrypoint),
        (None, args) => args,
    };
    Ok(Config {
        argv,
        env: string_list(top, &["env", "Env"])?.unwrap_or_default(),
        cwd: string(top, &["cwd", "WorkingDir", "Cwd"])?,
        tmpfs: Vec::new(),
        mounts: Vec::new(),
        read_only_root: false,
        user: None,
    })
}

/// `process.user`; `None` when absent or null.
fn user(process: &Map<String, Value>) -> Result<Option<User>, String> {
    let user = match process.get("user") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(user)) => user,
        Some(_) => return Err("\"process\".user is not an object".into()),
    };
    let number = |key: &str| match user.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => u32_value(value)
            .map(Some)
            .ok_or_else(|| format!("\"process\".user.{key} is not an integer in 0..=4294967295")),
    };
    let uid = number("uid")?.ok_or("\"process\".user has no uid")?;
    let gid = number("gid")?.ok_or("\"process\".user has no gid")?;
    let additional_gids = match user.get("additionalGids") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(u32_value).collect(),
        Some(_) => None,
    }
    .ok_or("\"process\".user.additionalGids is not an array of integers in 0..=4294967295")?;
    let umask = number("umask")?;
    if umask.is_some_and(|umask| umask > UMASK_MAX) {
        return Err(format!("\"process\".user.umask is above {UMASK_MAX:#o} ({UMASK_MAX})"));
    }
    Ok(Some(User { uid, gid, additional_gids, umask }))
}

/// A JSON integer that fits a u32 (not a float, even a whole one).
fn u32_value(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

/// The first of `names` present with a non-null value.
fn field<'a>(obj: &'a Map<String, Value>, names: &[&'a str]) -> Option<(&'a str, &'a Value)> {
    names.iter().find_map(|name| match obj.get(*name) {
        None | Some(Value::Null) => None,
        Some(value) => Some((*name, value)),
    })
}

fn string_list(obj: &Map<String, Value>, names: &[&str]) -> Result<Option<Vec<String>>, String> {
    let Some((name, value)) = field(obj, names) else {
        return Ok(None);
    };
    let not_strings = || format!("\"{name}\" is not an array of strings");
    let items = value.as_array().ok_or_else(not_strings)?;
    let strings = items
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(not_strings)?;
    Ok(if strings.is_empty() { None } else { Some(strings) })
}

fn string(obj: &Map<String, Value>, names: &[&str]) -> Result<Option<String>, String> {
    let Some((name, value)) = field(obj, names) else {
        return Ok(None);
    };
    match value.as_str() {
        Some("") => Ok(None),
        Some(s) => Ok(Some(s.to_owned())),
        None => Err(format!("\"{name}\" is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(json: &str) -> Config {
        match parse(json.as_bytes()) {
            Ok(config) => config,
            Err(e) => panic!("{json} did not parse: {e}"),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn oci_process_object_supplies_args_env_and_cwd() {
        let c = parsed(
            r#"{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0},
                "args":["/bin/echo","hi"],"env":["PATH=/bin","A=1"],"cwd":"/work"},
                "root":{"path":"rootfs"}}"#,
        );
        assert_eq!(c.argv, Some(strings(&["/bin/echo", "hi"])));
        assert_eq!(c.env, strings(&["PATH=/bin", "A=1"]));
        assert_eq!(c.cwd.as_deref(), Some("/work"));
        assert_eq!(c.user, Some(User { uid: 0, gid: 0, additional_gids: Vec::new(), umask: None }));
    }

    #[test]
    fn process_user_is_parsed_with_additional_gids_and_umask() {
        let c = parsed(
            r#"{"process":{"args":["/bin/id"],
                "user":{"uid":1000,"gid":100,"additionalGids":[10,27,4294967295],"umask":18,"username":"x"}}}"#,
        );
        let user = User { uid: 1000, gid: 100, additional_gids: vec![10, 27, u32::MAX], umask: Some(0o022) };
        assert_eq!(c.user, Some(user));
        assert_eq!(c.argv, Some(strings(&["/bin/id"])));
        let c = parsed(r#"{"process":{"user":{"uid":4294967295,"gid":0,"additionalGids":[],"umask":0}}}"#);
        assert_eq!(c.user, Some(User { uid: u32::MAX, gid: 0, additional_gids: Vec::new(), umask: Some(0) }));
        let c = parsed(r#"{"process":{"user":{"uid":1,"gid":2,"umask":511}}}"#);
        assert_eq!(c.user.and_then(|u| u.umask), Some(0o777));
    }

    #[test]
    fn process_user_without_optional_fields_has_no_groups_and_no_umask() {
        let c = parsed(r#"{"process":{"user":{"uid":1000,"gid":1000}}}"#);
        assert_eq!(c.user, Some(User { uid: 1000, gid: 1000, additional_gids: Vec::new(), umask: None }));
        // null counts as absent.
        let c = parsed(r#"{"process":{"user":{"uid":1000,"gid":1000,"additionalGids":null,"umask":null}}}"#);
        assert_eq!(c.user, Some(User { uid: 1000, gid: 1000, additional_gids: Vec::new(), umask: None }));
    }

    #[test]
    fn absent_or_null_process_user_keeps_root() {
        assert_eq!(parsed(r#"{"process":{"args":["/bin/sh"]}}"#).user, None);
        assert_eq!(parsed(r#"{"process":{"args":["/bin/sh"],"user":null}}"#).user, None);
        // Only inside "process": the flat shape has no user, and a top-level
        // "user" or Docker's string "User" is an ignored unknown key.
        assert_eq!(parsed(r#"{"Cmd":["/bin/sh"],"User":"1000:1000"}"#).user, None);
        assert_eq!(parsed(r#"{"Cmd":["/bin/sh"],"user":{"uid":1000,"gid":1000}}"#).user, None);
        assert_eq!(parsed(r#"{"process":{},"user":{"uid":1000,"gid":1000}}"#).user, None);
    }

    #[test]
    fn mistyped_process_user_is_an_error() {
        let error = |json: &str| parse(json.as_bytes()).err().unwrap_or_else(|| panic!("{json} parsed"));
        for json in [
            r#"{"process":{"user":"1000:1000"}}"#,
            r#"{"process":{"user":[1000,1000]}}"#,
            r#"{"process":{"user":1000}}"#,
        ] {
            assert_eq!(error(json), "\"process\".user is not an object");
        }
        assert_eq!(error(r#"{"process":{"user":{}}}"#), "\"process\".user has no uid");
        assert_eq!(error(r#"{"process":{"user":{"uid":null,"gid":0}}}"#), "\"process\".user has no uid");
        assert_eq!(error(r#"{"process":{"user":{"uid":0}}}"#), "\"process\".user has no gid");
        for bad in ["\"1000\"", "-1", "1000.0", "1e3", "4294967296", "true", "[1000]"] {
            assert_eq!(
                error(&format!(r#"{{"process":{{"user":{{"uid":{bad},"gid":0}}}}}}"#)),
                "\"process\".user.uid is not an integer in 0..=4294967295",
                "uid {bad}"
            );
            assert_eq!(
                error(&format!(r#"{{"process":{{"user":{{"uid":0,"gid":{bad}}}}}}}"#)),
                "\"process\".user.gid is not an integer in 0..=4294967295",
                "gid {bad}"
            );
            assert_eq!(
                error(&format!(r#"{{"process":{{"user":{{"uid":0,"gid":0,"umask":{bad}}}}}}}"#)),
                "\"process\".user.umask is not an integer in 0..=4294967295",
                "umask {bad}"
            );
        }
        for bad in ["10", "\"10\"", "{}", "[10,\"27\"]", "[-1]", "[1.5]", "[4294967296]", "[null]"] {
            assert_eq!(
                error(&format!(r#"{{"process":{{"user":{{"uid":0,"gid":0,"additionalGids":{bad}}}}}}}"#)),
                "\"process\".user.additionalGids is not an array of integers in 0..=4294967295",
                "additionalGids {bad}"
            );
        }
        assert_eq!(
            error(r#"{"process":{"user":{"uid":0,"gid":0,"umask":512}}}"#),
            "\"process\".user.umask is above 0o777 (511)"
        );
    }

    #[test]
    fn mistyped_process_user_makes_the_file_invalid() {
        let path = temp_path("bad-user.json");
        std::fs::write(&path, br#"{"process":{"args":["/bin/true"],"user":{"uid":"root","gid":0}}}"#).unwrap();
        let (c, warning) = load(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(warning.as_deref(), Some("\"process\".user.uid is not an integer in 0..=4294967295"));
    }

    #[test]
    fn process_object_hides_top_level_fields() {
        let c = parsed(r#"{"process":{"args":["/a"]},"Cmd":["/b"],"Entrypoint":["/e"],"Env":["X=1"]}"#);
        assert_eq!(c.argv, Some(strings(&["/a"])));
        assert!(c.env.is_empty());
        assert_eq!(c.cwd, None);
    }

    #[test]
    fn docker_image_config_names_are_accepted() {
        let c = parsed(r#"{"Cmd":["nginx","-g","daemon off;"],"Env":["A=1"],"WorkingDir":"/srv"}"#);
        assert_eq!(c.argv, Some(strings(&["nginx", "-g", "daemon off;"])));
        assert_eq!(c.env, strings(&["A=1"]));
        assert_eq!(c.cwd.as_deref(), Some("/srv"));
    }

    #[test]
    fn lowercase_top_level_names_are_accepted_and_win_over_aliases() {
        let c = parsed(r#"{"args":["/x"],"Cmd":["/y"],"env":["A=1"],"Env":["B=2"],"cwd":"/c","Cwd":"/d"}"#);
        assert_eq!(c.argv, Some(strings(&["/x"])));
        assert_eq!(c.env, strings(&["A=1"]));
        assert_eq!(c.cwd.as_deref(), Some("/c"));
        assert_eq!(parsed(r#"{"Cwd":"/d"}"#).cwd.as_deref(), Some("/d"));
    }

    #[test]
    fn names_are_case_sensitive() {
        let c = parsed(r#"{"CMD":["/x"],"ENV":["A=1"],"workingdir":"/w","entrypoint":["/e"]}"#);
        assert_eq!(c, Config::default());
    }

    #[test]
    fn entrypoint_is_prepended_to_args() {
        let c = parsed(r#"{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx"]}"#);
        assert_eq!(c.argv, Some(strings(&["/docker-entrypoint.sh", "nginx"])));
    }

    #[test]
    fn entrypoint_alone_is_the_command() {
        assert_eq!(parsed(r#"{"Entrypoint":["/bin/app","--serve"]}"#).argv, Some(strings(&["/bin/app", "--serve"])));
        assert_eq!(parsed(r#"{"Entrypoint":["/bin/app"],"Cmd":null}"#).argv, Some(strings(&["/bin/app"])));
        assert_eq!(parsed(r#"{"Entrypoint":["/bin/app"],"Cmd":[]}"#).argv, Some(strings(&["/bin/app"])));
    }

    #[test]
    fn empty_arrays_nulls_and_empty_strings_are_absent() {
        let c = parsed(r#"{"Entrypoint":[],"Cmd":[],"Env":[],"WorkingDir":""}"#);
        assert_eq!(c, Config::default());
        let c = parsed(r#"{"process":{"args":[],"env":null,"cwd":""}}"#);
        assert_eq!(c, Config::default());
        // An empty args array falls back to nothing, not to the alias.
        assert_eq!(parsed(r#"{"args":[],"Cmd":["/y"]}"#).argv, None);
        // A null value lets the alias through.
        assert_eq!(parsed(r#"{"args":null,"Cmd":["/y"]}"#).argv, Some(strings(&["/y"])));
    }

    #[test]
    fn broken_or_mistyped_files_are_errors() {
        assert!(parse(b"{\"Cmd\": [\"/bin/sh\"").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"[\"/bin/sh\"]").is_err());
        assert!(parse(br#"{"Cmd":"/bin/sh"}"#).is_err());
        assert!(parse(br#"{"Cmd":["/bin/sh",1]}"#).is_err());
        assert!(parse(br#"{"WorkingDir":["/"]}"#).is_err());
        assert!(parse(br#"{"process":"oops"}"#).is_err());
        let e = parse(br#"{"Env":{"A":"1"}}"#).err();
        assert_eq!(e.as_deref(), Some("\"Env\" is not an array of strings"));
    }

    #[test]
    fn json_escapes_are_decoded() {
        let c = parsed(r#"{"Cmd":["/bin/echo","caf\u00e9 \"q\"\ttab"]}"#);
        assert_eq!(c.argv, Some(strings(&["/bin/echo", "café \"q\"\ttab"])));
    }

    #[test]
    fn tmpfs_mounts_are_listed_in_order_for_both_shapes() {
        let oci = parsed(
            r#"{"process":{"args":["/bin/sh"]},"mounts":[
                {"destination":"/proc","type":"proc","source":"proc"},
                {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid"]},
                {"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]},
                {"destination":"/run","type":"tmpfs","source":"tmpfs"},
                {"type":"tmpfs","source":"tmpfs"},
                {"destination":"","type":"tmpfs","source":"tmpfs"},
                {"destination":"/x","type":"TMPFS","source":"tmpfs"}]}"#,
        );
        assert_eq!(oci.tmpfs, strings(&["/tmp", "/run"]));
        let flat = parsed(r#"{"Cmd":["/a"],"mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}]}"#);
        assert_eq!(flat.tmpfs, strings(&["/tmp"]));
        assert_eq!(parsed(r#"{"mounts":[]}"#).tmpfs, Vec::<String>::new());
        assert_eq!(parsed(r#"{"mounts":null}"#).tmpfs, Vec::<String>::new());
        // Key names are case-sensitive here too.
        assert!(parsed(r#"{"Mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}]}"#).tmpfs.is_empty());
    }

    #[test]
    fn mistyped_mounts_are_errors() {
        assert!(parse(br#"{"mounts":{}}"#).is_err());
        assert!(parse(br#"{"mounts":["/tmp"]}"#).is_err());
        assert!(parse(br#"{"mounts":[{"destination":1,"type":"tmpfs","source":"tmpfs"}]}"#).is_err());
        assert!(parse(br#"{"mounts":[{"destination":"/t","type":["tmpfs"],"source":"tmpfs"}]}"#).is_err());
        assert_eq!(parse(br#"{"mounts":[{"destination":"/t"},7]}"#).unwrap_err(), "\"mounts\"[1] is not an object");
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("krun-init-test-{}-{name}", std::process::id()))
    }

    #[test]
    fn missing_file_gives_defaults_without_warning() {
        let (c, warning) = load(&temp_path("does-not-exist.json"));
        assert_eq!(c, Config::default());
        assert_eq!(warning, None);
    }

    #[test]
    fn unparsable_file_gives_defaults_with_warning() {
        let path = temp_path("broken.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let (c, warning) = load(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c, Config::default());
        assert!(warning.is_some_and(|w| w.contains("line 1")));
    }

    #[test]
    fn valid_file_is_loaded() {
        let path = temp_path("good.json");
        std::fs::write(&path, br#"{"Cmd":["/bin/true"]}"#).unwrap();
        let (c, warning) = load(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c.argv, Some(strings(&["/bin/true"])));
        assert_eq!(warning, None);
    }
}
