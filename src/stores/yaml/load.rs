//! Events → tree: builds documents from saphyr-parser's event stream, typing scalars like go-yaml
//! (`scalar`), expanding aliases, checking keys, and splitting off the `sops` metadata. Comments
//! are recovered and placed by `placement`.
//!
//! The builder is an explicit stack, so deep input cannot overflow the call stack; saphyr's
//! events are consumed as they come, so the file is read once.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span};

use super::gaps::{Cursor, RawComment};
use super::placement::{insert, insert_at_top, LineTarget};
use super::scalar::{decode_scalar, go_quote};
use crate::core::{Comment, Document, Item, Loaded, Map, StoreError, Value};

/// Deeper nesting than this is refused (real configs never come close; it also bounds recursion
/// in the emitter and in `Drop`).
const MAX_DEPTH: usize = 1000;
/// Upper bound on nodes produced by alias expansion ("billion laughs"), or the input's size in
/// bytes if larger.
const MAX_ALIAS_NODES: usize = 1_000_000;

pub(super) enum Body {
    Map {
        map: Map,
        key: Option<String>,
        /// The duplicate-key check (first document only).
        seen: Option<KeyIndex>,
    },
    Seq(Vec<Value>),
}

pub(super) struct Frame {
    pub(super) body: Body,
    /// Column of the block's keys or dashes (go-yaml's indentation level).
    pub(super) indent: usize,
    /// A block sequence at its mapping's own column: no indentation level of its own.
    pub(super) indentless: bool,
    pub(super) flow: bool,
    pub(super) anchor: usize,
    /// Comments planned for the end of this block.
    pub(super) foot: Vec<String>,
    /// Comments planned for right after the next entry or item added to this block.
    pub(super) after_entry: Vec<String>,
    /// For a flow collection: the least column its lines may start at (one past the enclosing
    /// block's indentation).
    pub(super) min_col: usize,
}

pub(super) enum Role {
    Root,
    Key,
    Value,
    Item,
}

pub(super) struct Builder<'a> {
    pub(super) src: &'a str,
    pub(super) cur: Cursor<'a>,
    /// Line of the current event's flow bracket, if it has one.
    pub(super) bracket: Option<usize>,
    /// Flow closers (line start, missing spaces) less indented than saphyr allows.
    pub(super) dedented_closers: Vec<(usize, usize)>,
    pub(super) frames: Vec<Frame>,
    pub(super) pending: Vec<RawComment>,
    /// Line of the token the pending comments follow.
    pub(super) pending_after: usize,
    /// Comments planned for before the next item of the enclosing block.
    pub(super) carry: Vec<RawComment>,
    /// Comments on a block scalar's header line, inline for that scalar.
    pub(super) header: Vec<Comment>,
    /// Foot comments waiting for the next scalar (go-yaml hands them to the next event).
    pub(super) scalar_foot: Vec<String>,
    pub(super) line_target: Option<(usize, LineTarget)>,
    /// Line on which the last token before the current gap ended.
    pub(super) token_line: usize,
    pub(super) anchors: HashMap<usize, (Value, usize)>,
    pub(super) alias_nodes: usize,
    pub(super) docs: Vec<Document>,
    pub(super) root: Option<Map>,
    pub(super) metadata: Option<Value>,
}

pub(super) fn err_at(span: &Span, msg: impl Into<String>) -> StoreError {
    StoreError::at_col(span.start.line(), span.start.col() + 1, msg)
}

/// Parses a whole YAML stream.
/// How many dedented flow closers are re-indented before giving up (each costs a re-parse).
const MAX_REINDENTS: usize = 64;

enum Failure {
    Error(StoreError),
    /// Insert spaces (offset, count) and parse again.
    Reindent(Vec<(usize, usize)>),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Error(e)
    }
}

/// Parses a whole YAML stream.
///
/// go-yaml prints a mapping that holds only comments as `{`, the comments, and `}` at column 0
/// even when the mapping is nested; saphyr (rightly) rejects a closer indented less than its
/// block. Such a closer is moved right and the text parsed again, so SOPS's own output loads.
pub(crate) fn load(src: &str) -> Result<Loaded, StoreError> {
    let mut text = std::borrow::Cow::Borrowed(src);
    for _ in 0..=MAX_REINDENTS {
        match load_once(&text) {
            Ok(loaded) => return Ok(loaded),
            Err(Failure::Error(e)) => return Err(e),
            Err(Failure::Reindent(mut fixes)) => {
                let mut s = text.into_owned();
                fixes.sort_unstable();
                for (at, spaces) in fixes.into_iter().rev() {
                    s.insert_str(at, &" ".repeat(spaces));
                }
                text = std::borrow::Cow::Owned(s);
            }
        }
    }
    Err(StoreError::new(
        "too many flow collections closed at a lower indentation",
    ))
}

