//! TOML text → tree, plus a [`Layout`] that remembers where every leaf and comment came from.
//!
//! The layout mirrors the tree item for item, so emitting a tree of the same shape is a matter
//! of splicing new text into the old one (see `splice`): nothing else in the file can change.
//! Comments are placed like YAML's: lines above an entry or header, and the comment trailing
//! it, become comment items right before it; inside arrays and inline tables a trailing comment
//! belongs to the element it follows. The same walker also reads despanned documents (the
//! merge fallback uses it to see a template's comments exactly as the loader saw them).

use std::ops::Range;

use toml_edit::{ArrayOfTables, Document, Item as TItem, Table, Value as TValue};

use super::comments::{self, Decor};
use super::scalar::{leaf_from_toml, raw_of, same, span_of};
use crate::core::{Comment, Item, Map, StoreError, Value};

/// Where one tree item sits in the source text.
#[derive(Debug, Clone)]
pub(super) enum Slot {
    /// The comment's text (after `#`, to the line end).
    Comment(Range<usize>),
    /// A mapping entry.
    Entry(String, Node),
    /// A sequence element.
    Elem(Node),
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    /// The value's source text and the value it was read as.
    Leaf(Range<usize>, Value),
    Map(Vec<Slot>),
    Seq(Vec<Slot>),
}

/// The remembered shape of a loaded document.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub text: String,
    pub root: Vec<Slot>,
}

/// What `load` found.
pub(super) struct Parsed {
    pub tree: Map,
    pub meta: Option<Value>,
    pub layout: Layout,
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Parses, turning toml_edit's error into a position and a message without file content.
pub(super) fn parse(text: &str) -> Result<Document<&str>, StoreError> {
    Document::parse(text).map_err(|e| {
        let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
        StoreError::at_col(line, col, format!("invalid TOML: {}", e.message()))
    })
}

/// Parses a whole file: the document, its `sops` table (if any) and the layout of the rest.
pub(super) fn load(text: &str) -> Result<Parsed, StoreError> {
    let doc = parse(text)?;
    let Some(sops) = doc.as_table().get("sops") else {
        let (tree, layout) = build(text)?;
        return Ok(Parsed {
            tree,
            meta: None,
            layout,
        });
    };
    let mut loader = Loader::new(text, false);
    let meta = strip_comments(loader.item(sops)?.0);
    let body = body_without_sops(text, &doc)?;
    let (tree, layout) = build(&body)?;
    Ok(Parsed {
        tree,
        meta: Some(meta),
        layout,
    })
}

/// The document text without its `sops` table. shroud writes the table last, after one
/// separating line break, so cutting there gives back the exact plain text; a file where the
/// table is elsewhere is re-rendered by toml_edit without it.
fn body_without_sops(text: &str, doc: &Document<&str>) -> Result<String, StoreError> {
    if let Some(TItem::Table(t)) = doc.as_table().get("sops") {
        if let (false, false, Some(span)) = (t.is_dotted(), t.is_implicit(), t.span()) {
            let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
            let head = &text[..line_start];
            let body = head.strip_suffix('\n').unwrap_or(head);
            let (mut full, _) = build(text)?;
            full.items
                .retain(|i| !matches!(i, Item::Entry(k, _) if k == "sops"));
            if let Ok((cut, _)) = build(body) {
                if same(&Value::Map(cut), &Value::Map(full)) {
                    return Ok(body.to_string());
                }
            }
        }
    }
    let mut d = doc.clone().into_mut();
    if let Some(TItem::Table(t)) = d.get("sops") {
        // Comments above `[sops]` belong to the document's end.
        let above = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
        if !comments::scan(above).is_empty() {
            let trailing = format!("{}{above}", d.trailing().as_str().unwrap_or(""));
            d.set_trailing(trailing);
        }
    }
    d.remove("sops");
    Ok(d.to_string())
}

/// Tree and layout of a document without metadata, after checking that every comment of the
/// text found its place in the tree (an unplaced comment would never be encrypted).
pub(super) fn build(text: &str) -> Result<(Map, Layout), StoreError> {
    let doc = parse(text)?;
    let mut loader = Loader::new(text, true);
    let (mut tree, mut slots) = loader.table(doc.as_table())?;
    for (c, r) in loader.comments(&[(doc.trailing(), false)])? {
        tree.items.push(Item::Comment(c));
        slots.push(Slot::Comment(r));
    }
    let mut seen = loader.seen;
    seen.sort_unstable();
    let all = comments::comment_starts(text);
    if seen != all {
        let at = all
            .iter()
            .zip(seen.iter().chain(std::iter::repeat(&usize::MAX)))
            .find(|(a, b)| a != b)
            .map_or(0, |(a, _)| *a);
        let (line, col) = line_col(text, at);
        return Err(StoreError::at_col(
            line,
            col,
            "this comment is in a position shroud cannot track (it would not be encrypted)",
        ));
    }
    Ok((
        tree,
        Layout {
            text: text.to_string(),
            root: slots,
        },
    ))
}

/// Removes comments everywhere (metadata has no use for them).
fn strip_comments(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(Map {
            items: m
                .items
                .into_iter()
                .filter_map(|i| match i {
                    Item::Entry(k, v) => Some(Item::Entry(k, strip_comments(v))),
                    Item::Comment(_) => None,
                })
                .collect(),
        }),
        Value::Seq(s) => Value::Seq(
            s.into_iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .map(strip_comments)
                .collect(),
        ),
        v => v,
    }
}

