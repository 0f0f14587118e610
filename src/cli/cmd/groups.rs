//! `groups add` / `groups delete`: change who can open the file without touching its values.
//! The data key stays (it is re-split and re-wrapped for the new set of groups), so values,
//! `lastmodified` and the MAC are unchanged and the diff is confined to the metadata.

use std::path::Path;

use super::rotate::specs_from_flags;
use super::{build_groups, data_key, emit_encrypted, load_session_meta};
use crate::cli::args::{GroupsAddArgs, GroupsDeleteArgs};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult};
use crate::core::keys::wrap_data_key;
use crate::core::Metadata;

fn need_file(file: Option<&Path>) -> CliResult<&Path> {
    file.ok_or_else(|| {
        CliError::new(code::NO_FILE, "no file specified").hint("pass the file with --file FILE")
    })
}

/// Key flags given on the command line (not through `SOPS_*` environment variables).
fn flag(ctx: &Ctx, id: &'static str, v: &Option<String>) -> Vec<String> {
    if ctx.g.keys_from_env.contains(&id) {
        return Vec::new();
    }
    v.iter().cloned().collect()
}

pub fn add(ctx: &Ctx, a: &GroupsAddArgs) -> CliResult<()> {
    let file = need_file(a.file.as_deref())?;
    let g = &ctx.g;
    if g.hckms.is_some() && !g.keys_from_env.contains(&"hckms") {
        ctx.warn("--hckms is ignored by groups add, as in sops");
    }
    let specs = specs_from_flags(
        ctx,
        &[
            ("pgp", flag(ctx, "pgp", &g.pgp)),
            ("kms", flag(ctx, "kms", &g.kms)),
            ("gcp_kms", flag(ctx, "gcp_kms", &g.gcp_kms)),
            (
                "hc_vault",
                flag(ctx, "hc_vault_transit", &g.hc_vault_transit),
            ),
            ("azure_kv", flag(ctx, "azure_kv", &g.azure_kv)),
            ("age", flag(ctx, "age", &g.age)),
        ],
    )?;
    if specs.is_empty() {
        return Err(
            CliError::new(code::GENERIC, "no keys given for the new group")
                .hint("name them with --age/--pgp/--kms/--gcp-kms/--azure-kv/--hc-vault-transit"),
        );
    }
    let out = ctx.output(Some(file))?;
    let (stores, mut f) = load_session_meta(ctx, file)?;
    let key = data_key(ctx, file, &f.meta)?;
    let group = build_groups(file, &[specs])?.pop().unwrap_or_default();
    f.meta.key_groups.push(group);
    if let Some(t) = g.shamir_threshold.filter(|t| *t > 0) {
        f.meta.shamir_threshold = t;
    }
    rewrap(file, &mut f.meta, &key)?;
    out.write(&emit_encrypted(&stores, file, &f.docs, &f.meta)?)
}

pub fn delete(ctx: &Ctx, a: &GroupsDeleteArgs) -> CliResult<()> {
    let file = need_file(a.file.as_deref())?;
    let Some(index) = a.index else {
        return Err(CliError::new(
            code::NO_FILE,
            "the index of the group to delete is missing",
        ));
    };
    let out = ctx.output(Some(file))?;
    let (stores, mut f) = load_session_meta(ctx, file)?;
    let n = f.meta.key_groups.len();
    if index >= n {
        return Err(CliError::new(
            code::GENERIC,
            format!(
                "{}: there is no key group {index}; the file has {n} (numbered from 0)",
                file.display()
            ),
        ));
    }
    if n == 1 {
        return Err(CliError::new(
            code::GENERIC,
            format!("{}: cannot delete the only key group", file.display()),
        ));
    }
    let key = data_key(ctx, file, &f.meta)?;
    f.meta.key_groups.remove(index);
    if let Some(t) = ctx.g.shamir_threshold.filter(|t| *t > 0) {
        f.meta.shamir_threshold = t;
    }
    if f.meta.key_groups.len() < f.meta.shamir_threshold {
        return Err(CliError::new(
            code::GENERIC,
            format!(
                "{}: removing this key group would make the Shamir threshold impossible to \
                 satisfy: the threshold is {}, but only {} key groups would remain",
                file.display(),
                f.meta.shamir_threshold,
                f.meta.key_groups.len()
            ),
        )
        .hint("lower it with --shamir-secret-sharing-threshold"));
    }
    rewrap(file, &mut f.meta, &key)?;
    out.write(&emit_encrypted(&stores, file, &f.docs, &f.meta)?)
}

/// Wraps the same data key (or fresh shares of it) for every key of every group.
fn rewrap(file: &Path, meta: &mut Metadata, key: &crate::core::DataKey) -> CliResult<()> {
    if meta.key_groups.len() > 1 && meta.shamir_threshold == 0 {
        meta.shamir_threshold = meta.key_groups.len();
    }
    wrap_data_key(&mut meta.key_groups, key, meta.shamir_threshold)
        .map_err(|e| CliError::new(code::GENERIC, format!("{}: {e}", file.display())))
}
