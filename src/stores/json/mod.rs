//! The JSON store (spec §8.2). Its own parser and printer live in submodules because both must
//! reproduce Go's `encoding/json` byte for byte; the binary store reuses them for its envelope.

mod parser;
#[cfg(test)]
mod tests;
mod writer;

pub(crate) use parser::{decode_char, lossy_utf8};
pub use parser::{parse_document, parse_value};
pub use writer::{to_json, Layout};

use crate::core::{Document, Format, Loaded, Map, Store, StoreError, Value};

/// Reads and writes `.json` files.
pub struct JsonStore {
    indent: Option<usize>,
}

impl JsonStore {
    /// `indent`: `None` = one TAB per level (SOPS's default `-1`), `Some(n)` = n spaces.
    pub fn new(indent: Option<usize>) -> Self {
        JsonStore { indent }
    }
}

/// Parses a `sops set` VALUE (spec §12.2): objects and arrays keep member order, duplicates
/// and integer typing, while a bare number becomes a float, as Go's generic decoding makes it
/// (`set … 2` stores `type:float`). Anything but one JSON value plus whitespace is an error.
pub fn parse_set_value(input: &[u8]) -> Result<Value, StoreError> {
    Ok(match parse_value(input)? {
        Value::Int(i) => Value::Float(i as f64),
        other => other,
    })
}

/// Parses a JSON file into one document and splits off its top-level `sops` member.
pub fn load_json(input: &[u8]) -> Result<Loaded, StoreError> {
    let mut doc = parse_document(input)?;
    let sops_entries = doc.entries().filter(|(k, _)| *k == "sops").count();
    if sops_entries > 1 {
        return Err(StoreError::new("found duplicate sops entry"));
    }
    let metadata = doc.remove("sops");
    Ok(Loaded {
        docs: vec![doc],
        metadata,
    })
}

/// Prints the first document (plus `metadata` as a last `sops` member) the way SOPS does:
/// indented per `indent`, with a final newline.
pub fn emit_json(
    docs: &[Document],
    metadata: Option<&Map>,
    indent: Option<usize>,
) -> Result<Vec<u8>, StoreError> {
    let empty = Map::new();
    let doc = docs.first().unwrap_or(&empty);
    let mut members = writer::members(doc);
    let md_value = metadata.map(|m| Value::Map(m.clone()));
    if let Some(md) = &md_value {
        members.push(("sops", md));
    }
    let mut out = writer::object_to_json(&members, &Layout::from_indent(indent))?;
    out.push(b'\n');
    Ok(out)
}

impl Store for JsonStore {
    fn format(&self) -> Format {
        Format::Json
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        load_json(input)
    }

    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        emit_json(docs, metadata, self.indent)
    }

    /// Strings print raw; anything else as indented JSON without a trailing newline.
    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError> {
        match value {
            Value::Str(s) => Ok(s.as_bytes().to_vec()),
            Value::Bytes(b) => Ok(b.clone()),
            other => to_json(other, &Layout::from_indent(self.indent)),
        }
    }
}
