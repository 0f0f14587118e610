//! `rotate` (and legacy `-r`): the one command that replaces the data key, so that a removed
//! recipient's old copy of the key opens nothing written from now on. Every value is
//! re-encrypted; `--add-*`/`--rm-*` change the recipients in the same step.

use std::path::Path;

use super::{build_groups, missing_file_key_edits, open_session, seal_emit};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult};
use crate::core::codec::Cipher;
use crate::core::keys::wrap_data_key;
use crate::core::{DataKey, Metadata};
use crate::keys::{kms_spec, split_list, KeySpec};

pub fn run(ctx: &Ctx, file: Option<&Path>, legacy: bool) -> CliResult<()> {
    let Some(file) = file else {
        return Err(CliError::new(code::NO_FILE, "no file specified")
            .hint("usage: shroud rotate [-i] FILE"));
    };
    let out = ctx.output(Some(file))?;
    if !file.exists() {
        if ctx.g.key_edits.any() {
            return Err(missing_file_key_edits(file));
        }
        // sops: legacy -r checks first (100); the subcommand fails to read (2).
        let c = if legacy {
            code::NO_FILE
        } else {
            code::COULD_NOT_READ_INPUT
        };
        return Err(CliError::new(
            c,
            format!("{}: cannot operate on non-existent file", file.display()),
        ));
    }
    let mut s = open_session(ctx, file)?;
    apply_key_edits(ctx, file, &mut s.meta)?;
    let key = DataKey::generate();
    if s.meta.key_groups.len() > 1 && s.meta.shamir_threshold == 0 {
        s.meta.shamir_threshold = s.meta.key_groups.len();
    }
    wrap_data_key(&mut s.meta.key_groups, &key, s.meta.shamir_threshold).map_err(|e| {
        CliError::new(
            code::COULD_NOT_RETRIEVE_KEY,
            format!("{}: {e}", file.display()),
        )
    })?;
    let mut cipher = Cipher::new(&key);
    let bytes = seal_emit(&s.stores, file, &mut s.docs, &mut s.meta, &mut cipher)?;
    out.write(&bytes)
}

/// Key specs from comma-separated flag values, per metadata type.
pub fn specs_from_flags(
    ctx: &Ctx,
    lists: &[(&'static str, Vec<String>)],
) -> CliResult<Vec<KeySpec>> {
    let enc_ctx = ctx.encryption_context()?;
    let mut out = Vec::new();
    for (kind, values) in lists {
        for v in values.iter().flat_map(|v| split_list(v)) {
            out.push(match *kind {
                "age" => KeySpec::Age(v),
                "pgp" => KeySpec::Pgp(v.replace(' ', "")),
                "kms" => kms_spec(&v, &enc_ctx, ctx.g.aws_profile.as_deref()),
                kind => KeySpec::Other { kind, id: v },
            });
        }
    }
    Ok(out)
}

/// `--add-*` keys join the first group (unless already there); `--rm-*` keys leave every
/// group, matched by type and identity (recipient, fingerprint, ARN, ...).
pub fn apply_key_edits(ctx: &Ctx, file: &Path, meta: &mut Metadata) -> CliResult<()> {
    let e = &ctx.g.key_edits;
    if !e.any() {
        return Ok(());
    }
    let add = specs_from_flags(
        ctx,
        &[
            ("kms", e.add_kms.clone()),
            ("gcp_kms", e.add_gcp_kms.clone()),
            ("hckms", e.add_hckms.clone()),
            ("azure_kv", e.add_azure_kv.clone()),
            ("pgp", e.add_pgp.clone()),
            ("hc_vault", e.add_hc_vault_transit.clone()),
            ("age", e.add_age.clone()),
        ],
    )?;
    let rm = specs_from_flags(
        ctx,
        &[
            ("kms", e.rm_kms.clone()),
            ("gcp_kms", e.rm_gcp_kms.clone()),
            ("hckms", e.rm_hckms.clone()),
            ("azure_kv", e.rm_azure_kv.clone()),
            ("pgp", e.rm_pgp.clone()),
            ("hc_vault", e.rm_hc_vault_transit.clone()),
            ("age", e.rm_age.clone()),
        ],
    )?;
    let new_keys = build_groups(file, &[add])?.pop().unwrap_or_default();
    if meta.key_groups.is_empty() {
        meta.key_groups.push(Vec::new());
    }
    for k in new_keys {
        let group = &mut meta.key_groups[0];
        if !group
            .iter()
            .any(|g| g.kind() == k.kind() && g.id() == k.id())
        {
            group.push(k);
        }
    }
    for r in &rm {
        let mut found = false;
        for g in &mut meta.key_groups {
            let before = g.len();
            g.retain(|k| !(k.kind() == r.kind() && k.id() == r.id()));
            found |= g.len() != before;
        }
        if !found {
            ctx.warn(&format!(
                "{}: {} key {} is not a recipient of the file; nothing to remove",
                file.display(),
                r.kind(),
                r.id()
            ));
        }
    }
    Ok(())
}
