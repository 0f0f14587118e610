//! Comment recovery from the source text between parser events.
//!
//! saphyr-parser reports no comments, but every event carries its span and a span covers all of
//! a scalar's text (quotes, block content, folded lines). So a `#` that sits *between* spans and
//! starts a line or follows whitespace is a comment, and nothing else can be. The scan only ever
//! moves forward, so the whole file is read once.

use saphyr_parser::Marker;

/// A comment line found in a gap.
#[derive(Debug, Clone)]
pub(crate) struct RawComment {
    /// The text after `#`, without the line break.
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 0-based column of the `#`, in characters.
    pub col: usize,
    /// Whether something other than whitespace precedes the `#` on its line.
    pub trailing: bool,
}

/// Maps saphyr's character indices to byte offsets in constant amortised time.
pub(crate) struct Positions<'a> {
    src: &'a str,
    ascii: bool,
    /// Byte offset of every `STEP`-th character.
    checkpoints: Vec<usize>,
}

const STEP: usize = 64;

impl<'a> Positions<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let ascii = src.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            src.char_indices().step_by(STEP).map(|(b, _)| b).collect()
        };
        Positions {
            src,
            ascii,
            checkpoints,
        }
    }

    /// Byte offset of the character with index `idx` (the end of input if past it).
    pub(crate) fn byte(&self, idx: usize) -> usize {
        if self.ascii {
            return idx.min(self.src.len());
        }
        let Some(&base) = self.checkpoints.get(idx / STEP) else {
            return self.src.len();
        };
        self.src[base..]
            .char_indices()
            .nth(idx % STEP)
            .map_or(self.src.len(), |(b, _)| base + b)
    }
}

/// Scans `src[from..to]` for comments. `line` and `col` give the position of `from`; returns
/// where the scan stopped (`to`, or the end of a comment line that runs past it) and its line and
/// column.
pub(crate) fn scan(
    src: &str,
    from: usize,
    to: usize,
    line: usize,
    col: usize,
    out: &mut Vec<RawComment>,
) -> (usize, usize, usize) {
    let bytes = src.as_bytes();
    let (mut line, mut col) = (line, col);
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'\n' => {
                line += 1;
                col = 0;
                i += 1;
            }
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
                let text = &src[i + 1..end];
                let text = text.strip_suffix('\r').unwrap_or(text);
                let line_start = src[..i].rfind('\n').map_or(0, |n| n + 1);
                let trailing = src[line_start..i]
                    .bytes()
                    .any(|c| !matches!(c, b' ' | b'\t'));
                out.push(RawComment {
                    text: text.to_string(),
                    line,
                    col,
                    trailing,
                });
                col += src[i..end].chars().count();
                i = end;
            }
            c => {
                // Count characters, not bytes, for the column.
                if c & 0xC0 != 0x80 {
                    col += 1;
                }
                i += 1;
            }
        }
    }
    (i.max(to), line, col)
}

