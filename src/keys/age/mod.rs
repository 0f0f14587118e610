//! age master keys: one recipient each, wrapping the data key into an armored age file.
//!
//! SOPS writes the `enc` of an age entry with Go's `filippo.io/age` armor writer, and other
//! tools compare or re-read those bytes, so wrapping goes through the age crate's own armored
//! writer (same 64-column lines, markers and final newline) rather than anything hand-built.
//! Recipient strings are dispatched on their prefix exactly as `sops --age` does, so a string
//! that SOPS accepts or refuses behaves the same here.
//!
//! Unwrapping needs private identities, which live outside the file (environment variables,
//! key files, commands, SSH keys). Looking them up can run commands and ask for passphrases, so
//! it happens lazily, at most once per process, and only when an age key is actually unwrapped
//! (`identities`). The decryption itself, and the error that says what was tried, is in
//! `open`.

mod identities;
mod open;
mod tty;

#[cfg(test)]
mod tests;

pub use identities::{EnvLookup, Identities};

use std::io::Write;
use std::str::FromStr;

use age::armor::{ArmoredWriter, Format};
use age::{plugin, ssh, x25519};
use zeroize::Zeroizing;

use crate::core::error::KeyError;
use crate::core::keys::MasterKey;
use crate::core::tree::{Map, Value};

/// The type identifier of age keys in the metadata.
pub const KIND: &str = "age";

/// One age recipient of the data key, with the wrapped data key once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeKey {
    /// The recipient as given (trimmed): `age1…`, `age1<plugin>1…` or an SSH public key line.
    recipient: String,
    /// The armored age file holding the data key, exactly as stored in the metadata.
    enc: Option<String>,
}

/// A parsed recipient, ready to wrap a file key.
enum Recipient {
    X25519(x25519::Recipient),
    Ssh(ssh::Recipient),
    Plugin(plugin::Recipient),
}

impl AgeKey {
    /// A key for a recipient given on the command line or in `.sops.yaml`.
    pub fn from_recipient(recipient: &str) -> Result<AgeKey, KeyError> {
        let recipient = recipient.trim();
        parse_recipient(recipient)
            .map_err(|reason| KeyError::new(KIND, displayable_id(recipient), reason))?;
        Ok(AgeKey {
            recipient: recipient.to_string(),
            enc: None,
        })
    }

    /// A key from an `age` metadata entry (`recipient` and `enc`). The recipient is not
    /// re-validated: reading must accept whatever an older or newer SOPS wrote.
    pub fn from_entry(entry: &Map) -> Result<AgeKey, String> {
        let recipient = match entry.get("recipient") {
            Some(Value::Str(s)) => s.clone(),
            Some(other) => {
                return Err(format!(
                    "age key: recipient must be a string, found {}",
                    other.kind_name()
                ))
            }
            None => return Err("age key without a recipient".into()),
        };
        let enc = match entry.get("enc") {
            Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Str(_)) | Some(Value::Null) | None => None,
            Some(other) => {
                return Err(format!(
                    "age key {recipient}: enc must be a string, found {}",
                    other.kind_name()
                ))
            }
        };
        Ok(AgeKey { recipient, enc })
    }

    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// The armored age file holding the data key, if the key has been wrapped or read.
    pub fn enc(&self) -> Option<&str> {
        self.enc.as_deref()
    }

    /// Unwraps with the given identities instead of the ones found in the process
    /// environment (a key service with its own identities, tests).
    pub fn unwrap_with(&self, identities: &Identities) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.unwrap_from(&[identities])
    }

    fn unwrap_from(&self, parts: &[&Identities]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let enc = self.enc.as_deref().ok_or_else(|| {
            KeyError::new(
                KIND,
                &self.recipient,
                "the metadata holds no encrypted data key (enc) for this recipient",
            )
        })?;
        open::open(enc, parts).map_err(|reason| KeyError::new(KIND, &self.recipient, reason))
    }
}

/// Parses a comma-separated recipient list (`--age`, `SOPS_AGE_RECIPIENTS`, `.sops.yaml`).
/// Items are trimmed and empty items dropped.
pub fn parse_recipients(list: &str) -> Result<Vec<AgeKey>, KeyError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(AgeKey::from_recipient)
        .collect()
}

impl MasterKey for AgeKey {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn id(&self) -> String {
        self.recipient.clone()
    }

