//! `encrypt --onto ENCRYPTED [PLAINTEXT]`: encrypt a plaintext file onto an existing encrypted
//! one (upstream sops issue #1587). Pipelines that regenerate secrets from a plaintext source
//! would otherwise re-encrypt everything with a new data key and rewrite every line; here the
//! existing file is decrypted first and its data key, recipients, selection rule and cipher
//! (with every value's IV) are reused, so only values whose plaintext changed get new
//! ciphertext. When nothing changed, nothing is written: zero bytes differ. A missing
//! ENCRYPTED file is created like a plain `encrypt` would (keys from flags or `.sops.yaml`).
//!
//! The result goes to ENCRYPTED (atomically) or to `--output`; `-i` is refused because it would
//! name the plaintext file. Key flags are ignored for an existing file: recipients are changed
//! with `rotate --add-*/--rm-*` or `updatekeys`.

use std::path::{Path, PathBuf};

use super::encrypt::load_plain;
use super::{info, label, load_encrypted, new_metadata, open, seal_emit, Stores};
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult};
use crate::cli::io::{read_input, write_atomic};
use crate::core::codec::Cipher;
use crate::core::{ops, Format};

pub fn run(ctx: &Ctx, file: Option<&Path>, onto: &Path) -> CliResult<()> {
    if ctx.g.in_place {
        return Err(CliError::new(
            code::CONFLICTING_PARAMETERS,
            "--in-place cannot be used with --onto: the result is written to the --onto file (or --output)",
        ));
    }
    let out_path: PathBuf = ctx.g.output.clone().unwrap_or_else(|| onto.to_path_buf());
    let lab = label(file);
    // The plaintext's format: --input-type, else its name (stdin: --filename-override or the
    // encrypted file's name). The encrypted file's: --output-type, else its name.
    let plain_name = match (&ctx.g.filename_override, file) {
        (Some(n), _) => n.clone(),
        (None, Some(f)) => f.to_string_lossy().into_owned(),
        (None, None) => onto.to_string_lossy().into_owned(),
    };
    let in_fmt = ctx.input_format(&plain_name);
    let enc_fmt = ctx.output_format(&onto.to_string_lossy());
    let plain_store = Stores::for_formats(ctx, in_fmt, in_fmt)?;
    let enc = Stores::for_formats(ctx, enc_fmt, enc_fmt)?;
    let bytes = read_input(file)?;
    let mut docs = load_plain(plain_store.input(), lab, &bytes)?;

    if !onto.exists() {
        let binary = in_fmt == Format::Binary || enc_fmt == Format::Binary;
        let target = ctx
            .g
            .filename_override
            .as_ref()
            .map_or_else(|| onto.to_path_buf(), PathBuf::from);
        let (mut meta, key) = new_metadata(ctx, onto, &target, binary, code::GENERIC)?;
        let out = seal_emit(&enc, onto, &mut docs, &mut meta, &mut Cipher::new(&key))?;
        return write_atomic(&out_path, &out);
    }

    let given: Vec<&str> = [
        ("age", &ctx.g.age),
        ("pgp", &ctx.g.pgp),
        ("kms", &ctx.g.kms),
        ("gcp_kms", &ctx.g.gcp_kms),
        ("azure_kv", &ctx.g.azure_kv),
        ("hc_vault_transit", &ctx.g.hc_vault_transit),
    ]
    .into_iter()
    .filter(|(id, v)| v.is_some() && !ctx.g.keys_from_env.contains(id))
    .map(|(id, _)| id)
    .collect();
    if !given.is_empty() {
        ctx.warn(&format!(
            "key flags are ignored with --onto: {} keeps its recipients (change them with rotate --add-*/--rm-* or updatekeys)",
            onto.display()
        ));
    }
    let enc_bytes = read_input(Some(onto))?;
    let mut f = load_encrypted(enc.input(), Some(onto), &enc_bytes)?;
    let mut opened = open(ctx, Some(onto), &mut f)?;
    ops::adopt_comment_flags(&mut docs, &f.docs);
    if docs == f.docs {
        info(
            ctx,
            &format!("{}: plaintext unchanged; nothing to write", onto.display()),
        );
        if out_path != onto {
            return write_atomic(&out_path, &enc_bytes);
        }
        return Ok(());
    }
    let out = seal_emit(&enc, onto, &mut docs, &mut f.meta, &mut opened.cipher)?;
    write_atomic(&out_path, &out)
}
