//! `set`, `unset` and legacy `--set`: one change to the first document, written back in place.
//! Everything else re-encrypts to the same bytes (same data key, same IVs), so the diff is
//! the changed value plus `lastmodified` and `mac`; a change that changes nothing writes
//! nothing at all.

use std::io::Read;
use std::path::Path;

use super::{info, open_session, seal_emit};
use crate::cli::args::{SetArgs, UnsetArgs};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult, Phase};
use crate::cli::io::write_atomic;
use crate::core::path::{self, Seg};
use crate::core::{Error, Map};
use crate::stores::json::parse_set_value;

/// An INDEX that does not parse is sops's exit 7 for these commands (91 is `--extract`'s).
fn parse_index(file: &Path, index: &str) -> CliResult<Vec<Seg>> {
    let segs = path::parse(index).map_err(|e| set_format_err(file, e))?;
    if segs.is_empty() {
        return Err(CliError::new(
            code::INVALID_SET_FORMAT,
            format!(
                "{}: the index must name a key, e.g. '[\"key\"]'",
                file.display()
            ),
        ));
    }
    Ok(segs)
}

fn set_format_err(file: &Path, e: Error) -> CliError {
    CliError::new(code::INVALID_SET_FORMAT, format!("{}: {e}", file.display()))
        .hint(r#"paths look like ["key"]["nested"][0]"#)
}

fn arg_count_err(usage: &str) -> CliError {
    CliError::new(
        code::NO_FILE,
        format!("wrong number of arguments: expected {usage}"),
    )
}

pub fn run(ctx: &Ctx, a: &SetArgs) -> CliResult<()> {
    if a.value_file && a.value_stdin {
        return Err(CliError::new(
            code::CONFLICTING_PARAMETERS,
            "--value-file and --value-stdin cannot be used together",
        ));
    }
    let want = if a.value_stdin { 2 } else { 3 };
    if a.args.len() != want {
        return Err(arg_count_err(if a.value_stdin {
            "FILE INDEX (the value comes from stdin)"
        } else {
            "FILE INDEX VALUE"
        }));
    }
    let file = Path::new(&a.args[0]);
    let segs = parse_index(file, &a.args[1])?;
    let raw: Vec<u8> = if a.value_stdin {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            CliError::new(
                code::COULD_NOT_READ_INPUT,
                format!("stdin: cannot read: {e}"),
            )
        })?;
        buf
    } else if a.value_file {
        std::fs::read(&a.args[2]).map_err(|e| {
            CliError::new(
                code::COULD_NOT_READ_INPUT,
                format!("{}: cannot read: {e}", a.args[2]),
            )
        })?
    } else {
        a.args[2].as_bytes().to_vec()
    };
    set_value(ctx, file, &segs, &raw)
}

/// Legacy `shroud --set '["a"]["b"] VALUE' FILE`: the index ends at the first `] `.
pub fn run_legacy(ctx: &Ctx, file: &Path, spec: &str) -> CliResult<()> {
    let Some(i) = spec.find("] ") else {
        return Err(CliError::new(
            code::INVALID_SET_FORMAT,
            "invalid --set format: expected '[\"key\"] VALUE'",
        ));
    };
    let segs = parse_index(file, &spec[..=i])?;
    set_value(ctx, file, &segs, &spec.as_bytes()[i + 2..])
}

fn set_value(ctx: &Ctx, file: &Path, segs: &[Seg], raw: &[u8]) -> CliResult<()> {
    // The value is never echoed: it is the secret being stored.
    let value = parse_set_value(raw).map_err(|e| {
        CliError::new(
            code::INVALID_SET_FORMAT,
            format!("the value is not valid JSON ({e})"),
        )
        .hint(r#"strings need JSON quotes: '"text"'"#)
    })?;
    let mut s = open_session(ctx, file)?;
    if s.docs.is_empty() {
        s.docs.push(Map::new());
    }
    let changed = path::set(&mut s.docs[0], segs, value).map_err(|e| set_format_err(file, e))?;
    if !changed {
        info(
            ctx,
            &format!("{}: value unchanged; file not written", file.display()),
        );
        return Ok(());
    }
    let out = seal_emit(
        &s.stores,
        file,
        &mut s.docs,
        &mut s.meta,
        &mut s.opened.cipher,
    )?;
    write_atomic(file, &out)
}

pub fn run_unset(ctx: &Ctx, a: &UnsetArgs) -> CliResult<()> {
    if a.args.len() != 2 {
        return Err(arg_count_err("FILE INDEX"));
    }
    let file = Path::new(&a.args[0]);
    let segs = parse_index(file, &a.args[1])?;
    let mut s = open_session(ctx, file)?;
    let empty = Map::new();
    if let Err(e) = path::lookup(s.docs.first().unwrap_or(&empty), &segs) {
        if a.idempotent && matches!(e, Error::PathNotFound { .. }) {
            info(
                ctx,
                &format!("{}: nothing to unset; file not written", file.display()),
            );
            return Ok(());
        }
        return Err(CliError::from_core(file, e, Phase::LoadEncrypted));
    }
    if !path::unset(&mut s.docs[0], &segs).map_err(|e| set_format_err(file, e))? {
        return Err(CliError::new(
            code::GENERIC,
            format!("{}: nothing removed", file.display()),
        ));
    }
    let out = seal_emit(
        &s.stores,
        file,
        &mut s.docs,
        &mut s.meta,
        &mut s.opened.cipher,
    )?;
    write_atomic(file, &out)
}
