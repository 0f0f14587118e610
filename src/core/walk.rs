//! The one traversal of the tree. Encryption and decryption are the same walk in two
//! directions: it tracks the AAD path, the comment context of the comment rules and the MAC,
//! and asks the [`Selection`] rule about every leaf. Keeping it in one place is what keeps the
//! decisions on decrypt identical to those made on encrypt.

use sha2::{Digest, Sha256, Sha512};

use super::codec::{is_enc, typed_plaintext, Cipher, CodecError};
use super::error::{Error, Result};
use super::rules::Selection;
use super::scalar::Timestamp;
use super::tree::{Comment, Document, Item, Map, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Encrypt,
    Decrypt,
}

enum Seg {
    Key(usize),
    Index(usize),
}

/// Result of a walk: the MAC over the plaintext and any non-fatal notes for the user.
#[derive(Debug, Default)]
pub struct Walked {
    /// Uppercase hex SHA-512 (128 chars).
    pub mac: String,
    pub warnings: Vec<String>,
}

struct Walker<'a> {
    mode: Mode,
    sel: &'a Selection,
    mac_only: bool,
    cipher: &'a mut Cipher,
    hasher: Sha512,
    /// `k1:k2:…:` of the current container.
    aad: String,
    /// Where each key starts in `aad` (for truncation).
    aad_marks: Vec<usize>,
    /// How many keys on the current path match the suffix/regex rule.
    matched: usize,
    /// Human-readable path for errors: keys (as `aad` ranges are lossy) and indices.
    segs: Vec<Seg>,
    keys: Vec<String>,
    /// Active comments of each container being walked (comment rules only).
    comments: Vec<Vec<String>>,
    warnings: Vec<String>,
}

/// Encrypts every leaf the rule selects, in place, and returns the MAC of the plaintext.
pub fn encrypt_docs(
    docs: &mut [Document],
    sel: &Selection,
    mac_only: bool,
    cipher: &mut Cipher,
) -> Result<Walked> {
    Walker::new(Mode::Encrypt, sel, mac_only, cipher).run(docs)
}

/// Decrypts in place every leaf the rule says is encrypted, and returns the MAC computed over
/// the decrypted values (to compare with the stored one).
pub fn decrypt_docs(
    docs: &mut [Document],
    sel: &Selection,
    mac_only: bool,
    cipher: &mut Cipher,
) -> Result<Walked> {
    Walker::new(Mode::Decrypt, sel, mac_only, cipher).run(docs)
}

