//! Textual forms of scalars that leak into SOPS files: the bytes that get encrypted and hashed,
//! and the number/time spellings of Go's `strconv` and `time` that upstream's printers use.
//!
//! Rust's `{}` for `f64` already prints the shortest round-trip digits in positional notation,
//! which is Go's `FormatFloat(v, 'f', -1, 64)` except for the infinities and NaN; the `'g'` and
//! JSON forms are built from the same shortest digits.

use std::fmt;

/// An instant with its UTC offset, nanosecond precision (YAML timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch (UTC).
    pub unix: i64,
    pub nanos: u32,
    /// Offset from UTC in seconds; `None` means UTC written as `Z`.
    pub offset: Option<i32>,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Timestamp {
    /// Builds a timestamp from civil fields in the given offset (`None` = UTC, printed `Z`).
    /// Returns `None` for out-of-range fields.
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
        offset: Option<i32>,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 59
            || nanos >= 1_000_000_000
        {
            return None;
        }
        let local = days_from_civil(year, month, day) * 86400
            + hour as i64 * 3600
            + min as i64 * 60
            + sec as i64;
        Some(Timestamp {
            unix: local - offset.unwrap_or(0) as i64,
            nanos,
            offset,
        })
    }

    /// Parses RFC 3339 (`2024-01-01T00:00:00Z`, fractional seconds and `±hh:mm` allowed).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !matches!(b[10], b'T' | b't') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (y, mo, d) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut i = 19;
        let mut nanos = 0u32;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &s[start..i];
            if digits.is_empty() || digits.len() > 9 {
                return None;
            }
            nanos = digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32);
        }
        let offset = match s.get(i..)? {
            "Z" | "z" => None,
            rest if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
                if rest.as_bytes()[3] != b':' {
                    return None;
                }
                let oh = num(i + 1..i + 3)? as i32;
                let om = num(i + 4..i + 6)? as i32;
                if oh > 23 || om > 59 {
                    return None;
                }
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                Some(sign * (oh * 3600 + om * 60))
            }
            _ => return None,
        };
        Self::from_civil(y, mo, d, h, mi, se, nanos, offset)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, with_nanos: bool) -> fmt::Result {
        let off = self.offset.unwrap_or(0) as i64;
        let local = self.unix + off;
        let (y, m, d) = civil_from_days(local.div_euclid(86400));
        let sod = local.rem_euclid(86400);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            y,
            m,
            d,
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        )?;
        if with_nanos && self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        match self.offset {
            None | Some(0) => write!(f, "Z"),
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let o = o.abs();
                write!(f, "{}{:02}:{:02}", sign, o / 3600, o / 60 % 60)
            }
        }
    }

    /// RFC 3339 with nanoseconds, trailing zeros trimmed (Go `time.RFC3339Nano`).
    pub fn to_rfc3339_nano(&self) -> String {
        struct D<'a>(&'a Timestamp, bool);
        impl fmt::Display for D<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, self.1)
            }
        }
        D(self, true).to_string()
    }

    /// RFC 3339 without fractional seconds (Go `time.RFC3339`).
    pub fn to_rfc3339(&self) -> String {
        struct D<'a>(&'a Timestamp);
        impl fmt::Display for D<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, false)
            }
        }
        D(self).to_string()
    }

    /// The current time in UTC, seconds precision.
    pub fn now_utc() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp {
            unix: secs,
            nanos: 0,
            offset: None,
        }
    }
}

/// Go `FormatFloat(v, 'f', -1, 64)`: shortest digits, positional, `+Inf`/`-Inf`/`NaN`.
pub fn format_float_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Shortest round-trip decimal digits of a finite `v` and its decimal exponent: `v = 0.DIGITS × 10^dp`.
fn shortest_digits(v: f64) -> (String, i32) {
    // `{:e}` prints the shortest round-trip digits as `d.ddde±x`.
    let s = format!("{:e}", v.abs());
    let (mant, exp) = s.split_once('e').expect("exponent form");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().expect("exponent");
    (digits, exp + 1)
}

