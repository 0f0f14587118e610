//! `encrypt`: a new data key, wrapped once per recipient, then one pass over the tree.

use std::path::Path;

use super::{emit_err, label, Stores};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult, Phase};
use crate::cli::io::read_input;
use crate::core::codec::Cipher;
use crate::core::keys::wrap_data_key;
use crate::core::metadata::{KeyGroup, SOPS_VERSION};
use crate::core::{ops, DataKey, Error, Format, Metadata, Timestamp};
use crate::keys;

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
    let loaded = stores
        .input()
        .load(&bytes)
        .map_err(|e| CliError::from_core(lab, e.into(), Phase::LoadPlain))?;
    if loaded.metadata.is_some() {
        return Err(CliError::from_core(
            lab,
            Error::AlreadyEncrypted,
            Phase::LoadPlain,
        ));
    }
    let mut docs = loaded.docs;
    if docs.is_empty() {
        return Err(CliError::new(
            code::NEED_AT_LEAST_ONE_DOCUMENT,
            format!("{}: file cannot be completely empty", lab.display()),
        ));
    }
    let plan = ctx.encryption_plan(&ctx.rule_target(file))?;
    let mut groups: Vec<KeyGroup> = Vec::new();
    for specs in &plan.groups {
        let mut g = KeyGroup::new();
        for s in specs {
            g.push(
                keys::build(s)
                    .map_err(|e| CliError::new(code::GENERIC, format!("{}: {e}", lab.display())))?,
            );
        }
        groups.push(g);
    }
    let key = DataKey::generate();
    wrap_data_key(&mut groups, &key, plan.threshold)
        .map_err(|e| CliError::new(code::GENERIC, format!("{}: {e}", lab.display())))?;
    let out_format = stores.output_format;
    let binary = in_format == Format::Binary || out_format == Format::Binary;
    let mut meta = Metadata {
        shamir_threshold: if groups.len() > 1 {
            if plan.threshold == 0 {
                groups.len()
            } else {
                plan.threshold
            }
        } else {
            0
        },
        key_groups: groups,
        lastmodified: Timestamp::now_utc(),
        mac: String::new(),
        // The binary store stores no selection rule: its one value is always encrypted.
        selection: (!binary).then_some(plan.selection),
        mac_only_encrypted: plan.mac_only && !binary,
        version: SOPS_VERSION.to_string(),
    };
    let mut cipher = Cipher::new(&key);
    ops::seal(&mut docs, &mut meta, &mut cipher)
        .map_err(|e| CliError::from_core(lab, e, Phase::LoadPlain))?;
    let printed = stores
        .output()
        .emit(&docs, Some(&meta.to_map()))
        .map_err(|e| emit_err(file, e, out_format))?;
    out.write(&printed)
}