/// The read position in the source, kept in step with the parser's events.
pub(crate) struct Cursor<'a> {
    pub src: &'a str,
    pos: Positions<'a>,
    pub byte: usize,
    pub line: usize,
    pub col: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Cursor {
            src,
            pos: Positions::new(src),
            byte: 0,
            line: 1,
            col: 0,
        }
    }

    /// Byte offset of a saphyr marker.
    pub(crate) fn byte_of(&self, m: &Marker) -> usize {
        self.pos.byte(m.index())
    }

    /// Collects comments up to `to` and moves there.
    pub(crate) fn scan_to(&mut self, to: usize, out: &mut Vec<RawComment>) {
        if to > self.byte {
            (self.byte, self.line, self.col) =
                scan(self.src, self.byte, to, self.line, self.col, out);
        }
    }

    /// Moves to `to` over text that cannot hold comments (scalar content).
    pub(crate) fn skip_to(&mut self, to: usize) {
        if to <= self.byte {
            return;
        }
        let text = &self.src[self.byte..to];
        match text.rfind('\n') {
            Some(n) => {
                self.line += text.bytes().filter(|b| *b == b'\n').count();
                self.col = text[n + 1..].chars().count();
            }
            None => self.col += text.chars().count(),
        }
        self.byte = to;
    }

    /// The closing `]` or `}` of a flow collection, skipping blanks, commas and comments.
    pub(crate) fn find_closer(&self) -> Option<usize> {
        let b = self.src.as_bytes();
        let mut i = self.byte;
        while i < b.len() {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                b'#' => i = self.src[i..].find('\n').map_or(b.len(), |n| i + n),
                b']' | b'}' => return Some(i),
                _ => return None,
            }
        }
        None
    }

    /// The `{` or `[` opening a flow collection whose start event spans `start..end` (after any
    /// anchor, tag and comments); `None` for a block collection.
    pub(crate) fn find_opener(&self, start: usize, end: usize) -> Option<usize> {
        let b = self.src.as_bytes();
        let mut i = start;
        while i < end.min(b.len()) {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i = self.src[i..].find('\n').map_or(b.len(), |n| i + n),
                b'&' | b'!' => {
                    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                    }
                }
                b'{' | b'[' => return Some(i),
                _ => return None,
            }
        }
        None
    }

    /// The end of a quoted scalar whose span starts at `start` (saphyr's span may run on over a
    /// following comment): just after the closing quote, or `end` if none is found.
    pub(crate) fn quoted_end(&self, start: usize, end: usize) -> usize {
        let b = self.src.as_bytes();
        let mut i = start;
        // Skip a tag or an anchor in front of the quote.
        while i < end && b[i] != b'\'' && b[i] != b'"' {
            i += 1;
        }
        let Some(&quote) = b.get(i) else {
            return end;
        };
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' if quote == b'"' => i += 2,
                b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
                c if c == quote => return i + 1,
                _ => i += 1,
            }
        }
        end
    }

    /// The `|` or `>` of a block scalar's header, searched from the cursor over blanks,
    /// comments, indicators (`-`, `?`, `:`), tags and anchors. saphyr's span for a block scalar
    /// may start at the header, at the content or even at the next token, so this is the one
    /// reliable landmark.
    pub(crate) fn find_block_header(&self) -> Option<usize> {
        let b = self.src.as_bytes();
        let mut i = self.byte;
        while i < b.len() {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i = self.src[i..].find('\n').map_or(b.len(), |n| i + n),
                b'-' | b'?' | b':'
                    if matches!(b.get(i + 1), Some(b' ' | b'\t' | b'\r' | b'\n')) =>
                {
                    i += 1
                }
                b'&' | b'!' => {
                    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                    }
                }
                b'|' | b'>' => return Some(i),
                _ => return None,
            }
        }
        None
    }

    /// End of the line containing `from` (before the line break).
    pub(crate) fn line_end(&self, from: usize) -> usize {
        self.src[from..]
            .find('\n')
            .map_or(self.src.len(), |n| from + n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_char_indices() {
        let s = "é".repeat(200) + "x";
        let p = Positions::new(&s);
        assert_eq!(p.byte(0), 0);
        assert_eq!(p.byte(1), 2);
        assert_eq!(p.byte(130), 260);
        assert_eq!(p.byte(200), 400);
        assert_eq!(p.byte(999), s.len());
        assert_eq!(Positions::new("abc").byte(2), 2);
    }

    #[test]
    fn finds_own_line_and_trailing_comments() {
        let src = "a: 1 # one\n  # two\nb#c: 2\n";
        let mut out = Vec::new();
        let end = scan(src, 4, src.len(), 1, 4, &mut out);
        assert_eq!(end, (src.len(), 4, 0));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, " one");
        assert!(out[0].trailing);
        assert_eq!((out[1].line, out[1].col, out[1].trailing), (2, 2, false));
        assert_eq!(out[1].text, " two");
    }
}
