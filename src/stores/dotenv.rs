//! The dotenv store (spec §8.3). Deliberately not a shell-compatible `.env` parser: SOPS takes
//! the key verbatim up to the first `=` and keeps quotes and spaces, and the AAD/MAC are computed
//! over exactly those bytes, so being "smarter" would break decryption of real files.

use super::flatten::{flatten, unflatten, value_to_bytes};
use super::json::lossy_utf8;
use crate::core::{Comment, Document, Format, Loaded, Map, Store, StoreError, Value};

/// Metadata lives in top-level keys with this prefix.
const SOPS_PREFIX: &str = "sops_";

/// Reads and writes `.env` files.
pub struct DotenvStore;

/// Replaces every two-byte `\n` escape with a newline (upstream's only escape).
fn unescape_newlines(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn escape_newlines(b: &[u8], out: &mut Vec<u8>) {
    for &c in b {
        if c == b'\n' {
            out.extend_from_slice(b"\\n");
        } else {
            out.push(c);
        }
    }
}

fn utf8(b: &[u8], line: usize, what: &str) -> Result<String, StoreError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| StoreError::at(line, format!("{what} is not valid UTF-8")))
}

impl Store for DotenvStore {
    fn format(&self) -> Format {
        Format::Dotenv
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        let mut doc = Map::new();
        let mut flat = Vec::new();
        for (i, line) in input.split(|&b| b == b'\n').enumerate() {
            let lineno = i + 1;
            if line.is_empty() {
                continue;
            }
            if line[0] == b'#' {
                doc.push_comment(Comment::new(utf8(&line[1..], lineno, "comment")?));
                continue;
            }
            let Some(eq) = line.iter().position(|&b| b == b'=') else {
                return Err(StoreError::at(lineno, "invalid dotenv input line"));
            };
            let key = utf8(&line[..eq], lineno, "key")?;
            let value = unescape_newlines(&line[eq + 1..]);
            if let Some(md_key) = key.strip_prefix(SOPS_PREFIX) {
                flat.push((md_key.to_string(), lossy_utf8(&value)));
                continue;
            }
            let value = match String::from_utf8(value) {
                Ok(s) => Value::Str(s),
                Err(e) => Value::Bytes(e.into_bytes()),
            };
            doc.push(key, value);
        }
        let metadata = if flat.is_empty() {
            None
        } else {
            Some(Value::Map(unflatten(flat)?))
        };
        Ok(Loaded {
            docs: vec![doc],
            metadata,
        })
    }

    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        if let Some(doc) = docs.first() {
            for item in &doc.items {
                match item {
                    crate::core::Item::Comment(c) => {
                        // A multi-line comment (from another format) stays loadable.
                        out.push(b'#');
                        out.extend_from_slice(c.text.replace('\n', "\n#").as_bytes());
                        out.push(b'\n');
                    }
                    crate::core::Item::Entry(k, v) => {
                        let Some(bytes) = value_to_bytes(v) else {
                            return Err(StoreError::new(format!(
                                "cannot use complex value in dotenv file (key {k:?} holds a {})",
                                v.kind_name()
                            )));
                        };
                        out.extend_from_slice(k.as_bytes());
                        out.push(b'=');
                        escape_newlines(&bytes, &mut out);
                        out.push(b'\n');
                    }
                }
            }
        }
        if let Some(md) = metadata {
            for (k, v) in flatten(md, SOPS_PREFIX) {
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                escape_newlines(v.as_bytes(), &mut out);
                out.push(b'\n');
            }
        }
        Ok(out)
    }

    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError> {
        match value {
            Value::Str(s) => Ok(s.as_bytes().to_vec()),
            Value::Bytes(b) => Ok(b.clone()),
            other => Err(StoreError::new(format!(
                "the dotenv store only supports emitting strings, got {}",
                other.kind_name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
