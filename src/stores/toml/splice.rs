//! Emitting a tree that has the remembered document's shape: new leaf and comment text is
//! spliced into the old text at the remembered spans. Everything between those spans (keys,
//! whitespace, table headers, line endings) is copied byte for byte, which is the whole point:
//! it is what makes `decrypt(encrypt(x))` give back `x` exactly.

use std::ops::Range;

use super::comments::check_text;
use super::load::{Layout, Node, Slot};
use super::scalar::{comment_text, render, same, Style};
use crate::core::{Item, Map, StoreError, Value};

/// Why the tree cannot be spliced: its shape differs from the template's (the caller then
/// merges instead). Bad values are errors, not mismatches.
pub(super) enum Outcome {
    Text(String),
    Mismatch,
}

/// Splices `tree` into the layout's text.
pub(super) fn splice(layout: &Layout, tree: &Map) -> Result<Outcome, StoreError> {
    let mut edits = Vec::new();
    let mut s = Splicer {
        text: &layout.text,
        edits: &mut edits,
        path: Vec::new(),
    };
    match s.map(&tree.items, &layout.root) {
        Ok(true) => {}
        Ok(false) => return Ok(Outcome::Mismatch),
        Err(e) => return Err(e),
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(layout.text.len() + edits.len() * 64);
    let mut last = 0;
    for (r, new) in edits {
        if r.start < last {
            return Err(StoreError::new("internal: overlapping edits"));
        }
        out.push_str(&layout.text[last..r.start]);
        out.push_str(&new);
        last = r.end;
    }
    out.push_str(&layout.text[last..]);
    Ok(Outcome::Text(out))
}

/// An error about the value at `path`, naming the path (never the value).
pub(super) fn value_error(path: &[&str], msg: &str) -> StoreError {
    let p: String = path.iter().map(|k| format!("[{k:?}]")).collect();
    if p.is_empty() {
        StoreError::new(msg)
    } else {
        StoreError::new(format!("value at {p}: {msg}"))
    }
}

struct Splicer<'a> {
    text: &'a str,
    edits: &'a mut Vec<(Range<usize>, String)>,
    /// Keys to the current value, for error messages.
    path: Vec<&'a str>,
}

impl<'a> Splicer<'a> {
    fn comment(&mut self, r: &Range<usize>, new: &str) -> Result<(), StoreError> {
        if &self.text[r.clone()] != new {
            check_text(new).map_err(StoreError::new)?;
            self.edits.push((r.clone(), new.to_string()));
        }
        Ok(())
    }

    /// `Ok(false)` on a shape mismatch.
    fn map(&mut self, items: &'a [Item], slots: &[Slot]) -> Result<bool, StoreError> {
        if items.len() != slots.len() {
            return Ok(false);
        }
        for (item, slot) in items.iter().zip(slots) {
            let ok = match (item, slot) {
                (Item::Comment(c), Slot::Comment(r)) => {
                    self.comment(r, &c.text)?;
                    true
                }
                (Item::Entry(k, v), Slot::Entry(l, node)) if k == l => {
                    self.path.push(k);
                    let ok = self.node(v, node)?;
                    self.path.pop();
                    ok
                }
                _ => false,
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn seq(&mut self, vals: &'a [Value], slots: &[Slot]) -> Result<bool, StoreError> {
        if vals.len() != slots.len() {
            return Ok(false);
        }
        for (v, slot) in vals.iter().zip(slots) {
            let ok = match (comment_text(v), slot) {
                (Some(t), Slot::Comment(r)) => {
                    self.comment(r, t)?;
                    true
                }
                (None, Slot::Elem(node)) => self.node(v, node)?,
                _ => false,
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn node(&mut self, v: &'a Value, node: &Node) -> Result<bool, StoreError> {
        match (v, node) {
            (Value::Map(m), Node::Map(s)) => self.map(&m.items, s),
            (Value::Seq(vals), Node::Seq(s)) => self.seq(vals, s),
            (Value::Map(_) | Value::Seq(_), _) | (_, Node::Map(_) | Node::Seq(_)) => Ok(false),
            (v, Node::Leaf(r, orig)) => {
                if !same(v, orig) {
                    let style = Style::of(&self.text[r.clone()]);
                    let new = render(v, style).map_err(|m| value_error(&self.path, &m))?;
                    self.edits.push((r.clone(), new));
                }
                Ok(true)
            }
        }
    }
}
