//! Scalar event → tree value, with go-yaml v3's tag rules: quoting makes a string, `!!binary`
//! decodes base64, core-schema tags force a type (with go-yaml's int→float widening), unknown
//! tags keep the text. Error messages name the tags involved, never the value.

use std::borrow::Cow;

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use saphyr_parser::{ScalarStyle, Tag};

use super::resolve::{resolve, Resolved};
use crate::core::Value;

/// The tag in go-yaml's short form (`!!str`), or `None` for no tag / the non-specific `!`.
fn short_tag(tag: &Tag) -> Option<String> {
    let full = if tag.handle == "tag:yaml.org,2002:" {
        return Some(format!("!!{}", tag.suffix));
    } else if tag.handle.is_empty() {
        tag.suffix.clone()
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    match full.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => Some(format!("!!{rest}")),
        None if full == "!" => None,
        None => Some(full),
    }
}

/// Go's `base64.StdEncoding`: padding required, line breaks ignored, trailing bits tolerated.
fn go_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    )
}

fn from_resolved(r: Resolved, text: Cow<'_, str>) -> Result<Value, String> {
    Ok(match r {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::Uint(_) => {
            return Err(
                "integer does not fit in a signed 64-bit value (SOPS cannot encrypt it)".into(),
            )
        }
        Resolved::Float(f) => Value::Float(f),
        Resolved::Time(t) => Value::Time(t),
        Resolved::Str => Value::Str(text.into_owned()),
    })
}

fn kind_tag(r: &Resolved) -> &'static str {
    match r {
        Resolved::Null => "!!null",
        Resolved::Bool(_) => "!!bool",
        Resolved::Int(_) | Resolved::Uint(_) => "!!int",
        Resolved::Float(_) => "!!float",
        Resolved::Time(_) => "!!timestamp",
        Resolved::Str => "!!str",
    }
}

/// Decodes one scalar as go-yaml would decode it into an `interface{}`.
pub(crate) fn decode_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    let tag = tag.and_then(short_tag);
    match tag.as_deref() {
        None if style != ScalarStyle::Plain => Ok(Value::Str(text.into_owned())),
        None => from_resolved(resolve(&text, true), text),
        Some("!!str") => Ok(Value::Str(text.into_owned())),
        Some("!!binary") => {
            let cleaned: Vec<u8> = text
                .bytes()
                .filter(|b| *b != b'\n' && *b != b'\r')
                .collect();
            let bytes = go_base64()
                .decode(cleaned)
                .map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
            Ok(match String::from_utf8(bytes) {
                Ok(s) => Value::Str(s),
                Err(e) => Value::Bytes(e.into_bytes()),
            })
        }
        Some(t @ ("!!int" | "!!float" | "!!bool" | "!!null" | "!!timestamp")) => {
            let r = resolve(&text, t == "!!timestamp");
            let got = kind_tag(&r);
            match (t, r) {
                ("!!float", Resolved::Int(i)) => Ok(Value::Float(i as f64)),
                (_, r) if got == t => from_resolved(r, text),
                _ => Err(format!("cannot decode {got} as a {t}")),
            }
        }
        // Unknown and non-resolvable tags (`!foo`, `!!merge`, `!!set`) keep the text.
        Some(_) => Ok(Value::Str(text.into_owned())),
    }
}

/// Go's `%#v` for a string, as in go-yaml's duplicate-key message.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(h: &str, s: &str) -> Tag {
        Tag {
            handle: h.into(),
            suffix: s.into(),
        }
    }

    #[test]
    fn tags_force_types() {
        let core = "tag:yaml.org,2002:";
        let d = |t: &str, s: &str| {
            decode_scalar(Cow::Borrowed(s), ScalarStyle::Plain, Some(&tag(core, t)))
        };
        assert_eq!(d("str", "42"), Ok(Value::Str("42".into())));
        assert_eq!(d("float", "3"), Ok(Value::Float(3.0)));
        assert_eq!(d("int", "0x10"), Ok(Value::Int(16)));
        assert!(d("int", "abc").is_err());
        assert!(d("bool", "yes").is_err());
        assert_eq!(d("binary", "aGVs\nbG8="), Ok(Value::Str("hello".into())));
        assert_eq!(d("binary", "/w=="), Ok(Value::Bytes(vec![0xff])));
        assert!(d("binary", "@@").is_err());
        let local = decode_scalar("x".into(), ScalarStyle::Plain, Some(&tag("!", "foo")));
        assert_eq!(local, Ok(Value::Str("x".into())));
        let bang = decode_scalar("12".into(), ScalarStyle::Plain, Some(&tag("", "!")));
        assert_eq!(bang, Ok(Value::Int(12)));
        let quoted = decode_scalar("12".into(), ScalarStyle::DoubleQuoted, None);
        assert_eq!(quoted, Ok(Value::Str("12".into())));
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
    }
}
