//! Where recovered comments go in the tree being built, following SOPS's yaml.v3-based store
//! (comment placement decides a comment's AAD when it is encrypted, so it must match):
//! * a comment after a value on the same line is an *inline* comment of that entry or item and
//!   goes right before it; after a key whose value starts on a later line it is a normal comment
//!   before that key; on a block scalar's header line it is inline for that scalar; after a flow
//!   collection that is a mapping value it opens that collection (yaml.v3 makes it the
//!   collection's line comment);
//! * own-line comments before a key or item go before it, in its container; before the first
//!   content of a collection that is a mapping value they open that collection;
//! * own-line comments after the last item of blocks that end are placed as go-yaml's scanner
//!   would place them (see `trailing`).
//!
//! saphyr's spans are not all tight (a quoted scalar's or a flow end's span may run over a
//! following comment; a block scalar's span may start at its header, its content or the next
//! token), so the brackets, quotes and block headers are located in the text itself.

use saphyr_parser::{Event, ScalarStyle, Span};

use super::gaps::RawComment;
use super::load::{Body, Builder, Frame};
use super::trailing::{self, Dest, Level};
use crate::core::{Comment, Item, Value};

/// Where a comment on the same line as the previous token belongs.
#[derive(Debug, Clone, Copy)]
pub(super) enum LineTarget {
    /// Inline, right before the item at this index of the current container.
    InlineBefore(usize),
    /// A normal comment appended to the current container (or pending when there is none).
    IntoCurrent,
    /// A normal comment at the start of the flow collection that is the value at this index
    /// (yaml.v3 makes it that collection's line comment).
    IntoValueStart(usize),
}

