//! The `sops` metadata block. Read liberally (every 3.x layout: any field order, any case,
//! strings where numbers or bools are meant, `null` lists), written in the 3.13 layout (keys
//! sorted bytewise at every level) so our output matches current upstream byte for byte.

use super::error::{Error, Result};
use super::keys::{KeySource, MasterKey};
use super::rules::{Selection, FIELDS};
use super::scalar::Timestamp;
use super::tree::{Item, Map, Value};

/// The version string we write: upstream's current release, so upstream's strict-SemVer check
/// accepts our files without its legacy workarounds.
pub const SOPS_VERSION: &str = "3.13.2";

/// Metadata list names of key types, in SOPS's internal (load) order.
pub const KEY_TYPES: [&str; 7] = [
    "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age",
];

/// One key group: every key wraps the same secret (the data key, or one Shamir share).
pub type KeyGroup = Vec<Box<dyn MasterKey>>;

/// The parsed `sops` block.
#[derive(Debug)]
pub struct Metadata {
    pub key_groups: Vec<KeyGroup>,
    /// 0 when not set.
    pub shamir_threshold: usize,
    pub lastmodified: Timestamp,
    /// The stored (encrypted) MAC, or `""`.
    pub mac: String,
    /// The stored selection rule; `None` when the file stores none (binary store).
    pub selection: Option<Selection>,
    pub mac_only_encrypted: bool,
    pub version: String,
}

fn field<'a>(map: &'a Map, name: &str) -> Option<&'a Value> {
    map.entries()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A string field, weakly typed: numbers and bools are accepted as their text.
fn weak_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => super::scalar::format_float_g(*f),
        Value::Bool(b) => b.to_string(),
        Value::Time(t) => t.to_rfc3339_nano(),
        _ => return None,
    })
}

fn str_field(map: &Map, name: &str) -> Result<String> {
    match field(map, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(v) => weak_string(v).ok_or_else(|| Error::Metadata(format!("{name} is not a string"))),
    }
}

fn bool_field(map: &Map, name: &str) -> Result<bool> {
    match field(map, name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Str(s)) => match s.as_str() {
            "" | "0" | "f" | "F" | "false" | "False" | "FALSE" => Ok(false),
            "1" | "t" | "T" | "true" | "True" | "TRUE" => Ok(true),
            _ => Err(Error::Metadata(format!("{name} is not a boolean"))),
        },
        Some(Value::Int(i)) => Ok(*i != 0),
        _ => Err(Error::Metadata(format!("{name} is not a boolean"))),
    }
}