fn exp_form(neg: bool, digits: &str, dp: i32, upper: bool, min_exp_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let e = dp - 1;
    out.push(if upper { 'E' } else { 'e' });
    out.push(if e < 0 { '-' } else { '+' });
    let ea = e.unsigned_abs().to_string();
    for _ in ea.len()..min_exp_digits {
        out.push('0');
    }
    out.push_str(&ea);
    out
}

fn format_g(v: f64, upper: bool) -> String {
    if !v.is_finite() {
        return format_float_f(v);
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (digits, dp) = shortest_digits(v);
    let exp = dp - 1;
    // strconv: with shortest precision, %e is used when exp < -4 || exp >= 6.
    if !(-4..6).contains(&exp) {
        exp_form(v < 0.0, &digits, dp, upper, 2)
    } else {
        format_float_f(v)
    }
}

/// Go `FormatFloat(v, 'g', -1, 64)`: the YAML emitter's float spelling (`1e+06`, `1.5`, `2`).
pub fn format_float_g(v: f64) -> String {
    format_g(v, false)
}

/// Go `encoding/json` float spelling: positional unless `|v| < 1e-6` or `|v| >= 1e21`, then
/// exponent form with at least one exponent digit (`1e+21`, `1e-7`).
pub fn format_float_json(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let (digits, dp) = shortest_digits(v);
        Some(exp_form(v < 0.0, &digits, dp, false, 1))
    } else {
        Some(format_float_f(v))
    }
}

/// SOPS's ValToString float rule (INI, dotenv, exec-env): `'G'` form, `.0` added to integers.
pub fn float_to_val_string(v: f64) -> String {
    let s = format_g(v, true);
    if s.contains('.') || s.contains('E') || !v.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_f_matches_go() {
        assert_eq!(format_float_f(1.5), "1.5");
        assert_eq!(format_float_f(2.0), "2");
        assert_eq!(format_float_f(1.5e-7), "0.00000015");
        assert_eq!(format_float_f(1e21), "1000000000000000000000");
        assert_eq!(format_float_f(1234568000.0), "1234568000");
        assert_eq!(format_float_f(-0.0), "-0");
        assert_eq!(format_float_f(f64::INFINITY), "+Inf");
        assert_eq!(format_float_f(f64::NAN), "NaN");
        assert_eq!(
            format_float_f(18446744073709551616.0),
            "18446744073709552000"
        );
    }

    #[test]
    fn float_g_matches_go() {
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(2.0), "2");
        assert_eq!(format_float_g(1e6), "1e+06");
        assert_eq!(format_float_g(123456.0), "123456");
        assert_eq!(format_float_g(1234567.0), "1.234567e+06");
        assert_eq!(format_float_g(1.234568e9), "1.234568e+09");
        assert_eq!(format_float_g(1e-5), "1e-05");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(1e21), "1e+21");
        assert_eq!(format_float_g(1e100), "1e+100");
    }

    #[test]
    fn float_json_and_valstring() {
        assert_eq!(format_float_json(1e21).unwrap(), "1e+21");
        assert_eq!(format_float_json(1e-7).unwrap(), "1e-7");
        assert_eq!(format_float_json(1.0).unwrap(), "1");
        assert_eq!(
            format_float_json(12345678901234567890.0).unwrap(),
            "12345678901234567000"
        );
        assert_eq!(float_to_val_string(100.0), "100.0");
        assert_eq!(float_to_val_string(1e21), "1E+21");
        assert_eq!(float_to_val_string(1e-7), "1E-07");
        assert_eq!(float_to_val_string(1.5), "1.5");
    }

    #[test]
    fn timestamps_round_trip() {
        let t = Timestamp::parse_rfc3339("2001-12-14T21:59:43.1-05:00").unwrap();
        assert_eq!(t.to_rfc3339_nano(), "2001-12-14T21:59:43.1-05:00");
        assert_eq!(t.to_rfc3339(), "2001-12-14T21:59:43-05:00");
        let z = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(z.unix, 1704067200);
        assert_eq!(z.to_rfc3339_nano(), "2024-01-01T00:00:00Z");
        assert!(Timestamp::parse_rfc3339("2024-02-30T00:00:00Z").is_none());
        assert!(Timestamp::parse_rfc3339("nope").is_none());
    }
}
