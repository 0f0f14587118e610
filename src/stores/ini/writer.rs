//! Writes INI the way `gopkg.in/ini.v1` does with its default pretty printing: `=` aligned per
//! section, values quoted only when reading them back would otherwise change them, comments
//! re-marked. SOPS 3.13 output has no blank line after the last section.

use super::model::{trim_space, IniFile, DEFAULT_SECTION};

fn write_comment(out: &mut Vec<u8>, comment: &str, trim_unmarked: bool) {
    for line in comment.split('\n') {
        match line.as_bytes().first() {
            Some(&m @ (b'#' | b';')) => {
                out.push(m);
                out.push(b' ');
                out.extend_from_slice(trim_space(&line.as_bytes()[1..]));
            }
            _ => {
                out.extend_from_slice(b"; ");
                if trim_unmarked {
                    out.extend_from_slice(trim_space(line.as_bytes()));
                } else {
                    out.extend_from_slice(line.as_bytes());
                }
            }
        }
        out.push(b'\n');
    }
}

/// The key as written: backticks if it holds `"` or a delimiter, else `"""` if it holds a
/// backtick.
fn quoted_key(name: &str) -> String {
    if name.contains(['"', '=', ':']) {
        format!("`{name}`")
    } else if name.contains('`') {
        format!("\"\"\"{name}\"\"\"")
    } else {
        name.to_string()
    }
}

fn write_value(out: &mut Vec<u8>, v: &[u8]) {
    let (open, close): (&[u8], &[u8]) = if v.iter().any(|&b| b == b'\n' || b == b'`') {
        (b"\"\"\"", b"\"\"\"")
    } else if v.iter().any(|&b| b == b'#' || b == b';') {
        (b"`", b"`")
    } else if trim_space(v).len() != v.len() {
        (b"\"", b"\"")
    } else {
        (b"", b"")
    };
    out.extend_from_slice(open);
    out.extend_from_slice(v);
    out.extend_from_slice(close);
}

/// Prints the file.
pub fn write(file: &IniFile) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, sec) in file.sections.iter().enumerate() {
        if !sec.comment.is_empty() {
            write_comment(&mut out, &sec.comment, false);
        }
        if i > 0 || sec.name.to_uppercase() != DEFAULT_SECTION {
            out.push(b'[');
            out.extend_from_slice(sec.name.as_bytes());
            out.extend_from_slice(b"]\n");
        } else if sec.keys.is_empty() {
            continue;
        }
        let names: Vec<String> = sec.keys.iter().map(|k| quoted_key(&k.name)).collect();
        let align = names.iter().map(String::len).max().unwrap_or(0);
        for (key, name) in sec.keys.iter().zip(&names) {
            if !key.comment.is_empty() {
                write_comment(&mut out, &key.comment, true);
            }
            out.extend_from_slice(name.as_bytes());
            out.resize(out.len() + (align - name.len()), b' ');
            out.extend_from_slice(b" = ");
            write_value(&mut out, &key.value);
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    if out.ends_with(b"\n\n") {
        out.pop();
    }
    out
}
