//! Tree paths in SOPS's `["a"]["b"][0]` syntax, used by `--extract`, `set` and `unset`.
//! Upstream's parser has no escapes: a key containing `[` cannot be addressed, as there.

use super::error::{Error, Result};
use super::tree::{Document, Item, Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Parses `["a"]['b'][0]`; the empty string is the whole document.
pub fn parse(path: &str) -> Result<Vec<Seg>> {
    let bad = |reason: &str| Error::BadPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let mut segs = Vec::new();
    let mut pieces = path.split('[');
    if pieces.next().is_some_and(|first| !first.is_empty()) {
        return Err(bad("a path must start with ["));
    }
    for piece in pieces {
        let inner = piece
            .strip_suffix(']')
            .ok_or_else(|| bad("every component must end with ]"))?;
        if inner.len() >= 2
            && ((inner.starts_with('"') && inner.ends_with('"'))
                || (inner.starts_with('\'') && inner.ends_with('\'')))
        {
            segs.push(Seg::Key(inner[1..inner.len() - 1].to_string()));
        } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            segs.push(Seg::Index(
                inner.parse().map_err(|_| bad("list index too large"))?,
            ));
        } else {
            return Err(bad("a component must be a quoted key or a list index"));
        }
    }
    Ok(segs)
}

fn render(seg: &Seg) -> String {
    match seg {
        Seg::Key(k) => format!("[{k:?}]"),
        Seg::Index(i) => format!("[{i}]"),
    }
}

fn not_found(seg: &Seg) -> Error {
    Error::PathNotFound {
        component: render(seg),
    }
}

/// The value at a non-empty path in a document (first matching key; indices count comments).
pub fn lookup<'a>(doc: &'a Document, path: &[Seg]) -> Result<&'a Value> {
    let (first, rest) = path.split_first().ok_or_else(|| Error::BadPath {
        path: String::new(),
        reason: "empty path".into(),
    })?;
    let mut cur = match first {
        Seg::Key(k) => doc.get(k).ok_or_else(|| not_found(first))?,
        Seg::Index(_) => return Err(not_found(first)),
    };
    for seg in rest {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Map(m)) => m.get(k),
            (Seg::Index(i), Value::Seq(s)) => s.get(*i),
            _ => None,
        }
        .ok_or_else(|| not_found(seg))?;
    }
    Ok(cur)
}

/// Sets the value at `path`, creating missing mapping keys (appended) and appending to a list
/// when the index is past its end. Returns whether anything changed.
pub fn set(doc: &mut Document, path: &[Seg], value: Value) -> Result<bool> {
    let (first, rest) = path.split_first().ok_or_else(|| Error::BadPath {
        path: String::new(),
        reason: "empty path".into(),
    })?;
    match first {
        Seg::Key(k) => set_in_map(doc, k, rest, value),
        Seg::Index(_) => Err(Error::BadPath {
            path: render(first),
            reason: "a document is a mapping; the first component must be a key".into(),
        }),
    }
}

fn set_in_map(map: &mut Map, key: &str, rest: &[Seg], value: Value) -> Result<bool> {
    if map.get(key).is_none() {
        map.push(key, Value::Null);
        let slot = map.get_mut(key).expect("just pushed");
        *slot = build(rest, value);
        return Ok(true);
    }
    let slot = map.get_mut(key).expect("present");
    set_in_value(slot, rest, value)
}

/// A fresh subtree for the remaining path.
fn build(rest: &[Seg], value: Value) -> Value {
    match rest.split_first() {
        None => value,
        Some((Seg::Key(k), more)) => {
            let mut m = Map::new();
            m.push(k.clone(), build(more, value));
            Value::Map(m)
        }
        Some((Seg::Index(_), more)) => Value::Seq(vec![build(more, value)]),
    }
}

