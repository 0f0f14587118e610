//! AWS KMS master keys: the data key is sent to KMS `Encrypt` and the returned blob stored as
//! base64; decrypting sends it back to KMS `Decrypt`. No key material is ever local.
//!
//! The metadata entry must stay exactly what SOPS reads and writes (`arn`, `role` and
//! `context` only when set, `aws_profile` always, `created_at`, `enc`), and the call must be
//! the one SOPS makes (key id = the ARN on both calls, the same encryption context), so that
//! either tool opens the other's files under the same IAM policies. Reading is liberal: an
//! entry is taken as written and only checked when the key is used, as SOPS does, so a file
//! with an odd KMS entry still opens with its age key.
//!
//! The SDK, its runtime and the client cache live in `client`; nothing there runs until a
//! KMS key is actually wrapped or unwrapped.

mod client;

pub use client::session_name;

use std::sync::OnceLock;

use base64::Engine as _;
use regex::Regex;
use zeroize::Zeroizing;

use crate::core::error::KeyError;
use crate::core::keys::MasterKey;
use crate::core::scalar::Timestamp;
use crate::core::tree::{Map, Value};
use crate::keys::KeySpec;

/// The type identifier of KMS keys in the metadata.
pub const KIND: &str = "kms";

/// One KMS key that wraps the data key, with its wrapped copy once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    /// The key or alias ARN; its region selects the endpoint.
    pub arn: String,
    /// An IAM role ARN to assume through STS before calling KMS; empty for none.
    pub role: String,
    /// The KMS encryption context, in the order given (the metadata writer sorts).
    pub context: Vec<(String, String)>,
    /// The AWS profile to load credentials from; empty for the default chain.
    pub aws_profile: String,
    /// When the entry was created (RFC 3339, UTC, seconds).
    pub created_at: String,
    /// Standard base64 of the KMS CiphertextBlob, once wrapped or read.
    pub enc: Option<String>,
}

/// The region of a KMS key ARN, or `None` if it is not one. SOPS's own pattern, so the same
/// strings are accepted (key and alias ARNs in every partition).
pub fn arn_region(arn: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$").expect("static regex")
    });
    re.captures(arn).and_then(|c| c.get(1)).map(|m| m.as_str())
}

impl KmsKey {
    /// A new key from the command line or `.sops.yaml`, created now. Nothing is checked until
    /// it wraps (as SOPS does); see [`arn_region`].
    pub fn new(
        arn: &str,
        role: Option<&str>,
        context: &[(String, String)],
        aws_profile: Option<&str>,
    ) -> KmsKey {
        // Later duplicates of a context key win, as in the Go map SOPS builds.
        let mut ctx: Vec<(String, String)> = Vec::new();
        for (k, v) in context {
            match ctx.iter_mut().find(|(ek, _)| ek == k) {
                Some(e) => e.1 = v.clone(),
                None => ctx.push((k.clone(), v.clone())),
            }
        }
        KmsKey {
            arn: arn.to_string(),
            role: role.unwrap_or_default().to_string(),
            context: ctx,
            aws_profile: aws_profile.unwrap_or_default().to_string(),
            created_at: Timestamp::now_utc().to_rfc3339(),
            enc: None,
        }
    }

