//! The one seam between file syntax and the engine. A store parses bytes into documents plus the
//! raw `sops` metadata tree and prints them back; it never encrypts and never decides what gets
//! encrypted, so every format is tested without keys.

use super::error::StoreError;
use super::tree::{Document, Map, Value};

/// The file formats shroud knows. Closed set: dispatch is a `match`, not a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Yaml,
    Json,
    Dotenv,
    Ini,
    Binary,
    Toml,
}

impl Format {
    /// `--input-type`/`--output-type` names; `None` for unknown names (SOPS then falls back to
    /// the file name).
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "yaml" => Format::Yaml,
            "json" => Format::Json,
            "dotenv" => Format::Dotenv,
            "ini" => Format::Ini,
            "binary" => Format::Binary,
            "toml" => Format::Toml,
            _ => return None,
        })
    }

    /// Store by file-name suffix, case-sensitive like SOPS; anything else is binary.
    pub fn from_path(path: &str) -> Format {
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            Format::Yaml
        } else if path.ends_with(".json") {
            Format::Json
        } else if path.ends_with(".env") {
            Format::Dotenv
        } else if path.ends_with(".ini") {
            Format::Ini
        } else if path.ends_with(".toml") {
            Format::Toml
        } else {
            Format::Binary
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Ini => "ini",
            Format::Binary => "binary",
            Format::Toml => "toml",
        }
    }
}

/// What a store read from a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// The documents, with the `sops` entry (or `sops_` keys, `[sops]` section) removed.
    pub docs: Vec<Document>,
    /// The metadata as a plain tree (YAML/JSON: the first document's `sops` value; INI/dotenv:
    /// unflattened), or `None` when the file has none.
    pub metadata: Option<Value>,
}

/// A file format.
pub trait Store: Send + Sync {
    fn format(&self) -> Format;

    /// Parses a whole file. Metadata is split off here because where it lives is syntax.
    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError>;

    /// Prints documents; with `metadata`, appends it the way this format stores it.
    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError>;

    /// Prints a single value for `--extract` (a string prints raw, without a newline).
    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError>;
}
