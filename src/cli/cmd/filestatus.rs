//! `filestatus`: scripts ask "is this file encrypted?" and parse the answer, so the output is
//! upstream's byte for byte. A file the store cannot parse at all is an error, as upstream.

use std::path::Path;

use super::Stores;
use crate::cli::context::Ctx;
use crate::cli::error::{code, CliError, CliResult, Phase};
use crate::cli::io::read_input;
use crate::core::Metadata;
use crate::keys::Registry;

pub fn run(ctx: &Ctx, file: Option<&Path>) -> CliResult<()> {
    let Some(file) = file else {
        return Err(
            CliError::new(code::NO_FILE, "no file specified").hint("usage: shroud filestatus FILE")
        );
    };
    let stores = Stores::new(ctx, Some(file))?;
    let bytes = read_input(Some(file)).map_err(|e| {
        CliError::new(
            code::GENERIC,
            format!("cannot check file status: {}", e.message),
        )
    })?;
    let loaded = stores
        .input()
        .load(&bytes)
        .map_err(|e| CliError::from_core(file, e.into(), Phase::LoadEncrypted))?;
    let encrypted = match loaded.metadata {
        None => false,
        Some(md) => {
            let meta = Metadata::from_value(&md, &Registry)
                .map_err(|e| CliError::from_core(file, e, Phase::LoadEncrypted))?;
            !meta.version.is_empty() && !meta.mac.is_empty()
        }
    };
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(())
}
