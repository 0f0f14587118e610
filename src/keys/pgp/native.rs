//! PGP without gpg: sequoia reads an armored key file and does the OpenPGP work in-process.
//!
//! Key files as people have them are `gpg --export-secret-keys --armor` output, often several
//! armor blocks concatenated (secret and public exports of the same keys), so every block is
//! parsed and certificates with the same fingerprint are merged.
//!
//! Policies differ by direction. Decrypting opens a message that was already encrypted to a key
//! the user holds, so, like gpg, any secret key whose ID the message names is tried, whatever
//! its age or algorithm, and legacy ciphers that old GnuPG chose are accepted. Encrypting
//! creates new ciphertext, so recipient subkeys must pass sequoia's standard policy (valid,
//! alive, not revoked, encryption-capable), relaxed only for 1024-bit RSA, which gpg still
//! encrypts to.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use sequoia_openpgp as openpgp;

use openpgp::armor::{self, ReaderMode};
use openpgp::cert::{Cert, CertParser};
use openpgp::crypto::{Password, SessionKey};
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::policy::AsymmetricAlgorithm;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message};
use openpgp::types::SymmetricAlgorithm;
use openpgp::KeyHandle;
use zeroize::Zeroizing;

use super::{hex_part, legacy};

/// Largest plaintext accepted: a data key is 32 bytes, a Shamir share 33.
const MAX_SECRET: usize = 1024;

/// Why the key file could not do the job.
#[derive(Debug)]
pub(super) enum Failure {
    /// This path cannot do it: the key file is unreadable or lacks a usable key (missing,
    /// locked), or sequoia cannot parse the message. gpg may still succeed.
    Unavailable(String),
    /// The key file holds the key but the operation failed for good: the message is corrupt,
    /// or the certificate cannot encrypt. gpg would fail too.
    Final(String),
}

/// Reads every certificate of an armored (or binary) key file, merging duplicates.
pub(super) fn read_certs(path: &Path) -> Result<Vec<Cert>, String> {
    let bytes = Zeroizing::new(
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    );
    let mut certs: Vec<Cert> = Vec::new();
    for block in armor_blocks(&bytes) {
        let parser = CertParser::from_bytes(block)
            .map_err(|e| format!("{}: not an OpenPGP key file: {}", path.display(), e))?;
        for cert in parser {
            let cert = cert.map_err(|e| format!("{}: unreadable key: {}", path.display(), e))?;
            match certs
                .iter()
                .position(|c| c.fingerprint() == cert.fingerprint())
            {
                Some(i) => {
                    let old = certs.swap_remove(i);
                    let merged = old
                        .merge_public_and_secret(cert)
                        .map_err(|e| format!("{}: {}", path.display(), e))?;
                    certs.push(merged);
                }
                None => certs.push(cert),
            }
        }
    }
    if certs.is_empty() {
        return Err(format!("{}: no OpenPGP keys found", path.display()));
    }
    Ok(certs)
}

/// Splits concatenated ASCII-armor blocks; binary input is one block.
fn armor_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(BEGIN) && (i == 0 || bytes[i - 1] == b'\n'))
        .collect();
    if starts.is_empty() {
        return vec![bytes];
    }
    starts
        .iter()
        .enumerate()
        .map(|(n, &s)| &bytes[s..starts.get(n + 1).copied().unwrap_or(bytes.len())])
        .collect()
}

/// Opens an armored message with the secret keys of `path`.
pub(super) fn decrypt(
    path: &Path,
    passphrase: Option<&str>,
    armored: &str,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let certs = read_certs(path).map_err(Failure::Unavailable)?;
    let mut raw = Vec::new();
    armor::Reader::from_bytes(armored.trim().as_bytes(), ReaderMode::Tolerant(None))
        .read_to_end(&mut raw)
        .map_err(|e| Failure::Unavailable(format!("not an armored OpenPGP message: {e}")))?;
    let binary = legacy::normalize(&raw).unwrap_or(raw);

    let mut policy = StandardPolicy::new();
    // Deprecated for new messages, but old GnuPG chose them and gpg still reads them.
    #[allow(deprecated)]
    for algo in [
        SymmetricAlgorithm::IDEA,
        SymmetricAlgorithm::TripleDES,
        SymmetricAlgorithm::CAST5,
    ] {
        policy.accept_symmetric_algo(algo);
    }
    let session = Arc::new(Mutex::new(None));
    let helper = Helper {
        certs,
        passphrase: passphrase.map(|p| Password::from(p.as_bytes())),
        locked: Vec::new(),
        session: session.clone(),
    };
    // Once a session key opened the message, only Go's framing can still be in the way
    // (`legacy`); otherwise the message is corrupt and gpg would fail too.
    let broken = |e: &dyn std::fmt::Display| {
        let reason = format!("cannot decrypt the message: {e}");
        let opened = session.lock().ok().and_then(|mut s| s.take());
        match opened {
            Some((algo, key)) => legacy::open_seipd_v1(&binary, algo, &key, MAX_SECRET)
                .map_err(|e| Failure::Final(format!("{reason} ({e})"))),
            None => Err(Failure::Unavailable(reason)),
        }
    };
    let out = match DecryptorBuilder::from_bytes(&binary[..])
        .and_then(|b| b.with_policy(&policy, None, helper))
    {
        Ok(mut decryptor) => {
            let mut out = Zeroizing::new(Vec::new());
            match (&mut decryptor)
                .take(MAX_SECRET as u64 + 1)
                .read_to_end(&mut out)
            {
                Ok(_) => out,
                Err(e) => broken(&e)?,
            }
        }
        // The helper's own verdict explains a missing key better than sequoia's error.
        Err(e) => match e.chain().find_map(|c| c.downcast_ref::<NoKeyError>()) {
            Some(n) => return Err(Failure::Unavailable(n.0.clone())),
            None => broken(&e)?,
        },
    };
    if out.is_empty() {
        return Err(Failure::Final("the message holds no data".into()));
    }
    if out.len() > MAX_SECRET {
        return Err(Failure::Final(
            "the message holds far more than a data key".into(),
        ));
    }
    Ok(out)
}

