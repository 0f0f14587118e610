//! The seam between the engine and key backends. A master key wraps and unwraps the data key
//! (or a Shamir share of it) and describes itself as a metadata entry; it never sees the tree.

use super::error::KeyError;
use super::tree::{Map, Value};
use zeroize::Zeroizing;

/// One recipient of the data key: an age recipient, a PGP fingerprint, a KMS ARN, ...
pub trait MasterKey: std::fmt::Debug + Send + Sync {
    /// Backend name as used in the metadata: `age`, `pgp`, `kms`, ...
    fn kind(&self) -> &'static str;

    /// What identifies the key to a person: recipient, fingerprint or ARN.
    fn id(&self) -> String;

    /// Wraps `secret` (the 32-byte data key or a 33-byte Shamir share) and remembers the
    /// result as this key's `enc`.
    fn wrap(&mut self, secret: &[u8]) -> Result<(), KeyError>;

    /// Unwraps the stored `enc`.
    fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>, KeyError>;

    /// The metadata entry (any key order: the metadata writer sorts).
    fn to_entry(&self) -> Map;
}

/// Creates master keys from metadata entries and from command-line / config specs. The CLI
/// provides the implementation (it knows which backends are compiled in); the core only
/// needs it to read metadata.
pub trait KeySource {
    /// A key from a metadata entry of type `kind` (`age`, `pgp`, `kms`, ...).
    fn key_from_entry(&self, kind: &str, entry: &Map) -> Result<Box<dyn MasterKey>, String>;
}

/// A key entry whose backend this build does not handle (e.g. `gcp_kms`). It round-trips
/// unchanged and fails to unwrap with a clear reason.
#[derive(Debug, Clone)]
pub struct OpaqueKey {
    pub kind: &'static str,
    pub entry: Map,
}

impl MasterKey for OpaqueKey {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn id(&self) -> String {
        // The most identifying field of each backend.
        for f in [
            "arn",
            "resource_id",
            "key_id",
            "vault_url",
            "vault_address",
            "fp",
            "recipient",
        ] {
            if let Some(Value::Str(s)) = self.entry.get(f) {
                return s.clone();
            }
        }
        "?".into()
    }
    fn wrap(&mut self, _secret: &[u8]) -> Result<(), KeyError> {
        Err(KeyError::new(
            self.kind,
            self.id(),
            "this key type is not supported by this build of shroud",
        ))
    }
    fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        Err(KeyError::new(
            self.kind,
            self.id(),
            "this key type is not supported by this build of shroud",
        ))
    }
    fn to_entry(&self) -> Map {
        self.entry.clone()
    }
}

use super::datakey::DataKey;
use super::error::Error;
use super::metadata::KeyGroup;
use super::shamir;

/// The default `--decryption-order`.
pub const DEFAULT_DECRYPTION_ORDER: [&str; 2] = ["age", "pgp"];

/// Wraps the data key for every key of every group; with two or more groups each group wraps
/// its own Shamir share (threshold 0 → all groups).
pub fn wrap_data_key(
    groups: &mut [KeyGroup],
    key: &DataKey,
    threshold: usize,
) -> Result<(), Error> {
    if groups.is_empty() || groups.iter().any(|g| g.is_empty()) {
        return Err(Error::Metadata(
            "could not generate data key: empty key group provided".into(),
        ));
    }
    if groups.len() == 1 {
        for k in groups[0].iter_mut() {
            k.wrap(key.as_bytes()).map_err(Error::Wrap)?;
        }
        return Ok(());
    }
    let t = if threshold == 0 {
        groups.len()
    } else {
        threshold
    };
    let shares = shamir::split(key.as_bytes(), groups.len(), t).map_err(Error::Metadata)?;
    for (g, share) in groups.iter_mut().zip(shares.iter()) {
        for k in g.iter_mut() {
            k.wrap(share).map_err(Error::Wrap)?;
        }
    }
    Ok(())
}

/// Order in which a group's keys are tried: the types of `order` first, then the rest, each
/// keeping the group's order (a stable sort).
fn ordered<'a>(group: &'a KeyGroup, order: &[String]) -> Vec<&'a dyn MasterKey> {
    let mut keys: Vec<&dyn MasterKey> = group.iter().map(|k| k.as_ref()).collect();
    keys.sort_by_key(|k| {
        order
            .iter()
            .position(|o| o == k.kind())
            .unwrap_or(order.len())
    });
    keys
}

/// Recovers the data key: per group, the first key that unwraps wins (one backend call per
/// key tried, stopping at the first success); with several groups the shares of all groups
/// that opened are combined if there are at least `threshold` of them.
pub fn recover_data_key(
    groups: &[KeyGroup],
    threshold: usize,
    order: &[String],
) -> Result<DataKey, Error> {
    let mut tried = Vec::new();
    let mut parts: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    for group in groups {
        for k in ordered(group, order) {
            match k.unwrap() {
                Ok(secret) => {
                    parts.push(secret);
                    break;
                }
                Err(e) => tried.push(e),
            }
        }
    }
    if groups.len() == 1 {
        let part = parts.pop().ok_or(Error::NoKey { tried })?;
        return DataKey::from_slice(&part)
            .ok_or_else(|| Error::Metadata("the unwrapped data key is not 32 bytes long".into()));
    }
    let needed = if threshold == 0 {
        groups.len()
    } else {
        threshold
    };
    if parts.len() < needed {
        return Err(Error::NoKey { tried });
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    let secret = shamir::combine(&refs).map_err(Error::Metadata)?;
    DataKey::from_slice(&secret)
        .ok_or_else(|| Error::Metadata("the combined data key is not 32 bytes long".into()))
}

/// How one key group changes, by key identity (recipient, fingerprint, ARN, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupDiff {
    /// In both, in the new group's order.
    pub common: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl GroupDiff {
    pub fn changes(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// Compares key groups position by position, as `sops updatekeys` reports them.
pub fn diff_key_groups(old: &[Vec<String>], new: &[Vec<String>]) -> Vec<GroupDiff> {
    let empty = Vec::new();
    (0..old.len().max(new.len()))
        .map(|i| {
            let (o, n) = (old.get(i).unwrap_or(&empty), new.get(i).unwrap_or(&empty));
            let mut d = GroupDiff::default();
            for k in n {
                if o.contains(k) {
                    d.common.push(k.clone());
                } else {
                    d.added.push(k.clone());
                }
            }
            d.removed = o.iter().filter(|k| !n.contains(k)).cloned().collect();
            d
        })
        .collect()
}

#[cfg(test)]
mod diff_tests {
    use super::*;

    #[test]
    fn diffs_groups_by_position() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let d = diff_key_groups(&[s(&["a", "b"])], &[s(&["b", "c"]), s(&["d"])]);
        assert_eq!(d[0].common, s(&["b"]));
        assert_eq!(d[0].added, s(&["c"]));
        assert_eq!(d[0].removed, s(&["a"]));
        assert_eq!(d[1].added, s(&["d"]));
        assert!(d.iter().all(GroupDiff::changes));
        assert!(!diff_key_groups(&[s(&["a"])], &[s(&["a"])])[0].changes());
    }
}
