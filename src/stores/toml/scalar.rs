//! TOML scalars and the tree's leaves, in both directions.
//!
//! Decryption only gets the *value* back, never the spelling it had, so a leaf that changes is
//! written in one canonical spelling per type. Strings are the exception: the quoting style of
//! the slot (basic, literal, multi-line, and whether a multi-line string opened with a line
//! break) is carried over, because the encrypted file keeps it on the `ENC[...]` string. That
//! is what makes `decrypt(encrypt(x)) == x` byte for byte for every canonically spelled file.

use std::ops::Range;

use toml_edit::{Datetime, Offset};

use crate::core::codec::is_enc;
use crate::core::{Timestamp, Value};

/// How a string was (or is to be) quoted. The line break after an opening `"""`/`'''` is
/// kept exactly (`""`, `"\n"` or `"\r\n"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Basic,
    Literal,
    MlBasic(&'static str),
    MlLiteral(&'static str),
}

impl Style {
    /// The style of a string's source text, `None` for other values.
    pub(super) fn of(raw: &str) -> Option<Style> {
        let lead = |rest: &str| {
            if rest.starts_with("\r\n") {
                "\r\n"
            } else if rest.starts_with('\n') {
                "\n"
            } else {
                ""
            }
        };
        if let Some(rest) = raw.strip_prefix("\"\"\"") {
            Some(Style::MlBasic(lead(rest)))
        } else if let Some(rest) = raw.strip_prefix("'''") {
            Some(Style::MlLiteral(lead(rest)))
        } else if raw.starts_with('"') {
            Some(Style::Basic)
        } else if raw.starts_with('\'') {
            Some(Style::Literal)
        } else {
            None
        }
    }
}

/// The source text of a parsed value: from the input when the value is spanned, else from its
/// stored representation.
pub(super) fn raw_of<'a>(v: &'a toml_edit::Value, input: &'a str) -> std::borrow::Cow<'a, str> {
    if let Some(s) = span_of(v).and_then(|r| input.get(r)) {
        return s.into();
    }
    match v {
        toml_edit::Value::String(f) => f.display_repr(),
        toml_edit::Value::Integer(f) => f.display_repr(),
        toml_edit::Value::Float(f) => f.display_repr(),
        toml_edit::Value::Boolean(f) => f.display_repr(),
        toml_edit::Value::Datetime(f) => f.display_repr(),
        other => other.to_string().trim().to_string().into(),
    }
}

/// Span of a scalar's own text (without decor).
pub(super) fn span_of(v: &toml_edit::Value) -> Option<Range<usize>> {
    match v {
        toml_edit::Value::String(f) => f.span(),
        toml_edit::Value::Integer(f) => f.span(),
        toml_edit::Value::Float(f) => f.span(),
        toml_edit::Value::Boolean(f) => f.span(),
        toml_edit::Value::Datetime(f) => f.span(),
        _ => None,
    }
}

/// A TOML scalar as a tree leaf. `raw` is its source text (local date/times keep it).
pub(super) fn leaf_from_toml(v: &toml_edit::Value, raw: &str) -> Result<Value, String> {
    Ok(match v {
        toml_edit::Value::String(s) => Value::Str(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Int(*i.value()),
        toml_edit::Value::Float(f) => Value::Float(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => datetime(d.value(), raw)?,
        toml_edit::Value::Array(_) | toml_edit::Value::InlineTable(_) => {
            return Err("not a scalar".into())
        }
    })
}

fn datetime(d: &Datetime, raw: &str) -> Result<Value, String> {
    let (Some(offset), Some(date), Some(time)) = (d.offset, d.date, d.time) else {
        return Ok(Value::LocalDateTime(raw.to_string()));
    };
    let offset = match offset {
        Offset::Z => None,
        Offset::Custom { minutes } => Some(i32::from(minutes) * 60),
    };
    Timestamp::from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
        u32::from(time.hour),
        u32::from(time.minute),
        u32::from(time.second.unwrap_or(0)),
        time.nanosecond.unwrap_or(0),
        offset,
    )
    .map(Value::Time)
    .ok_or_else(|| "unsupported offset date-time (leap second?)".to_string())
}

/// True if a sequence element is an encrypted comment (how the engine stores a comment of a
/// list once it is encrypted).
pub(super) fn is_enc_comment(v: &Value) -> bool {
    matches!(v, Value::Str(s) if is_enc(s) && s.ends_with(",type:comment]"))
}

/// The text of a comment element (clear or encrypted), if the element is one.
pub(super) fn comment_text(v: &Value) -> Option<&str> {
    match v {
        Value::Comment(c) => Some(&c.text),
        Value::Str(s) if is_enc_comment(v) => Some(s),
        _ => None,
    }
}

/// Deep equality that tells `-0.0` from `0.0` and takes every NaN as equal (TOML has one
/// `nan`), and ignores the `inline` flag of comments (it is layout, not content).
pub(super) fn same(a: &Value, b: &Value) -> bool {
    use crate::core::Item;
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Comment(x), Value::Comment(y)) => x.text == y.text,
        (Value::Map(x), Value::Map(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(i, j)| match (i, j) {
                    (Item::Comment(c), Item::Comment(d)) => c.text == d.text,
                    (Item::Entry(k, v), Item::Entry(l, w)) => k == l && same(v, w),
                    _ => false,
                })
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// Renders a leaf as TOML source text. `style` is the quoting of the slot it goes into.
pub(super) fn render(v: &Value, style: Option<Style>) -> Result<String, String> {
    Ok(match v {
        Value::Str(s) => render_str(s, style.unwrap_or(Style::Basic)),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => render_float(*f),
        Value::Bool(b) => b.to_string(),
        Value::Time(t) => {
            let s = t.to_rfc3339_nano();
            check_datetime(&s, true)?;
            s
        }
        Value::LocalDateTime(s) => {
            check_datetime(s, false)?;
            s.clone()
        }
        Value::Bytes(_) => return Err("binary (non-UTF-8) data cannot be written to TOML".into()),
        Value::Null => return Err("TOML has no null value".into()),
        Value::Comment(_) | Value::Map(_) | Value::Seq(_) => {
            return Err(format!("a {} is not a TOML scalar", v.kind_name()))
        }
    })
}

fn check_datetime(s: &str, offset: bool) -> Result<(), String> {
    match s.parse::<toml_edit::Value>() {
        Ok(toml_edit::Value::Datetime(d)) if d.value().offset.is_some() == offset => Ok(()),
        _ => Err(if offset {
            "date-time is outside TOML's range".into()
        } else {
            "not a valid TOML local date or time".into()
        }),
    }
}

/// Floats: Rust's shortest round-trip spelling (exponent form for very large/small values),
/// which is always a valid TOML float.
pub(super) fn render_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{f:?}")
    }
}

/// A string in the requested style, or the nearest style that can hold it.
pub(super) fn render_str(s: &str, style: Style) -> String {
    match style {
        Style::Literal if literal_ok(s) => format!("'{s}'"),
        Style::MlLiteral(lead) if ml_literal_ok(s) => {
            format!("'''{}{s}'''", ml_lead(s, lead))
        }
        Style::MlLiteral(lead) | Style::MlBasic(lead) => {
            let mut out = format!("\"\"\"{}", ml_lead(s, lead));
            escape_ml(s, &mut out);
            out.push_str("\"\"\"");
            out
        }
        Style::Basic | Style::Literal => {
            let mut out = String::from("\"");
            escape_basic(s, &mut out);
            out.push('"');
            out
        }
    }
}

/// The line break after the opening delimiter: the remembered one, or one that is required
/// because the parser would otherwise swallow the string's own leading line break.
fn ml_lead(s: &str, lead: &'static str) -> &'static str {
    if !lead.is_empty() {
        lead
    } else if s.starts_with("\r\n") {
        "\r\n"
    } else if s.starts_with('\n') {
        "\n"
    } else {
        ""
    }
}

fn literal_ok(s: &str) -> bool {
    !s.chars()
        .any(|c| c == '\'' || (c.is_control() && c != '\t'))
}

fn ml_literal_ok(s: &str) -> bool {
    if s.contains("'''") || s.ends_with('\'') {
        return false;
    }
    let b = s.as_bytes();
    s.char_indices().all(|(i, c)| match c {
        '\t' | '\n' => true,
        '\r' => b.get(i + 1) == Some(&b'\n'),
        c => !c.is_control(),
    })
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    }
}

fn escape_basic(s: &str, out: &mut String) {
    for c in s.chars() {
        escape_char(c, out);
    }
}

/// Multi-line basic: line breaks (LF and CRLF) and tabs stay raw; a `"` is escaped when it
/// would be the third of a run or the last character (so it cannot close the string).
fn escape_ml(s: &str, out: &mut String) {
    let chars: Vec<char> = s.chars().collect();
    let mut run = 0;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' if run == 2 || i + 1 == chars.len() => {
                out.push_str("\\\"");
                run = 0;
                continue;
            }
            '"' => {
                out.push('"');
                run += 1;
                continue;
            }
            '\n' | '\t' => out.push(c),
            '\r' if chars.get(i + 1) == Some(&'\n') => out.push(c),
            c => escape_char(c, out),
        }
        run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses_back(raw: &str, want: &str) {
        let v: toml_edit::Value = raw.parse().unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(v.as_str(), Some(want), "{raw:?}");
    }

    #[test]
    fn every_style_reads_back_and_falls_back_when_it_must() {
        let samples = [
            "plain",
            "",
            "it's",
            "q\"q",
            "\"\"\"",
            "ends\"",
            "ends'",
            "a'''b",
            "back\\slash",
            "tab\there",
            "line\nbreak\n",
            "\nleading",
            "crlf\r\nline",
            "lone\rcr",
            "bell\u{7}del\u{7f}",
            "unicode é 日本 🎉",
        ];
        let styles = [
            Style::Basic,
            Style::Literal,
            Style::MlBasic(""),
            Style::MlBasic("\n"),
            Style::MlBasic("\r\n"),
            Style::MlLiteral(""),
            Style::MlLiteral("\n"),
        ];
        for s in samples {
            for st in styles {
                parses_back(&render_str(s, st), s);
            }
        }
        assert_eq!(render_str("C:\\x", Style::Literal), "'C:\\x'");
        assert_eq!(render_str("it's", Style::Literal), "\"it's\"");
        assert_eq!(
            render_str("a\nb", Style::MlBasic("\n")),
            "\"\"\"\na\nb\"\"\""
        );
        assert_eq!(render_str("a\"", Style::MlBasic("")), "\"\"\"a\\\"\"\"\"");
        assert_eq!(render_str("é\t", Style::Basic), "\"é\\t\"");
    }

    #[test]
    fn styles_are_read_from_source_text() {
        assert_eq!(Style::of("\"x\""), Some(Style::Basic));
        assert_eq!(Style::of("'x'"), Some(Style::Literal));
        assert_eq!(Style::of("\"\"\"\nx\"\"\""), Some(Style::MlBasic("\n")));
        assert_eq!(Style::of("'''\r\nx'''"), Some(Style::MlLiteral("\r\n")));
        assert_eq!(Style::of("'''x'''"), Some(Style::MlLiteral("")));
        assert_eq!(Style::of("12"), None);
    }

    #[test]
    fn floats_and_times_render_as_valid_toml() {
        for (f, s) in [
            (1.5, "1.5"),
            (3.0, "3.0"),
            (-0.0, "-0.0"),
            (1e300, "1e300"),
            (1.5e-10, "1.5e-10"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(render_float(f), s);
            assert!(s.parse::<toml_edit::Value>().unwrap().is_float());
        }
        let t = Timestamp::parse_rfc3339("1979-05-27T00:32:00.999-07:00").unwrap();
        assert_eq!(
            render(&Value::Time(t), None).unwrap(),
            "1979-05-27T00:32:00.999-07:00"
        );
        let far = Timestamp::from_civil(12000, 1, 1, 0, 0, 0, 0, None).unwrap();
        assert!(render(&Value::Time(far), None).is_err());
        assert!(render(&Value::LocalDateTime("07:32".into()), None).is_ok());
        assert!(render(&Value::LocalDateTime("soon".into()), None).is_err());
        assert!(render(&Value::LocalDateTime("1979-05-27T07:32Z".into()), None).is_err());
        assert!(render(&Value::Null, None).is_err());
    }

    #[test]
    fn offset_datetimes_become_timestamps_and_local_ones_keep_their_text() {
        let conv = |raw: &str| leaf_from_toml(&raw.parse().unwrap(), raw).unwrap();
        let Value::Time(t) = conv("1979-05-27 07:32:00+00:00") else {
            panic!()
        };
        assert_eq!(t.to_rfc3339_nano(), "1979-05-27T07:32:00Z");
        assert_eq!(
            conv("1979-05-27 07:32:00"),
            Value::LocalDateTime("1979-05-27 07:32:00".into())
        );
        assert_eq!(conv("07:32"), Value::LocalDateTime("07:32".into()));
        let leap: toml_edit::Value = "1979-05-27T07:32:60Z".parse().unwrap();
        assert!(leaf_from_toml(&leap, "").is_err());
    }
}