impl Builder<'_> {
    /// Collects the comments before this event and those inside its span (saphyr's spans for
    /// collection starts and flow ends can cover comments); returns the ones that come after the
    /// event's own token.
    pub(super) fn gap(&mut self, ev: &Event, span: &Span) -> Vec<RawComment> {
        let start = self.cur.byte_of(&span.start);
        let end = self.cur.byte_of(&span.end);
        self.token_line = self.cur.line;
        self.bracket = None;
        let (mut pre, mut header, mut post) = (Vec::new(), Vec::new(), Vec::new());
        let top_flow = self.frames.last().is_some_and(|f| f.flow);
        match ev {
            Event::MappingEnd | Event::SequenceEnd if top_flow => match self.cur.find_closer() {
                Some(p) => {
                    self.cur.scan_to(p, &mut pre);
                    self.bracket = Some(self.cur.line);
                    let min_col = self.frames.last().map_or(0, |f| f.min_col);
                    if self.cur.col < min_col {
                        let line_start = self.src[..p].rfind('\n').map_or(0, |n| n + 1);
                        self.dedented_closers
                            .push((line_start, min_col - self.cur.col));
                    }
                    self.cur.skip_to(p + 1);
                    self.cur.scan_to(end, &mut post);
                }
                None => self.cur.scan_to(end.max(start), &mut pre),
            },
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                self.cur.scan_to(start, &mut pre);
                if let Some(p) = self.cur.find_opener(start, end) {
                    self.cur.scan_to(p, &mut post);
                    self.bracket = Some(self.cur.line);
                    self.cur.skip_to(p + 1);
                }
                self.cur.scan_to(end, &mut post);
            }
            Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, ..) => {
                match self.cur.find_block_header() {
                    Some(h) => {
                        // Comments on the header line are the scalar's line comment.
                        self.cur.scan_to(h, &mut pre);
                        let eol = self.cur.line_end(h);
                        self.cur.scan_to(eol, &mut header);
                    }
                    None => self.cur.scan_to(start, &mut pre),
                }
                self.cur.skip_to(end);
            }
            Event::Scalar(_, style, ..) => {
                self.cur.scan_to(start, &mut pre);
                if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                    let closed = self.cur.quoted_end(start, end);
                    self.cur.skip_to(closed);
                    self.cur.scan_to(end, &mut post);
                }
                self.cur.skip_to(end);
            }
            _ => {
                self.cur.scan_to(start, &mut pre);
                self.cur.scan_to(end, &mut post);
            }
        }
        for c in pre {
            self.place(c);
        }
        self.header
            .extend(header.into_iter().map(|c| Comment::inline(c.text)));
        post
    }

    pub(super) fn place(&mut self, c: RawComment) {
        if c.trailing {
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
                        (LineTarget::IntoValueStart(i), Some(f)) => {
                            if let Body::Map { map, .. } = &mut f.body {
                                match map.items.get_mut(i) {
                                    Some(Item::Entry(_, Value::Map(m))) => {
                                        m.items.insert(0, Item::Comment(Comment::new(c.text)));
                                        return;
                                    }
                                    Some(Item::Entry(_, Value::Seq(v))) => {
                                        v.insert(0, Value::Comment(Comment::new(c.text)));
                                        return;
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if self.pending.is_empty() {
            self.pending_after = self.token_line;
        }
        self.pending.push(c);
    }

    /// Moves all waiting comments into the innermost open container.
    pub(super) fn flush(&mut self) {
        if self.pending.is_empty() && self.carry.is_empty() {
            return;
        }
        if let Some(f) = self.frames.last_mut() {
            for c in self.carry.drain(..).chain(self.pending.drain(..)) {
                insert(&mut f.body, usize::MAX, Comment::new(c.text));
            }
        }
    }

    /// Comments between a key's `:` and the first item of its block value: with go-yaml, a group
    /// split off by a dedented line is a foot of the `:`, handed on to the next scalar (the first
    /// key or item inside), so it lands after that entry (see `trailing`); the rest open the
    /// block. Called right after the block's frame is pushed.
    pub(super) fn plan_leading(&mut self, first_col: usize, span: &Span) {
        let n = self.frames.len();
        if self.pending.is_empty() || n < 2 {
            return;
        }
        let parent_indent = self.frames[n - 2].indent;
        let next = Some((span.end.line(), first_col));
        let dests = trailing::plan(
            &self.pending,
            self.pending_after,
            (n - 1, parent_indent),
            &[],
            next,
            true,
        );
        let pending = std::mem::take(&mut self.pending);
        for (c, d) in pending.into_iter().zip(dests) {
            match d {
                Dest::Frame(_) => self.scalar_foot.push(c.text),
                Dest::Next => self.pending.push(c),
            }
        }
    }

    /// Distributes the pending comments before a block end (see `trailing`).
    pub(super) fn plan_trailing(&mut self, span: &Span) {
        let Some(top) = self.frames.len().checked_sub(1) else {
            return;
        };
        if self.frames[top].flow {
            // Before `]` or `}`: inside the brackets.
            let texts = self.pending.drain(..).map(|c| c.text);
            self.frames[top].foot.extend(texts);
            return;
        }
        let at = self.cur.byte_of(&span.start);
        let next = if self.src[at..].trim().is_empty() {
            None
        } else {
            Some((span.start.line(), span.start.col()))
        };
        let levels: Vec<Level> = self
            .frames
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, f)| !f.flow && next.is_none_or(|(_, col)| f.indent > col))
            .filter(|(_, f)| !f.indentless)
            .map(|(depth, f)| Level {
                depth,
                indent: f.indent,
                is_seq: matches!(f.body, Body::Seq(_)),
            })
            .collect();
        let pending = std::mem::take(&mut self.pending);
        let top_indent = self.frames[top].indent;
        let dests = trailing::plan(
            &pending,
            self.pending_after,
            (top, top_indent),
            &levels,
            next,
            false,
        );
        for (c, d) in pending.into_iter().zip(dests) {
            match d {
                Dest::Frame(depth) => self.frames[depth].foot.push(c.text),
                Dest::Next => self.carry.push(c),
            }
        }
    }
}

pub(super) fn insert_at_top(frames: &mut [Frame], at: usize, c: Comment) {
    if let Some(f) = frames.last_mut() {
        insert(&mut f.body, at, c);
    }
}

pub(super) fn insert(body: &mut Body, at: usize, c: Comment) {
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
