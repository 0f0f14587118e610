//! `edit` (and bare `shroud FILE`): the one command where plaintext must reach the disk, so it
//! goes to a 0600 file in a private directory that every exit path removes
//! ([`crate::cli::editor::PrivateDir`]). The file is re-encrypted with the cipher that
//! decrypted it, so values the user did not touch keep their exact ciphertext, and when the
//! edited tree equals the original nothing is written at all.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{
    emit_err, group_ids, missing_file_key_edits, new_metadata, open_session, seal_emit, Stores,
};
use crate::cli::context::Ctx;
use crate::cli::editor::{ask_to_retry, run_editor, PrivateDir};
use crate::cli::error::{code, CliError, CliResult};
use crate::cli::io::write_atomic;
use crate::core::codec::Cipher;
use crate::core::keys::wrap_data_key;
use crate::core::metadata::SOPS_VERSION;
use crate::core::{DataKey, Document, Format, Metadata, Store};
use crate::keys::Registry;

/// The message and exit code (200) of an edit that changed nothing.
pub fn not_changed() -> CliError {
    eprintln!("File has not changed, exiting.");
    CliError::new(code::FILE_NOT_MODIFIED, "")
}

pub fn run(ctx: &Ctx, file: Option<&Path>) -> CliResult<()> {
    let Some(file) = file else {
        return Err(
            CliError::new(code::NO_FILE, "no file specified").hint("usage: shroud edit FILE")
        );
    };
    if !file.exists() {
        if ctx.g.key_edits.any() {
            return Err(missing_file_key_edits(file));
        }
        return edit_new(ctx, file);
    }
    if ctx.g.key_edits.any() {
        ctx.warn("--add-*/--rm-* are ignored by edit; use rotate to change recipients");
    }
    let mut s = open_session(ctx, file)?;
    let show = ctx.g.show_master_keys;
    let original_meta = s.meta.to_map();
    let plain = s
        .stores
        .output()
        .emit(&s.docs, show.then_some(&original_meta))
        .map_err(|e| emit_err(Some(file), e, s.stores.output_format))?;
    let (docs, new_meta) = {
        let store = s.stores.input();
        let key = &s.opened.key;
        let old = &s.meta;
        edit_loop(file, &plain, |bytes| {
            accept(store, show, bytes, Some(old), key)
        })?
    };
    let mut meta = match new_meta {
        Some(m) => m,
        None => s.meta,
    };
    if docs == s.docs && meta.to_map() == original_meta {
        return Err(not_changed());
    }
    bump_version(file, &mut meta)?;
    let mut docs = docs;
    let out = seal_emit(&s.stores, file, &mut docs, &mut meta, &mut s.opened.cipher)?;
    write_atomic(file, &out)
}

/// A file that does not exist yet: start from the store's example and the keys of the flags
/// or the creation rule.
fn edit_new(ctx: &Ctx, file: &Path) -> CliResult<()> {
    let stores = Stores::new(ctx, Some(file))?;
    let binary = stores.input_format == Format::Binary || stores.output_format == Format::Binary;
    let (meta, key) = new_metadata(
        ctx,
        file,
        &ctx.rule_target(Some(file)),
        binary,
        code::COULD_NOT_RETRIEVE_KEY,
    )?;
    let show = ctx.g.show_master_keys;
    let example = example(stores.output(), stores.output_format, show.then_some(&meta))
        .map_err(|e| emit_err(Some(file), e, stores.output_format))?;
    let (mut docs, new_meta) = {
        let store = stores.input();
        edit_loop(file, &example, |bytes| {
            accept(store, show, bytes, None, &key)
        })?
    };
    let mut meta = new_meta.unwrap_or(meta);
    let out = seal_emit(&stores, file, &mut docs, &mut meta, &mut Cipher::new(&key))?;
    write_atomic(file, &out)
}

