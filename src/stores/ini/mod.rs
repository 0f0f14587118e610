//! The INI store (spec §8.4). SOPS routes INI through `gopkg.in/ini.v1`, so the syntax lives in
//! [`parser`]/[`writer`] over a model shaped like that library's, and this module only does what
//! SOPS itself adds: sections as top-level mappings, comments as items, and metadata as a
//! flattened `[sops]` section with newlines escaped.

mod model;
mod parser;
#[cfg(test)]
mod tests;
mod writer;

use self::model::{IniFile, Section};
use super::flatten::{flatten, unflatten, value_to_bytes};
use super::json::{lossy_utf8, to_json, Layout};
use crate::core::{Comment, Document, Format, Item, Loaded, Map, Store, StoreError, Value};

/// The section holding metadata.
const SOPS_SECTION: &str = "sops";

/// Reads and writes `.ini` files.
pub struct IniStore;

/// SOPS's `stripCommentChar`: drops the leading run of markers and spaces of the joined text.
fn strip_comment_char(c: &str) -> &str {
    if c.starts_with(';') {
        c.trim_start_matches([';', ' '])
    } else if c.starts_with('#') {
        c.trim_start_matches(['#', ' '])
    } else {
        c
    }
}

fn section_to_tree(section: Section) -> Map {
    let mut m = Map::new();
    if !section.comment.is_empty() {
        m.push_comment(Comment::new(strip_comment_char(&section.comment)));
    }
    for key in section.keys {
        let value = match String::from_utf8(key.value) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        };
        m.push(key.name, value);
        if !key.comment.is_empty() {
            m.push_comment(Comment::new(strip_comment_char(&key.comment)));
        }
    }
    m
}

/// Reads `[sops]` (keys already deduplicated, last value wins) back into a metadata tree;
/// accepts both `\n`-escaped values (3.13.2) and real multi-line values (3.13.0/3.13.1).
fn metadata_from_section(section: &Section) -> Result<Value, StoreError> {
    let flat = section
        .keys
        .iter()
        .map(|k| (k.name.clone(), lossy_utf8(&k.value).replace("\\n", "\n")))
        .collect();
    Ok(Value::Map(unflatten(flat)?))
}

fn add_section(file: &mut IniFile, name: &str, tree: &Map) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(StoreError::new("empty section name"));
    }
    let mut section = Section::new(name);
    let mut items = tree.items.iter().peekable();
    if let Some(Item::Comment(c)) = items.peek() {
        section.comment = c.text.clone();
        items.next();
    }
    let mut last_key: Option<usize> = None;
    for item in items {
        match item {
            Item::Comment(c) => {
                // Comments before a section's first key have nowhere to go in ini.v1.
                if let Some(i) = last_key {
                    section.keys[i].comment = c.text.clone();
                }
            }
            Item::Entry(k, v) => {
                if k.is_empty() {
                    return Err(StoreError::new("empty key name"));
                }
                let Some(value) = value_to_bytes(v) else {
                    return Err(StoreError::new(format!(
                        "cannot use complex value in INI section (key {k:?} holds a {}; only strings and scalars fit)",
                        v.kind_name()
                    )));
                };
                last_key = Some(section.set_key(k.clone(), value));
            }
        }
    }
    file.sections.push(section);
    Ok(())
}

impl Store for IniStore {
    fn format(&self) -> Format {
        Format::Ini
    }

    fn load(&self, input: &[u8]) -> Result<Loaded, StoreError> {
        let file = parser::parse(input)?;
        let metadata = match file.sections.iter().find(|s| s.name == SOPS_SECTION) {
            Some(s) => Some(metadata_from_section(s)?),
            None => None,
        };
        let mut doc = Map::new();
        for section in file.sections {
            if section.name != SOPS_SECTION {
                let name = section.name.clone();
                doc.push(name, Value::Map(section_to_tree(section)));
            }
        }
        Ok(Loaded {
            docs: vec![doc],
            metadata,
        })
    }

    fn emit(&self, docs: &[Document], metadata: Option<&Map>) -> Result<Vec<u8>, StoreError> {
        let mut file = IniFile::default();
        for doc in docs {
            for item in &doc.items {
                match item {
                    Item::Comment(_) => {}
                    Item::Entry(name, Value::Map(tree)) => add_section(&mut file, name, tree)?,
                    Item::Entry(_, _) => {
                        return Err(StoreError::new(
                            "Error encoding section: Section values should always be TreeBranches",
                        ))
                    }
                }
            }
        }
        if let Some(md) = metadata {
            let mut section = Section::new(SOPS_SECTION);
            for (k, v) in flatten(md, "") {
                section.set_key(k, v.replace('\n', "\\n").into_bytes());
            }
            file.sections.push(section);
        }
        Ok(writer::write(&file))
    }

    /// Strings print raw, a mapping as an INI file, anything else as compact JSON (upstream
    /// falls back to `json.Marshal`).
    fn emit_value(&self, value: &Value) -> Result<Vec<u8>, StoreError> {
        match value {
            Value::Str(s) => Ok(s.as_bytes().to_vec()),
            Value::Bytes(b) => Ok(b.clone()),
            Value::Map(m) => self.emit(std::slice::from_ref(m), None),
            other => to_json(other, &Layout::Compact),
        }
    }
}
