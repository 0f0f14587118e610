//! Metadata flattening for the two formats that only hold flat string maps (INI and dotenv).
//!
//! SOPS spells nested metadata as single keys joined with `__map_`/`__list_` (spec §7.5). Writing
//! follows the tree's own order (the core hands us metadata already sorted, which is the 3.13
//! layout); reading must not depend on order at all, because pre-3.13 INI files list the keys in
//! random order and dotenv sorted them as strings. Leaves come back as strings: the metadata
//! decoder converts them weakly, as upstream's mapstructure does.

use std::collections::BTreeMap;

use crate::core::scalar::float_to_val_string;
use crate::core::{Map, StoreError, Value};

const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";
/// Real metadata nests four levels deep; the cap keeps hostile keys from exhausting the stack.
const MAX_TOKENS: usize = 64;

/// SOPS's ValToString (spec §8.6) for the flat formats; `None` for mappings and sequences,
/// which those formats cannot hold. Non-UTF-8 bytes are passed through untouched.
pub fn value_to_bytes(v: &Value) -> Option<Vec<u8>> {
    Some(match v {
        Value::Bytes(b) => b.clone(),
        Value::Map(_) | Value::Seq(_) => return None,
        other => val_to_string(other)?.into_bytes(),
    })
}

/// SOPS's ValToString (spec §8.6) as text; `None` for mappings and sequences.
pub fn val_to_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_to_val_string(*f),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => super::json::lossy_utf8(b),
        Value::Time(t) => t.to_rfc3339(),
        Value::LocalDateTime(t) => t.clone(),
        Value::Comment(c) => c.text.clone(),
        Value::Map(_) | Value::Seq(_) => return None,
    })
}

/// Flattens a metadata tree into `(prefix + flat key, value)` pairs in depth-first tree order.
/// Comments are dropped, empty containers vanish and null leaves are skipped (upstream writes
/// no line for them).
pub fn flatten(map: &Map, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map.entries() {
        flatten_value(&format!("{prefix}{k}"), v, &mut out);
    }
    out
}

