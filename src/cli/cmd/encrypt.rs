//! `encrypt`: a new data key, wrapped once per recipient, then one pass over the tree.

use std::path::Path;

use super::{emit_err, label, new_metadata, Stores};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult, Phase};
use crate::cli::io::read_input;
use crate::core::codec::Cipher;
use crate::core::{ops, Document, Error, Format, Store};

pub fn run(ctx: &Ctx, file: Option<&Path>) -> CliResult<()> {
    if file.is_none() && ctx.g.filename_override.is_none() {
        return Err(CliError::new(
            code::CONFLICTING_PARAMETERS,
            "encrypting standard input requires --filename-override to choose the format and creation rule",
        ));
    }
    let out = ctx.output(file)?;
    let lab = label(file);
    let stores = Stores::new(ctx, file)?;
    let in_format = stores.input_format;
    let bytes = read_input(file)?;
    let mut docs = load_plain(stores.input(), lab, &bytes)?;
    let out_format = stores.output_format;
    let binary = in_format == Format::Binary || out_format == Format::Binary;
    let (mut meta, key) = new_metadata(ctx, lab, &ctx.rule_target(file), binary, code::GENERIC)?;
    let mut cipher = Cipher::new(&key);
    ops::seal(&mut docs, &mut meta, &mut cipher)
        .map_err(|e| CliError::from_core(lab, e, Phase::LoadPlain))?;
    let printed = stores
        .output()
        .emit(&docs, Some(&meta.to_map()))
        .map_err(|e| emit_err(file, e, out_format))?;
    out.write(&printed)
}

/// Parses a plaintext file for encryption: it must not carry sops metadata already, nor be
/// empty.
pub fn load_plain(store: &dyn Store, lab: &Path, bytes: &[u8]) -> CliResult<Vec<Document>> {
    let loaded = store
        .load(bytes)
        .map_err(|e| CliError::from_core(lab, e.into(), Phase::LoadPlain))?;
    if loaded.metadata.is_some() {
        return Err(CliError::from_core(
            lab,
            Error::AlreadyEncrypted,
            Phase::LoadPlain,
        ));
    }
    if loaded.docs.is_empty() {
        return Err(CliError::new(
            code::NEED_AT_LEAST_ONE_DOCUMENT,
            format!("{}: file cannot be completely empty", lab.display()),
        ));
    }
    Ok(loaded.docs)
}