fn load_once(src: &str) -> Result<Loaded, Failure> {
    let mut b = Builder {
        src,
        cur: Cursor::new(src),
        bracket: None,
        dedented_closers: Vec::new(),
        frames: Vec::new(),
        pending: Vec::new(),
        pending_after: 0,
        carry: Vec::new(),
        header: Vec::new(),
        scalar_foot: Vec::new(),
        line_target: None,
        token_line: 1,
        anchors: HashMap::new(),
        alias_nodes: 0,
        docs: Vec::new(),
        root: None,
        metadata: None,
    };
    let mut parser = Parser::new_from_str(src);
    while let Some(next) = parser.next_event() {
        let (ev, span) = match next {
            Ok(x) => x,
            Err(e) => return Err(b.scan_error(&e)),
        };
        let after = b.gap(&ev, &span);
        b.event(ev, &span)?;
        for c in after {
            b.place(c);
        }
    }
    if b.docs.is_empty() && !src.trim().is_empty() {
        // go-yaml finds no document in a file of only comments and reports EOF.
        return Err(StoreError::new("no YAML document found (EOF)").into());
    }
    if let Some(last) = b.docs.last_mut() {
        let rest = b.carry.drain(..).chain(b.pending.drain(..));
        last.items
            .extend(rest.map(|c| Item::Comment(Comment::new(c.text))));
    }
    Ok(Loaded {
        docs: b.docs,
        metadata: b.metadata,
    })
}

