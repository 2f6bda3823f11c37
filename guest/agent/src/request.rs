//! The `EXEC` payload: a JSON object, checked field by field so that every
//! mistake becomes a `FAILED 125` with a reason naming the field.

use std::ffi::CString;

use serde_json::{Map, Value};

/// The PATH used when the request's environment has none (as the init's).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    pub args: Vec<CString>,
    /// `NAME=VALUE` entries, the whole environment.
    pub env: Vec<CString>,
    pub workdir: CString,
    pub uid: u32,
    pub gid: u32,
    /// The terminal's size (rows, cols) when the session has one.
    pub tty: Option<(u16, u16)>,
}

const FIELDS: [&str; 8] = ["args", "env", "workdir", "uid", "gid", "tty", "rows", "cols"];

impl ExecRequest {
    pub fn parse(json: &[u8]) -> Result<ExecRequest, String> {
        let value: Value = serde_json::from_slice(json).map_err(|e| format!("EXEC is not valid JSON: {e}"))?;
        let Value::Object(object) = value else {
            return Err("EXEC is not a JSON object".into());
        };
        // Unknown fields are refused rather than ignored: a host that sends
        // one expects something this agent would silently not do.
        if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!("EXEC has an unknown field {unknown:?}"));
        }
        let args = strings(&object, "args")?;
        if args.is_empty() {
            return Err("EXEC args is empty".into());
        }
        let env = strings(&object, "env")?;
        if let Some(bad) = env.iter().find(|e| e.as_bytes().iter().position(|b| *b == b'=').is_none_or(|i| i == 0)) {
            return Err(format!("EXEC env entry {:?} is not NAME=VALUE", bad.to_string_lossy()));
        }
        let workdir = string(&object, "workdir")?;
        if !workdir.as_bytes().starts_with(b"/") {
            return Err(format!("EXEC workdir {:?} is not an absolute path", workdir.to_string_lossy()));
        }
        let uid = number(&object, "uid", u32::MAX.into())? as u32;
        let gid = number(&object, "gid", u32::MAX.into())? as u32;
        let tty = match object.get("tty") {
            Some(Value::Bool(tty)) => *tty,
            Some(_) => return Err("EXEC tty is not a boolean".into()),
            None => return Err("EXEC has no tty".into()),
        };
        // rows and cols are required with a terminal; without one they are
        // accepted (a host may always send its size) but must be numbers.
        let size = |name| match object.get(name) {
            None if !tty => Ok(0),
            _ => number(&object, name, u16::MAX.into()).map(|n| n as u16),
        };
        let (rows, cols) = (size("rows")?, size("cols")?);
        Ok(ExecRequest { args, env, workdir, uid, gid, tty: tty.then_some((rows, cols)) })
    }

    /// The request's PATH (the first, as getenv finds it), else the default.
    pub fn path(&self) -> &[u8] {
        self.env.iter().find_map(|e| e.as_bytes().strip_prefix(b"PATH=")).unwrap_or(DEFAULT_PATH.as_bytes())
    }

    /// Where to look for the program, in order, as execvp does: the name
    /// itself when it has a slash, else each PATH entry (empty: the
    /// current directory) joined with it.
    pub fn candidates(&self) -> Vec<CString> {
        let program = self.args[0].as_bytes();
        if program.contains(&b'/') {
            return vec![self.args[0].clone()];
        }
        self.path()
            .split(|b| *b == b':')
            .filter_map(|dir| {
                let mut path = Vec::with_capacity(dir.len() + 1 + program.len());
                path.extend_from_slice(if dir.is_empty() { b"." } else { dir });
                path.push(b'/');
                path.extend_from_slice(program);
                CString::new(path).ok()
            })
            .collect()
    }
}

fn missing(name: &str) -> String {
    format!("EXEC has no {name}")
}

fn string(object: &Map<String, Value>, name: &str) -> Result<CString, String> {
    match object.get(name) {
        Some(Value::String(s)) => CString::new(s.as_str()).map_err(|_| format!("EXEC {name} contains a NUL byte")),
        Some(_) => Err(format!("EXEC {name} is not a string")),
        None => Err(missing(name)),
    }
}

fn strings(object: &Map<String, Value>, name: &str) -> Result<Vec<CString>, String> {
    let Some(value) = object.get(name) else { return Err(missing(name)) };
    let Value::Array(items) = value else { return Err(format!("EXEC {name} is not an array")) };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => CString::new(s.as_str()).map_err(|_| format!("EXEC {name}[{i}] contains a NUL byte")),
            _ => Err(format!("EXEC {name}[{i}] is not a string")),
        })
        .collect()
}

