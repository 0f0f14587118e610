//! Where TOML comments live and how they map to tree comments.
//!
//! toml_edit keeps comments only inside "decor" strings (whitespace plus `#` lines) around
//! keys, values and headers. Which decor strings belong to which tree entry is decided here,
//! once, for both the loader and the merge fallback, so that both see the same comments in the
//! same order. A comment that shroud could not place in the tree would stay in clear text when
//! the file is encrypted; [`comment_starts`] finds every comment independently of toml_edit so
//! the loader can refuse such a file instead of leaking it.

use std::ops::Range;

use toml_edit::{Item, Key, RawString, Table, Value};

/// The text of a decor string: from the input when it is spanned, else its own copy.
pub(super) fn raw_text<'a>(raw: &'a RawString, input: &'a str) -> &'a str {
    match raw.span() {
        Some(sp) => input.get(sp).unwrap_or(""),
        None => raw.as_str().unwrap_or(""),
    }
}

/// Absolute start of a decor string in the input (0 for unspanned ones).
pub(super) fn raw_start(raw: &RawString) -> usize {
    raw.span().map_or(0, |s| s.start)
}

/// Ranges of the comment texts (after `#`, up to the line end, without a `\r`) in a decor
/// string, which holds only whitespace, line breaks and comments.
pub(super) fn scan(decor: &str) -> Vec<Range<usize>> {
    let b = decor.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end] != b'\n' {
                end += 1;
            }
            i = end;
            if end > start && b[end - 1] == b'\r' {
                end -= 1;
            }
            out.push(start..end);
        } else {
            i += 1;
        }
    }
    out
}

/// A comment text must stay on its line.
pub(super) fn check_text(text: &str) -> Result<(), String> {
    if text.chars().any(|c| c.is_control() && c != '\t') {
        Err("a comment contains a line break or control character".into())
    } else {
        Ok(())
    }
}

/// Byte offsets of every `#` that starts a comment in a valid TOML document: a small lexer
/// that skips the four kinds of strings (the only places a `#` can be anything else).
pub(super) fn comment_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let starts = |i: usize, pat: &[u8]| b[i..].starts_with(pat);
    while i < b.len() {
        match b[i] {
            b'#' => {
                out.push(i);
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if starts(i, b"\"\"\"") => {
                i += 3;
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                    } else if starts(i, b"\"\"\"") {
                        while i < b.len() && b[i] == b'"' {
                            i += 1;
                        }
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' if starts(i, b"'''") => {
                i += 3;
                while i < b.len() {
                    if starts(i, b"'''") {
                        while i < b.len() && b[i] == b'\'' {
                            i += 1;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// A decor string and whether it starts in the middle of a line (after a value, a `,`, a `[`
/// or a header), which makes its first comment, if no line break precedes it, an inline one.
pub(super) type Decor<'a> = (&'a RawString, bool);

/// Decor strings of a key, in source order. `line_start`: the key begins a line (a table
/// entry) rather than following `{` or `,` (an inline-table entry).
fn key_decors(key: &Key, line_start: bool) -> Vec<Decor<'_>> {
    let mut out = Vec::new();
    if let Some(p) = key.leaf_decor().prefix() {
        out.push((p, !line_start));
    }
    for d in [
        key.dotted_decor().prefix(),
        key.dotted_decor().suffix(),
        key.leaf_decor().suffix(),
    ]
    .into_iter()
    .flatten()
    {
        out.push((d, true));
    }
    out
}

fn value_decor(v: &Value, prefix: bool) -> Vec<Decor<'_>> {
    let d = if prefix {
        v.decor().prefix()
    } else {
        v.decor().suffix()
    };
    d.map(|d| (d, true)).into_iter().collect()
}

/// The decor strings whose comments go right before a table entry in the tree, in source
/// order: comments above a key or header, then the one trailing its value or header.
/// Arrays of tables contribute only their key here; each header's comments go into the list.
pub(super) fn entry_decors<'a>(key: &'a Key, item: &'a Item) -> Vec<Decor<'a>> {
    let mut out = Vec::new();
    match item {
        Item::Table(t) => {
            out.extend(t.decor().prefix().map(|d| (d, false)));
            out.extend(key_decors(key, true));
            out.extend(t.decor().suffix().map(|d| (d, true)));
        }
        Item::Value(v) => {
            out.extend(key_decors(key, true));
            out.extend(value_decor(v, true));
            out.extend(value_decor(v, false));
        }
        Item::ArrayOfTables(_) | Item::None => out.extend(key_decors(key, true)),
    }
    out
}

/// Decor strings of one header of an array of tables.
pub(super) fn header_decors(t: &Table) -> Vec<Decor<'_>> {
    let mut out: Vec<Decor<'_>> = t.decor().prefix().map(|d| (d, false)).into_iter().collect();
    out.extend(t.decor().suffix().map(|d| (d, true)));
    out
}

/// Decor strings before and after an array element.
pub(super) fn element_decors(v: &Value) -> (Vec<Decor<'_>>, Vec<Decor<'_>>) {
    (value_decor(v, true), value_decor(v, false))
}

/// Decor strings before and after an inline-table entry's value.
pub(super) fn inline_entry_decors<'a>(
    key: &'a Key,
    v: &'a Value,
) -> (Vec<Decor<'a>>, Vec<Decor<'a>>) {
    let mut pre = key_decors(key, false);
    pre.extend(value_decor(v, true));
    (pre, value_decor(v, false))
}

/// The trailing decor of an array or inline table (after its last element).
pub(super) fn trailing_of(raw: &RawString) -> Vec<Decor<'_>> {
    vec![(raw, true)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_decor() {
        let d = "\n# one\r\n  #two\n\t# \n";
        let r = scan(d);
        let t: Vec<&str> = r.iter().map(|r| &d[r.clone()]).collect();
        assert_eq!(t, [" one", "two", " "]);
        assert!(scan("  \n ").is_empty());
    }

    #[test]
    fn lexer_skips_every_string_kind() {
        let doc = concat!(
            "a = \"#no\\\"#no\" # yes\n",
            "b = '#no' #yes\n",
            "c = \"\"\"\n#no \\\"\"\" #no\n\"\"\"\"\" #yes\n",
            "d = '''\n#no''''' #yes\n",
            "\"#k\" = 1 #yes\n",
        );
        assert!(doc.parse::<toml_edit::DocumentMut>().is_ok());
        let n = comment_starts(doc)
            .into_iter()
            .map(|i| &doc[i..i + 4])
            .collect::<Vec<_>>();
        assert_eq!(n, ["# ye", "#yes", "#yes", "#yes", "#yes"]);
    }

    #[test]
    fn comment_text_stays_on_its_line() {
        assert!(check_text(" fine\t").is_ok());
        assert!(check_text("two\nlines").is_err());
    }
}
