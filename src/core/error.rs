//! Library errors. They name the key path, key id or line where something went wrong and never
//! carry a plaintext value: error text ends up in CI logs. The CLI adds the file name and maps
//! each variant to SOPS's exit code.

use thiserror::Error;

/// A store could not parse or print a file.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{}{message}", location(*line, *column))]
pub struct StoreError {
    /// 1-based line of the problem, if known.
    pub line: Option<usize>,
    /// 1-based column, if known.
    pub column: Option<usize>,
    /// What is wrong; never includes a value from the file.
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl StoreError {
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            line: None,
            column: None,
            message: message.into(),
        }
    }
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        StoreError {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }
    pub fn at_col(line: usize, column: usize, message: impl Into<String>) -> Self {
        StoreError {
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }
}

/// A master key could not wrap or unwrap the data key.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{kind} key {id}: {reason}")]
pub struct KeyError {
    /// Backend name as in the metadata (`age`, `pgp`, `kms`).
    pub kind: String,
    /// Recipient, fingerprint or ARN.
    pub id: String,
    pub reason: String,
}

impl KeyError {
    pub fn new(kind: &str, id: impl Into<String>, reason: impl Into<String>) -> Self {
        KeyError {
            kind: kind.to_string(),
            id: id.into(),
            reason: reason.into(),
        }
    }
}

/// Everything the core engine can fail with.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error("invalid sops metadata: {0}")]
    Metadata(String),

    #[error("sops metadata not found")]
    MetadataNotFound,

    #[error("file is already encrypted (it has sops metadata)")]
    AlreadyEncrypted,

    #[error("value at {path} is not a valid ENC[...] string")]
    BadEncValue { path: String },

    #[error("value at {path} failed to decrypt: {reason}")]
    Decrypt { path: String, reason: String },

    #[error("cannot encrypt value at {path}: {reason}")]
    Encrypt { path: String, reason: String },

    #[error("could not decrypt the MAC (lastmodified or mac was changed, or wrong data key)")]
    MacUndecryptable,

    #[error("MAC mismatch: file has {stored}, computed {computed}")]
    MacMismatch { stored: String, computed: String },

    #[error("failed to get the data key required to decrypt the SOPS file")]
    NoKey {
        /// Every key that was tried and why it failed.
        tried: Vec<KeyError>,
    },

    #[error("could not wrap the data key: {0}")]
    Wrap(KeyError),

    #[error("invalid tree path {path:?}: {reason}")]
    BadPath { path: String, reason: String },

    #[error("component {component} not found")]
    PathNotFound { component: String },

    #[error("{0}")]
    Rules(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
