//! Reads INI the way `gopkg.in/ini.v1` v1.67 does with SOPS's options (`AllowNonUniqueSections`,
//! everything else default). Quirks are kept on purpose: `#`/`;` start an inline comment even
//! inside a word, text after a closing quote is dropped, continuation lines skip comment
//! handling. Each of them decides which bytes get encrypted.

use super::model::{trim_left_space, trim_space, IniFile, Section, DEFAULT_SECTION};
use crate::core::StoreError;

/// Line reader with ini.v1's end-of-file rule: a line keeps its `\n`; the final read returns
/// whatever is left (possibly nothing) and sets `eof`.
struct Lines<'a> {
    src: &'a [u8],
    pos: usize,
    eof: bool,
    /// 1-based number of the line most recently read.
    line: usize,
}

impl<'a> Lines<'a> {
    fn read(&mut self) -> &'a [u8] {
        self.line += 1;
        let rest = &self.src[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos += i + 1;
                &rest[..=i]
            }
            None => {
                self.pos = self.src.len();
                self.eof = true;
                rest
            }
        }
    }
}

/// Strips a UTF-8 BOM, or the two bytes of a UTF-16 one, as ini.v1 does.
fn skip_bom(input: &[u8]) -> &[u8] {
    if input.starts_with(&[0xef, 0xbb, 0xbf]) {
        &input[3..]
    } else if input.starts_with(&[0xfe, 0xff]) || input.starts_with(&[0xff, 0xfe]) {
        &input[2..]
    } else {
        input
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn find_any(hay: &[u8], set: &[u8]) -> Option<usize> {
    hay.iter().position(|b| set.contains(b))
}

/// Everything from the first `#` or `;` on, if any.
fn clean_comment(b: &[u8]) -> Option<&[u8]> {
    find_any(b, b"#;").map(|i| &b[i..])
}

fn text(b: &[u8], line: usize, what: &str) -> Result<String, StoreError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| StoreError::at(line, format!("{what} is not valid UTF-8")))
}

/// Splits a key line into the trimmed key name and the offset just after the delimiter.
fn read_key_name(line: &[u8], lineno: usize) -> Result<(Vec<u8>, usize), StoreError> {
    let quote: &[u8] = match line.first() {
        Some(b'"') if line.len() > 6 && line.starts_with(b"\"\"\"") => b"\"\"\"",
        Some(b'"') => b"\"",
        Some(b'`') => b"`",
        _ => b"",
    };
    let no_delimiter = || StoreError::at(lineno, "key-value delimiter not found");
    if quote.is_empty() {
        let end = find_any(line, b"=:").ok_or_else(no_delimiter)?;
        return Ok((trim_space(&line[..end]).to_vec(), end + 1));
    }
    let start = quote.len();
    let close = find(&line[start..], quote)
        .ok_or_else(|| StoreError::at(lineno, "missing closing key quote"))?
        + start;
    let delim = find_any(&line[close + start..], b"=:").ok_or_else(no_delimiter)?;
    Ok((
        trim_space(&line[start..close]).to_vec(),
        close + start + delim + 1,
    ))
}

struct Parser<'a> {
    lines: Lines<'a>,
    /// Pending comment text: whole comment lines (with their `\n`) and inline comments.
    comment: Vec<u8>,
}

