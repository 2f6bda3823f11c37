//! The environment rules: how the kernel-given environment, the config file
//! and the `KRUN_*` control variables combine into what the workload gets,
//! plus the values read from the environment (rlimits, workdir, argv).
//!
//! Everything here is pure: it works on an `EnvMap` snapshot, and only
//! `sys::replace_environment` installs the result.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const DEFAULT_HOSTNAME: &str = "localhost";
pub const DEFAULT_SHELL: &str = "/bin/sh";
/// Variables starting with this prefix control the init and are removed
/// from the workload's environment.
pub const CONTROL_PREFIX: &str = "KRUN_";

/// An ordered environment: keys keep the order they were first set in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvMap {
    vars: Vec<(OsString, OsString)>,
}

impl EnvMap {
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars_os())
    }

    pub fn from_pairs<K: Into<OsString>, V: Into<OsString>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut map = Self::default();
        for (key, value) in pairs {
            map.set(key.into(), value.into());
        }
        map
    }

    pub fn get(&self, key: &str) -> Option<&OsStr> {
        self.vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_os_str())
    }

    /// The value of `key`, treating an empty value as unset.
    pub fn get_nonempty(&self, key: &str) -> Option<&OsStr> {
        self.get(key).filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: OsString, value: OsString) {
        match self.vars.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.vars.push((key, value)),
        }
    }

    #[cfg(test)]
    pub fn pairs(&self) -> &[(OsString, OsString)] {
        &self.vars
    }

    /// Applies the config file's `KEY=VALUE` entries: HOME and TERM always
    /// overwrite (the kernel sets `HOME=/` and `TERM=linux` for init); any
    /// other key is set only when the environment does not have it yet, so
    /// what came on the kernel command line wins. Entries without `=`, with
    /// an empty key or with a NUL byte are skipped.
    pub fn apply_config_env(&mut self, entries: &[String]) {
        for entry in entries {
            let Some((key, value)) = entry.split_once('=') else { continue };
            if key.is_empty() || entry.contains('\0') {
                continue;
            }
            if matches!(key, "HOME" | "TERM") || self.get(key).is_none() {
                self.set(key.into(), value.into());
            }
        }
    }

    /// `KRUN_HOME` → `HOME`, `KRUN_TERM` → `TERM`.
    pub fn apply_krun_overrides(&mut self) {
        for (from, to) in [("KRUN_HOME", "HOME"), ("KRUN_TERM", "TERM")] {
            if let Some(value) = self.get(from).map(OsStr::to_owned) {
                self.set(to.into(), value);
            }
        }
    }

    pub fn hostname(&self) -> OsString {
        self.get_nonempty("HOSTNAME").map_or_else(|| DEFAULT_HOSTNAME.into(), OsStr::to_owned)
    }

    /// The directory to start the workload in: `KRUN_WORKDIR`, else the
    /// config's cwd. Empty values count as unset.
    pub fn workdir(&self, config_cwd: Option<&str>) -> Option<OsString> {
        self.get_nonempty("KRUN_WORKDIR")
            .map(OsStr::to_owned)
            .or_else(|| config_cwd.filter(|c| !c.is_empty()).map(OsString::from))
    }

    /// `KRUN_INIT_PID1` starting with `1`: exec the workload as PID 1.
    pub fn wants_pid1(&self) -> bool {
        self.get("KRUN_INIT_PID1").is_some_and(|v| v.as_bytes().first() == Some(&b'1'))
    }

    /// `KRUN_DHCP=1`: run the DHCP client on eth0.
    pub fn wants_dhcp(&self) -> bool {
        self.get("KRUN_DHCP").is_some_and(|v| v == "1")
    }

    /// The block-device root to switch to, from `KRUN_BLOCK_ROOT_DEVICE`,
    /// `KRUN_BLOCK_ROOT_FSTYPE` (absent, empty or `auto`: probe) and
    /// `KRUN_BLOCK_ROOT_OPTIONS` (the mount data string).
    pub fn block_root(&self) -> Option<BlockRoot> {
        let device = self.get_nonempty("KRUN_BLOCK_ROOT_DEVICE")?.to_string_lossy().into_owned();
        let fstype = self
            .get_nonempty("KRUN_BLOCK_ROOT_FSTYPE")
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|t| t != "auto");
        let options = self.get_nonempty("KRUN_BLOCK_ROOT_OPTIONS").map(|v| v.to_string_lossy().into_owned());
        Some(BlockRoot { device, fstype, options })
    }

    /// What the workload gets: everything but the `KRUN_*` control
    /// variables, with a default PATH when none is set.
    pub fn workload_env(&self) -> Vec<(OsString, OsString)> {
        let mut vars: Vec<_> =
            self.vars.iter().filter(|(k, _)| !k.as_bytes().starts_with(CONTROL_PREFIX.as_bytes())).cloned().collect();
        if !vars.iter().any(|(k, _)| k == "PATH") {
            vars.push(("PATH".into(), DEFAULT_PATH.into()));
        }
        vars
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRoot {
    pub device: String,
    /// `None`: try every block filesystem the kernel knows.
    pub fstype: Option<String>,
    pub options: Option<String>,
}

/// The kernel command line's words before `--` (the init's own arguments
/// come after it). Double quotes group words, as the kernel parses them,
/// and are removed.
pub fn kernel_words(cmdline: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in cmdline.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_ascii_whitespace() && !quoted => {
                if in_word {
                    if word == "--" {
                        return words;
                    }
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word && word != "--" {
        words.push(word);
    }
    words
}

/// Chooses the workload's command line:
/// `KRUN_INIT` followed by the kernel's `argv[1..]`; else the config's argv;
/// else the kernel's `argv[1..]` as the command; else `/bin/sh`.
pub fn choose_argv(env: &EnvMap, config_argv: Option<&[String]>, kernel_argv: &[OsString]) -> Vec<OsString> {
    let rest = kernel_argv.get(1..).unwrap_or_default();
    if let Some(init) = env.get_nonempty("KRUN_INIT") {
        let mut argv = vec![init.to_owned()];
        argv.extend_from_slice(rest);
        argv
    } else if let Some(argv) = config_argv.filter(|a| !a.is_empty()) {
        argv.iter().map(OsString::from).collect()
    } else if !rest.is_empty() {
        rest.to_vec()
    } else {
        vec![DEFAULT_SHELL.into()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    pub resource: u32,
    pub cur: u64,
    pub max: u64,
}

/// Parses `KRUN_RLIMITS`: comma-separated items `ID=CUR:MAX` or `ID:CUR:MAX`
/// (numeric Linux RLIMIT ids, decimal u64 limits), optionally wrapped in
/// double quotes. Returns the valid items and the invalid ones (skipped).
pub fn parse_rlimits(value: &str) -> (Vec<Rlimit>, Vec<String>) {
    let value = value.trim();
    let value = value.strip_prefix('"').unwrap_or(value);
    let value = value.strip_suffix('"').unwrap_or(value);
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        match parse_rlimit(item) {
            Some(limit) => valid.push(limit),
            None => invalid.push(item.to_owned()),
        }
    }
    (valid, invalid)
}

fn parse_rlimit(item: &str) -> Option<Rlimit> {
    let mut parts = item.splitn(3, ['=', ':']);
    let resource = parts.next()?.parse().ok()?;
    let cur = parts.next()?.parse().ok()?;
    let max = parts.next()?.parse().ok()?;
    Some(Rlimit { resource, cur, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvMap {
        EnvMap::from_pairs(pairs.iter().map(|(k, v)| (*k, *v)))
    }

    fn os(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn value<'a>(e: &'a EnvMap, key: &str) -> Option<&'a str> {
        e.get(key).and_then(OsStr::to_str)
    }

    #[test]
    fn config_env_does_not_override_kernel_env() {
        let mut e = env(&[("FOO", "from-kernel")]);
        e.apply_config_env(&strings(&["FOO=from-config", "BAR=new"]));
        assert_eq!(value(&e, "FOO"), Some("from-kernel"));
        assert_eq!(value(&e, "BAR"), Some("new"));
    }

    #[test]
    fn config_home_and_term_overwrite_the_kernel_defaults() {
        let mut e = env(&[("HOME", "/"), ("TERM", "linux")]);
        e.apply_config_env(&strings(&["HOME=/root", "TERM=xterm-256color"]));
        assert_eq!(value(&e, "HOME"), Some("/root"));
        assert_eq!(value(&e, "TERM"), Some("xterm-256color"));
    }

    #[test]
    fn config_env_entries_split_at_the_first_equals_and_bad_ones_are_skipped() {
        let mut e = EnvMap::default();
        e.apply_config_env(&strings(&["OPTS=a=b=c", "NOEQUALS", "=nokey", "EMPTY=", "NUL=a\0b"]));
        assert_eq!(value(&e, "OPTS"), Some("a=b=c"));
        assert_eq!(value(&e, "EMPTY"), Some(""));
        assert_eq!(e.get("NOEQUALS"), None);
        assert_eq!(e.get("NUL"), None);
        assert_eq!(e.pairs().len(), 2);
    }

    #[test]
    fn krun_home_and_term_win_over_config() {
        let mut e = env(&[("KRUN_HOME", "/home/u"), ("KRUN_TERM", "vt100"), ("HOME", "/")]);
        e.apply_config_env(&strings(&["HOME=/root", "TERM=xterm"]));
        e.apply_krun_overrides();
        assert_eq!(value(&e, "HOME"), Some("/home/u"));
        assert_eq!(value(&e, "TERM"), Some("vt100"));
    }

    #[test]
    fn workload_env_drops_control_variables_and_keeps_the_rest_in_order() {
        let e = env(&[
            ("HOME", "/"),
            ("KRUN_INIT", "/bin/app"),
            ("KRUN_RLIMITS", "7=1:2"),
            ("PATH", "/opt/bin"),
            ("KRUNCTL_USER", "kept"),
            ("A", "1"),
        ]);
        let got = e.workload_env();
        assert_eq!(
            got,
            vec![
                ("HOME".into(), "/".into()),
                ("PATH".into(), "/opt/bin".into()),
                ("KRUNCTL_USER".into(), "kept".into()),
                ("A".into(), "1".into()),
            ]
        );
    }

    #[test]
    fn workload_env_gets_a_default_path() {
        let got = env(&[("HOME", "/")]).workload_env();
        assert_eq!(got.last(), Some(&("PATH".into(), DEFAULT_PATH.into())));
    }

    #[test]
    fn hostname_defaults_to_localhost() {
        assert_eq!(EnvMap::default().hostname(), "localhost");
        assert_eq!(env(&[("HOSTNAME", "")]).hostname(), "localhost");
        assert_eq!(env(&[("HOSTNAME", "box")]).hostname(), "box");
    }

    #[test]
    fn krun_workdir_beats_config_cwd() {
        assert_eq!(env(&[("KRUN_WORKDIR", "/w")]).workdir(Some("/c")), Some("/w".into()));
        assert_eq!(env(&[]).workdir(Some("/c")), Some("/c".into()));
        assert_eq!(env(&[("KRUN_WORKDIR", "")]).workdir(Some("/c")), Some("/c".into()));
        assert_eq!(env(&[]).workdir(None), None);
    }

    #[test]
    fn pid1_mode_needs_a_value_starting_with_1() {
        assert!(env(&[("KRUN_INIT_PID1", "1")]).wants_pid1());
        assert!(env(&[("KRUN_INIT_PID1", "1yes")]).wants_pid1());
        assert!(!env(&[("KRUN_INIT_PID1", "0")]).wants_pid1());
        assert!(!env(&[("KRUN_INIT_PID1", "")]).wants_pid1());
        assert!(!env(&[]).wants_pid1());
    }

    #[test]
    fn krun_init_takes_the_kernel_arguments() {
        let e = env(&[("KRUN_INIT", "/bin/app")]);
        let cfg = strings(&["/ignored"]);
        let got = choose_argv(&e, Some(&cfg), &os(&["/init.krun", "-v", "x y"]));
        assert_eq!(got, os(&["/bin/app", "-v", "x y"]));
    }

    #[test]
    fn config_argv_comes_next_and_ignores_kernel_arguments() {
        let cfg = strings(&["/bin/echo", "hi"]);
        let got = choose_argv(&EnvMap::default(), Some(&cfg), &os(&["/init.krun", "extra"]));
        assert_eq!(got, os(&["/bin/echo", "hi"]));
    }

    #[test]
    fn kernel_arguments_alone_are_the_command() {
        let got = choose_argv(&EnvMap::default(), None, &os(&["/init.krun", "/bin/ls", "-l"]));
        assert_eq!(got, os(&["/bin/ls", "-l"]));
    }

    #[test]
    fn shell_is_the_last_resort() {
        assert_eq!(choose_argv(&EnvMap::default(), None, &os(&["/init.krun"])), os(&["/bin/sh"]));
        assert_eq!(choose_argv(&EnvMap::default(), Some(&[]), &[]), os(&["/bin/sh"]));
        assert_eq!(choose_argv(&env(&[("KRUN_INIT", "")]), None, &os(&["/init.krun"])), os(&["/bin/sh"]));
    }

    #[test]
    fn dhcp_needs_exactly_1() {
        assert!(env(&[("KRUN_DHCP", "1")]).wants_dhcp());
        assert!(!env(&[("KRUN_DHCP", "0")]).wants_dhcp());
        assert!(!env(&[("KRUN_DHCP", "yes")]).wants_dhcp());
        assert!(!env(&[("KRUN_DHCP", "11")]).wants_dhcp());
        assert!(!env(&[]).wants_dhcp());
    }

    #[test]
    fn block_root_variables() {
        assert_eq!(env(&[]).block_root(), None);
        assert_eq!(env(&[("KRUN_BLOCK_ROOT_DEVICE", "")]).block_root(), None);
        assert_eq!(
            env(&[("KRUN_BLOCK_ROOT_DEVICE", "/dev/vda")]).block_root(),
            Some(BlockRoot { device: "/dev/vda".into(), fstype: None, options: None })
        );
        assert_eq!(
            env(&[
                ("KRUN_BLOCK_ROOT_DEVICE", "/dev/vdb"),
                ("KRUN_BLOCK_ROOT_FSTYPE", "ext4"),
                ("KRUN_BLOCK_ROOT_OPTIONS", "noload,errors=remount-ro")
            ])
            .block_root(),
            Some(BlockRoot {
                device: "/dev/vdb".into(),
                fstype: Some("ext4".into()),
                options: Some("noload,errors=remount-ro".into())
            })
        );
        let auto = env(&[("KRUN_BLOCK_ROOT_DEVICE", "/dev/vda"), ("KRUN_BLOCK_ROOT_FSTYPE", "auto")]).block_root();
        assert_eq!(auto.and_then(|b| b.fstype), None);
    }

    #[test]
    fn kernel_words_stop_at_the_double_dash_and_respect_quotes() {
        assert_eq!(
            kernel_words("console=hvc0 tsi_hijack KRUN_INIT=/bin/sh -- \"tsi_dummy\" x\n"),
            strings(&["console=hvc0", "tsi_hijack", "KRUN_INIT=/bin/sh"])
        );
        assert_eq!(kernel_words("a \"B=x y\" c=\"1 2\"  d"), strings(&["a", "B=x y", "c=1 2", "d"]));
        assert_eq!(kernel_words("quiet -- tsi_hijack"), strings(&["quiet"]));
        assert_eq!(kernel_words(""), Vec::<String>::new());
        assert_eq!(kernel_words("x --"), strings(&["x"]));
        assert_eq!(kernel_words("x --y"), strings(&["x", "--y"]));
    }

    #[test]
    fn rlimits_in_both_item_forms() {
        let (valid, invalid) = parse_rlimits("7=1024:4096,6:100:200");
        assert_eq!(
            valid,
            vec![Rlimit { resource: 7, cur: 1024, max: 4096 }, Rlimit { resource: 6, cur: 100, max: 200 },]
        );
        assert!(invalid.is_empty());
    }

    #[test]
    fn rlimits_outer_quotes_are_stripped() {
        let (valid, invalid) = parse_rlimits("\"7=1:2,3=8388608:18446744073709551615\"");
        assert_eq!(
            valid,
            vec![Rlimit { resource: 7, cur: 1, max: 2 }, Rlimit { resource: 3, cur: 8388608, max: u64::MAX },]
        );
        assert!(invalid.is_empty());
    }

    #[test]
    fn rlimits_bad_items_are_skipped_and_reported() {
        let (valid, invalid) = parse_rlimits("7=1:2,NOFILE=1:2,7=1,7=a:b,7=-1:5,, 4=0:0 ,7=1:2:3");
        assert_eq!(valid, vec![Rlimit { resource: 7, cur: 1, max: 2 }, Rlimit { resource: 4, cur: 0, max: 0 }]);
        assert_eq!(invalid, strings(&["NOFILE=1:2", "7=1", "7=a:b", "7=-1:5", "7=1:2:3"]));
        assert_eq!(parse_rlimits(""), (vec![], vec![]));
    }
}
