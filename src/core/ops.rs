//! The whole-file operations as functions over documents and metadata, so the CLI only does
//! I/O around them: open (unwrap the key, decrypt, verify the MAC) and seal (encrypt, stamp
//! `lastmodified`, store the MAC).

use super::codec::Cipher;
use super::datakey::DataKey;
use super::error::Result;
use super::keys::recover_data_key;
use super::metadata::Metadata;
use super::scalar::Timestamp;
use super::tree::Document;
use super::walk::{decrypt_docs, encrypt_docs, seal_mac, verify_mac};

/// A decrypted file: the data key and the cipher that remembers every IV (so a later
/// [`seal`] keeps unchanged values byte-identical).
pub struct Opened {
    pub key: DataKey,
    pub cipher: Cipher,
    pub warnings: Vec<String>,
}

/// Unwraps the data key (one backend call per key tried), decrypts in place and checks the
/// MAC unless `ignore_mac`. On error the documents may be half-decrypted: callers must not
/// print them.
pub fn open(
    docs: &mut [Document],
    meta: &Metadata,
    order: &[String],
    ignore_mac: bool,
) -> Result<Opened> {
    let key = recover_data_key(&meta.key_groups, meta.shamir_threshold, order)?;
    open_with_key(docs, meta, key, ignore_mac)
}

/// [`open`] with a known data key.
pub fn open_with_key(
    docs: &mut [Document],
    meta: &Metadata,
    key: DataKey,
    ignore_mac: bool,
) -> Result<Opened> {
    let mut cipher = Cipher::new(&key);
    let walked = decrypt_docs(
        docs,
        &meta.selection(),
        meta.mac_only_encrypted,
        &mut cipher,
    )?;
    if !ignore_mac {
        verify_mac(&cipher, &meta.mac, &meta.lastmodified, &walked.mac)?;
    }
    Ok(Opened {
        key,
        cipher,
        warnings: walked.warnings,
    })
}

/// Encrypts in place with `cipher`, sets `lastmodified` to now and stores the new MAC.
pub fn seal(docs: &mut [Document], meta: &mut Metadata, cipher: &mut Cipher) -> Result<()> {
    let walked = encrypt_docs(docs, &meta.selection(), meta.mac_only_encrypted, cipher)?;
    meta.lastmodified = Timestamp::now_utc();
    meta.mac = seal_mac(cipher, &walked.mac, &meta.lastmodified);
    Ok(())
}