    /// A key from a `kms` metadata entry.
    pub fn from_entry(entry: &Map) -> Result<KmsKey, String> {
        let arn = match entry.get("arn") {
            Some(Value::Str(s)) if !s.is_empty() => s.clone(),
            Some(Value::Str(_)) | Some(Value::Null) | None => {
                return Err("kms key without an arn".into())
            }
            Some(other) => {
                return Err(format!(
                    "kms key: arn must be a string, found {}",
                    other.kind_name()
                ))
            }
        };
        let text = |field: &str| -> Result<String, String> {
            match entry.get(field) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::Str(s)) => Ok(s.clone()),
                Some(other) => Err(format!(
                    "kms key {arn}: {field} must be a string, found {}",
                    other.kind_name()
                )),
            }
        };
        let created_at = match entry.get("created_at") {
            // A YAML timestamp, or a string: written back in SOPS's UTC form when it parses.
            Some(Value::Time(t)) => utc_seconds(t),
            _ => {
                let s = text("created_at")?;
                Timestamp::parse_rfc3339(&s)
                    .map(|t| utc_seconds(&t))
                    .unwrap_or(s)
            }
        };
        let context = match entry.get("context") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Map(m)) => {
                let mut pairs = Vec::new();
                for (k, v) in m.entries() {
                    match v {
                        Value::Str(s) => pairs.push((k.to_string(), s.clone())),
                        // SOPS keeps `*string` values and skips nil ones.
                        Value::Null => {}
                        other => {
                            return Err(format!(
                                "kms key {arn}: context value {k:?} must be a string, found {}",
                                other.kind_name()
                            ))
                        }
                    }
                }
                pairs
            }
            Some(other) => {
                return Err(format!(
                    "kms key {arn}: context must be a mapping, found {}",
                    other.kind_name()
                ))
            }
        };
        let enc = text("enc")?;
        Ok(KmsKey {
            role: text("role")?,
            aws_profile: text("aws_profile")?,
            context,
            created_at,
            enc: (!enc.is_empty()).then_some(enc),
            arn,
        })
    }

    fn fail(&self, reason: impl Into<String>) -> KeyError {
        KeyError::new(KIND, &self.arn, reason)
    }

    fn target(&self) -> Result<client::Target, KeyError> {
        let region = arn_region(&self.arn).ok_or_else(|| {
            self.fail(
                "not a valid KMS key ARN (expected arn:aws:kms:REGION:ACCOUNT:key/ID or \
                 …:alias/NAME)",
            )
        })?;
        Ok(client::Target {
            region: region.to_string(),
            profile: (!self.aws_profile.is_empty()).then(|| self.aws_profile.clone()),
            role: (!self.role.is_empty()).then(|| self.role.clone()),
        })
    }
}

/// The registry's constructor for [`KeySpec::Kms`] specs.
pub fn build(spec: &KeySpec) -> Result<Box<dyn MasterKey>, KeyError> {
    match spec {
        KeySpec::Kms {
            arn,
            role,
            context,
            aws_profile,
        } => Ok(Box::new(KmsKey::new(
            arn,
            role.as_deref(),
            context,
            aws_profile.as_deref(),
        ))),
        other => Err(KeyError::new(other.kind(), other.id(), "not a KMS key")),
    }
}

fn utc_seconds(t: &Timestamp) -> String {
    Timestamp {
        unix: t.unix,
        nanos: 0,
        offset: None,
    }
    .to_rfc3339()
}

impl MasterKey for KmsKey {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn id(&self) -> String {
        self.arn.clone()
    }

    fn wrap(&mut self, secret: &[u8]) -> Result<(), KeyError> {
        let target = self.target()?;
        let blob = client::encrypt(&target, &self.arn, secret, &self.context)
            .map_err(|reason| self.fail(format!("KMS Encrypt failed: {reason}")))?;
        self.enc = Some(base64::engine::general_purpose::STANDARD.encode(blob));
        Ok(())
    }

    fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let enc = self.enc.as_deref().ok_or_else(|| {
            self.fail("the metadata holds no encrypted data key (enc) for this key")
        })?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(enc.trim())
            .map_err(|e| self.fail(format!("enc is not valid base64: {e}")))?;
        let target = self.target()?;
        client::decrypt(&target, &self.arn, &blob, &self.context)
            .map_err(|reason| self.fail(format!("KMS Decrypt failed: {reason}")))
    }

    fn to_entry(&self) -> Map {
        let mut m = Map::new();
        m.push("arn", self.arn.as_str());
        if !self.role.is_empty() {
            m.push("role", self.role.as_str());
        }
        if !self.context.is_empty() {
            let ctx: Map = self
                .context
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            m.push("context", ctx);
        }
        m.push("created_at", self.created_at.as_str());
        m.push("enc", self.enc.clone().unwrap_or_default());
        m.push("aws_profile", self.aws_profile.as_str());
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:kms:us-east-1:123456789012:key/abc"),
            Some("us-east-1")
        );
        assert_eq!(
            arn_region("arn:aws-us-gov:kms:us-gov-west-1:1:alias/x"),
            Some("us-gov-west-1")
        );
        assert_eq!(
            arn_region("arn:aws-cn:kms:cn-north-1:1:key/k"),
            Some("cn-north-1")
        );
        for bad in [
            "",
            "alias/x",
            "arn:aws:kms:us-east-1:acct:key/a",
            "arn:aws:kms:us-east-1:1:secret/a",
            "arn:aws:iam::1:role/r",
            "arn:aws:kms:us-east-1:1:key/",
        ] {
            assert_eq!(arn_region(bad), None, "{bad}");
        }
    }

    #[test]
    fn entry_round_trip_omits_empty_role_and_context() {
        let k = KmsKey::new("arn:aws:kms:us-east-1:1:key/a", None, &[], None);
        let e = k.to_entry();
        let keys: Vec<&str> = e.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["arn", "created_at", "enc", "aws_profile"]);
        assert_eq!(e.get("aws_profile"), Some(&Value::Str(String::new())));
        assert!(k.created_at.ends_with('Z') && k.created_at.len() == 20);
        assert_eq!(KmsKey::from_entry(&e).unwrap(), k);
    }

    #[test]
    fn entry_round_trip_with_everything() {
        let ctx = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "3".to_string()),
        ];
        let mut k = KmsKey::new(
            "arn:aws:kms:eu-west-1:1:alias/x",
            Some("arn:aws:iam::1:role/r"),
            &ctx,
            Some("dev"),
        );
        assert_eq!(
            k.context,
            [("b".into(), "3".into()), ("a".into(), "1".into())]
        );
        k.enc = Some("AQID".into());
        let e = k.to_entry();
        assert_eq!(
            e.get("role"),
            Some(&Value::Str("arn:aws:iam::1:role/r".into()))
        );
        assert_eq!(e.get("aws_profile"), Some(&Value::Str("dev".into())));
        assert!(matches!(e.get("context"), Some(Value::Map(m)) if m.entries().count() == 2));
        assert_eq!(KmsKey::from_entry(&e).unwrap(), k);
    }

    #[test]
    fn from_entry_is_liberal_but_typed() {
        let mut e = Map::new();
        e.push("arn", "arn:aws:kms:us-east-1:1:key/a");
        e.push("created_at", "2024-01-01T01:00:00+01:00");
        e.push("enc", "AQID");
        let k = KmsKey::from_entry(&e).unwrap();
        assert_eq!(k.created_at, "2024-01-01T00:00:00Z");
        assert_eq!(k.aws_profile, "");
        assert_eq!(k.role, "");

        let mut ctx = Map::new();
        ctx.push("k", Value::Int(1));
        let mut bad = e.clone();
        bad.push("context", ctx);
        let err = KmsKey::from_entry(&bad).unwrap_err();
        assert!(
            err.contains("context value \"k\" must be a string"),
            "{err}"
        );

        let mut ctx = Map::new();
        ctx.push("k", "v");
        ctx.push("gone", Value::Null);
        let mut ok = e.clone();
        ok.push("context", ctx);
        assert_eq!(
            KmsKey::from_entry(&ok).unwrap().context,
            [("k".to_string(), "v".to_string())]
        );

        assert!(KmsKey::from_entry(&Map::new()).is_err());
    }

    #[test]
    fn bad_arn_or_enc_fails_before_any_call() {
        let mut k = KmsKey::new("not-an-arn", None, &[], None);
        let err = k.wrap(&[0; 32]).unwrap_err();
        assert_eq!(err.kind, "kms");
        assert_eq!(err.id, "not-an-arn");
        assert!(err.reason.contains("not a valid KMS key ARN"), "{err}");
        let mut k = KmsKey::new("arn:aws:kms:us-east-1:1:key/a", None, &[], None);
        assert!(k
            .unwrap()
            .unwrap_err()
            .reason
            .contains("no encrypted data key"));
        k.enc = Some("***".into());
        assert!(k.unwrap().unwrap_err().reason.contains("not valid base64"));
    }

    #[test]
    fn session_names_follow_sops() {
        assert_eq!(session_name("build-host.example"), "sops@buildhost.example");
        assert_eq!(session_name("a_b@c[d]"), "sops@a_b@c[d]");
        assert_eq!(session_name("ünï code"), "sops@ncode");
        let long = session_name(&"h".repeat(100));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("sops@hhh"));
    }
}