/// Items of an array or inline table in tree order: a comment trailing an element on its
/// line goes before that element, like YAML's inline comments.
struct Ordered<T> {
    items: Vec<(T, Slot)>,
    last: Option<usize>,
}

impl<T> Ordered<T> {
    fn new() -> Self {
        Ordered {
            items: Vec::new(),
            last: None,
        }
    }

    /// Comments before an element (or at the end): inline ones trail the previous element.
    fn before(&mut self, cs: Vec<(Comment, Range<usize>)>, wrap: fn(Comment) -> T) {
        for (c, r) in cs {
            match self.last {
                Some(j) if c.inline => {
                    self.items.insert(j, (wrap(c), Slot::Comment(r)));
                    self.last = Some(j + 1);
                }
                _ => self.items.push((wrap(c), Slot::Comment(r))),
            }
        }
    }

    /// An element and the comments after it but before the next separator.
    fn element(
        &mut self,
        after: Vec<(Comment, Range<usize>)>,
        item: (T, Slot),
        wrap: fn(Comment) -> T,
    ) {
        let (inline, below): (Vec<_>, Vec<_>) = after.into_iter().partition(|(c, _)| c.inline);
        for (c, r) in inline {
            self.items.push((wrap(c), Slot::Comment(r)));
        }
        self.last = Some(self.items.len());
        self.items.push(item);
        for (c, r) in below {
            self.items.push((wrap(c), Slot::Comment(r)));
        }
    }

    fn finish(self) -> (Vec<T>, Vec<Slot>) {
        self.items.into_iter().unzip()
    }
}