fn number(object: &Map<String, Value>, name: &str, max: u64) -> Result<u64, String> {
    match object.get(name) {
        Some(value) => value
            .as_u64()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("EXEC {name} is not a whole number from 0 to {max}")),
        None => Err(missing(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        r#"{"args":["ls","-l"],"env":["PATH=/bin","A=b=c"],"workdir":"/tmp","uid":1000,"gid":100,"tty":false}"#;

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    fn with(field: &str, value: &str) -> String {
        let mut object: Map<String, Value> = serde_json::from_str(GOOD).unwrap();
        match value {
            "<absent>" => {
                object.remove(field);
            }
            _ => {
                object.insert(field.to_owned(), serde_json::from_str(value).unwrap());
            }
        }
        Value::Object(object).to_string()
    }

    #[test]
    fn a_full_request_is_read() {
        let r = ExecRequest::parse(GOOD.as_bytes()).unwrap();
        assert_eq!(r.args, vec![c("ls"), c("-l")]);
        assert_eq!(r.env, vec![c("PATH=/bin"), c("A=b=c")]);
        assert_eq!(r.workdir, c("/tmp"));
        assert_eq!((r.uid, r.gid, r.tty), (1000, 100, None));

        let r = ExecRequest::parse(with("tty", "true").replace('}', r#","rows":24,"cols":80}"#).as_bytes()).unwrap();
        assert_eq!(r.tty, Some((24, 80)));
        let r = ExecRequest::parse(with("rows", "50").replace('}', r#","cols":132}"#).as_bytes()).unwrap();
        assert_eq!(r.tty, None, "a size without a terminal is ignored");
    }

    #[test]
    fn every_mistake_has_a_reason() {
        let cases: &[(&str, &str, &str)] = &[
            ("args", "<absent>", "EXEC has no args"),
            ("args", "[]", "EXEC args is empty"),
            ("args", r#""ls""#, "EXEC args is not an array"),
            ("args", r#"["ls",1]"#, "EXEC args[1] is not a string"),
            ("args", r#"["l\u0000s"]"#, "EXEC args[0] contains a NUL byte"),
            ("env", "<absent>", "EXEC has no env"),
            ("env", r#"["NOEQUALS"]"#, r#"EXEC env entry "NOEQUALS" is not NAME=VALUE"#),
            ("env", r#"["=value"]"#, r#"EXEC env entry "=value" is not NAME=VALUE"#),
            ("env", "{}", "EXEC env is not an array"),
            ("workdir", "<absent>", "EXEC has no workdir"),
            ("workdir", r#""tmp""#, r#"EXEC workdir "tmp" is not an absolute path"#),
            ("workdir", "7", "EXEC workdir is not a string"),
            ("uid", "<absent>", "EXEC has no uid"),
            ("uid", "-1", "EXEC uid is not a whole number from 0 to 4294967295"),
            ("uid", "1.5", "EXEC uid is not a whole number from 0 to 4294967295"),
            ("gid", r#""100""#, "EXEC gid is not a whole number from 0 to 4294967295"),
            ("gid", "4294967296", "EXEC gid is not a whole number from 0 to 4294967295"),
            ("tty", "<absent>", "EXEC has no tty"),
            ("tty", "1", "EXEC tty is not a boolean"),
            ("rows", r#""24""#, "EXEC rows is not a whole number from 0 to 65535"),
            ("extra", "1", r#"EXEC has an unknown field "extra""#),
        ];
        for (field, value, reason) in cases {
            assert_eq!(ExecRequest::parse(with(field, value).as_bytes()), Err((*reason).to_owned()), "{field}={value}");
        }
        let tty_without_size = with("tty", "true");
        assert_eq!(ExecRequest::parse(tty_without_size.as_bytes()), Err("EXEC has no rows".to_owned()));
        let too_wide = with("tty", "true").replace('}', r#","rows":24,"cols":65536}"#);
        assert_eq!(
            ExecRequest::parse(too_wide.as_bytes()),
            Err("EXEC cols is not a whole number from 0 to 65535".to_owned())
        );
    }

    #[test]
    fn what_is_not_a_json_object_is_refused() {
        for bad in [&b"[1]"[..], b"null", b"\"x\"", b"{", b"\xff\xfe", b"{} trailing"] {
            let reason = ExecRequest::parse(bad).unwrap_err();
            assert!(reason.starts_with("EXEC is not"), "{reason}");
        }
    }

    #[test]
    fn the_program_is_looked_up_like_execvp() {
        let mut r = ExecRequest::parse(GOOD.as_bytes()).unwrap();
        assert_eq!(r.candidates(), vec![c("/bin/ls")]);
        r.env = vec![c("PATH=/a::/b"), c("HOME=/")];
        assert_eq!(r.candidates(), vec![c("/a/ls"), c("./ls"), c("/b/ls")]);
        r.env = vec![c("HOME=/")];
        assert_eq!(r.candidates().len(), 6, "the default PATH");
        assert_eq!(r.candidates()[0], c("/usr/local/sbin/ls"));
        r.args[0] = c("./run");
        assert_eq!(r.candidates(), vec![c("./run")]);
    }
}
