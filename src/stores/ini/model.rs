//! The in-between representation of an INI file, shaped like `gopkg.in/ini.v1`'s `File`:
//! SOPS's INI behaviour is whatever that library does when reading into and writing from it,
//! so the tree conversion and the syntax are kept apart by this model.

/// A whole file: sections in order; names may repeat (`AllowNonUniqueSections`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IniFile {
    pub sections: Vec<Section>,
}

/// One `[name]` block. `comment` is the raw joined comment text (markers included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub name: String,
    pub comment: String,
    pub keys: Vec<Key>,
}

/// One key. Values are bytes: ini.v1 never validates UTF-8.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Key {
    pub name: String,
    pub value: Vec<u8>,
    pub comment: String,
}

/// The section ini.v1 creates before reading anything.
pub const DEFAULT_SECTION: &str = "DEFAULT";

impl IniFile {
    /// The section new keys go to (the last one; `DEFAULT` if there is none yet).
    pub fn current_section(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.sections.push(Section::new(DEFAULT_SECTION));
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }
}

impl Section {
    pub fn new(name: impl Into<String>) -> Self {
        Section {
            name: name.into(),
            ..Section::default()
        }
    }

    /// ini.v1 `NewKey` without shadows: a repeated name keeps its first position and takes the
    /// new value. Returns the key's index so the caller can attach a comment.
    pub fn set_key(&mut self, name: String, value: Vec<u8>) -> usize {
        if let Some(i) = self.keys.iter().position(|k| k.name == name) {
            self.keys[i].value = value;
            return i;
        }
        self.keys.push(Key {
            name,
            value,
            comment: String::new(),
        });
        self.keys.len() - 1
    }
}

/// Go `unicode.IsSpace` for one decoded character (same set as Rust's White_Space).
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go `bytes.TrimLeftFunc(b, unicode.IsSpace)`; invalid UTF-8 is never space.
pub fn trim_left_space(mut b: &[u8]) -> &[u8] {
    while !b.is_empty() {
        let (c, len) = crate::stores::json::decode_char(b);
        if !is_space(c) {
            break;
        }
        b = &b[len..];
    }
    b
}

/// Go `bytes.TrimRightFunc(b, unicode.IsSpace)`.
pub fn trim_right_space(mut b: &[u8]) -> &[u8] {
    while let Some(&last) = b.last() {
        if last < 0x80 {
            if !(last as char).is_whitespace() {
                break;
            }
            b = &b[..b.len() - 1];
            continue;
        }
        // Find where the last character starts (at most 3 continuation bytes back).
        let mut start = b.len() - 1;
        while start > 0 && b.len() - start < 4 && (b[start] & 0xc0) == 0x80 {
            start -= 1;
        }
        let (c, len) = crate::stores::json::decode_char(&b[start..]);
        if start + len != b.len() || !is_space(c) {
            break;
        }
        b = &b[..start];
    }
    b
}

/// Go `bytes.TrimSpace`.
pub fn trim_space(b: &[u8]) -> &[u8] {
    trim_right_space(trim_left_space(b))
}
