//! A small JSON reader instead of serde_json, because SOPS's JSON store keeps what a generic
//! deserializer throws away: duplicate keys (each one is hashed into the MAC), member order, and
//! the int-vs-float distinction of the literal. It mirrors Go's `encoding/json` decoder where
//! that leaks into files: per-byte U+FFFD for invalid UTF-8, lone surrogates to U+FFFD, int64
//! literals as ints and everything else as floats.

use crate::core::{Map, StoreError, Value};

/// Nesting limit; deeper input is rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 1000;

/// Parses a file whose root must be an object; bytes after the root object are ignored, as
/// upstream's token-by-token decoder never reads them.
pub fn parse_document(input: &[u8]) -> Result<Map, StoreError> {
    let mut p = Parser { src: input, pos: 0 };
    p.skip_ws();
    match p.peek() {
        Some(b'{') => p.parse_object(0),
        other => {
            let found = match other {
                None => "end of input",
                Some(b'[') => "an array",
                Some(b'"') => "a string",
                Some(b'-' | b'0'..=b'9') => "a number",
                Some(b't' | b'f') => "a boolean",
                Some(b'n') => "null",
                Some(_) => "an invalid character",
            };
            Err(p.error(format!("the JSON root must be an object, found {found}")))
        }
    }
}

/// Parses one complete JSON value of any kind (e.g. a `sops set` VALUE); only whitespace may
/// follow it. Objects keep order and duplicates; numbers are typed by their literal.
pub fn parse_value(input: &[u8]) -> Result<Value, StoreError> {
    let mut p = Parser { src: input, pos: 0 };
    p.skip_ws();
    let v = p.parse_value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.error("invalid character after top-level value"));
    }
    Ok(v)
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// An error at the current position; the message never quotes input.
    fn error(&self, msg: impl Into<String>) -> StoreError {
        let before = &self.src[..self.pos.min(self.src.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        StoreError::at_col(line, column, msg)
    }

    fn unexpected(&self, context: &str) -> StoreError {
        match self.peek() {
            None => self.error("unexpected end of JSON input"),
            Some(_) => self.error(format!("invalid character {context}")),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value, StoreError> {
        match self.peek() {
            Some(b'{') => Ok(Value::Map(self.parse_object(depth)?)),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => Ok(Value::Str(self.parse_string()?)),
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            _ => Err(self.unexpected("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, StoreError> {
        for &expected in word {
            if self.peek() != Some(expected) {
                return Err(self.unexpected("in literal"));
            }
            self.pos += 1;
        }
        Ok(v)
    }

    fn enter(&self, depth: usize) -> Result<usize, StoreError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("exceeded maximum nesting depth"));
        }
        Ok(depth + 1)
    }

    fn parse_object(&mut self, depth: usize) -> Result<Map, StoreError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '{'
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(map);
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("looking for beginning of object key string"));
            }
            let key = self.parse_string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.parse_value(depth)?;
            map.push(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(map);
                }
                _ => return Err(self.unexpected("after object key:value pair")),
            }
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<Value, StoreError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.parse_value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Seq(items));
                }
                _ => return Err(self.unexpected("after array element")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn parse_number(&mut self) -> Result<Value, StoreError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("in numeric literal")),
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("after decimal point in numeric literal"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("in exponent of numeric literal"));
            }
        }
        // The literal is ASCII by construction.
        let text = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or_default();
        if integral {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => {
                self.pos = start;
                Err(self.error("number out of range"))
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.src.get(at..at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(text, 16).ok()
    }

    fn parse_string(&mut self) -> Result<String, StoreError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("unexpected end of JSON input in string literal"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => self.parse_escape(&mut out)?,
                0..=0x1f => return Err(self.error("invalid control character in string literal")),
                0x20..=0x7f => {
                    out.push(b as char);
                    self.pos += 1;
                }
                _ => {
                    let (c, len) = decode_char(&self.src[self.pos..]);
                    out.push(c);
                    self.pos += len;
                }
            }
        }
    }

    fn parse_escape(&mut self, out: &mut String) -> Result<(), StoreError> {
        let Some(&e) = self.src.get(self.pos + 1) else {
            self.pos += 1;
            return Err(self.error("unexpected end of JSON input in string escape"));
        };
        let simple = match e {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'u' => None,
            _ => {
                self.pos += 1;
                return Err(self.error("invalid character in string escape code"));
            }
        };
        if let Some(c) = simple {
            out.push(c);
            self.pos += 2;
            return Ok(());
        }
        let Some(first) = self.hex4(self.pos + 2) else {
            self.pos += 2;
            return Err(self.error("invalid character in \\u hexadecimal character escape"));
        };
        self.pos += 6;
        if (0xD800..0xE000).contains(&first) {
            // Go combines a valid high+low pair and turns anything else into U+FFFD, leaving
            // a following escape to be read on its own.
            if first < 0xDC00 && self.src.get(self.pos..self.pos + 2) == Some(b"\\u") {
                if let Some(second) = self.hex4(self.pos + 2) {
                    if (0xDC00..0xE000).contains(&second) {
                        let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        self.pos += 6;
                        return Ok(());
                    }
                }
            }
            out.push('\u{FFFD}');
        } else {
            out.push(char::from_u32(first).unwrap_or('\u{FFFD}'));
        }
        Ok(())
    }
}

/// Decodes one UTF-8 character at the start of `b`, or U+FFFD consuming one byte when the
/// sequence there is invalid (Go's `utf8.DecodeRune` rule).
pub(crate) fn decode_char(b: &[u8]) -> (char, usize) {
    let len = match b.first() {
        Some(0..=0x7f) => 1,
        Some(0xc2..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf4) => 4,
        _ => return ('\u{FFFD}', 1),
    };
    match b.get(..len).map(std::str::from_utf8) {
        Some(Ok(s)) => (s.chars().next().unwrap_or('\u{FFFD}'), len),
        _ => ('\u{FFFD}', 1),
    }
}

/// Go's lossy view of bytes as text: each byte of an invalid sequence becomes one U+FFFD.
pub(crate) fn lossy_utf8(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_string();
    }
    let mut out = String::with_capacity(b.len() + 8);
    let mut i = 0;
    while i < b.len() {
        let (c, len) = decode_char(&b[i..]);
        out.push(c);
        i += len;
    }
    out
}
