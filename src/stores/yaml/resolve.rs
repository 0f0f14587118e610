//! How go-yaml v3 types an untagged plain scalar, and which strings it refuses to print plain.
//!
//! SOPS encrypts a value together with its type, so `017` must become the int 15 and `yes` must
//! stay a string exactly as upstream decides. go-yaml's resolver is Go's `strconv` and `time`
//! parsers applied in a fixed order; this module reproduces those parsers (base prefixes, octal
//! `0`, underscores, range errors, `time.Parse` field widths) rather than YAML 1.2's grammar.

use std::sync::OnceLock;

use regex::Regex;

use crate::core::scalar::Timestamp;

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// 2^63..2^64-1: go-yaml yields a `uint64`, which SOPS cannot encrypt.
    Uint(u64),
    Float(f64),
    Time(Timestamp),
    Str,
}

fn float_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").expect("valid regex")
    })
}

fn base60_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").expect("valid regex")
    })
}

/// The fixed spellings go-yaml looks up before trying numbers.
fn lookup(s: &str) -> Option<Resolved> {
    Some(match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        // `<<` resolves to the merge tag, which decodes as the string "<<".
        _ => return None,
    })
}

/// Types an untagged plain scalar like go-yaml's `resolve("", s)`.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    resolve(s, true)
}

/// go-yaml's resolver; `allow_time` is false when a non-timestamp tag was given explicitly.
pub(crate) fn resolve(s: &str, allow_time: bool) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'M',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    if let Some(r) = lookup(s) {
        return r;
    }
    match hint {
        b'.' => match parse_float(s) {
            Some(f) if float_re().is_match(s) => Resolved::Float(f),
            _ => Resolved::Str,
        },
        b'D' | b'S' => resolve_number(s, allow_time),
        _ => Resolved::Str,
    }
}

fn resolve_number(s: &str, allow_time: bool) -> Resolved {
    if let Some(t) = parse_timestamp(s).filter(|_| allow_time) {
        return Resolved::Time(t);
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    if let Some(i) = parse_int(&plain, 0) {
        return Resolved::Int(i);
    }
    if let Some(u) = parse_uint(&plain, 0) {
        return Resolved::Uint(u);
    }
    if float_re().is_match(&plain) {
        if let Some(f) = parse_float(&plain) {
            return Resolved::Float(f);
        }
    }
    for (prefix, base) in [("0b", 2), ("0o", 8)] {
        if let Some(rest) = plain.strip_prefix(prefix) {
            if let Some(i) = parse_int(rest, base) {
                return Resolved::Int(i);
            }
            if let Some(u) = parse_uint(rest, base) {
                return Resolved::Uint(u);
            }
        } else if let Some(rest) = plain.strip_prefix('-').and_then(|r| r.strip_prefix(prefix)) {
            if let Some(i) = parse_int(&format!("-{rest}"), base) {
                return Resolved::Int(i);
            }
        }
    }
    Resolved::Str
}

/// Go `strconv.ParseFloat` on a string already known to be decimal: `None` on overflow.
fn parse_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go `strconv.ParseUint(s, base, 64)` with `base` 0 (prefix detection) or explicit.
pub(crate) fn parse_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits) = if base == 0 {
        if b[0] == b'0' {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (2, &b[2..]),
                Some(b'o') if b.len() >= 3 => (8, &b[2..]),
                Some(b'x') if b.len() >= 3 => (16, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (10, b)
        }
    } else {
        (base, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' | b'A'..=b'Z' => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go `strconv.ParseInt(s, base, 64)`.
pub(crate) fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let un = parse_uint(rest, base)?;
    if neg {
        if un > 1u64 << 63 {
            None
        } else {
            Some((un as i64).wrapping_neg())
        }
    } else {
        i64::try_from(un).ok()
    }
}

/// Go `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
    let d0 = *s.first().filter(|c| c.is_ascii_digit())?;
    match s.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..])),
        None if fixed => None,
        None => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// Parses the layouts go-yaml accepts for unquoted timestamps, with Go `time.Parse` rules:
