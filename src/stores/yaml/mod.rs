//! The YAML store, byte-compatible with SOPS 3.13 (which parses and prints with go-yaml v3).
//!
//! Loading uses saphyr-parser's event stream and recovers comments from the text between event
//! spans, because no Rust YAML library keeps comments attached to nodes. Printing does not use a
//! library at all: go-yaml's layout (4-space indent, sequences indented under their key, its
//! quoting rules, where comments land) is reproduced by a port of its emitter, since SOPS files
//! are compared and MACed byte for byte.
//!
//! Where comments go matters beyond looks: SOPS authenticates an encrypted comment with the path
//! of the mapping holding it, so the loader places them as go-yaml's scanner does, quirks
//! included (see `placement`, `trailing`).
//!
//! Submodules: `load` (events → tree), `gaps`, `placement` and `trailing` (comment recovery and
//! placement), `scalar` and `resolve` (typing), `events` (tree → emitter events: SOPS's comment
//! hand-over and yaml.v3's style choice), `emitter` and `write` (go-yaml's printer).

mod emitter;
mod events;
mod gaps;
mod load;
mod placement;
mod resolve;
mod scalar;
mod trailing;
mod write;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use crate::core::{Document, Format, Loaded, Map, Store, StoreError, Value};

/// yaml.v3's `yaml.Marshal` indentation, used for single values (`EmitValue`).
const MARSHAL_INDENT: usize = 4;

/// The YAML store.
#[derive(Debug, Clone, Copy)]
pub struct YamlStore {
    indent: usize,
}

impl YamlStore {
    /// `indent` as in `.sops.yaml`'s `stores.yaml.indent`: 0 means the default 4, values outside
    /// 2..=9 print like 2 (yaml.v3's rule).
    pub fn new(indent: usize) -> Self {
        YamlStore {
            indent: if indent == 0 { 4 } else { indent },
        }
    }
}

/// Prints documents the way SOPS's YAML store does; `metadata` becomes the last `sops` entry of
/// every document.
pub fn emit_documents(
    docs: &[Document],
    metadata: Option<&Value>,
    indent: usize,
) -> Result<Vec<u8>, StoreError> {
    let mut g = events::Generator::new();
    for doc in docs {
        g.document(doc, metadata.map(|m| ("sops", m)))?;
    }
    emitter::emit(g.finish(), indent)
}

/// The YAML spelling of one scalar value as SOPS would print it in a mapping (`"yes"`, `15`,
/// `2024-01-01T00:00:00Z`, `'a: b'`, a `|` block for multi-line strings), without a newline.
pub fn scalar_to_yaml(v: &Value) -> Result<String, StoreError> {
    let out = emit_value_with(v, MARSHAL_INDENT)?;
    let s = String::from_utf8(out).map_err(|_| StoreError::new("non-UTF-8 YAML output"))?;
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

fn emit_value_with(v: &Value, indent: usize) -> Result<Vec<u8>, StoreError> {
    let mut g = events::Generator::new();
    g.value_document(v)?;
    emitter::emit(g.finish(), indent)
}

fn utf8(input: &[u8]) -> Result<&str, StoreError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        StoreError::at(line, "invalid UTF-8 in YAML input")
    })
}

impl Store for YamlStore {
    fn format(&self) -> Format {
        Format::Yaml
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        load::load(utf8(input)?)
    }

    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        let meta = metadata.map(|m| Value::Map(m.clone()));
        emit_documents(docs, meta.as_ref(), self.indent)
    }

    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError> {
        match value {
            Value::Str(s) => Ok(s.as_bytes().to_vec()),
            Value::Bytes(b) => Ok(b.clone()),
            Value::Map(m) => emit_documents(std::slice::from_ref(m), None, self.indent),
            other => emit_value_with(other, MARSHAL_INDENT),
        }
    }
}
