//! The character level of go-yaml v3's emitter: scalar analysis (which styles a string allows),
//! the scalar and comment writers, indentation and the column bookkeeping they share.
//!
//! Ported function by function from `emitterc.go` (go.yaml.in/yaml/v3 v3.0.4) because the
//! output must match byte for byte, including oddities such as `\U` escapes for characters
//! outside the BMP and a blank line after a foot comment at the same indentation. Line folding
//! is left out: SOPS's encoder has an unlimited width.

/// Scalar styles the emitter can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What a scalar's characters permit (`yaml_emitter_analyze_scalar`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Analysis {
    pub multiline: bool,
    pub flow_plain_allowed: bool,
    pub block_plain_allowed: bool,
    pub single_quoted_allowed: bool,
    pub block_allowed: bool,
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

pub(crate) fn width(c: u8) -> usize {
    match c {
        c if c & 0x80 == 0 => 1,
        c if c & 0xE0 == 0xC0 => 2,
        c if c & 0xF0 == 0xE0 => 3,
        c if c & 0xF8 == 0xF0 => 4,
        _ => 1,
    }
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

pub(crate) fn is_break(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\r' | b'\n' => true,
        0xC2 => at(b, i + 1) == 0x85,
        0xE2 => at(b, i + 1) == 0x80 && matches!(at(b, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || at(b, i) == 0
}

fn is_bom(b: &[u8], i: usize) -> bool {
    at(b, i) == 0xEF && at(b, i + 1) == 0xBB && at(b, i + 2) == 0xBF
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    let c1 = at(b, i + 1);
    let c2 = at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// `yaml_emitter_analyze_scalar` with `unicode` enabled.
pub(crate) fn analyze(v: &[u8]) -> Analysis {
    if v.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let (mut block_ind, mut flow_ind) = (false, false);
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if v.starts_with(b"---") || v.starts_with(b"...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let mut i = 0;
    while i < v.len() {
        let w = width(v[i]);
        let followed_by_ws = i + w >= v.len() || is_blank(v, i + w);
        if i == 0 {
            match v[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                b'?' | b':' => {
                    flow_ind = true;
                    block_ind |= followed_by_ws;
                }
                b'-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match v[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_ind = true,
                b':' => {
                    flow_ind = true;
                    block_ind |= followed_by_ws;
                }
                b'#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if v[i] == b'\t' {
            tabs = true;
        } else if !is_printable(v, i) {
            special = true;
        }
        if is_space(v, i) {
            leading_space |= i == 0;
            trailing_space |= i + w == v.len();
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + w == v.len();
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(v, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space || space_break || tabs || special {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_ind {
        a.flow_plain_allowed = false;
    }
    if block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// The output buffer with the emitter's position state.
pub(crate) struct Out {
    pub buf: Vec<u8>,
    pub best_indent: i64,
    pub indent: i64,
    pub column: i64,
    pub whitespace: bool,
    pub indention: bool,
    pub foot_indent: i64,
}

impl Out {
    pub(crate) fn new(best_indent: usize) -> Self {
        Out {
            buf: Vec::new(),
            best_indent: best_indent as i64,
            indent: -1,
            column: 0,
            whitespace: true,
            indention: true,
            foot_indent: -1,
        }
    }

    pub(crate) fn put(&mut self, c: u8) {
        self.buf.push(c);
        self.column += 1;
    }

    pub(crate) fn put_break(&mut self) {
        self.buf.push(b'\n');
        self.column = 0;
        self.indention = true;
    }

    /// Copies one character.
    fn write(&mut self, s: &[u8], i: &mut usize) {
        let w = width(s[*i]).min(s.len() - *i);
        self.buf.extend_from_slice(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_all(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
        self.column += s.iter().filter(|b| *b & 0xC0 != 0x80).count() as i64;
    }

    /// Copies `v[i..]` up to the next character for which `stop` holds; returns where it ended.
    fn write_run(&mut self, v: &[u8], i: usize, stop: impl Fn(&[u8], usize) -> bool) -> usize {
        let mut j = i;
        while j < v.len() && !stop(v, j) {
            j += width(v[j]).min(v.len() - j);
        }
        self.write_all(&v[i..j]);
        j
    }

    fn write_break(&mut self, s: &[u8], i: &mut usize) {
        if s[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
            self.indention = true;
        }
    }

    pub(crate) fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.foot_indent == indent {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.foot_indent = -1;
    }

    pub(crate) fn write_indicator(
        &mut self,
        ind: &[u8],
        need_ws: bool,
        is_ws: bool,
        is_indention: bool,
    ) {
        if need_ws && !self.whitespace {
            self.put(b' ');
        }
        self.write_all(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    /// `!!` plus the suffix (only core-schema tags are ever written).
    pub(crate) fn write_tag(&mut self, suffix: &str) {
        if !self.whitespace {
            self.put(b' ');
        }
        self.write_all(b"!!");
        self.write_all(suffix.as_bytes());
        self.whitespace = false;
        self.indention = false;
    }

    pub(crate) fn write_plain(&mut self, v: &[u8]) {
        if !v.is_empty() && !self.whitespace {
            self.put(b' ');
        }
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if is_space(v, i) {
                self.write(v, &mut i);
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(v, &mut i);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                i = self.write_run(v, i, is_break);
                self.indention = false;
                breaks = false;
            }
        }
        if !v.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    pub(crate) fn write_single(&mut self, v: &[u8]) {
        self.write_indicator(b"'", true, false, false);
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if is_space(v, i) {
                self.write(v, &mut i);
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(v, &mut i);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if v[i] == b'\'' {
                    self.put(b'\'');
                    self.write(v, &mut i);
                } else {
                    i = self.write_run(v, i, |v, j| is_break(v, j) || v[j] == b'\'');
                }
                self.indention = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    pub(crate) fn write_double(&mut self, v: &[u8]) {
        self.write_indicator(b"\"", true, false, false);
        let mut i = 0;
        while i < v.len() {
            if !is_printable(v, i)
                || is_bom(v, i)
                || is_break(v, i)
                || v[i] == b'"'
                || v[i] == b'\\'
            {
                let w = width(v[i]).min(v.len() - i);
                let ch = std::str::from_utf8(&v[i..i + w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or(u32::from(v[i]), |c| c as u32);
                i += w;
                self.put(b'\\');
                let esc = match ch {
                    0x00 => Some(b'0'),
                    0x07 => Some(b'a'),
                    0x08 => Some(b'b'),
                    0x09 => Some(b't'),
                    0x0A => Some(b'n'),
                    0x0B => Some(b'v'),
                    0x0C => Some(b'f'),
                    0x0D => Some(b'r'),
                    0x1B => Some(b'e'),
                    0x22 => Some(b'"'),
                    0x5C => Some(b'\\'),
                    0x85 => Some(b'N'),
                    0xA0 => Some(b'_'),
                    0x2028 => Some(b'L'),
                    0x2029 => Some(b'P'),
                    _ => None,
                };
                match esc {
                    Some(c) => self.put(c),
                    None => {
                        let (letter, digits) = match ch {
                            0..=0xFF => (b'x', 2),
                            0x100..=0xFFFF => (b'u', 4),
                            _ => (b'U', 8),
                        };
                        self.put(letter);
                        for k in (0..digits).rev() {
                            let d = ((ch >> (k * 4)) & 0xF) as u8;
                            self.put(if d < 10 { b'0' + d } else { b'A' + d - 10 });
                        }
                    }
                }
            } else {
                i = self.write_run(v, i, |v, j| {
                    !is_printable(v, j)
                        || is_bom(v, j)
                        || is_break(v, j)
                        || v[j] == b'"'
                        || v[j] == b'\\'
                });
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The indentation and chomping indicators after `|`.
    pub(crate) fn write_block_hints(&mut self, v: &[u8]) {
        if is_space(v, 0) || is_break(v, 0) {
            let hint = [b'0' + self.best_indent as u8];
            self.write_indicator(&hint, false, false, false);
        }
        let chomp = if v.is_empty() {
            Some(b'-')
        } else {
            let mut i = v.len() - 1;
            while i > 0 && v[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(v, i) {
                Some(b'-')
            } else if i == 0 {
                Some(b'+')
            } else {
                i -= 1;
                while i > 0 && v[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(v, i).then_some(b'+')
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(&[c], false, false, false);
        }
    }

    /// The content lines of a literal block (after its header line).
    pub(crate) fn write_literal_body(&mut self, v: &[u8]) {
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < v.len() {
            if is_break(v, i) {
                self.write_break(v, &mut i);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                i = self.write_run(v, i, is_break);
                self.indention = false;
                breaks = false;
            }
        }
    }

    pub(crate) fn write_comment(&mut self, c: &[u8]) {
        let mut breaks = false;
        let mut pound = false;
        let mut i = 0;
        while i < c.len() {
            if is_break(c, i) {
                self.write_break(c, &mut i);
                breaks = true;
                pound = false;
            } else {
                if breaks {
                    self.write_indent();
                }
                if !pound {
                    if c[i] != b'#' {
                        self.put(b'#');
                        self.put(b' ');
                    }
                    pound = true;
                }
                i = self.write_run(c, i, is_break);
                self.indention = false;
                breaks = false;
            }
        }
        if !breaks {
            self.put_break();
        }
        self.whitespace = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_matches_go() {
        let a = analyze(b"hello world");
        assert!(a.block_plain_allowed && a.single_quoted_allowed && a.block_allowed);
        assert!(!analyze(b" x").block_plain_allowed);
        assert!(!analyze(b"a: b").block_plain_allowed);
        assert!(analyze(b"a:b").block_plain_allowed);
        assert!(!analyze(b"a #b").block_plain_allowed);
        assert!(analyze(b"a#b").block_plain_allowed);
        assert!(!analyze(b"a\tb").single_quoted_allowed);
        assert!(!analyze(b"a \nb").block_allowed);
        assert!(!analyze("😀".as_bytes()).single_quoted_allowed);
        assert!(analyze("héllo".as_bytes()).block_plain_allowed);
        assert!(analyze(b"-x").block_plain_allowed);
        assert!(!analyze(b"- x").block_plain_allowed);
    }

    #[test]
    fn double_quoted_escapes() {
        let mut o = Out::new(4);
        o.write_double("a\tb\u{1}é😀\u{85}\"".as_bytes());
        assert_eq!(
            String::from_utf8(o.buf).unwrap(),
            "\"a\\tb\\x01é\\U0001F600\\N\\\"\""
        );
    }
}