impl Builder<'_> {
    fn scan_error(&self, e: &saphyr_parser::ScanError) -> Failure {
        let m = e.marker();
        let at = self.cur.byte_of(m);
        let line_start = self.src[..at].rfind('\n').map_or(0, |n| n + 1);
        let rest = self.src[line_start..].trim_start_matches([' ', '\t']);
        let closer = rest.starts_with('}') || rest.starts_with(']');
        if e.info() == "invalid indentation" && closer {
            // The collection may not have started yet: then the innermost frame is its block.
            if let Some(f) = self.frames.last() {
                let min_col = if f.flow { f.min_col } else { f.indent + 1 };
                let have = self.src.len() - line_start - rest.len();
                if min_col > have {
                    return Failure::Reindent(vec![(line_start, min_col - have)]);
                }
            }
        }
        if !self.dedented_closers.is_empty() {
            // An earlier closer was accepted but broke the indentation that follows.
            return Failure::Reindent(self.dedented_closers.clone());
        }
        Failure::Error(StoreError::at_col(
            m.line(),
            m.col() + 1,
            e.info().to_string(),
        ))
    }

    fn role(&self) -> Role {
        match self.frames.last() {
            None => Role::Root,
            Some(Frame {
                body: Body::Map { key: None, .. },
                ..
            }) => Role::Key,
            Some(Frame {
                body: Body::Map { .. },
                ..
            }) => Role::Value,
            Some(Frame {
                body: Body::Seq(_), ..
            }) => Role::Item,
        }
    }

    fn event(&mut self, ev: Event, span: &Span) -> Result<(), StoreError> {
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(explicit) => {
                self.root = None;
                self.line_target = explicit.then_some((span.end.line(), LineTarget::IntoCurrent));
            }
            Event::DocumentEnd => self.end_document()?,
            Event::MappingStart(anchor, _) => self.start(true, anchor, span)?,
            Event::SequenceStart(anchor, _) => self.start(false, anchor, span)?,
            Event::MappingEnd | Event::SequenceEnd => self.end(span)?,
            Event::Scalar(text, style, anchor, tag) => {
                let value =
                    decode_scalar(text, style, tag.as_deref()).map_err(|m| err_at(span, m))?;
                self.node(value, anchor, span)?;
            }
            Event::Alias(id) => {
                let Some((value, weight)) = self.anchors.get(&id) else {
                    return Err(err_at(span, "unknown anchor"));
                };
                self.alias_nodes += *weight;
                if self.alias_nodes > MAX_ALIAS_NODES.max(self.src.len()) {
                    return Err(err_at(span, "document contains excessive aliasing"));
                }
                let value = value.clone();
                self.node(value, 0, span)?;
            }
        }
        Ok(())
    }

    fn start(&mut self, is_map: bool, anchor: usize, span: &Span) -> Result<(), StoreError> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(err_at(span, "document is nested too deeply"));
        }
        let role = self.role();
        match role {
            Role::Key => {
                return Err(err_at(
                    span,
                    "mapping keys must be strings, found a collection",
                ))
            }
            Role::Root if !is_map => {
                return Err(err_at(
                    span,
                    "YAML documents that are sequences are not supported",
                ))
            }
            Role::Item => self.flush(),
            _ => {}
        }
        let end = self.cur.byte_of(&span.end);
        let bytes = self.src.as_bytes();
        let flow = self.bracket.is_some();
        let indent = if is_map || flow {
            span.end.col()
        } else {
            // The dash column; saphyr reports an indentless sequence at its first item.
            let mut q = end;
            while q > 0 && matches!(bytes[q - 1], b' ' | b'\t') {
                q -= 1;
            }
            let dash = if bytes.get(end) == Some(&b'-') {
                span.end.col()
            } else if q > 0 && bytes[q - 1] == b'-' {
                span.end.col().saturating_sub(end - q + 1)
            } else {
                span.end.col()
            };
            dash
        };
        let min_col = match self.frames.last() {
            Some(p) if p.flow => p.min_col,
            Some(p) => p.indent + 1,
            None => 0,
        };
        let indentless = !is_map
            && !flow
            && matches!(self.frames.last(), Some(p) if !p.flow
                && matches!(p.body, Body::Map { .. })
                && indent <= p.indent);
        let body = if is_map {
            Body::Map {
                map: Map::new(),
                key: None,
                seen: self.docs.is_empty().then(KeyIndex::default),
            }
        } else {
            Body::Seq(Vec::new())
        };
        self.frames.push(Frame {
            body,
            indent,
            indentless,
            flow,
            anchor,
            foot: Vec::new(),
            after_entry: Vec::new(),
            min_col,
        });
        if matches!(role, Role::Value) && !flow {
            self.plan_leading(indent, span);
        }
        if matches!(role, Role::Root | Role::Value) {
            self.flush();
        }
        self.line_target = self.bracket.map(|line| (line, LineTarget::IntoCurrent));
        Ok(())
    }

    fn end(&mut self, span: &Span) -> Result<(), StoreError> {
        if !self.pending.is_empty() {
            self.plan_trailing(span);
        }
        let outermost = self.frames.len() == 1;
        let Some(mut frame) = self.frames.pop() else {
            return Ok(());
        };
        for text in std::mem::take(&mut frame.foot) {
            insert(&mut frame.body, usize::MAX, Comment::new(text));
        }
        if outermost {
            // Whatever is left after the document's last block ends with the document.
            for c in self.carry.drain(..).chain(self.pending.drain(..)) {
                insert(&mut frame.body, usize::MAX, Comment::new(c.text));
            }
        }
        let value = match frame.body {
            Body::Map { map, .. } => Value::Map(map),
            Body::Seq(items) => Value::Seq(items),
        };
        if frame.anchor > 0 {
            self.anchors
                .insert(frame.anchor, (value.clone(), weight(&value)));
        }
        let at = self.attach(value, span)?;
        let in_map = matches!(
            self.frames.last(),
            Some(Frame {
                body: Body::Map { .. },
                ..
            })
        );
        self.line_target = match (at, self.bracket) {
            (Some(i), Some(line)) if frame.flow && in_map => {
                Some((line, LineTarget::IntoValueStart(i)))
            }
            (Some(i), Some(line)) if frame.flow => Some((line, LineTarget::InlineBefore(i))),
            _ => None,
        };
        Ok(())
    }

    /// A scalar or an expanded alias.
    fn node(&mut self, value: Value, anchor: usize, span: &Span) -> Result<(), StoreError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), weight(&value)));
        }
        // A key's foot goes after its entry, a value's or item's after itself.
        let foot = std::mem::take(&mut self.scalar_foot);
        if let Some(f) = self.frames.last_mut() {
            f.after_entry.extend(foot);
        }
        match self.role() {
            Role::Key => {
                self.flush();
                self.pending
                    .extend(self.header.drain(..).map(|c| RawComment {
                        text: c.text,
                        line: 0,
                        col: 0,
                        trailing: false,
                    }));
                let key = match value {
                    Value::Str(key) => key,
                    Value::Bytes(_) => return Err(err_at(span, "mapping key is not valid UTF-8")),
                    other => {
                        let msg =
                            format!("mapping keys must be strings, found {}", other.kind_name());
                        return Err(err_at(span, msg));
                    }
                };
                self.set_key(key, span)?;
                self.line_target = Some((span.end.line(), LineTarget::IntoCurrent));
            }
            Role::Root => match value {
                Value::Null => {
                    // `---` alone (or an empty document) is an empty mapping.
                    let mut root = Map::new();
                    root.items.extend(
                        self.pending
                            .drain(..)
                            .map(|c| Item::Comment(Comment::new(c.text))),
                    );
                    self.root = Some(root);
                }
                Value::Map(m) => self.root = Some(m),
                Value::Seq(_) => {
                    return Err(err_at(
                        span,
                        "YAML documents that are sequences are not supported",
                    ))
                }
                _ => {
                    return Err(err_at(
                        span,
                        "YAML documents that are values are not supported",
                    ))
                }
            },
            Role::Value | Role::Item => {
                self.flush();
                let mut at = self.attach(value, span)?.unwrap_or(0);
                for c in std::mem::take(&mut self.header) {
                    insert_at_top(&mut self.frames, at, c);
                    at += 1;
                }
                self.line_target = Some((span.end.line(), LineTarget::InlineBefore(at)));
            }
        }
        Ok(())
    }

    fn set_key(&mut self, key: String, span: &Span) -> Result<(), StoreError> {
        if let Some(Frame {
            body:
                Body::Map {
                    map,
                    key: slot,
                    seen,
                },
            ..
        }) = self.frames.last_mut()
        {
            if let Some(seen) = seen.as_mut() {
                let line = span.start.line();
                if let Some(first) = seen.check(map, &key, line) {
                    let msg = format!(
                        "mapping key {} already defined at line {first}",
                        go_quote(&key)
                    );
                    return Err(StoreError::at(line, msg));
                }
            }
            *slot = Some(key);
        }
        Ok(())
    }

    /// Adds a finished value to the current container; returns its index there.
    fn attach(&mut self, value: Value, span: &Span) -> Result<Option<usize>, StoreError> {
        match self.frames.last_mut() {
            None => match value {
                Value::Map(m) => {
                    self.root = Some(m);
                    Ok(None)
                }
                _ => Err(err_at(
                    span,
                    "YAML documents that are values are not supported",
                )),
            },
            Some(Frame {
                body: Body::Map { map, key, .. },
                after_entry,
                ..
            }) => {
                let k = key.take().unwrap_or_default();
                map.items.push(Item::Entry(k, value));
                let at = map.items.len() - 1;
                let after = after_entry
                    .drain(..)
                    .map(|t| Item::Comment(Comment::new(t)));
                map.items.extend(after);
                Ok(Some(at))
            }
            Some(Frame {
                body: Body::Seq(items),
                after_entry,
                ..
            }) => {
                items.push(value);
                let at = items.len() - 1;
                let after = after_entry
                    .drain(..)
                    .map(|t| Value::Comment(Comment::new(t)));
                items.extend(after);
                Ok(Some(at))
            }
        }
    }

    fn end_document(&mut self) -> Result<(), StoreError> {
        self.line_target = None;
        let Some(mut root) = self.root.take() else {
            return Ok(());
        };
        if self.docs.is_empty() {
            if root.entries().filter(|(k, _)| *k == "sops").count() > 1 {
                return Err(StoreError::new("found duplicate sops entry"));
            }
            self.metadata = root.remove("sops");
        } else {
            root.remove("sops");
        }
        self.docs.push(root);
        Ok(())
    }
}