impl<'a> Walker<'a> {
    fn new(mode: Mode, sel: &'a Selection, mac_only: bool, cipher: &'a mut Cipher) -> Self {
        let mut hasher = Sha512::new();
        if mac_only {
            hasher.update(Sha256::digest(b"sops"));
        }
        Walker {
            mode,
            sel,
            mac_only,
            cipher,
            hasher,
            aad: String::new(),
            aad_marks: Vec::new(),
            matched: 0,
            segs: Vec::new(),
            keys: Vec::new(),
            comments: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn run(mut self, docs: &mut [Document]) -> Result<Walked> {
        for doc in docs.iter_mut() {
            self.map(doc)?;
        }
        let mac = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        Ok(Walked {
            mac,
            warnings: self.warnings,
        })
    }

    /// `["a"]["b"][0]`: the `--extract` syntax, so users can paste it back.
    fn path(&self) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Key(i) => out.push_str(&format!("[{:?}]", self.keys[*i])),
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() {
            out.push_str("top level");
        }
        out
    }

    fn enter_key(&mut self, key: &str) {
        self.aad_marks.push(self.aad.len());
        self.aad.push_str(key);
        self.aad.push(':');
        let m = self.key_matches(key);
        self.matched += m as usize;
        self.keys.push(key.to_string());
        self.segs.push(Seg::Key(self.keys.len() - 1));
    }

    fn leave_key(&mut self) {
        let mark = self.aad_marks.pop().expect("balanced");
        let key_len = self.aad.len() - mark - 1;
        let matched = self.key_matches(&self.aad[mark..mark + key_len]);
        self.matched -= matched as usize;
        self.aad.truncate(mark);
        self.keys.pop();
        self.segs.pop();
    }

    fn key_matches(&self, key: &str) -> bool {
        match self.sel {
            Selection::UnencryptedSuffix(s) | Selection::EncryptedSuffix(s) => {
                key.ends_with(s.as_str())
            }
            Selection::UnencryptedRegex(r) | Selection::EncryptedRegex(r) => r.is_match(key),
            _ => false,
        }
    }

    /// The AAD of the current container: `":"` at the top level.
    fn aad(&self) -> &str {
        if self.aad.is_empty() {
            ":"
        } else {
            &self.aad
        }
    }

    /// The rule's decision for the current position; `own` marks a comment deciding itself
    /// (it is the last entry of the innermost context list).
    fn decide(&self, own: bool) -> bool {
        match self.sel {
            Selection::UnencryptedSuffix(_) | Selection::UnencryptedRegex(_) => self.matched == 0,
            Selection::EncryptedSuffix(_) | Selection::EncryptedRegex(_) => self.matched > 0,
            Selection::UnencryptedCommentRegex(r) => {
                !self.comments.iter().flatten().any(|c| r.is_match(c))
            }
            Selection::EncryptedCommentRegex(r) => {
                let last = self.comments.len().wrapping_sub(1);
                self.comments.iter().enumerate().any(|(li, list)| {
                    list.iter().enumerate().any(|(ci, c)| {
                        let is_own = own && li == last && ci + 1 == list.len();
                        !is_own && r.is_match(c)
                    })
                })
            }
        }
    }

    fn note_comment(&mut self, text: &str) {
        if self.sel.uses_comments() {
            if let Some(list) = self.comments.last_mut() {
                list.push(text.to_string());
            }
        }
    }

    fn clear_comments(&mut self) {
        if let Some(list) = self.comments.last_mut() {
            list.clear();
        }
    }

    fn map(&mut self, map: &mut Map) -> Result<()> {
        self.comments.push(Vec::new());
        for item in map.items.iter_mut() {
            match item {
                Item::Comment(c) => {
                    self.note_comment(&c.text);
                    self.map_comment(c)?;
                }
                Item::Entry(k, v) => {
                    self.enter_key(k);
                    self.value(v)?;
                    self.leave_key();
                    self.clear_comments();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn seq(&mut self, seq: &mut [Value]) -> Result<()> {
        self.comments.push(Vec::new());
        for (i, el) in seq.iter_mut().enumerate() {
            self.segs.push(Seg::Index(i));
            let was_comment = if let Value::Comment(c) = el {
                self.note_comment(&c.text);
                true
            } else {
                false
            };
            match el {
                Value::Map(_) | Value::Seq(_) | Value::Null => self.value(el)?,
                _ => self.leaf(el, was_comment)?,
            }
            match el {
                // An encrypted comment element decrypted back into a comment (spec §9).
                Value::Comment(c) if !was_comment => self.note_comment(&c.text.clone()),
                _ if was_comment => {}
                _ => self.clear_comments(),
            }
            self.segs.pop();
        }
        self.comments.pop();
        Ok(())
    }

    fn value(&mut self, v: &mut Value) -> Result<()> {
        match v {
            Value::Map(m) => self.map(m),
            Value::Seq(s) => self.seq(s),
            Value::Null => Ok(()),
            _ => self.leaf(v, false),
        }
    }

    fn hash(&mut self, plain: &Value, encrypted: bool) {
        if matches!(plain, Value::Comment(_) | Value::Null) || (self.mac_only && !encrypted) {
            return;
        }
        if let Ok((_, bytes)) = typed_plaintext(plain) {
            self.hasher.update(&bytes);
        }
    }

    fn codec_err(&self, e: CodecError) -> Error {
        match e {
            CodecError::Malformed => Error::BadEncValue { path: self.path() },
            other => Error::Decrypt {
                path: self.path(),
                reason: other.to_string(),
            },
        }
    }

    /// A scalar leaf or a comment element of a sequence.
    fn leaf(&mut self, v: &mut Value, own_comment: bool) -> Result<()> {
        let encrypted = self.decide(own_comment);
        match self.mode {
            Mode::Encrypt => {
                self.hash(v, encrypted);
                if !encrypted {
                    return Ok(());
                }
                let enc = self
                    .cipher
                    .encrypt(v, self.aad())
                    .map_err(|e| Error::Encrypt {
                        path: self.path(),
                        reason: e.to_string(),
                    })?;
                match v {
                    // Keep an empty comment a comment rather than turning it into "".
                    Value::Comment(c) if enc.is_empty() => c.text.clear(),
                    Value::Comment(_) => {
                        self.check_comment_enc(&enc)?;
                        *v = Value::Str(enc);
                    }
                    _ => *v = Value::Str(enc),
                }
                Ok(())
            }
            Mode::Decrypt => {
                if encrypted {
                    let plain = match v {
                        Value::Str(s) => {
                            let aad = self.aad().to_string();
                            self.cipher
                                .decrypt(s, &aad)
                                .map_err(|e| self.codec_err(e))?
                        }
                        Value::Comment(c) => match self.decrypt_comment(c)? {
                            Some(c) => Value::Comment(c),
                            None => return Ok(()),
                        },
                        other => {
                            return Err(Error::Decrypt {
                                path: self.path(),
                                reason: format!(
                                    "expected an encrypted value (a string), found a {}",
                                    other.kind_name()
                                ),
                            })
                        }
                    };
                    *v = plain;
                }
                let v = &*v;
                self.hash(v, encrypted);
                Ok(())
            }
        }
    }

    /// Decrypts a comment's text. A clear comment where an encrypted one is expected is kept
    /// (files from before comment encryption); an `ENC[...]` comment that fails is tampering.
    fn decrypt_comment(&mut self, c: &Comment) -> Result<Option<Comment>> {
        if !is_enc(&c.text) {
            if !c.text.trim().is_empty() {
                self.warnings.push(format!(
                    "comment at {} is not encrypted although the rules say it should be; kept as is",
                    self.path()
                ));
            }
            return Ok(None);
        }
        let aad = self.aad().to_string();
        match self.cipher.decrypt(&c.text, &aad) {
            Ok(Value::Comment(d)) => Ok(Some(d)),
            Ok(_) => Err(Error::Decrypt {
                path: format!("{} (comment)", self.path()),
                reason: "encrypted comment does not have type comment".into(),
            }),
            Err(e) => Err(Error::Decrypt {
                path: format!("{} (comment)", self.path()),
                reason: e.to_string(),
            }),
        }
    }

    fn check_comment_enc(&self, enc: &str) -> Result<()> {
        if let Selection::UnencryptedCommentRegex(r) = self.sel {
            if r.is_match(enc) {
                return Err(Error::Encrypt {
                    path: format!("{} (comment)", self.path()),
                    reason: "the encrypted comment would match unencrypted_comment_regex".into(),
                });
            }
        }
        Ok(())
    }

    /// A comment item of a mapping (it stays a comment item either way).
    fn map_comment(&mut self, c: &mut Comment) -> Result<()> {
        let encrypted = self.decide(true);
        if !encrypted {
            return Ok(());
        }
        match self.mode {
            Mode::Encrypt => {
                let enc = self
                    .cipher
                    .encrypt(&Value::Comment(c.clone()), self.aad())
                    .map_err(|e| Error::Encrypt {
                        path: self.path(),
                        reason: e.to_string(),
                    })?;
                if !enc.is_empty() {
                    self.check_comment_enc(&enc)?;
                }
                c.text = enc;
            }
            Mode::Decrypt => {
                if let Some(d) = self.decrypt_comment(c)? {
                    *c = d;
                }
            }
        }
        Ok(())
    }
}

/// Encrypts the MAC for storage: AAD = `lastmodified` as RFC 3339.
pub fn seal_mac(cipher: &Cipher, mac: &str, lastmodified: &Timestamp) -> String {
    cipher.encrypt_str(mac, &lastmodified.to_rfc3339())
}

/// Checks the stored MAC against the computed one.
pub fn verify_mac(
    cipher: &Cipher,
    stored: &str,
    lastmodified: &Timestamp,
    computed: &str,
) -> Result<()> {
    if stored.is_empty() {
        return Err(Error::MacMismatch {
            stored: "no MAC".into(),
            computed: computed.into(),
        });
    }
    let plain = cipher
        .decrypt_str(stored, &lastmodified.to_rfc3339())
        .map_err(|_| Error::MacUndecryptable)?;
    if plain != computed.as_bytes() {
        return Err(Error::MacMismatch {
            stored: String::from_utf8_lossy(&plain).into_owned(),
            computed: computed.into(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
