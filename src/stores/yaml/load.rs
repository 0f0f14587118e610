//! Events → tree: builds documents from saphyr-parser's event stream, typing scalars like go-yaml
//! and placing recovered comments where SOPS's yaml.v3-based store would.
//!
//! Placement rules (the ones SOPS's comment AAD and re-emission depend on):
//! * a comment after a value on the same line is an *inline* comment of that entry or item and
//!   goes right before it; after a key whose value starts on a later line it is a normal comment
//!   before that key; on a block scalar's header line it is inline for that scalar;
//! * own-line comments before a key or item go before it, in its container; before the first
//!   content of a collection that is a mapping value they open that collection;
//! * own-line comments after the last item of blocks that end together go to the innermost of
//!   those blocks whose indentation is at most the comment's column (order is never changed);
//!   the rest go before the next item of the enclosing block.
//!
//! The builder is an explicit stack, so deep input cannot overflow the call stack.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::gaps::{self, Positions, RawComment};
use super::scalar::{decode_scalar, go_quote};
use crate::core::{Comment, Document, Item, Loaded, Map, StoreError, Value};

/// Deeper nesting than this is refused (real configs never come close; it also bounds recursion
/// in the emitter and in `Drop`).
const MAX_DEPTH: usize = 1000;
/// Upper bound on nodes produced by alias expansion ("billion laughs").
const MAX_ALIAS_NODES: usize = 10_000_000;

/// Where a comment on the same line as the previous token belongs.
#[derive(Debug, Clone, Copy)]
enum LineTarget {
    /// Inline, right before the item at this index of the current container.
    InlineBefore(usize),
    /// A normal comment appended to the current container (or pending when there is none).
    IntoCurrent,
}

enum Body {
    Map {
        map: Map,
        key: Option<String>,
        /// Key → line, for the duplicate check (first document only).
        seen: Option<HashMap<String, usize>>,
    },
    Seq(Vec<Value>),
}

struct Frame {
    body: Body,
    /// Column that own-line comments must reach to stay in this block after its last item.
    indent: usize,
    flow: bool,
    anchor: usize,
}

enum Role {
    Root,
    Key,
    Value,
    Item,
}

struct Builder<'a> {
    src: &'a str,
    pos: Positions<'a>,
    /// Byte offset up to which the source has been accounted for, and its line/column.
    cursor: usize,
    cursor_line: usize,
    cursor_col: usize,
    frames: Vec<Frame>,
    pending: Vec<RawComment>,
    /// Comments on a block scalar's header line, inline for that scalar.
    header: Vec<Comment>,
    line_target: Option<(usize, LineTarget)>,
    anchors: HashMap<usize, (Value, usize)>,
    alias_nodes: usize,
    docs: Vec<Document>,
    root: Option<Map>,
    metadata: Option<Value>,
    found: Vec<RawComment>,
}

fn err_at(span: &Span, msg: impl Into<String>) -> StoreError {
    StoreError::at_col(span.start.line(), span.start.col() + 1, msg)
}

/// Parses a whole YAML stream.
pub(crate) fn load(src: &str) -> Result<Loaded, StoreError> {
    let mut b = Builder {
        src,
        pos: Positions::new(src),
        cursor: 0,
        cursor_line: 1,
        cursor_col: 0,
        frames: Vec::new(),
        pending: Vec::new(),
        header: Vec::new(),
        line_target: None,
        anchors: HashMap::new(),
        alias_nodes: 0,
        docs: Vec::new(),
        root: None,
        metadata: None,
        found: Vec::new(),
    };
    let mut parser = Parser::new_from_str(src);
    while let Some(next) = parser.next_event() {
        let (ev, span) = next.map_err(|e| {
            let m = e.marker();
            StoreError::at_col(m.line(), m.col() + 1, e.info().to_string())
        })?;
        b.gap(&ev, &span);
        b.event(ev, &span)?;
    }
    if b.docs.is_empty() && !src.trim().is_empty() {
        // go-yaml finds no document in a file of only comments and reports EOF.
        return Err(StoreError::new("no YAML document found (EOF)"));
    }
    if !b.pending.is_empty() {
        if let Some(last) = b.docs.last_mut() {
            last.items.extend(
                b.pending
                    .drain(..)
                    .map(|c| Item::Comment(Comment::new(c.text))),
            );
        }
    }
    Ok(Loaded {
        docs: b.docs,
        metadata: b.metadata,
    })
}