/// go-yaml's duplicate-key check for one mapping: a scan while it is small, a hash map after.
#[derive(Default)]
pub(super) struct KeyIndex {
    /// Line of each key so far, in entry order.
    lines: Vec<usize>,
    big: Option<HashMap<String, usize>>,
}

impl KeyIndex {
    const SCAN_LIMIT: usize = 16;

    /// Records `key` (not yet in `map`); returns the line of an earlier equal key.
    fn check(&mut self, map: &Map, key: &str, line: usize) -> Option<usize> {
        if let Some(big) = &mut self.big {
            return match big.entry(key.to_string()) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(line);
                    None
                }
            };
        }
        if let Some((_, &first)) = map.entries().zip(&self.lines).find(|((k, _), _)| *k == key) {
            return Some(first);
        }
        self.lines.push(line);
        if self.lines.len() > Self::SCAN_LIMIT {
            let mut big: HashMap<String, usize> = map
                .entries()
                .zip(&self.lines)
                .map(|((k, _), &l)| (k.to_string(), l))
                .collect();
            big.insert(key.to_string(), line);
            self.big = Some(big);
            self.lines = Vec::new();
        }
        None
    }
}

/// Node count of a value, the cost of copying it for an alias.
fn weight(v: &Value) -> usize {
    match v {
        Value::Map(m) => {
            1 + m
                .items
                .iter()
                .map(|i| match i {
                    Item::Entry(_, v) => 1 + weight(v),
                    Item::Comment(_) => 1,
                })
                .sum::<usize>()
        }
        Value::Seq(s) => 1 + s.iter().map(weight).sum::<usize>(),
        _ => 1,
    }
}
