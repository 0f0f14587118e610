//! Tree → emitter events, reproducing what SOPS's YAML store hands to go-yaml.
//!
//! SOPS does not print comments itself: it turns comment items into yaml.v3 node comments
//! (`appendTreeBranch`/`appendSequence`: leading comments → the collection's head comment, others →
//! the next key's or item's head comment, inline ones → the next value's line comment, trailing
//! ones → the last key's or item's foot comment) and yaml.v3's encoder turns those into event
//! comments (a key's foot becomes the *tail* of the following event). Where a comment lands in
//! the output is then decided by the emitter, so reproducing this hand-over exactly is what makes
//! odd placements byte-compatible.
//!
//! Scalar styles are decided here too: yaml.v3 first encodes each value into a node (choosing
//! plain, quoted or literal with the emitter's own checks), then encodes that node.

use std::borrow::Cow;

use base64::Engine;

use super::resolve::{is_base60_float, is_old_bool, resolve_plain, Resolved};
use super::write::{analyze, Analysis, Style};
use crate::core::scalar::format_float_g;
use crate::core::{Item, Map, StoreError, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    StreamStart,
    StreamEnd,
    DocStart,
    DocEnd,
    MapStart,
    MapEnd,
    SeqStart,
    SeqEnd,
    Scalar,
}

/// An event's comments (boxed: most events have none, and events are many).
#[derive(Debug, Default)]
pub(crate) struct Comments {
    pub head: String,
    pub line: String,
    pub foot: String,
    pub tail: String,
}

#[derive(Debug)]
pub(crate) struct Event<'a> {
    pub kind: Kind,
    pub value: Cow<'a, str>,
    /// Explicit tag suffix after `!!` (`merge`, `binary`); `None` means implicit.
    pub tag: Option<&'static str>,
    pub style: Style,
    /// The scalar's analysis when already computed for choosing its style.
    pub analysis: Option<Analysis>,
    pub comments: Option<Box<Comments>>,
}

impl<'a> Event<'a> {
    fn new(kind: Kind) -> Self {
        Event {
            kind,
            value: Cow::Borrowed(""),
            tag: None,
            style: Style::Plain,
            analysis: None,
            comments: None,
        }
    }

    fn with(&mut self, set: impl FnOnce(&mut Comments) -> &mut String, text: String) {
        if !text.is_empty() {
            *set(self.comments.get_or_insert_with(Default::default)) = text;
        }
    }
}

/// `"#" + strings.Join(comments, "\n#")`.
fn join(comments: &[&str]) -> String {
    if comments.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    for (i, c) in comments.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push('#');
        s.push_str(c);
    }
    s
}

/// `addCommentsHead`: new comments go before existing ones.
fn prepend(new: String, existing: String) -> String {
    match (new.is_empty(), existing.is_empty()) {
        (true, _) => existing,
        (_, true) => new,
        _ => new + "\n" + &existing,
    }
}

/// The comments a parent attaches to a child node.
#[derive(Default)]
struct Attached {
    head: String,
    line: String,
    foot: String,
}

pub(crate) struct Generator<'a> {
    pub events: Vec<Event<'a>>,
}

impl<'a> Generator<'a> {
    pub(crate) fn new() -> Self {
        Generator {
            events: vec![Event::new(Kind::StreamStart)],
        }
    }

    /// One document; `extra` is appended as the mapping's last entry (the `sops` metadata).
    pub(crate) fn document(
        &mut self,
        doc: &'a Map,
        extra: Option<(&'a str, &'a Value)>,
    ) -> Result<(), StoreError> {
        self.events.push(Event::new(Kind::DocStart));
        self.map(doc, Attached::default(), extra)?;
        self.events.push(Event::new(Kind::DocEnd));
        Ok(())
    }

    /// A lone value as its own document (`EmitValue`).
    pub(crate) fn value_document(&mut self, v: &'a Value) -> Result<(), StoreError> {
        self.events.push(Event::new(Kind::DocStart));
        self.value(v, Attached::default())?;
        self.events.push(Event::new(Kind::DocEnd));
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Vec<Event<'a>> {
        self.events.push(Event::new(Kind::StreamEnd));
        self.events
    }

    fn value(&mut self, v: &'a Value, att: Attached) -> Result<(), StoreError> {
        match v {
            Value::Map(m) => self.map(m, att, None),
            Value::Seq(s) => self.seq(s, att),
            Value::Comment(_) => Err(StoreError::new(
                "a comment cannot be the value of a mapping entry",
            )),
            scalar => {
                let mut ev = scalar_event(scalar);
                ev.with(|c| &mut c.head, att.head);
                ev.with(|c| &mut c.line, att.line);
                ev.with(|c| &mut c.foot, att.foot);
                self.events.push(ev);
                Ok(())
            }
        }
    }