/// The helper's "no usable key" verdict, carried through `DecryptorBuilder::with_policy`.
#[derive(Debug)]
struct NoKeyError(String);

impl std::fmt::Display for NoKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoKeyError {}

struct Helper {
    certs: Vec<Cert>,
    passphrase: Option<Password>,
    /// Key IDs of matching secret keys that stayed locked (no or a wrong passphrase).
    locked: Vec<String>,
    /// The session key that opened the message, if one did.
    session: Arc<Mutex<Option<(SymmetricAlgorithm, SessionKey)>>>,
}

impl VerificationHelper for Helper {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(Vec::new())
    }

    fn check(&mut self, _structure: MessageStructure) -> openpgp::Result<()> {
        // SOPS data keys are never signed; a signature would not be checked by SOPS either.
        Ok(())
    }
}

impl DecryptionHelper for Helper {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        for pkesk in pkesks {
            let recipient = pkesk.recipient();
            for cert in &self.certs {
                for ka in cert.keys().secret() {
                    let key = ka.key();
                    // A missing recipient is an anonymous ("wildcard") PKESK: try every key.
                    if let Some(r) = &recipient {
                        if !r.aliases(key.key_handle()) {
                            continue;
                        }
                    }
                    let key = if key.has_unencrypted_secret() {
                        key.clone()
                    } else {
                        let unlocked = self
                            .passphrase
                            .as_ref()
                            .and_then(|p| key.clone().decrypt_secret(p).ok());
                        match unlocked {
                            Some(k) => k,
                            None => {
                                self.locked.push(key.keyid().to_hex());
                                continue;
                            }
                        }
                    };
                    let Ok(mut pair) = key.into_keypair() else {
                        continue;
                    };
                    if let Some((algo, session_key)) = pkesk.decrypt(&mut pair, sym_algo) {
                        if decrypt(algo, &session_key) {
                            if let (Some(algo), Ok(mut s)) = (algo, self.session.lock()) {
                                *s = Some((algo, session_key));
                            }
                            return Ok(Some(cert.clone()));
                        }
                    }
                }
            }
        }
        Err(NoKeyError(self.verdict(pkesks)).into())
    }
}

impl Helper {
    /// Why no key opened the message, naming the key IDs involved (never key material).
    fn verdict(&self, pkesks: &[PKESK]) -> String {
        if !self.locked.is_empty() {
            let ids = self.locked.join(", ");
            return if self.passphrase.is_some() {
                format!(
                    "wrong passphrase in {} for key {ids}",
                    super::PASSPHRASE_VAR
                )
            } else {
                format!(
                    "secret key {ids} is passphrase-protected; set {} to unlock it",
                    super::PASSPHRASE_VAR
                )
            };
        }
        let wanted: Vec<String> = pkesks
            .iter()
            .map(|p| match p.recipient() {
                Some(h) => h.to_hex(),
                None => "anonymous recipient".into(),
            })
            .collect();
        format!(
            "no secret key for this message (encrypted to {})",
            wanted.join(", ")
        )
    }
}

/// Encrypts `secret` to the certificate of `path` matching `fingerprint`. The armor is
/// trimmed like gpg's output under SOPS.
pub(super) fn encrypt(path: &Path, fingerprint: &str, secret: &[u8]) -> Result<String, Failure> {
    let certs = read_certs(path).map_err(Failure::Unavailable)?;
    let hex = hex_part(fingerprint);
    let wanted = hex
        .parse::<KeyHandle>()
        .map_err(|_| Failure::Final("not a hex fingerprint".into()))?;
    let exact = fingerprint.ends_with('!');
    // gpg (and so SOPS) still encrypts to 1024-bit RSA keys, such as upstream's own test key
    // 2; refusing them here would make a file's keys depend on whether gpg is installed.
    let mut policy = StandardPolicy::new();
    policy.accept_asymmetric_algo(AsymmetricAlgorithm::RSA1024);
    let Some(cert) = certs
        .iter()
        .find(|c| c.keys().any(|k| k.key().key_handle().aliases(&wanted)))
    else {
        return Err(Failure::Unavailable(format!(
            "{} holds no such key",
            path.display()
        )));
    };
    let primary = cert.key_handle().aliases(&wanted);
    let valid = cert.with_policy(&policy, None).map_err(|e| {
        Failure::Final(format!(
            "certificate in {} is not usable: {e}",
            path.display()
        ))
    })?;
    let recipients: Vec<_> = valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption()
        .for_storage_encryption()
        .filter(|k| (primary && !exact) || k.key().key_handle().aliases(&wanted))
        .collect();
    if recipients.is_empty() {
        return Err(Failure::Final(format!(
            "the certificate in {} has no valid encryption subkey \
             (expired, revoked, or too weak for sequoia's standard policy)",
            path.display()
        )));
    }
    let mut out = Vec::new();
    let message = Armorer::new(Message::new(&mut out)).build().map_err(fail)?;
    let message = Encryptor::for_recipients(message, recipients)
        .build()
        .map_err(fail)?;
    let mut message = LiteralWriter::new(message).build().map_err(fail)?;
    message.write_all(secret).map_err(fail)?;
    message.finalize().map_err(fail)?;
    let text = String::from_utf8(out).map_err(|_| fail("armor is not ASCII"))?;
    Ok(text.trim().replace("\r\n", "\n"))
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::Final(format!("OpenPGP encryption failed: {e}"))
}
