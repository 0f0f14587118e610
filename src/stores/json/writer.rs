//! The JSON printer. Upstream builds compact JSON and pipes it through Go's `json.Indent`; the
//! result is what a direct pretty printer produces, so this writes it in one pass. Every byte of
//! the string escaping and number spelling is Go's, because encrypted values, the MAC'd
//! plaintext and `git diff`s of encrypted files all see it.

use crate::core::scalar::format_float_json;
use crate::core::{Item, Map, StoreError, Value};

/// How to lay out the output.
#[derive(Debug, Clone)]
pub enum Layout {
    /// `json.Marshal`: no whitespace at all.
    Compact,
    /// `json.Indent` with this indent string (one TAB, N spaces, or empty = newlines only).
    Indented(String),
}

impl Layout {
    /// SOPS's indent setting: `None` = one TAB, `Some(n)` = n spaces.
    pub fn from_indent(indent: Option<usize>) -> Layout {
        Layout::Indented(match indent {
            None => "\t".to_string(),
            Some(n) => " ".repeat(n),
        })
    }
}

/// A member list to print as an object, so a document and its metadata print as one object
/// without copying the document.
pub type Members<'a> = Vec<(&'a str, &'a Value)>;

/// Prints `v` with no trailing newline.
pub fn to_json(v: &Value, layout: &Layout) -> Result<Vec<u8>, StoreError> {
    let mut w = Writer {
        out: Vec::new(),
        layout,
    };
    w.value(v, 0)?;
    Ok(w.out)
}

/// Prints an object made of `members` with no trailing newline.
pub fn object_to_json(members: &Members<'_>, layout: &Layout) -> Result<Vec<u8>, StoreError> {
    let mut w = Writer {
        out: Vec::new(),
        layout,
    };
    w.object(members, 0)?;
    Ok(w.out)
}

/// The printable members of a map: comment items (and comment values) are not JSON.
pub fn members(map: &Map) -> Members<'_> {
    map.items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(k, v) if !matches!(v, Value::Comment(_)) => Some((k.as_str(), v)),
            _ => None,
        })
        .collect()
}

struct Writer<'l> {
    out: Vec<u8>,
    layout: &'l Layout,
}

impl Writer<'_> {
    fn newline(&mut self, depth: usize) {
        if let Layout::Indented(unit) = self.layout {
            self.out.push(b'\n');
            for _ in 0..depth {
                self.out.extend_from_slice(unit.as_bytes());
            }
        }
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), StoreError> {
        match v {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => self.out.extend_from_slice(i.to_string().as_bytes()),
            Value::Float(f) => match format_float_json(*f) {
                Some(s) => self.out.extend_from_slice(s.as_bytes()),
                None => {
                    return Err(StoreError::new(
                        "cannot encode NaN or infinite float value as JSON",
                    ))
                }
            },
            Value::Str(s) => write_string(&mut self.out, s.as_bytes()),
            Value::Bytes(b) => write_string(&mut self.out, b),
            Value::Time(t) => write_string(&mut self.out, t.to_rfc3339_nano().as_bytes()),
            Value::LocalDateTime(t) => write_string(&mut self.out, t.as_bytes()),
            Value::Comment(c) => write_string(&mut self.out, c.text.as_bytes()),
            Value::Map(m) => self.object(&members(m), depth)?,
            Value::Seq(items) => {
                let elems: Vec<&Value> = items
                    .iter()
                    .filter(|e| !matches!(e, Value::Comment(_)))
                    .collect();
                if elems.is_empty() {
                    self.out.extend_from_slice(b"[]");
                    return Ok(());
                }
                self.out.push(b'[');
                for (i, e) in elems.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.newline(depth + 1);
                    self.value(e, depth + 1)?;
                }
                self.newline(depth);
                self.out.push(b']');
            }
        }
        Ok(())
    }

    fn object(&mut self, members: &Members<'_>, depth: usize) -> Result<(), StoreError> {
        if members.is_empty() {
            self.out.extend_from_slice(b"{}");
            return Ok(());
        }
        self.out.push(b'{');
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.newline(depth + 1);
            write_string(&mut self.out, k.as_bytes());
            self.out.push(b':');
            if matches!(self.layout, Layout::Indented(_)) {
                self.out.push(b' ');
            }
            self.value(v, depth + 1)?;
        }
        self.newline(depth);
        self.out.push(b'}');
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Go `encoding/json` string encoding with HTML escaping; invalid UTF-8 becomes `\ufffd`.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\x08' => out.extend_from_slice(b"\\b"),
                b'\x0c' => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'<' | b'>' | b'&' | 0..=0x1f => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 0xf) as usize]);
                }
                _ => out.push(b),
            }
            i += 1;
            continue;
        }
        let (c, len) = super::parser::decode_char(&s[i..]);
        match c {
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            '\u{FFFD}' if len == 1 => out.extend_from_slice(b"\\ufffd"),
            _ => out.extend_from_slice(&s[i..i + len]),
        }
        i += len;
    }
    out.push(b'"');
}