    fn map(
        &mut self,
        m: &'a Map,
        att: Attached,
        extra: Option<(&'a str, &'a Value)>,
    ) -> Result<(), StoreError> {
        let start = self.events.len();
        self.events.push(Event::new(Kind::MapStart));
        let mut heads: Vec<&str> = Vec::new();
        let mut inlines: Vec<&str> = Vec::new();
        let mut own_head = String::new();
        let mut beginning = true;
        let entries = m.items.iter().map(|i| match i {
            Item::Entry(k, v) => (Some((k.as_str(), v)), None),
            Item::Comment(c) => (None, Some(c)),
        });
        let extra = extra.map(|e| (Some(e), None));
        for (entry, comment) in entries.chain(extra) {
            if let Some(c) = comment {
                if c.inline {
                    inlines.push(&c.text);
                } else {
                    heads.push(&c.text);
                }
                continue;
            }
            let Some((k, v)) = entry else { continue };
            if beginning {
                own_head = join(&heads);
                heads.clear();
                beginning = false;
            }
            let mut key = string_event(k);
            key.with(|c| &mut c.head, join(&heads));
            heads.clear();
            self.events.push(key);
            let line = join(&inlines);
            inlines.clear();
            self.value(
                v,
                Attached {
                    line,
                    ..Attached::default()
                },
            )?;
        }
        heads.extend(inlines);
        let mut end = Event::new(Kind::MapEnd);
        if beginning {
            own_head = join(&heads);
        } else {
            // The last key's foot comment, moved by yaml.v3's encoder to the mapping's end.
            end.with(|c| &mut c.tail, join(&heads));
        }
        self.events[start].with(|c| &mut c.head, prepend(att.head, own_head));
        end.with(|c| &mut c.line, att.line);
        end.with(|c| &mut c.foot, att.foot);
        self.events.push(end);
        Ok(())
    }

    fn seq(&mut self, s: &'a [Value], att: Attached) -> Result<(), StoreError> {
        let start = self.events.len();
        self.events.push(Event::new(Kind::SeqStart));
        let last = s.iter().rposition(|v| !matches!(v, Value::Comment(_)));
        let mut heads: Vec<&str> = Vec::new();
        let mut inlines: Vec<&str> = Vec::new();
        let mut own_head = String::new();
        let mut beginning = true;
        // Comments after the last item become its foot comment (non-inline ones first).
        let trailing = |from: usize| {
            let tail = &s[from..];
            let pick = |inline: bool| {
                tail.iter().filter_map(move |v| match v {
                    Value::Comment(c) if c.inline == inline => Some(c.text.as_str()),
                    _ => None,
                })
            };
            pick(false).chain(pick(true)).collect::<Vec<_>>()
        };
        for (i, v) in s.iter().enumerate() {
            if let Value::Comment(c) = v {
                if last.is_some_and(|l| i > l) {
                    break;
                }
                if c.inline {
                    inlines.push(&c.text);
                } else {
                    heads.push(&c.text);
                }
                continue;
            }
            if beginning {
                own_head = join(&heads);
                heads.clear();
                beginning = false;
            }
            let foot = if Some(i) == last {
                join(&trailing(i + 1))
            } else {
                String::new()
            };
            let att_item = Attached {
                head: join(&heads),
                line: join(&inlines),
                foot,
            };
            heads.clear();
            inlines.clear();
            self.value(v, att_item)?;
        }
        if last.is_none() {
            heads.extend(inlines);
            own_head = join(&heads);
        }
        self.events[start].with(|c| &mut c.head, prepend(att.head, own_head));
        let mut end = Event::new(Kind::SeqEnd);
        end.with(|c| &mut c.line, att.line);
        end.with(|c| &mut c.foot, att.foot);
        self.events.push(end);
        Ok(())
    }
}

/// Whether yaml.v3 would write `s` plain when marshalling a Go string.
fn can_use_plain(s: &str) -> bool {
    matches!(resolve_plain(s), Resolved::Str) && !is_base60_float(s) && !is_old_bool(s)
}

/// The style yaml.v3's first encoding pass (`Node.Encode` of a Go string) settles on, given the
/// string's analysis.
pub(crate) fn string_style(s: &str, a: &Analysis) -> Style {
    if s.contains('\n') {
        if a.block_allowed {
            Style::Literal
        } else {
            Style::Double
        }
    } else if !can_use_plain(s) {
        Style::Double
    } else if a.block_plain_allowed {
        Style::Plain
    } else if a.single_quoted_allowed {
        Style::Single
    } else {
        Style::Double
    }
}

fn string_event(s: &str) -> Event<'_> {
    let mut ev = Event::new(Kind::Scalar);
    let a = analyze(s.as_bytes());
    ev.style = string_style(s, &a);
    ev.analysis = Some(a);
    if s == "<<" && ev.style == Style::Plain {
        // Re-parsed plain `<<` carries the merge tag, which the encoder keeps.
        ev.tag = Some("merge");
    }
    ev.value = Cow::Borrowed(s);
    ev
}

/// go-yaml's `encodeBase64`: lines of 70 characters, each ending in a newline once there are
/// at least 70 characters.
fn encode_base64(b: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(b);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

pub(crate) fn scalar_event(v: &Value) -> Event<'_> {
    let plain = |s: String| {
        let mut ev = Event::new(Kind::Scalar);
        ev.value = Cow::Owned(s);
        ev
    };
    match v {
        Value::Str(s) => string_event(s),
        Value::Null => plain("null".into()),
        Value::Bool(b) => plain(b.to_string()),
        Value::Int(i) => plain(i.to_string()),
        Value::Float(f) => plain(match format_float_g(*f).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            s => s.to_string(),
        }),
        Value::Time(t) => plain(t.to_rfc3339_nano()),
        Value::LocalDateTime(t) => string_event(t),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => string_event(s),
            Err(_) => {
                let text = encode_base64(b);
                let mut ev = Event::new(Kind::Scalar);
                ev.style = if text.contains('\n') {
                    Style::Literal
                } else {
                    Style::Plain
                };
                ev.tag = Some("binary");
                ev.value = Cow::Owned(text);
                ev
            }
        },
        Value::Map(_) | Value::Seq(_) | Value::Comment(_) => plain(String::new()),
    }
}