    fn wrap(&mut self, secret: &[u8]) -> Result<(), KeyError> {
        let fail = |reason: String| KeyError::new(KIND, displayable_id(&self.recipient), reason);
        let recipient = parse_recipient(&self.recipient).map_err(fail)?;
        let plugin_recipient;
        let recipient: &dyn age::Recipient = match &recipient {
            Recipient::X25519(r) => r,
            Recipient::Ssh(r) => r,
            Recipient::Plugin(r) => {
                plugin_recipient = plugin::RecipientPluginV1::new(
                    r.plugin(),
                    std::slice::from_ref(r),
                    &[],
                    tty::TtyCallbacks,
                )
                .map_err(|e| fail(clean(e)))?;
                &plugin_recipient
            }
        };
        self.enc = Some(armored_encrypt(recipient, secret).map_err(fail)?);
        Ok(())
    }

    fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if self.enc.is_none() {
            // Fail before touching the environment: nothing to open.
            return self.unwrap_from(&[]);
        }
        let fixed = identities::process_fixed();
        let commands = identities::process_commands(&self.recipient);
        self.unwrap_from(&[fixed, &commands])
    }

    fn to_entry(&self) -> Map {
        let mut m = Map::new();
        m.push("recipient", self.recipient.as_str());
        m.push("enc", self.enc.clone().unwrap_or_default());
        m
    }
}

/// Dispatches on the prefix as SOPS does: `age1pq1…` hybrid, `age1…` with a second `1` a
/// plugin, other `age1…` X25519, `ssh-…` SSH.
fn parse_recipient(r: &str) -> Result<Recipient, String> {
    if r.is_empty() {
        return Err("empty age recipient".into());
    }
    if r.starts_with("age1pq1") {
        return Err(
            "post-quantum (age1pq1…) recipients are not supported by this build of \
                    shroud (it uses age 0.11); use an X25519 age1… recipient"
                .into(),
        );
    }
    if let Some(rest) = r.strip_prefix("age1") {
        if rest.contains('1') {
            return plugin::Recipient::from_str(r)
                .map(Recipient::Plugin)
                .map_err(|e| format!("not a valid age plugin recipient: {e}"));
        }
        return x25519::Recipient::from_str(r)
            .map(Recipient::X25519)
            .map_err(|e| format!("not a valid age X25519 recipient: {e}"));
    }
    if r.starts_with("ssh-") {
        return ssh::Recipient::from_str(r)
            .map(Recipient::Ssh)
            .map_err(|e| match e {
                ssh::ParseRecipientKeyError::Unsupported(t) => format!(
                    "SSH key type {t} cannot be an age recipient (use ssh-ed25519 or ssh-rsa)"
                ),
                ssh::ParseRecipientKeyError::RsaModulusTooSmall => {
                    "ssh-rsa key is too small (age needs at least 2048 bits)".into()
                }
                ssh::ParseRecipientKeyError::RsaModulusTooLarge => {
                    "ssh-rsa key is too large for age".into()
                }
                _ => "not a valid SSH public key (expected `ssh-ed25519 AAAA…` or \
                      `ssh-rsa AAAA…`)"
                    .into(),
            });
    }
    if looks_secret(r) {
        return Err(
            "this is a private identity, not a recipient: give its public \
                    key (age1…) instead"
                .into(),
        );
    }
    Err(
        "unknown recipient type: expected an age1… recipient or an ssh-ed25519/ssh-rsa \
         public key"
            .into(),
    )
}

/// Whether a string looks like private key material that must not be echoed back.
fn looks_secret(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    upper.contains("AGE-SECRET-KEY") || upper.contains("AGE-PLUGIN-") || s.contains("PRIVATE KEY")
}

/// The recipient as shown in an error, unless it is secret material pasted by mistake.
fn displayable_id(recipient: &str) -> String {
    if looks_secret(recipient) {
        "(private key withheld)".into()
    } else {
        recipient.to_string()
    }
}

/// Encrypts `secret` to one recipient as an armored age file, byte-for-byte in Go age's
/// layout: begin marker, 64-column standard base64, end marker, `\n`.
fn armored_encrypt(recipient: &dyn age::Recipient, secret: &[u8]) -> Result<String, String> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient)).map_err(clean)?;
    let mut out = Vec::with_capacity(512);
    let armored = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(clean)?;
    let mut writer = encryptor.wrap_output(armored).map_err(clean)?;
    writer.write_all(secret).map_err(clean)?;
    writer
        .finish()
        .and_then(|armored| armored.finish())
        .map_err(clean)?;
    let text = String::from_utf8(out).map_err(|_| "age armor produced non-ASCII output")?;
    // The age crate ends lines with CRLF on Windows; SOPS files always use LF.
    Ok(text.replace("\r\n", "\n"))
}

/// An age error message fit for our errors: without the Unicode isolation marks (U+2068,
/// U+2069) its i18n layer puts around arguments, and on one line.
fn clean(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .replace(['\u{2068}', '\u{2069}'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