/// Writes `plain` to a private file named like the target, runs the editor until the result
/// is acceptable (or the user gives up), and removes the file before returning.
fn edit_loop<T>(
    target: &Path,
    plain: &[u8],
    mut accept: impl FnMut(&[u8]) -> Result<T, String>,
) -> CliResult<T> {
    let dir = PrivateDir::new(code::GENERIC)?;
    let name = target
        .file_name()
        .unwrap_or_else(|| std::ffi::OsStr::new("file"));
    let tmp = dir.write_private(name, plain)?;
    let original = Sha256::digest(plain);
    loop {
        run_editor(&tmp)?;
        let edited = std::fs::read(&tmp).map_err(|e| {
            CliError::new(
                code::COULD_NOT_READ_INPUT,
                format!("cannot read the edited file back: {e}; the file was not changed"),
            )
        })?;
        if Sha256::digest(&edited) == original {
            return Err(not_changed());
        }
        match accept(&edited) {
            Ok(t) => return Ok(t),
            Err(problem) => ask_to_retry(&format!("{}: {problem}", target.display()))?,
        }
    }
}

/// Checks the edited text: it must parse, and carry `sops` metadata exactly when it was shown
/// (`-s`). With `-s`, changed key groups are re-wrapped with the same data key. The error is a
/// reason for the user, never a value from the file.
fn accept(
    store: &dyn Store,
    show_master_keys: bool,
    bytes: &[u8],
    old: Option<&Metadata>,
    key: &DataKey,
) -> Result<(Vec<Document>, Option<Metadata>), String> {
    let loaded = store.load(bytes).map_err(|e| {
        format!("could not load the edited file, probably due to invalid syntax: {e}")
    })?;
    if loaded.docs.is_empty() {
        return Err("the edited file is empty".into());
    }
    if !show_master_keys {
        if loaded.metadata.is_some() {
            return Err(
                "the edited file has a top-level `sops` entry (or `sops_` keys), which \
                        is reserved for the encryption metadata; rename or remove it"
                    .into(),
            );
        }
        return Ok((loaded.docs, None));
    }
    let md = loaded
        .metadata
        .ok_or("the sops metadata was removed; keep the `sops` entry when editing with -s")?;
    let mut meta = Metadata::from_value(&md, &Registry)
        .map_err(|e| format!("the sops metadata is invalid: {e}"))?;
    if meta.key_groups.iter().all(|g| g.is_empty()) {
        return Err("no master keys were provided, so the file cannot be encrypted".into());
    }
    let same_keys = old.is_some_and(|o| {
        group_ids(&o.key_groups) == group_ids(&meta.key_groups)
            && o.shamir_threshold == meta.shamir_threshold
    });
    if !same_keys {
        if meta.key_groups.len() > 1 && meta.shamir_threshold == 0 {
            meta.shamir_threshold = meta.key_groups.len();
        }
        wrap_data_key(&mut meta.key_groups, key, meta.shamir_threshold)
            .map_err(|e| format!("cannot use the edited keys: {e}"))?;
    }
    Ok((loaded.docs, Some(meta)))
}

/// `edit` writes our version into files written by an older SOPS (sops does the same); an
/// unparsable version is sops's exit 202.
fn bump_version(file: &Path, meta: &mut Metadata) -> CliResult<()> {
    match is_newer(SOPS_VERSION, &meta.version) {
        Some(true) => meta.version = SOPS_VERSION.to_string(),
        Some(false) => {}
        None => {
            return Err(CliError::new(
                super::FAILED_TO_COMPARE_VERSIONS,
                format!(
                "{}: failed to compare document version {:?} with program version {SOPS_VERSION:?}",
                file.display(),
                meta.version
            ),
            ))
        }
    }
    Ok(())
}

/// Strict SemVer 2.0 `MAJOR.MINOR.PATCH[-pre][+build]` (optional leading `v`).
fn semver(v: &str) -> Option<(u64, u64, u64, Vec<&str>)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(a, _)| a);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) if !p.is_empty() => (c, p.split('.').collect()),
        Some(_) => return None,
        None => (v, Vec::new()),
    };
    let num = |s: &str| -> Option<u64> {
        let ok = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        ok.then(|| s.parse().ok()).flatten()
    };
    let mut parts = core.split('.');
    let (a, b, c) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    if parts.next().is_some() || pre.iter().any(|p: &&str| p.is_empty()) {
        return None;
    }
    Some((a, b, c, pre))
}