impl Builder<'_> {
    /// Collects the comments between the previous event and this one.
    fn gap(&mut self, ev: &Event, span: &Span) {
        let start = self.pos.byte(span.start.index());
        let end = self.pos.byte(span.end.index());
        if start > self.cursor {
            self.found.clear();
            gaps::scan(
                self.src,
                self.cursor,
                start,
                self.cursor_line,
                self.cursor_col,
                &mut self.found,
            );
            let block_scalar = matches!(
                ev,
                Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, ..)
            );
            let found = std::mem::take(&mut self.found);
            for c in &found {
                self.place(c.clone(), block_scalar && c.line < span.start.line());
            }
            self.found = found;
        }
        if end >= self.cursor {
            self.cursor = end;
            self.cursor_line = span.end.line();
            self.cursor_col = span.end.col();
        }
    }

    fn place(&mut self, c: RawComment, on_header: bool) {
        if c.trailing {
            if on_header {
                self.header.push(Comment::inline(c.text));
                return;
            }
            if let Some((line, target)) = self.line_target {
                if line == c.line {
                    match (target, self.frames.last_mut()) {
                        (LineTarget::InlineBefore(i), Some(f)) => {
                            insert(&mut f.body, i, Comment::inline(c.text));
                            return;
                        }
                        (LineTarget::IntoCurrent, Some(f)) => {
                            insert(&mut f.body, usize::MAX, Comment::new(c.text));
                            return;
                        }
                        _ => {}
                    }
                }
            }
        }
        self.pending.push(c);
    }

    /// Moves all pending comments into the innermost open container.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(f) = self.frames.last_mut() {
            for c in self.pending.drain(..) {
                insert(&mut f.body, usize::MAX, Comment::new(c.text));
            }
        }
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
                    decode_scalar(&text, style, tag.as_deref()).map_err(|m| err_at(span, m))?;
                self.node(value, Some(&text), anchor, span)?;
            }
            Event::Alias(id) => {
                let Some((value, weight)) = self.anchors.get(&id) else {
                    return Err(err_at(span, "unknown anchor"));
                };
                self.alias_nodes += *weight;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(err_at(span, "document contains excessive aliasing"));
                }
                let value = value.clone();
                self.node(value, None, 0, span)?;
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
        let end = self.pos.byte(span.end.index());
        let bytes = self.src.as_bytes();
        let opener = if is_map { b'{' } else { b'[' };
        let flow = span.end.index() > span.start.index() && end > 0 && bytes[end - 1] == opener;
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
            match self.frames.last() {
                // Comments at the column of an indentless sequence belong to its mapping.
                Some(p) if !p.flow && matches!(p.body, Body::Map { .. }) && dash <= p.indent => {
                    dash + 1
                }
                _ => dash,
            }
        };
        let body = if is_map {
            Body::Map {
                map: Map::new(),
                key: None,
                seen: self.docs.is_empty().then(HashMap::new),
            }
        } else {
            Body::Seq(Vec::new())
        };
        self.frames.push(Frame {
            body,
            indent,
            flow,
            anchor,
        });
        if matches!(role, Role::Root | Role::Value) {
            self.flush();
        }
        self.line_target = flow.then_some((span.end.line(), LineTarget::IntoCurrent));
        Ok(())
    }

    fn end(&mut self, span: &Span) -> Result<(), StoreError> {
        let outermost = self.frames.len() == 1;
        let Some(mut frame) = self.frames.pop() else {
            return Ok(());
        };
        let take = if frame.flow || outermost {
            self.pending.len()
        } else {
            self.pending
                .iter()
                .take_while(|c| c.col >= frame.indent)
                .count()
        };
        for c in self.pending.drain(..take) {
            insert(&mut frame.body, usize::MAX, Comment::new(c.text));
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
        self.line_target = match at {
            Some(i) if frame.flow => Some((span.end.line(), LineTarget::InlineBefore(i))),
            _ => None,
        };
        Ok(())
    }

    /// A scalar or an expanded alias; `raw` is the scalar's text (for the duplicate-key check).
    fn node(
        &mut self,
        value: Value,
        raw: Option<&str>,
        anchor: usize,
        span: &Span,
    ) -> Result<(), StoreError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), weight(&value)));
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
                let Value::Str(key) = value else {
                    let msg = format!("mapping keys must be strings, found {}", value.kind_name());
                    return Err(err_at(span, msg));
                };
                self.set_key(key, raw, span)?;
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

    fn set_key(&mut self, key: String, raw: Option<&str>, span: &Span) -> Result<(), StoreError> {
        if let Some(Frame {
            body: Body::Map {
                key: slot, seen, ..
            },
            ..
        }) = self.frames.last_mut()
        {
            if let (Some(seen), Some(raw)) = (seen.as_mut(), raw) {
                let line = span.start.line();
                if let Some(first) = seen.get(raw) {
                    let msg = format!(
                        "mapping key {} already defined at line {first}",
                        go_quote(raw)
                    );
                    return Err(StoreError::at(line, msg));
                }
                seen.insert(raw.to_string(), line);
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
                ..
            }) => {
                let k = key.take().unwrap_or_default();
                map.items.push(Item::Entry(k, value));
                Ok(Some(map.items.len() - 1))
            }
            Some(Frame {
                body: Body::Seq(items),
                ..
            }) => {
                items.push(value);
                Ok(Some(items.len() - 1))
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

fn insert_at_top(frames: &mut [Frame], at: usize, c: Comment) {
    if let Some(f) = frames.last_mut() {
        insert(&mut f.body, at, c);
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

fn insert(body: &mut Body, at: usize, c: Comment) {
    match body {
        Body::Map { map, .. } => {
            let at = at.min(map.items.len());
            map.items.insert(at, Item::Comment(c));
        }
        Body::Seq(items) => {
            let at = at.min(items.len());
            items.insert(at, Value::Comment(c));
        }
    }
}