fn flatten_value(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Map(m) => {
            for (k, child) in m.entries() {
                flatten_value(&format!("{path}{MAP_SEP}{k}"), child, out);
            }
        }
        Value::Seq(items) => {
            let elements = items.iter().filter(|e| !matches!(e, Value::Comment(_)));
            for (i, child) in elements.enumerate() {
                flatten_value(&format!("{path}{LIST_SEP}{i}"), child, out);
            }
        }
        Value::Null => {}
        leaf => {
            if let Some(s) = val_to_string(leaf) {
                out.push((path.to_string(), s));
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Key(String),
    Index(usize),
}

/// Splits a flat key on the separators, leftmost match first, like upstream's tokenizer.
fn tokenize(path: &str) -> Result<Vec<Token>, StoreError> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut is_index = false;
    let mut i = 0;
    let finish = |seg: &str, is_index: bool| -> Result<Token, StoreError> {
        if is_index {
            let ok = !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit());
            match seg.parse::<usize>() {
                Ok(n) if ok => Ok(Token::Index(n)),
                _ => Err(StoreError::new(format!(
                    "invalid list index in metadata key {path:?}"
                ))),
            }
        } else {
            Ok(Token::Key(seg.to_string()))
        }
    };
    while i < path.len() {
        let rest = &path[i..];
        let sep = if rest.starts_with(MAP_SEP) {
            Some((MAP_SEP.len(), false))
        } else if rest.starts_with(LIST_SEP) {
            Some((LIST_SEP.len(), true))
        } else {
            None
        };
        match sep {
            Some((len, next_is_index)) => {
                tokens.push(finish(&path[start..i], is_index)?);
                i += len;
                start = i;
                is_index = next_is_index;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    tokens.push(finish(&path[start..], is_index)?);
    Ok(tokens)
}

/// The structure being rebuilt; `BTreeMap` gives the bytewise key order upstream re-sorts to.
enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn container_for(token: &Token) -> Node {
        match token {
            Token::Key(_) => Node::Map(BTreeMap::new()),
            Token::Index(_) => Node::List(BTreeMap::new()),
        }
    }
}

fn mismatch(path: &str) -> StoreError {
    StoreError::new(format!("type mismatch in metadata key {path:?}"))
}

/// Rebuilds a metadata tree from flat `(key, value)` pairs (prefix already removed). Mapping
/// keys come back sorted; every leaf is a string.
pub fn unflatten(entries: Vec<(String, String)>) -> Result<Map, StoreError> {
    let mut root = Node::Map(BTreeMap::new());
    for (path, value) in entries {
        let tokens = tokenize(&path)?;
        if tokens.len() > MAX_TOKENS {
            return Err(StoreError::new("metadata key nests too deeply"));
        }
        insert(&mut root, &path, &tokens, value)?;
    }
    match into_value(root)? {
        Value::Map(m) => Ok(m),
        _ => Err(mismatch("")),
    }
}

/// Returns the child of `node` for `tok`, creating it with `fresh` when missing; `true` if new.
fn step<'a>(
    node: &'a mut Node,
    tok: &Token,
    path: &str,
    fresh: impl FnOnce() -> Node,
) -> Result<(&'a mut Node, bool), StoreError> {
    let mut created = false;
    let child = match (node, tok) {
        (Node::Map(m), Token::Key(k)) => m.entry(k.clone()).or_insert_with(|| {
            created = true;
            fresh()
        }),
        (Node::List(l), Token::Index(i)) => l.entry(*i).or_insert_with(|| {
            created = true;
            fresh()
        }),
        _ => return Err(mismatch(path)),
    };
    Ok((child, created))
}

fn insert(root: &mut Node, path: &str, tokens: &[Token], value: String) -> Result<(), StoreError> {
    let Some((last, inner)) = tokens.split_last() else {
        return Err(mismatch(path));
    };
    let mut node = root;
    for (i, tok) in inner.iter().enumerate() {
        let next = &tokens[i + 1];
        node = step(node, tok, path, || Node::container_for(next))?.0;
    }
    let (leaf, created) = step(node, last, path, || Node::Leaf(value))?;
    if created {
        Ok(())
    } else if matches!(leaf, Node::Leaf(_)) {
        Err(StoreError::new(format!("duplicate metadata key {path:?}")))
    } else {
        Err(mismatch(path))
    }
}

fn into_value(node: Node) -> Result<Value, StoreError> {
    Ok(match node {
        Node::Leaf(s) => Value::Str(s),
        Node::Map(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                out.push(k, into_value(child)?);
            }
            Value::Map(out)
        }
        Node::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (expected, (index, child)) in items.into_iter().enumerate() {
                if index != expected {
                    return Err(StoreError::new("incomplete list in metadata"));
                }
                out.push(into_value(child)?);
            }
            Value::Seq(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Comment;
    use proptest::prelude::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sample() -> Map {
        let mut pgp0 = Map::new();
        pgp0.push("created_at", "2026-01-01T00:00:00Z");
        pgp0.push("enc", "a\nb");
        let mut ctx = Map::new();
        ctx.push("tenant", "t");
        let mut kms0 = Map::new();
        kms0.push("context", Value::Map(ctx));
        let mut group = Map::new();
        group.push("age", Value::Seq(vec![]));
        group.push("pgp", Value::Seq(vec![Value::Map(pgp0.clone())]));
        let mut md = Map::new();
        md.push("key_groups", Value::Seq(vec![Value::Map(group)]));
        md.push("kms", Value::Seq(vec![Value::Map(kms0)]));
        md.push("lastmodified", "2026-01-01T00:00:00Z");
        md.push("mac_only_encrypted", Value::Bool(true));
        md.push("shamir_threshold", Value::Int(2));
        md
    }

    #[test]
    fn flatten_spells_paths_in_tree_order() {
        let mut md = sample();
        md.push_comment(Comment::new("ignored"));
        md.push("nothing", Value::Null);
        assert_eq!(
            flatten(&md, "sops_"),
            pairs(&[
                (
                    "sops_key_groups__list_0__map_pgp__list_0__map_created_at",
                    "2026-01-01T00:00:00Z"
                ),
                ("sops_key_groups__list_0__map_pgp__list_0__map_enc", "a\nb"),
                ("sops_kms__list_0__map_context__map_tenant", "t"),
                ("sops_lastmodified", "2026-01-01T00:00:00Z"),
                ("sops_mac_only_encrypted", "true"),
                ("sops_shamir_threshold", "2"),
            ])
        );
    }

    #[test]
    fn list_indices_are_numeric_and_skip_comments() {
        let mut md = Map::new();
        let mut items = vec![Value::Comment(Comment::new("c"))];
        items.extend((0..12).map(|i| Value::Str(i.to_string())));
        md.push("l", Value::Seq(items));
        let flat = flatten(&md, "");
        assert_eq!(flat[0], ("l__list_0".to_string(), "0".to_string()));
        assert_eq!(flat[11], ("l__list_11".to_string(), "11".to_string()));
        // Upstream dotenv sorted as strings; reading must not care.
        let mut shuffled = flat.clone();
        shuffled.sort();
        assert_eq!(unflatten(shuffled).unwrap(), md_without_comments(&md));
    }

    fn md_without_comments(md: &Map) -> Map {
        let Some(Value::Seq(items)) = md.get("l") else {
            unreachable!()
        };
        let mut out = Map::new();
        out.push(
            "l",
            Value::Seq(
                items
                    .iter()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .cloned()
                    .collect(),
            ),
        );
        out
    }

    #[test]
    fn unflatten_rebuilds_sorted_string_tree() {
        let md = unflatten(pairs(&[
            ("version", "3.13.2"),
            ("pgp__list_1__map_fp", "B"),
            ("pgp__list_0__map_fp", "A"),
            ("pgp__list_0__map_enc", "x"),
            ("shamir_threshold", "2"),
        ]))
        .unwrap();
        let keys: Vec<_> = md.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["pgp", "shamir_threshold", "version"]);
        let Some(Value::Seq(pgp)) = md.get("pgp") else {
            panic!("pgp is not a list")
        };
        let first: Vec<_> = pgp[0].as_map().unwrap().entries().map(|(k, _)| k).collect();
        assert_eq!(first, ["enc", "fp"]);
        assert_eq!(pgp[1].as_map().unwrap().get("fp"), Some(&Value::from("B")));
        assert_eq!(md.get("shamir_threshold"), Some(&Value::from("2")));
    }

    #[test]
    fn unflatten_errors() {
        let dup = unflatten(pairs(&[("a", "1"), ("a", "2")])).unwrap_err();
        assert!(dup.message.contains("duplicate"), "{dup}");
        for bad in [
            &[("a", "1"), ("a__map_b", "2")][..],
            &[("a__map_b", "2"), ("a", "1")],
            &[("a__map_b", "1"), ("a__list_0", "2")],
            &[("a__list_0", "1"), ("a__list_0__map_x", "2")],
        ] {
            let e = unflatten(pairs(bad)).unwrap_err();
            assert!(e.message.contains("type mismatch"), "{e}");
        }
        let e = unflatten(pairs(&[("a__list_1", "x")])).unwrap_err();
        assert!(e.message.contains("incomplete list"), "{e}");
        assert!(unflatten(pairs(&[("a__list_x", "1")])).is_err());
        assert!(unflatten(pairs(&[("a__list_99999999999", "1")])).is_err());
        let deep = format!("a{}", "__map_b".repeat(100_000));
        assert!(unflatten(vec![(deep, "v".to_string())]).is_err());
        assert!(!e.to_string().contains("x\""));
    }

    #[test]
    fn round_trip_of_sample_metadata() {
        let md = sample();
        let back = unflatten(flatten(&md, "")).unwrap();
        // Leaves come back as strings and empty containers vanish.
        let flat_again = flatten(&back, "");
        assert_eq!(flat_again, flatten(&md, ""));
        let Some(Value::Seq(groups)) = back.get("key_groups") else {
            panic!()
        };
        assert!(groups[0].as_map().unwrap().get("age").is_none());
    }

    fn arb_key() -> impl Strategy<Value = String> {
        "[a-z_]{0,8}".prop_filter("separator-free", |k| {
            !k.contains("__map") && !k.contains("__list")
        })
    }

    /// Trees flatten can represent: string leaves, non-empty containers, sorted unique keys.
    fn arb_node() -> impl Strategy<Value = Value> {
        "[ -~\n]{0,8}"
            .prop_map(Value::Str)
            .prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 1..4).prop_map(Value::Seq),
                    prop::collection::btree_map(arb_key(), inner, 1..4)
                        .prop_map(|m| Value::Map(m.into_iter().collect())),
                ]
            })
    }

    proptest! {
        #[test]
        fn flatten_unflatten_round_trip(
            tree in prop::collection::btree_map(arb_key(), arb_node(), 0..5)
        ) {
            let md: Map = tree.into_iter().collect();
            let flat = flatten(&md, "");
            let mut reversed = flat.clone();
            reversed.reverse();
            prop_assert_eq!(unflatten(reversed).unwrap(), md);
        }
    }
}
