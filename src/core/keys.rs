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
    fn from_entry(&self, kind: &str, entry: &Map) -> Result<Box<dyn MasterKey>, String>;
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