fn int_field(map: &Map, name: &str) -> Result<usize> {
    let bad = || Error::Metadata(format!("{name} is not a non-negative integer"));
    match field(map, name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Int(i)) => usize::try_from(*i).map_err(|_| bad()),
        Some(Value::Str(s)) if s.is_empty() => Ok(0),
        Some(Value::Str(s)) => s.trim().parse().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn timestamp_field(map: &Map, name: &str) -> Result<Timestamp> {
    match field(map, name) {
        Some(Value::Time(t)) => Ok(*t),
        Some(Value::Str(s)) if !s.is_empty() => Timestamp::parse_rfc3339(s)
            .ok_or_else(|| Error::Metadata(format!("{name} is not an RFC 3339 time"))),
        _ => Err(Error::Metadata(format!("{name} is missing"))),
    }
}

/// Reads the key lists of one group (flat metadata or a `key_groups` element).
fn read_group(map: &Map, keys: &dyn KeySource) -> Result<KeyGroup> {
    let mut group = KeyGroup::new();
    for kind in KEY_TYPES {
        let list = match field(map, kind) {
            None | Some(Value::Null) => continue,
            Some(Value::Seq(l)) => l,
            Some(_) => return Err(Error::Metadata(format!("{kind} is not a list"))),
        };
        for entry in list {
            match entry {
                Value::Map(m) => group.push(
                    keys.key_from_entry(kind, m)
                        .map_err(|e| Error::Metadata(format!("{kind} entry: {e}")))?,
                ),
                Value::Comment(_) => {}
                _ => return Err(Error::Metadata(format!("{kind} entry is not a mapping"))),
            }
        }
    }
    Ok(group)
}

impl Metadata {
    /// Parses the metadata tree a store split off.
    pub fn from_value(v: &Value, keys: &dyn KeySource) -> Result<Metadata> {
        let map = match v {
            Value::Map(m) => m,
            other => {
                return Err(Error::Metadata(format!(
                    "the sops entry is a {}, not a mapping",
                    other.kind_name()
                )))
            }
        };
        let flat = read_group(map, keys)?;
        let key_groups = if !flat.is_empty() {
            vec![flat]
        } else {
            match field(map, "key_groups") {
                Some(Value::Seq(groups)) if !groups.is_empty() => groups
                    .iter()
                    .filter(|g| !matches!(g, Value::Comment(_)))
                    .map(|g| match g {
                        Value::Map(m) => read_group(m, keys),
                        _ => Err(Error::Metadata("key group is not a mapping".into())),
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return Err(Error::Metadata("no keys found in file".into())),
            }
        };
        let mut pairs = Vec::new();
        for f in FIELDS {
            pairs.push((f, str_field(map, f)?));
        }
        let set: Vec<(&str, &str)> = pairs.iter().map(|(f, v)| (*f, v.as_str())).collect();
        let selection = if set.iter().all(|(_, v)| v.is_empty()) {
            None
        } else {
            Some(Selection::pick(set).map_err(Error::Metadata)?)
        };
        Ok(Metadata {
            key_groups,
            shamir_threshold: int_field(map, "shamir_threshold")?,
            lastmodified: timestamp_field(map, "lastmodified")?,
            mac: str_field(map, "mac")?,
            selection,
            mac_only_encrypted: bool_field(map, "mac_only_encrypted")?,
            version: str_field(map, "version")?,
        })
    }

    /// The rule that decides which leaves are encrypted (the default suffix if none stored).
    pub fn selection(&self) -> Selection {
        self.selection.clone().unwrap_or_default()
    }

    /// Every master key of every group, for messages.
    pub fn all_keys(&self) -> impl Iterator<Item = &dyn MasterKey> {
        self.key_groups.iter().flatten().map(|k| k.as_ref())
    }

    /// The 3.13 layout: mapping keys sorted at every level.
    pub fn to_map(&self) -> Map {
        let mut top: Vec<(String, Value)> = Vec::new();
        if self.key_groups.len() == 1 {
            top.extend(group_lists(&self.key_groups[0], false));
        } else {
            let groups = self
                .key_groups
                .iter()
                .map(|g| Value::Map(sorted(group_lists(g, true))))
                .collect();
            top.push(("key_groups".into(), Value::Seq(groups)));
        }
        if self.shamir_threshold != 0 {
            top.push((
                "shamir_threshold".into(),
                Value::Int(self.shamir_threshold as i64),
            ));
        }
        top.push((
            "lastmodified".into(),
            Value::Str(self.lastmodified.to_rfc3339()),
        ));
        top.push(("mac".into(), Value::Str(self.mac.clone())));
        if let Some(sel) = &self.selection {
            top.push((sel.field().into(), Value::Str(sel.pattern().into())));
        }
        if self.mac_only_encrypted {
            top.push(("mac_only_encrypted".into(), Value::Bool(true)));
        }
        top.push(("version".into(), Value::Str(self.version.clone())));
        sorted(top)
    }
}

/// Per-type lists of a group. In `key_groups`, `age` and `hc_vault` are always present (an
/// upstream quirk kept for byte compatibility).
fn group_lists(group: &KeyGroup, always_age_vault: bool) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for kind in KEY_TYPES {
        let entries: Vec<Value> = group
            .iter()
            .filter(|k| k.kind() == kind)
            .map(|k| Value::Map(sort_deep(k.to_entry())))
            .collect();
        if !entries.is_empty() || (always_age_vault && (kind == "age" || kind == "hc_vault")) {
            out.push((kind.to_string(), Value::Seq(entries)));
        }
    }
    out
}

fn sorted(mut items: Vec<(String, Value)>) -> Map {
    items.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Map {
        items: items.into_iter().map(|(k, v)| Item::Entry(k, v)).collect(),
    }
}

/// Sorts a key entry's fields, and nested maps (KMS `context`).
fn sort_deep(m: Map) -> Map {
    let items = m
        .items
        .into_iter()
        .filter_map(|i| match i {
            Item::Entry(k, Value::Map(inner)) => Some((k, Value::Map(sort_deep(inner)))),
            Item::Entry(k, v) => Some((k, v)),
            Item::Comment(_) => None,
        })
        .collect();
    sorted(items)
}