fn set_in_value(slot: &mut Value, rest: &[Seg], value: Value) -> Result<bool> {
    let Some((seg, more)) = rest.split_first() else {
        if *slot == value {
            return Ok(false);
        }
        *slot = value;
        return Ok(true);
    };
    match (seg, &mut *slot) {
        (Seg::Key(k), Value::Map(m)) => set_in_map(m, k, more, value),
        (Seg::Index(i), Value::Seq(s)) => {
            if *i >= s.len() {
                s.push(build(more, value));
                Ok(true)
            } else {
                set_in_value(&mut s[*i], more, value)
            }
        }
        _ => {
            *slot = build(rest, value);
            Ok(true)
        }
    }
}

/// Removes the key or list element at `path`. Returns whether it existed.
pub fn unset(doc: &mut Document, path: &[Seg]) -> Result<bool> {
    let Some((last, parents)) = path.split_last() else {
        return Err(Error::BadPath {
            path: String::new(),
            reason: "empty path".into(),
        });
    };
    let Some((first, rest)) = parents.split_first() else {
        return Ok(remove_from_map(doc, last));
    };
    let Seg::Key(k) = first else { return Ok(false) };
    let Some(mut cur) = doc.get_mut(k) else {
        return Ok(false);
    };
    for seg in rest {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Map(m)) => m.get_mut(k),
            (Seg::Index(i), Value::Seq(s)) => s.get_mut(*i),
            _ => None,
        };
        let Some(next) = next else { return Ok(false) };
        cur = next;
    }
    Ok(match (cur, last) {
        (Value::Map(m), _) => remove_from_map(m, last),
        (Value::Seq(s), Seg::Index(i)) if *i < s.len() => {
            s.remove(*i);
            true
        }
        _ => false,
    })
}

fn remove_from_map(map: &mut Map, seg: &Seg) -> bool {
    let Seg::Key(k) = seg else { return false };
    match map
        .items
        .iter()
        .position(|i| matches!(i, Item::Entry(key, _) if key == k))
    {
        Some(pos) => {
            map.items.remove(pos);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        let mut inner = Map::new();
        inner.push("b", Value::Seq(vec![Value::from("x"), Value::Int(2)]));
        let mut d = Map::new();
        d.push("a", Value::Map(inner));
        d
    }

    #[test]
    fn parses_sops_paths() {
        assert_eq!(
            parse(r#"["a"]['b'][0]"#).unwrap(),
            vec![Seg::Key("a".into()), Seg::Key("b".into()), Seg::Index(0)]
        );
        assert_eq!(parse("").unwrap(), vec![]);
        for bad in ["a", "[a]", "[\"a\"", "[\"a\"]x", "[-1]", "[]"] {
            assert!(matches!(parse(bad), Err(Error::BadPath { .. })), "{bad}");
        }
    }

    #[test]
    fn lookup_set_unset() {
        let mut d = doc();
        let p = parse(r#"["a"]["b"][1]"#).unwrap();
        assert_eq!(lookup(&d, &p).unwrap(), &Value::Int(2));
        assert!(matches!(
            lookup(&d, &parse(r#"["a"]["zz"]"#).unwrap()),
            Err(Error::PathNotFound { component }) if component == "[\"zz\"]"
        ));
        assert!(!set(&mut d, &p, Value::Int(2)).unwrap());
        assert!(set(&mut d, &p, Value::Int(3)).unwrap());
        assert!(set(&mut d, &parse(r#"["new"]["deep"]"#).unwrap(), "v".into()).unwrap());
        assert_eq!(
            lookup(&d, &parse(r#"["new"]["deep"]"#).unwrap()).unwrap(),
            &Value::from("v")
        );
        assert!(set(&mut d, &parse(r#"["a"]["b"][9]"#).unwrap(), "end".into()).unwrap());
        assert_eq!(
            lookup(&d, &parse(r#"["a"]["b"][2]"#).unwrap()).unwrap(),
            &Value::from("end")
        );
        assert!(unset(&mut d, &parse(r#"["a"]["b"][0]"#).unwrap()).unwrap());
        assert!(unset(&mut d, &parse(r#"["new"]"#).unwrap()).unwrap());
        assert!(!unset(&mut d, &parse(r#"["new"]"#).unwrap()).unwrap());
        assert!(d.get("new").is_none());
    }
}
