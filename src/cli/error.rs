//! The one CLI error type. Every failure becomes one line naming the file (and the key path or
//! key id the library put in the message), SOPS's exit code for its kind, and a hint where the
//! user can act. Library errors never carry plaintext, so neither does this.

use std::fmt;
use std::path::Path;

use crate::core::Error;

/// SOPS's exit codes (`cmd/sops/codes/codes.go`).
pub mod code {
    pub const GENERIC: u8 = 1;
    pub const COULD_NOT_READ_INPUT: u8 = 2;
    pub const COULD_NOT_WRITE_OUTPUT: u8 = 3;
    pub const ERROR_DUMPING_TREE: u8 = 4;
    pub const INVALID_KMS_CONTEXT: u8 = 6;
    pub const INVALID_SET_FORMAT: u8 = 7;
    pub const CONFLICTING_PARAMETERS: u8 = 8;
    pub const ERROR_ENCRYPTING_TREE: u8 = 23;
    pub const ERROR_DECRYPTING_TREE: u8 = 25;
    pub const CANNOT_CHANGE_KEYS_OF_MISSING_FILE: u8 = 49;
    pub const MAC_MISMATCH: u8 = 51;
    pub const INVALID_TREE_PATH: u8 = 91;
    pub const NEED_AT_LEAST_ONE_DOCUMENT: u8 = 92;
    pub const NO_FILE: u8 = 100;
    pub const DUPLICATE_DECRYPTION_KEY_TYPE: u8 = 112;
    pub const COULD_NOT_RETRIEVE_KEY: u8 = 128;
    pub const FILE_NOT_MODIFIED: u8 = 200;
    pub const NO_EDITOR: u8 = 201;
    pub const ALREADY_ENCRYPTED: u8 = 203;
}

/// A failed command: message, exit code, hints.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
    pub hints: Vec<String>,
}

impl CliError {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Wraps a library error that happened while working on `file`.
    pub fn from_core(file: &Path, err: Error, phase: Phase) -> Self {
        let name = file.display();
        let msg = format!("{name}: {err}");
        match err {
            Error::Store(_) => match phase {
                Phase::LoadPlain => CliError::new(code::COULD_NOT_READ_INPUT, msg),
                Phase::LoadEncrypted => CliError::new(code::GENERIC, msg),
                Phase::Emit => CliError::new(code::ERROR_DUMPING_TREE, msg),
            },
            Error::MetadataNotFound => CliError::new(code::GENERIC, msg).hint(
                "the file is not encrypted with sops/shroud; to encrypt it run: shroud encrypt -i FILE",
            ),
            Error::AlreadyEncrypted => CliError::new(code::ALREADY_ENCRYPTED, msg)
                .hint("to change its keys use rotate or updatekeys; to decrypt it use decrypt"),
            Error::BadEncValue { .. } | Error::Decrypt { .. } => {
                CliError::new(code::ERROR_DECRYPTING_TREE, msg)
                    .hint("the file was modified outside sops/shroud or is corrupted")
            }
            Error::Encrypt { .. } => CliError::new(code::ERROR_ENCRYPTING_TREE, msg),
            Error::MacUndecryptable | Error::MacMismatch { .. } => {
                CliError::new(code::MAC_MISMATCH, msg).hint(
                    "a value, the MAC or lastmodified was changed outside sops/shroud; \
                     --ignore-mac decrypts anyway if you trust the file",
                )
            }
            Error::NoKey { ref tried } => {
                let mut e = CliError::new(code::COULD_NOT_RETRIEVE_KEY, msg);
                for t in tried {
                    e = e.hint(format!("tried {t}"));
                }
                e
            }
            Error::BadPath { .. } => CliError::new(code::INVALID_TREE_PATH, msg)
                .hint(r#"paths look like ["key"]["nested"][0]"#),
            Error::Rules(_) => CliError::new(code::CONFLICTING_PARAMETERS, msg),
            Error::Wrap(_) | Error::Metadata(_) | Error::PathNotFound { .. } => {
                CliError::new(code::GENERIC, msg)
            }
        }
    }
}

/// Which step failed, for the store-error exit code.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    LoadPlain,
    LoadEncrypted,
    Emit,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error: {}", self.message)?;
        for h in &self.hints {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

pub type CliResult<T> = Result<T, CliError>;
