//! One module per subcommand; shared steps (load an encrypted file and open it, print a tree)
//! live here so each command reads as its own recipe.

pub mod decrypt;
pub mod encrypt;

use std::path::Path;

use super::context::Ctx;
use super::error::{code, CliError, CliResult, Phase};
use crate::core::ops::{self, Opened};
use crate::core::{Document, Error, Format, Metadata, Store};
use crate::keys::Registry;
use crate::stores::store_for;

/// An encrypted file, parsed and with its metadata read (not yet decrypted).
pub struct EncryptedFile {
    pub docs: Vec<Document>,
    pub meta: Metadata,
}

/// A label for messages: the file path, or `stdin`.
pub fn label(file: Option<&Path>) -> &Path {
    file.unwrap_or(Path::new("stdin"))
}

/// The input and output stores of a command. When both formats are the same, one instance
/// does both, so a store that remembers the layout it loaded (TOML) can print it back.
pub struct Stores {
    input: Box<dyn Store>,
    output: Option<Box<dyn Store>>,
    pub input_format: Format,
    pub output_format: Format,
}

impl Stores {
    pub fn new(ctx: &Ctx, file: Option<&Path>) -> CliResult<Stores> {
        let name = ctx.name_for(file);
        let (inf, outf) = (ctx.input_format(&name), ctx.output_format(&name));
        let out_opts = ctx.store_options(true)?;
        Ok(if inf == outf {
            Stores {
                input: store_for(inf, out_opts),
                output: None,
                input_format: inf,
                output_format: outf,
            }
        } else {
            Stores {
                input: store_for(inf, ctx.store_options(false)?),
                output: Some(store_for(outf, out_opts)),
                input_format: inf,
                output_format: outf,
            }
        })
    }

    pub fn input(&self) -> &dyn Store {
        self.input.as_ref()
    }

    pub fn output(&self) -> &dyn Store {
        self.output.as_deref().unwrap_or(self.input.as_ref())
    }
}

/// Parses an encrypted file with the input store and reads its metadata.
pub fn load_encrypted(
    store: &dyn Store,
    file: Option<&Path>,
    bytes: &[u8],
) -> CliResult<EncryptedFile> {
    let lab = label(file);
    let loaded = store
        .load(bytes)
        .map_err(|e| CliError::from_core(lab, e.into(), Phase::LoadEncrypted))?;
    let meta_value = loaded
        .metadata
        .ok_or_else(|| CliError::from_core(lab, Error::MetadataNotFound, Phase::LoadEncrypted))?;
    let meta = Metadata::from_value(&meta_value, &Registry)
        .map_err(|e| CliError::from_core(lab, e, Phase::LoadEncrypted))?;
    Ok(EncryptedFile {
        docs: loaded.docs,
        meta,
    })
}

/// Unwraps the data key and decrypts in place (MAC checked unless `--ignore-mac`).
pub fn open(ctx: &Ctx, file: Option<&Path>, f: &mut EncryptedFile) -> CliResult<Opened> {
    let order = ctx.decryption_order()?;
    let opened = ops::open(&mut f.docs, &f.meta, &order, ctx.g.ignore_mac).map_err(|e| {
        let mut err = CliError::from_core(label(file), e, Phase::LoadEncrypted);
        if err.code == code::COULD_NOT_RETRIEVE_KEY {
            let recipients: Vec<String> = f
                .meta
                .all_keys()
                .map(|k| format!("{} {}", k.kind(), k.id()))
                .collect();
            err = err.hint(format!(
                "the file can be opened by: {}",
                recipients.join(", ")
            ));
        }
        err
    })?;
    for w in &opened.warnings {
        ctx.warn(&format!("{}: {w}", label(file).display()));
    }
    Ok(opened)
}

/// Maps an emit failure to exit code 4 naming the file.
pub fn emit_err(file: Option<&Path>, e: crate::core::StoreError, format: Format) -> CliError {
    let err = CliError::from_core(label(file), e.into(), Phase::Emit);
    match format {
        Format::Binary => err.hint("use --output-type to choose a structured format"),
        _ => err,
    }
}