/// `2006-1-2T15:4:5.999999999Z07:00` (also lower-case `t`), `2006-1-2 15:4:5.999999999` (UTC) and
/// `2006-1-2` (midnight UTC).
pub(crate) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.get(4) != Some(&b'-') {
        return None;
    }
    let year: i64 = s[..4].parse().ok()?;
    let (month, rest) = getnum(&b[5..], false)?;
    let rest = rest.strip_prefix(b"-")?;
    let (day, rest) = getnum(rest, false)?;
    if rest.is_empty() {
        return Timestamp::from_civil(year, month, day, 0, 0, 0, 0, None);
    }
    let (with_zone, rest) = match rest[0] {
        b'T' | b't' => (true, &rest[1..]),
        b' ' => (false, trim_spaces(rest)),
        _ => return None,
    };
    let (hour, rest) = getnum(rest, false)?;
    let rest = rest.strip_prefix(b":")?;
    let (min, rest) = getnum(rest, false)?;
    let rest = rest.strip_prefix(b":")?;
    let (sec, mut rest) = getnum(rest, false)?;
    let mut nanos = 0u32;
    if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let kept = &rest[1..1 + n.min(9)];
        let mut v: u32 = 0;
        for &c in kept {
            v = v * 10 + u32::from(c - b'0');
        }
        nanos = v * 10u32.pow(9 - kept.len() as u32);
        rest = &rest[1 + n..];
    }
    let offset = if with_zone {
        if rest == b"Z" {
            None
        } else {
            if rest.len() != 6 || rest[3] != b':' {
                return None;
            }
            let (hh, _) = getnum(&rest[1..3], true)?;
            let (mm, _) = getnum(&rest[4..6], true)?;
            if hh > 24 || mm > 60 {
                return None;
            }
            let off = (hh * 3600 + mm * 60) as i32;
            match rest[0] {
                b'+' => Some(off),
                b'-' => Some(-off),
                _ => return None,
            }
        }
    } else if rest.is_empty() {
        None
    } else {
        return None;
    };
    Timestamp::from_civil(year, month, day, hour, min, sec, nanos, offset)
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b' ').count();
    &s[n..]
}

/// YAML 1.1 base-60 numbers (`1:30`): not numbers to go-yaml, but quoted on output.
pub(crate) fn is_base60_float(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'+' | b'-' | b'0'..=b'9') if s.contains(':') => base60_re().is_match(s),
        _ => false,
    }
}

/// YAML 1.1 booleans: strings to go-yaml, but quoted on output for older parsers.
pub(crate) fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_go_strconv() {
        assert_eq!(resolve_plain("017"), Resolved::Int(15));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("-0x1F"), Resolved::Int(-31));
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("+12"), Resolved::Int(12));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("0"), Resolved::Int(0));
        assert_eq!(
            resolve_plain("-9223372036854775808"),
            Resolved::Int(i64::MIN)
        );
        assert_eq!(
            resolve_plain("9223372036854775808"),
            Resolved::Uint(1 << 63)
        );
        assert_eq!(
            resolve_plain("18446744073709551616"),
            Resolved::Float(18446744073709551616.0)
        );
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("1."), Resolved::Float(1.0));
        assert_eq!(resolve_plain("0x"), Resolved::Str);
        assert_eq!(resolve_plain("<<"), Resolved::Str);
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("12:30"), Resolved::Str);
        assert!(matches!(resolve_plain(".NaN"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn timestamps_follow_go_time_parse() {
        let t = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339_nano());
        assert_eq!(t("2024-01-01").as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(t("2024-1-2").as_deref(), Some("2024-01-02T00:00:00Z"));
        assert_eq!(
            t("2025-01-02   3:04:05.5").as_deref(),
            Some("2025-01-02T03:04:05.5Z")
        );
        assert_eq!(
            t("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            t("2006-01-02T15:04:05+00:00").as_deref(),
            Some("2006-01-02T15:04:05Z")
        );
        assert_eq!(t("2024-02-30"), None);
        assert_eq!(t("2024-01-01T00:00:00"), None);
        assert_eq!(t("2024-01-01 00:00:00Z"), None);
        assert_eq!(t("20240-01-01"), None);
    }

    #[test]
    fn quoting_hints() {
        assert!(is_base60_float("1:30:00"));
        assert!(is_base60_float("12:30"));
        assert!(!is_base60_float("12:70"));
        assert!(!is_base60_float("a:1"));
        assert!(is_old_bool("On"));
        assert!(!is_old_bool("true"));
    }
}
