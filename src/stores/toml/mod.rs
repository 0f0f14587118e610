//! TOML: shroud's own extension (upstream SOPS has no TOML store); the layout is documented in
//! `docs/toml-layout.md`.
//!
//! TOML users expect their comments, spacing and table layout to survive an encrypt/decrypt
//! cycle byte for byte, but the tree the engine works on has no room for syntax. So the store
//! remembers the last document it loaded (its text and where every leaf and comment sat) and
//! `emit` puts the tree back into that text. Three ways out, tried in order:
//!
//! 1. **splice** (`splice`): the tree has the remembered shape (encrypt, decrypt, rotate,
//!    edit) — only leaf and comment text changes, everything else is copied;
//! 2. **merge** (`merge`): keys were added or removed (`set`, `unset`) — the remembered
//!    document is edited with toml_edit, keeping what still matches;
//! 3. **fresh** (`write`): nothing remembered (conversion from YAML/JSON) or the merge gave
//!    up — the tree is written from scratch.
//!
//! Whatever the way, the result is loaded again and must give back the same tree (values in
//! the same order for the MAC, comments in the same mapping for their AAD) before it is
//! returned: an encrypted file that does not decrypt is worse than an error.

mod comments;
mod load;
mod merge;
mod scalar;
mod splice;
mod write;

#[cfg(test)]
mod tests;

use std::sync::{Mutex, MutexGuard};

use load::Layout;
use scalar::{comment_text, same};

use crate::core::{Comment, Document, Format, Item, Loaded, Map, Store, StoreError, Value};

/// The TOML store. Load and emit with the same instance to keep a file's layout.
#[derive(Default)]
pub struct TomlStore {
    template: Mutex<Option<Layout>>,
}

/// The remembered text may be a decrypted file: never print it.
impl std::fmt::Debug for TomlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let remembered = self.template().as_ref().map(|l| l.text.len());
        f.debug_struct("TomlStore")
            .field("remembered_bytes", &remembered)
            .finish()
    }
}

impl TomlStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn template(&self) -> MutexGuard<'_, Option<Layout>> {
        self.template.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The document text (without metadata) for `tree`.
    fn body(&self, tree: &Map, strict: bool) -> Result<String, StoreError> {
        let guard = self.template();
        if let Some(layout) = guard.as_ref() {
            if let splice::Outcome::Text(t) = splice::splice(layout, tree)? {
                if reloads_as(&t, tree, strict) {
                    return Ok(t);
                }
            }
            if related(layout, tree) {
                if let Some(t) = merge::merge(layout, tree)? {
                    if reloads_as(&t, tree, strict) {
                        return Ok(t);
                    }
                }
            }
        }
        drop(guard);
        let t = write::document(tree)?;
        if reloads_as(&t, tree, strict) {
            Ok(t)
        } else {
            Err(StoreError::new(
                "cannot write this document as TOML without moving a value or comment",
            ))
        }
    }
}

/// Whether the remembered document is about the same data (an `--extract`ed sub-table is not).
fn related(layout: &Layout, tree: &Map) -> bool {
    let mut keys = tree.entries().map(|(k, _)| k).peekable();
    keys.peek().is_none()
        || keys.any(|k| {
            layout
                .root
                .iter()
                .any(|s| matches!(s, load::Slot::Entry(l, _) if l == k))
        })
}

/// Encrypted comments of lists are stored as strings; the loader reads them back as comments.
fn normalize(v: &Value, keep_comments: bool) -> Option<Value> {
    Some(match v {
        Value::Map(m) => Value::Map(Map {
            items: m
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Entry(k, v) => Some(Item::Entry(k.clone(), normalize(v, keep_comments)?)),
                    Item::Comment(c) => keep_comments.then(|| Item::Comment(c.clone())),
                })
                .collect(),
        }),
        Value::Seq(s) => Value::Seq(
            s.iter()
                .filter_map(|e| match comment_text(e) {
                    Some(t) => keep_comments.then(|| Value::Comment(Comment::new(t))),
                    None => normalize(e, keep_comments),
                })
                .collect(),
        ),
        v => v.clone(),
    })
}

/// Loading `text` gives back `tree`: values always, comments too when `strict`.
fn reloads_as(text: &str, tree: &Map, strict: bool) -> bool {
    let Ok((back, _)) = load::build(text) else {
        return false;
    };
    let a = normalize(&Value::Map(back), strict);
    let b = normalize(&Value::Map(tree.clone()), strict);
    matches!((a, b), (Some(a), Some(b)) if same(&a, &b))
}

fn utf8(input: &[u8]) -> Result<&str, StoreError> {
    std::str::from_utf8(input).map_err(|e| {
        let valid = std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or("");
        let (line, col) = load::line_col(valid, valid.len());
        StoreError::at_col(line, col, "invalid TOML: not valid UTF-8")
    })
}

impl Store for TomlStore {
    fn format(&self) -> Format {
        Format::Toml
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        let parsed = load::load(utf8(input)?)?;
        *self.template() = Some(parsed.layout);
        Ok(Loaded {
            docs: vec![parsed.tree],
            metadata: parsed.meta,
        })
    }

    /// TOML holds one document: only the first is written (as JSON does).
    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        let empty = Map::new();
        let tree = docs.first().unwrap_or(&empty);
        let mut out = self.body(tree, metadata.is_some())?;
        if let Some(meta) = metadata {
            // One line break before `[sops]`; the loader cuts exactly there.
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&write::metadata(meta)?);
        }
        Ok(out.into_bytes())
    }

    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError> {
        Ok(match value {
            Value::Str(s) => s.clone().into_bytes(),
            Value::Bytes(b) => b.clone(),
            Value::Map(m) => write::document(m)?.into_bytes(),
            v => {
                let mut s = write::value(v)?;
                s.push('\n');
                s.into_bytes()
            }
        })
    }
}