/// The walk over a parsed document. With `spanned`, every leaf must carry its source span
/// and every comment's position is recorded for the completeness check.
pub(super) struct Loader<'a> {
    input: &'a str,
    spanned: bool,
    seen: Vec<usize>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(input: &'a str, spanned: bool) -> Self {
        Loader {
            input,
            spanned,
            seen: Vec::new(),
        }
    }

    fn error_at(&self, at: usize, msg: impl Into<String>) -> StoreError {
        if self.spanned {
            let (line, col) = line_col(self.input, at);
            StoreError::at_col(line, col, msg)
        } else {
            StoreError::new(msg)
        }
    }

    /// The comments of decor strings, with their absolute text ranges.
    pub(super) fn comments(
        &mut self,
        decors: &[Decor<'_>],
    ) -> Result<Vec<(Comment, Range<usize>)>, StoreError> {
        let mut out = Vec::new();
        for (raw, mid_line) in decors {
            let text = comments::raw_text(raw, self.input);
            let base = comments::raw_start(raw);
            for r in comments::scan(text) {
                if self.spanned && raw.span().is_none() {
                    return Err(StoreError::new("internal: comment without a source span"));
                }
                let inline = *mid_line && !text[..r.start].contains('\n');
                let abs = base + r.start..base + r.end;
                if self.spanned {
                    self.seen.push(abs.start - 1);
                }
                out.push((
                    Comment {
                        text: text[r].to_string(),
                        inline,
                    },
                    abs,
                ));
            }
        }
        Ok(out)
    }

    /// A standard (or root, or dotted) table: every comment in an entry's decor goes before it.
    pub(super) fn table(&mut self, t: &Table) -> Result<(Map, Vec<Slot>), StoreError> {
        let mut map = Map::new();
        let mut slots = Vec::new();
        for (k, item) in t.iter() {
            let Some(key) = t.key(k) else { continue };
            for (c, r) in self.comments(&comments::entry_decors(key, item))? {
                map.items.push(Item::Comment(c));
                slots.push(Slot::Comment(r));
            }
            let (v, node) = self.item(item)?;
            map.items.push(Item::Entry(k.to_string(), v));
            slots.push(Slot::Entry(k.to_string(), node));
        }
        Ok((map, slots))
    }

    pub(super) fn item(&mut self, item: &TItem) -> Result<(Value, Node), StoreError> {
        match item {
            TItem::Value(v) => self.value(v),
            TItem::Table(t) => {
                let (m, s) = self.table(t)?;
                Ok((Value::Map(m), Node::Map(s)))
            }
            TItem::ArrayOfTables(a) => self.tables(a),
            TItem::None => Ok((Value::Map(Map::new()), Node::Map(Vec::new()))),
        }
    }

    /// `[[name]]` tables: each header's comments are list elements before its table.
    fn tables(&mut self, a: &ArrayOfTables) -> Result<(Value, Node), StoreError> {
        let mut seq = Vec::new();
        let mut slots = Vec::new();
        for t in a.iter() {
            for (c, r) in self.comments(&comments::header_decors(t))? {
                seq.push(Value::Comment(c));
                slots.push(Slot::Comment(r));
            }
            let (m, s) = self.table(t)?;
            seq.push(Value::Map(m));
            slots.push(Slot::Elem(Node::Map(s)));
        }
        Ok((Value::Seq(seq), Node::Seq(slots)))
    }

    pub(super) fn value(&mut self, v: &TValue) -> Result<(Value, Node), StoreError> {
        match v {
            TValue::Array(a) => {
                let mut o = Ordered::new();
                for e in a.iter() {
                    let (pre, post) = comments::element_decors(e);
                    o.before(self.comments(&pre)?, Value::Comment);
                    let (ev, en) = self.value(e)?;
                    o.element(self.comments(&post)?, (ev, Slot::Elem(en)), Value::Comment);
                }
                o.before(
                    self.comments(&comments::trailing_of(a.trailing()))?,
                    Value::Comment,
                );
                let (vals, slots) = o.finish();
                Ok((Value::Seq(vals), Node::Seq(slots)))
            }
            TValue::InlineTable(t) => {
                let mut o = Ordered::new();
                for (k, ev) in t.iter() {
                    let Some(key) = t.key(k) else { continue };
                    let (pre, post) = comments::inline_entry_decors(key, ev);
                    o.before(self.comments(&pre)?, Item::Comment);
                    let (val, node) = self.value(ev)?;
                    let entry = (
                        Item::Entry(k.to_string(), val),
                        Slot::Entry(k.to_string(), node),
                    );
                    o.element(self.comments(&post)?, entry, Item::Comment);
                }
                o.before(
                    self.comments(&comments::trailing_of(t.trailing()))?,
                    Item::Comment,
                );
                let (items, slots) = o.finish();
                Ok((Value::Map(Map { items }), Node::Map(slots)))
            }
            scalar => {
                let span = span_of(scalar);
                if self.spanned && span.is_none() {
                    return Err(StoreError::new("internal: value without a source span"));
                }
                let span = span.unwrap_or(0..0);
                let raw = raw_of(scalar, self.input);
                let leaf =
                    leaf_from_toml(scalar, &raw).map_err(|m| self.error_at(span.start, m))?;
                Ok((leaf.clone(), Node::Leaf(span, leaf)))
            }
        }
    }
}