impl Parser<'_> {
    fn take_comment(&mut self, lineno: usize) -> Result<String, StoreError> {
        let c = text(trim_space(&self.comment), lineno, "comment")?;
        self.comment.clear();
        Ok(c)
    }

    fn read_value(&mut self, input: &[u8]) -> Result<Vec<u8>, StoreError> {
        let start_line = self.lines.line;
        let line = trim_left_space(input);
        if line.is_empty() {
            return Ok(Vec::new());
        }
        let quote: &[u8] = if line.len() > 3 && line.starts_with(b"\"\"\"") {
            b"\"\"\""
        } else if line[0] == b'`' {
            b"`"
        } else {
            b""
        };
        if !quote.is_empty() {
            let rest = &line[quote.len()..];
            if let Some(pos) = rfind(rest, quote) {
                return Ok(rest[..pos].to_vec());
            }
            return self.read_multiline(rest.to_vec(), quote, start_line);
        }

        let mut line = trim_space(line);
        if line.last() == Some(&b'\\') {
            return Ok(self.read_continuation(line[..line.len() - 1].to_vec()));
        }
        if let Some(i) = find_any(line, b"#;") {
            self.comment.extend_from_slice(&line[i..]);
            line = trim_space(&line[..i]);
        }
        if surrounded_by(line, b'\'') || surrounded_by(line, b'"') {
            line = &line[1..line.len() - 1];
        }
        Ok(line.to_vec())
    }

    fn read_multiline(
        &mut self,
        mut val: Vec<u8>,
        quote: &[u8],
        start_line: usize,
    ) -> Result<Vec<u8>, StoreError> {
        loop {
            let next = self.lines.read();
            if let Some(pos) = rfind(next, quote) {
                val.extend_from_slice(&next[..pos]);
                if let Some(c) = clean_comment(&next[pos..]) {
                    self.comment.extend_from_slice(trim_space(c));
                }
                return Ok(val);
            }
            val.extend_from_slice(next);
            if self.lines.eof {
                return Err(StoreError::at(start_line, "unterminated quoted value"));
            }
        }
    }

    fn read_continuation(&mut self, mut val: Vec<u8>) -> Vec<u8> {
        loop {
            let next = trim_space(self.lines.read());
            if next.is_empty() {
                return val;
            }
            val.extend_from_slice(next);
            if val.last() != Some(&b'\\') {
                return val;
            }
            val.pop();
        }
    }
}

/// ini.v1 `hasSurroundedQuote`: quoted at both ends and nowhere in between.
fn surrounded_by(b: &[u8], q: u8) -> bool {
    b.len() >= 2
        && b[0] == q
        && b[b.len() - 1] == q
        && b[1..].iter().position(|&c| c == q) == Some(b.len() - 2)
}

/// Parses a whole INI file. The first section is always `DEFAULT` (keys before any header).
pub fn parse(input: &[u8]) -> Result<IniFile, StoreError> {
    let mut p = Parser {
        lines: Lines {
            src: skip_bom(input),
            pos: 0,
            eof: false,
            line: 0,
        },
        comment: Vec::new(),
    };
    let mut file = IniFile {
        sections: vec![Section::new(DEFAULT_SECTION)],
    };
    let mut auto_increment = 1;
    while !p.lines.eof {
        let raw = p.lines.read();
        let lineno = p.lines.line;
        let line = trim_left_space(raw);
        if line.is_empty() {
            continue;
        }
        if line[0] == b'#' || line[0] == b';' {
            p.comment.extend_from_slice(line);
            continue;
        }
        if line[0] == b'[' {
            let close = line
                .iter()
                .rposition(|&b| b == b']')
                .ok_or_else(|| StoreError::at(lineno, "unclosed section header"))?;
            let name = &line[1..close];
            if name.is_empty() {
                return Err(StoreError::at(lineno, "empty section name"));
            }
            if let Some(c) = clean_comment(&line[close + 1..]) {
                p.comment.extend_from_slice(c);
            }
            let mut section = Section::new(text(name, lineno, "section name")?);
            section.comment = p.take_comment(lineno)?;
            file.sections.push(section);
            auto_increment = 1;
            continue;
        }

        let (name, offset) = read_key_name(line, lineno)?;
        let name = if name == b"-" {
            auto_increment += 1;
            format!("#{}", auto_increment - 1)
        } else {
            text(&name, lineno, "key name")?
        };
        let value = p.read_value(&line[offset..])?;
        if name.is_empty() {
            return Err(StoreError::at(lineno, "empty key name"));
        }
        let comment = p.take_comment(lineno)?;
        let section = file.current_section();
        let i = section.set_key(name, value);
        section.keys[i].comment = comment;
    }
    Ok(file)
}