/// Whether version `a` is newer than `b`, as sops compares them (`1.x` is the Python era and
/// always older); `None` if either is not SemVer.
fn is_newer(a: &str, b: &str) -> Option<bool> {
    if b.starts_with("1.") {
        return Some(true);
    }
    if a.starts_with("1.") {
        return Some(false);
    }
    let (va, vb) = (semver(a)?, semver(b)?);
    let core = (va.0, va.1, va.2).cmp(&(vb.0, vb.1, vb.2));
    if core != std::cmp::Ordering::Equal {
        return Some(core.is_gt());
    }
    // A pre-release is older than the release; identifiers compare numerically or bytewise.
    Some(match (va.3.is_empty(), vb.3.is_empty()) {
        (true, true) => false,
        (true, false) => true,
        (false, true) => false,
        (false, false) => {
            for (x, y) in va.3.iter().zip(vb.3.iter()) {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    _ => x.cmp(y),
                };
                if ord != std::cmp::Ordering::Equal {
                    return Some(ord.is_gt());
                }
            }
            va.3.len() > vb.3.len()
        }
    })
}

/// The starting content of a new file: sops's example for the format, printed by the store so
/// indentation settings apply (with `-s`, plus the metadata).
fn example(
    store: &dyn Store,
    format: Format,
    meta: Option<&Metadata>,
) -> Result<Vec<u8>, crate::core::StoreError> {
    let text: &str = match format {
        Format::Yaml => {
            "hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n\
             # Example comment\nexample_array:\n    - example_value1\n    - example_value2\n\
             example_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n"
        }
        Format::Json => {
            "{\n\t\"hello\": \"Welcome to SOPS! Edit this file as you please!\",\n\t\
             \"example_key\": \"example_value\",\n\t\"example_array\": [\n\t\t\"example_value1\",\n\t\t\
             \"example_value2\"\n\t],\n\t\"example_number\": 1234.56789,\n\t\"example_booleans\": [\n\t\t\
             true,\n\t\tfalse\n\t]\n}\n"
        }
        Format::Dotenv => {
            "# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\n\
             example_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n"
        }
        Format::Ini => {
            "; This is an example file.\n[Welcome!]\n\
             hello       = Welcome to SOPS! Edit this file as you please!\n\
             example_key = example_value\n"
        }
        Format::Toml => {
            "# This is an example file.\nhello = \"Welcome to SOPS! Edit this file as you please!\"\n\
             example_key = \"example_value\"\n"
        }
        Format::Binary => "Welcome to SOPS! Edit this file as you please!",
    };
    if format == Format::Binary && meta.is_none() {
        return Ok(text.as_bytes().to_vec());
    }
    let docs = store.load(text.as_bytes())?.docs;
    store.emit(&docs, meta.map(|m| m.to_map()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_like_sops() {
        assert_eq!(is_newer("3.13.2", "3.7.3"), Some(true));
        assert_eq!(is_newer("3.13.2", "3.13.2"), Some(false));
        assert_eq!(is_newer("3.13.2", "3.14.0"), Some(false));
        assert_eq!(is_newer("3.13.2", "3.13.2-rc.1"), Some(true));
        assert_eq!(is_newer("3.13.2", "v3.1.0"), Some(true));
        assert_eq!(is_newer("3.13.2", "1.13"), Some(true));
        assert_eq!(is_newer("3.13.2", "3.7"), None);
        assert_eq!(is_newer("3.13.2", ""), None);
        assert_eq!(is_newer("3.13.2", "03.1.0"), None);
        assert_eq!(is_newer("1.0.0-alpha.1", "1.0.0-alpha"), Some(true));
        assert_eq!(is_newer("1.0.0-beta", "1.0.0-alpha.2"), Some(true));
    }
}
