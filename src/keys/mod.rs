//! Key backends. Each wraps and unwraps the data key; none of them sees the tree. This module
//! is the registry: it turns config/CLI key specs and metadata entries into [`MasterKey`]s,
//! and keeps entries of backends this build lacks as opaque keys that round-trip unchanged.

pub mod age;
#[cfg(feature = "aws-kms")]
pub mod kms;
pub mod pgp;

use crate::core::keys::{KeySource, OpaqueKey};
use crate::core::metadata::KEY_TYPES;
use crate::core::{KeyError, Map, MasterKey};

/// A key as named in `.sops.yaml` or on the command line, before it wraps anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySpec {
    Age(String),
    Pgp(String),
    Kms {
        arn: String,
        role: Option<String>,
        context: Vec<(String, String)>,
        aws_profile: Option<String>,
    },
    /// A backend named in config that this build cannot use (GCP, Azure, Vault, HuaweiCloud).
    Other {
        kind: &'static str,
        id: String,
    },
}

impl KeySpec {
    pub fn kind(&self) -> &'static str {
        match self {
            KeySpec::Age(_) => "age",
            KeySpec::Pgp(_) => "pgp",
            KeySpec::Kms { .. } => "kms",
            KeySpec::Other { kind, .. } => kind,
        }
    }

    /// The identity string, used to drop duplicates and to match `--rm-*` flags.
    pub fn id(&self) -> &str {
        match self {
            KeySpec::Age(s) | KeySpec::Pgp(s) => s,
            KeySpec::Kms { arn, .. } => arn,
            KeySpec::Other { id, .. } => id,
        }
    }
}

/// Parses a KMS spec string `ARN[+ROLE_ARN]` (spaces removed, split at the first `+arn:`).
pub fn kms_spec(s: &str, context: &[(String, String)], aws_profile: Option<&str>) -> KeySpec {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (arn, role) = match s.find("+arn:") {
        Some(i) => (s[..i].to_string(), Some(s[i + 1..].to_string())),
        None => (s, None),
    };
    KeySpec::Kms {
        arn,
        role,
        context: context.to_vec(),
        aws_profile: aws_profile.filter(|p| !p.is_empty()).map(str::to_string),
    }
}

/// Creates a master key from a spec.
pub fn build(spec: &KeySpec) -> Result<Box<dyn MasterKey>, KeyError> {
    match spec {
        KeySpec::Age(r) => Ok(Box::new(age::AgeKey::from_recipient(r)?)),
        KeySpec::Pgp(fp) => Ok(Box::new(pgp::PgpKey::from_fingerprint(fp)?)),
        #[cfg(feature = "aws-kms")]
        KeySpec::Kms { .. } => kms::build(spec),
        other => Err(KeyError::new(
            other.kind(),
            other.id(),
            "this key type is not supported by this build of shroud",
        )),
    }
}

/// The metadata-entry side of the registry.
pub struct Registry;

fn static_kind(kind: &str) -> &'static str {
    KEY_TYPES
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("unknown")
}

impl KeySource for Registry {
    fn key_from_entry(&self, kind: &str, entry: &Map) -> Result<Box<dyn MasterKey>, String> {
        match kind {
            "age" => Ok(Box::new(age::AgeKey::from_entry(entry)?)),
            "pgp" => Ok(Box::new(pgp::PgpKey::from_entry(entry)?)),
            #[cfg(feature = "aws-kms")]
            "kms" => Ok(Box::new(kms::KmsKey::from_entry(entry)?)),
            other => Ok(Box::new(OpaqueKey {
                kind: static_kind(other),
                entry: entry.clone(),
            })),
        }
    }
}

/// Splits a comma-separated key list (items trimmed, empty items dropped).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_spec_splits_role() {
        let s = kms_spec(
            "arn:aws:kms:us-east-1:1:key/a +arn:aws:iam::1:role/r",
            &[],
            Some(""),
        );
        assert_eq!(
            s,
            KeySpec::Kms {
                arn: "arn:aws:kms:us-east-1:1:key/a".into(),
                role: Some("arn:aws:iam::1:role/r".into()),
                context: vec![],
                aws_profile: None
            }
        );
        assert_eq!(split_list(" a, ,b ,"), vec!["a", "b"]);
    }
}
