//! File formats. Each module implements [`crate::core::Store`] and nothing else: parse and
//! print, never encrypt.

use crate::core::{Format, Store};

pub mod binary;
pub mod dotenv;
pub mod flatten;
pub mod ini;
pub mod json;
pub mod toml;
pub mod yaml;

/// Indentation settings from `stores:` in `.sops.yaml` and `--indent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// YAML indent (default 4; values outside 2..=9 behave like 2, as in yaml.v3).
    pub yaml_indent: usize,
    /// JSON indent: `None` = one TAB (SOPS's `-1`), `Some(n)` = n spaces.
    pub json_indent: Option<usize>,
    /// Indent of the JSON envelope of the binary store.
    pub json_binary_indent: Option<usize>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            yaml_indent: 4,
            json_indent: None,
            json_binary_indent: None,
        }
    }
}

/// The store for a format.
pub fn store_for(format: Format, opts: StoreOptions) -> Box<dyn Store> {
    match format {
        Format::Yaml => Box::new(yaml::YamlStore::new(opts.yaml_indent)),
        Format::Json => Box::new(json::JsonStore::new(opts.json_indent)),
        Format::Dotenv => Box::new(dotenv::DotenvStore),
        Format::Ini => Box::new(ini::IniStore),
        Format::Binary => Box::new(binary::BinaryStore::new(opts.json_binary_indent)),
        Format::Toml => Box::new(toml::TomlStore::new()),
    }
}
