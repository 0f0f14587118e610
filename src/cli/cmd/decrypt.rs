//! `decrypt`: everything is decrypted and verified in memory before a single byte is written,
//! so a tampered file never yields partial output.

use std::path::Path;

use super::{emit_err, load_encrypted, open, Stores};
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, CliResult, Phase};
use crate::cli::io::read_input;
use crate::core::{path, Map, Value};
use crate::stores::store_for;

pub fn run(ctx: &Ctx, file: Option<&Path>) -> CliResult<()> {
    let out = ctx.output(file)?;
    let extract = match &ctx.g.extract {
        Some(p) => Some(
            path::parse(p)
                .map_err(|e| CliError::from_core(super::label(file), e, Phase::LoadEncrypted))?,
        ),
        None => None,
    };
    let bytes = read_input(file)?;
    let stores = Stores::new(ctx, file)?;
    let mut f = load_encrypted(stores.input(), file, &bytes)?;
    open(ctx, file, &mut f)?;
    let store = stores.output();
    let fmt = stores.output_format;
    let printed = match extract.as_deref() {
        None | Some([]) => store.emit(&f.docs, None),
        Some(p) => {
            let empty = Map::new();
            let first = f.docs.first().unwrap_or(&empty);
            let value = path::lookup(first, p)
                .map_err(|e| CliError::from_core(super::label(file), e, Phase::LoadEncrypted))?;
            match value {
                // A fresh store: a subtree must not be merged into a remembered layout (TOML).
                Value::Map(m) => {
                    store_for(fmt, ctx.store_options(true)?).emit(std::slice::from_ref(m), None)
                }
                v => store.emit_value(v),
            }
        }
    }
    .map_err(|e| emit_err(file, e, fmt))?;
    out.write(&printed)
}
