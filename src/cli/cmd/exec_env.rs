//! `exec-env`: secrets reach the child only through its environment, never through a file or
//! a shell. Values are passed byte for byte, so `$(…)`, quotes and newlines in a secret stay
//! inert text.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;

use super::exec::{as_user, command, os_string, propagate, spawn_err, words};
use super::{load_encrypted, open, Stores};
use crate::cli::args::ExecEnvArgs;
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult};
use crate::cli::io::read_input;
use crate::core::{Document, Item, Value};
use crate::stores::flatten::value_to_bytes;

pub fn run(ctx: &Ctx, a: &ExecEnvArgs) -> CliResult<()> {
    let [file, line] = a.args.as_slice() else {
        return Err(
            CliError::new(code::NO_FILE, "need exactly 2 arguments: FILE COMMAND")
                .hint("quote the command: shroud exec-env secrets.yaml 'printenv DB_PASSWORD'"),
        );
    };
    if a.background && a.same_process {
        return Err(CliError::new(
            code::CONFLICTING_PARAMETERS,
            "--background and --same-process cannot be used together",
        ));
    }
    let file = Path::new(file);
    let argv = words(line, None)?;
    let stores = Stores::new(ctx, Some(file))?;
    let bytes = read_input(Some(file))?;
    let mut f = load_encrypted(stores.input(), Some(file), &bytes)?;
    open(ctx, Some(file), &mut f)?;
    let vars = env_vars(file, f.docs.first())?;
    drop(f);

    let mut cmd = command(&argv)?;
    if a.pristine {
        cmd.env_clear();
    }
    cmd.envs(vars);
    if let Some(u) = &a.user {
        as_user(&mut cmd, u)?;
    }
    if a.same_process {
        // Only returns on failure.
        return Err(spawn_err(&argv[0], cmd.exec()));
    }
    if a.background {
        cmd.spawn().map_err(|e| spawn_err(&argv[0], e))?;
        return Ok(());
    }
    let status = cmd.status().map_err(|e| spawn_err(&argv[0], e))?;
    propagate(status)
}

/// Top-level entries as `KEY=VALUE`: strings raw, other scalars via ValToString, comments
/// skipped; nested values and keys with `=` cannot be environment variables.
fn env_vars(file: &Path, doc: Option<&Document>) -> CliResult<Vec<(OsString, OsString)>> {
    let mut out = Vec::new();
    for item in doc.map(|d| d.items.as_slice()).unwrap_or_default() {
        let Item::Entry(k, v) = item else { continue };
        if k.contains('=') || k.is_empty() {
            return Err(CliError::new(
                code::GENERIC,
                format!(
                    "{}: cannot use key {k:?} as an environment variable name",
                    file.display()
                ),
            ));
        }
        let bytes = match v {
            Value::Map(_) | Value::Seq(_) => None,
            other => value_to_bytes(other),
        }
        .ok_or_else(|| {
            CliError::new(
                code::GENERIC,
                format!(
                    "{}: cannot use the {} under {k:?} as an environment variable",
                    file.display(),
                    v.kind_name()
                ),
            )
        })?;
        if bytes.contains(&0) {
            return Err(CliError::new(
                code::GENERIC,
                format!(
                    "{}: the value under {k:?} contains a NUL byte and cannot be an environment variable",
                    file.display()
                ),
            ));
        }
        out.push((OsString::from(k), os_string(bytes)));
    }
    Ok(out)
}
