//! Metadata flattening for the two formats that only hold flat string maps (INI and dotenv).
//!
//! SOPS spells nested metadata as single keys joined with `__map_`/`__list_` (spec §7.5). Writing
//! follows the tree's own order (the core hands us metadata already sorted, which is the 3.13
//! layout); reading must not depend on order at all, because pre-3.13 INI files list the keys in
//! random order and dotenv sorted them as strings. Leaves come back as strings: the metadata
//! decoder converts them weakly, as upstream's mapstructure does.

use std::collections::BTreeMap;

use crate::core::scalar::float_to_val_string;
use crate::core::{Map, StoreError, Value};

const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";

/// SOPS's ValToString (spec §8.6) for the flat formats; `None` for mappings and sequences,
/// which those formats cannot hold. Non-UTF-8 bytes are passed through untouched.
pub fn value_to_bytes(v: &Value) -> Option<Vec<u8>> {
    Some(match v {
        Value::Bytes(b) => b.clone(),
        Value::Map(_) | Value::Seq(_) => return None,
        other => val_to_string(other)?.into_bytes(),
    })
}

/// SOPS's ValToString (spec §8.6) as text; `None` for mappings and sequences.
pub fn val_to_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_to_val_string(*f),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Time(t) => t.to_rfc3339(),
        Value::Comment(c) => c.text.clone(),
        Value::Map(_) | Value::Seq(_) => return None,
    })
}

/// Flattens a metadata tree into `(prefix + flat key, value)` pairs in depth-first tree order.
/// Comments are dropped, empty containers vanish and null leaves are skipped (upstream writes
/// no line for them).
pub fn flatten(map: &Map, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map.entries() {
        flatten_value(&format!("{prefix}{k}"), v, &mut out);
    }
    out
}

fn flatten_value(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Map(m) => {
            for (k, child) in m.entries() {
                flatten_value(&format!("{path}{MAP_SEP}{k}"), child, out);
            }
        }
        Value::Seq(items) => {
            let elements = items.iter().filter(|e| !matches!(e, Value::Comment(_)));
            for (i, child) in elements.enumerate() {
                flatten_value(&format!("{path}{LIST_SEP}{i}"), child, out);
            }
        }
        Value::Null => {}
        leaf => {
            if let Some(s) = val_to_string(leaf) {
                out.push((path.to_string(), s));
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Key(String),
    Index(usize),
}

/// Splits a flat key on the separators, leftmost match first, like upstream's tokenizer.
fn tokenize(path: &str) -> Result<Vec<Token>, StoreError> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut is_index = false;
    let mut i = 0;
    let finish = |seg: &str, is_index: bool| -> Result<Token, StoreError> {
        if is_index {
            let ok = !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit());
            match seg.parse::<usize>() {
                Ok(n) if ok => Ok(Token::Index(n)),
                _ => Err(StoreError::new(format!(
                    "invalid list index in metadata key {path:?}"
                ))),
            }
        } else {
            Ok(Token::Key(seg.to_string()))
        }
    };
    while i < path.len() {
        let rest = &path[i..];
        let sep = if rest.starts_with(MAP_SEP) {
            Some((MAP_SEP.len(), false))
        } else if rest.starts_with(LIST_SEP) {
            Some((LIST_SEP.len(), true))
        } else {
            None
        };
        match sep {
            Some((len, next_is_index)) => {
                tokens.push(finish(&path[start..i], is_index)?);
                i += len;
                start = i;
                is_index = next_is_index;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    tokens.push(finish(&path[start..], is_index)?);
    Ok(tokens)
}

/// The structure being rebuilt; `BTreeMap` gives the bytewise key order upstream re-sorts to.
enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn container_for(token: &Token) -> Node {
        match token {
            Token::Key(_) => Node::Map(BTreeMap::new()),
            Token::Index(_) => Node::List(BTreeMap::new()),
        }
    }
}

fn mismatch(path: &str) -> StoreError {
    StoreError::new(format!("type mismatch in metadata key {path:?}"))
}

/// Rebuilds a metadata tree from flat `(key, value)` pairs (prefix already removed). Mapping
/// keys come back sorted; every leaf is a string.
pub fn unflatten(entries: Vec<(String, String)>) -> Result<Map, StoreError> {
    let mut root = Node::Map(BTreeMap::new());
    for (path, value) in entries {
        let tokens = tokenize(&path)?;
        insert(&mut root, &path, &tokens, value)?;
    }
    match into_value(root)? {
        Value::Map(m) => Ok(m),
        _ => Err(mismatch("")),
    }
}

/// Returns the child of `node` for `tok`, creating it with `fresh` when missing; `true` if new.
fn step<'a>(
    node: &'a mut Node,
    tok: &Token,
    path: &str,
    fresh: impl FnOnce() -> Node,
) -> Result<(&'a mut Node, bool), StoreError> {
    let mut created = false;
    let child = match (node, tok) {
        (Node::Map(m), Token::Key(k)) => m.entry(k.clone()).or_insert_with(|| {
            created = true;
            fresh()
        }),
        (Node::List(l), Token::Index(i)) => l.entry(*i).or_insert_with(|| {
            created = true;
            fresh()
        }),
        _ => return Err(mismatch(path)),
    };
    Ok((child, created))
}

fn insert(root: &mut Node, path: &str, tokens: &[Token], value: String) -> Result<(), StoreError> {
    let Some((last, inner)) = tokens.split_last() else {
        return Err(mismatch(path));
    };
    let mut node = root;
    for (i, tok) in inner.iter().enumerate() {
        let next = &tokens[i + 1];
        node = step(node, tok, path, || Node::container_for(next))?.0;
    }
    let (leaf, created) = step(node, last, path, || Node::Leaf(value))?;
    if created {
        Ok(())
    } else if matches!(leaf, Node::Leaf(_)) {
        Err(StoreError::new(format!("duplicate metadata key {path:?}")))
    } else {
        Err(mismatch(path))
    }
}

fn into_value(node: Node) -> Result<Value, StoreError> {
    Ok(match node {
        Node::Leaf(s) => Value::Str(s),
        Node::Map(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                out.push(k, into_value(child)?);
            }
            Value::Map(out)
        }
        Node::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (expected, (index, child)) in items.into_iter().enumerate() {
                if index != expected {
                    return Err(StoreError::new("incomplete list in metadata"));
                }
                out.push(into_value(child)?);
            }
            Value::Seq(out)
        }
    })
}
