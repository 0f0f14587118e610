//! `updatekeys`: make a file's recipients match `.sops.yaml` again after the rules changed.
//! The data key is kept and only the metadata's key entries are rewritten, so values,
//! `lastmodified` and the MAC stay byte-identical; a file already in sync is not written.

use std::path::Path;

use super::{build_groups, data_key, emit_encrypted, load_session_meta};
use crate::cli::args::UpdatekeysArgs;
use crate::cli::config::Config;
use crate::cli::context::Ctx;
use crate::cli::editor::confirm;
use crate::cli::error::{code, CliError, CliResult};
use crate::cli::io::write_atomic;
use crate::core::keys::{diff_key_groups, wrap_data_key, GroupDiff};

pub fn run(ctx: &Ctx, a: &UpdatekeysArgs) -> CliResult<()> {
    if a.files.is_empty() {
        return Err(CliError::new(code::NO_FILE, "no file specified")
            .hint("usage: shroud updatekeys [-y] FILE..."));
    }
    let Some(cfg) = ctx.config()? else {
        return Err(CliError::new(
            code::GENERIC,
            "config file not found: updatekeys applies the creation rules of .sops.yaml",
        )
        .hint("run it from the repository that holds .sops.yaml, or pass --config"));
    };
    let mut failed = 0;
    for file in &a.files {
        if let Err(e) = update(ctx, cfg, file, a.yes) {
            // As sops: errors with their own exit code stop at once; others are counted.
            if e.code != code::GENERIC {
                return Err(e);
            }
            eprintln!("{e}");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(CliError::new(
            code::GENERIC,
            format!("failed updating {failed} file(s)"),
        ));
    }
    Ok(())
}

fn update(ctx: &Ctx, cfg: &Config, file: &Path, yes: bool) -> CliResult<()> {
    let (stores, mut f) = load_session_meta(ctx, file)?;
    let Some(rule) = cfg.matching_rule(&ctx.rule_target(Some(file)))? else {
        return Err(CliError::new(
            code::GENERIC,
            format!("{}: has no creation rules", cfg.path.display()),
        ));
    };
    let old_ids: Vec<Vec<String>> = f
        .meta
        .key_groups
        .iter()
        .map(|g| g.iter().map(|k| k.id()).collect())
        .collect();
    let new_ids: Vec<Vec<String>> = rule
        .key_groups
        .iter()
        .map(|g| g.iter().map(|s| s.id().to_string()).collect())
        .collect();
    let diffs = diff_key_groups(&old_ids, &new_ids);
    let old_t = f.meta.shamir_threshold;
    let threshold = ctx
        .g
        .shamir_threshold
        .unwrap_or(old_t)
        .min(rule.key_groups.len());
    if !diffs.iter().any(GroupDiff::changes) && threshold == old_t {
        eprintln!("File {} already up to date", file.display());
        return Ok(());
    }
    println!("The following changes will be made to the file's groups:");
    print!("{}", render(&diffs, old_t, threshold));
    if !yes {
        match confirm("Is this okay?") {
            Some(true) => {}
            Some(false) => {
                eprintln!("File {} left unchanged", file.display());
                return Ok(());
            }
            None => {
                return Err(CliError::new(
                    code::GENERIC,
                    format!(
                        "{}: left unchanged: no terminal to confirm the changes",
                        file.display()
                    ),
                )
                .hint("pass -y to apply them without asking"))
            }
        }
    }
    let key = data_key(ctx, file, &f.meta)?;
    let mut groups = build_groups(file, &rule.key_groups)?;
    let mut t = threshold;
    if groups.len() > 1 && t == 0 {
        t = groups.len();
    }
    wrap_data_key(&mut groups, &key, t)
        .map_err(|e| CliError::new(code::GENERIC, format!("{}: {e}", file.display())))?;
    f.meta.key_groups = groups;
    f.meta.shamir_threshold = t;
    write_atomic(file, &emit_encrypted(&stores, file, &f.docs, &f.meta)?)?;
    eprintln!("File {} synced with new keys", file.display());
    Ok(())
}

/// sops's report: the threshold change, then per group the kept keys, `+++ added`,
/// `--- removed`.
fn render(diffs: &[GroupDiff], old_t: usize, new_t: usize) -> String {
    let mut s = String::new();
    if old_t > 0 && old_t == new_t {
        s += &format!("Shamir threshold: {new_t}\n");
    } else if new_t > 0 && old_t != new_t {
        s += &format!("+++ Shamir threshold: {new_t}\n");
    }
    if old_t > 0 && old_t != new_t {
        s += &format!("--- Shamir threshold: {old_t}\n");
    }
    for (i, d) in diffs.iter().enumerate() {
        s += &format!("Group {}\n", i + 1);
        for k in &d.common {
            s += &format!("    {k}\n");
        }
        for k in &d.added {
            s += &format!("+++ {k}\n");
        }
        for k in &d.removed {
            s += &format!("--- {k}\n");
        }
    }
    s
}
