//! `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`: the one place that touches the cipher.
//!
//! SOPS uses GCM with a 32-byte nonce (J0 derived through GHASH), keeps the tag in its own
//! field, and types the plaintext. The [`Cipher`] also keeps SOPS's *IV stash*: every value it
//! decrypts remembers its IV under `(AAD, typed plaintext)`, and re-encrypting an equal pair
//! reuses it. Since GCM is deterministic for a fixed key/IV/AAD/plaintext, unchanged values
//! come back byte-identical and git diffs stay one line per changed value.

use std::collections::HashMap;

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;

use super::datakey::DataKey;
use super::scalar::{format_float_f, Timestamp};
use super::tree::{Comment, Value};

type SopsGcm = AesGcm<Aes256, U32>;

const PREFIX: &str = "ENC[AES256_GCM,data:";
const TAG_LEN: usize = 16;

/// Why a value could not be decrypted (the caller adds the key path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// Not of the form `ENC[AES256_GCM,...]`, or bad base64.
    Malformed,
    /// GCM authentication failed: changed ciphertext, IV, tag, AAD or wrong key.
    Authentication,
    UnknownType(String),
    /// The plaintext does not parse as its declared type.
    BadPlaintext(&'static str),
    /// The value cannot be encrypted (e.g. a mapping).
    Unsupported(&'static str),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::Malformed => f.write_str("does not match sops' data format"),
            CodecError::Authentication => f.write_str(
                "authentication failed (the value, its IV or tag was changed, or it was moved)",
            ),
            CodecError::UnknownType(t) => write!(f, "unknown datatype {t:?}"),
            CodecError::BadPlaintext(t) => write!(f, "decrypted value is not a valid {t}"),
            CodecError::Unsupported(k) => write!(f, "values of kind {k} cannot be encrypted"),
        }
    }
}

/// A value's SOPS type name and the exact bytes that are encrypted and hashed.
pub fn typed_plaintext(v: &Value) -> Result<(&'static str, Vec<u8>), CodecError> {
    Ok(match v {
        Value::Str(s) => ("str", s.as_bytes().to_vec()),
        Value::Bytes(b) => ("str", b.clone()),
        Value::Int(i) => ("int", i.to_string().into_bytes()),
        Value::Float(f) => ("float", format_float_f(*f).into_bytes()),
        Value::Bool(b) => ("bool", if *b { "True" } else { "False" }.into()),
        Value::Time(t) => ("time", t.to_rfc3339_nano().into_bytes()),
        Value::LocalDateTime(t) => ("datetime", t.as_bytes().to_vec()),
        Value::Comment(c) => ("comment", c.text.as_bytes().to_vec()),
        Value::Null => return Err(CodecError::Unsupported("null")),
        Value::Map(_) => return Err(CodecError::Unsupported("mapping")),
        Value::Seq(_) => return Err(CodecError::Unsupported("sequence")),
    })
}

/// The parts of an `ENC[...]` string.
struct Parsed<'a> {
    data: Vec<u8>,
    iv: Vec<u8>,
    tag: Vec<u8>,
    ty: &'a str,
}

fn parse_enc(s: &str) -> Result<Parsed<'_>, CodecError> {
    // Mirrors upstream's `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]` (greedy).
    let rest = s.strip_prefix(PREFIX).ok_or(CodecError::Malformed)?;
    let end = rest.rfind(']').ok_or(CodecError::Malformed)?;
    let body = &rest[..end];
    let ti = body.rfind(",type:").ok_or(CodecError::Malformed)?;
    let gi = body[..ti].rfind(",tag:").ok_or(CodecError::Malformed)?;
    let ii = body[..gi].rfind(",iv:").ok_or(CodecError::Malformed)?;
    let (data, iv, tag, ty) = (
        &body[..ii],
        &body[ii + 4..gi],
        &body[gi + 5..ti],
        &body[ti + 6..],
    );
    if data.is_empty() || iv.is_empty() || tag.is_empty() || ty.is_empty() {
        return Err(CodecError::Malformed);
    }
    let dec = |x: &str| B64.decode(x).map_err(|_| CodecError::Malformed);
    Ok(Parsed {
        data: dec(data)?,
        iv: dec(iv)?,
        tag: dec(tag)?,
        ty,
    })
}

/// True if `s` looks like an encrypted SOPS value.
pub fn is_enc(s: &str) -> bool {
    s.starts_with(PREFIX)
}

/// Go `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn decode_typed(ty: &str, pt: Vec<u8>) -> Result<Value, CodecError> {
    let text = |pt: Vec<u8>, t: &'static str| {
        String::from_utf8(pt).map_err(|_| CodecError::BadPlaintext(t))
    };
    Ok(match ty {
        "str" => match String::from_utf8(pt) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        "bytes" => Value::Bytes(pt),
        "int" => {
            let s = text(pt, "int")?;
            let t = s.strip_prefix('+').unwrap_or(&s);
            Value::Int(t.parse().map_err(|_| CodecError::BadPlaintext("int"))?)
        }
        "float" => {
            let s = text(pt, "float")?;
            Value::Float(
                s.replace('_', "")
                    .parse()
                    .map_err(|_| CodecError::BadPlaintext("float"))?,
            )
        }
        "bool" => {
            Value::Bool(parse_go_bool(&text(pt, "bool")?).ok_or(CodecError::BadPlaintext("bool"))?)
        }
        "time" => Value::Time(
            Timestamp::parse_rfc3339(&text(pt, "time")?).ok_or(CodecError::BadPlaintext("time"))?,
        ),
        "comment" => Value::Comment(Comment::new(text(pt, "comment")?)),
        "datetime" => Value::LocalDateTime(text(pt, "datetime")?),
        other => return Err(CodecError::UnknownType(other.to_string())),
    })
}

/// A digest of `(AAD, type, plaintext)`: the stash remembers IVs without keeping a second
/// copy of every plaintext in memory.
type StashKey = [u8; 32];

fn stash_key(aad: &str, ty: &str, pt: &[u8]) -> StashKey {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [aad.as_bytes(), ty.as_bytes(), pt] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// AES-256-GCM under one file's data key, with the IV stash.
pub struct Cipher {
    gcm: SopsGcm,
    stash: HashMap<StashKey, [u8; 32]>,
}

impl Cipher {
    pub fn new(key: &DataKey) -> Self {
        Cipher {
            gcm: SopsGcm::new(key.as_bytes().into()),
            stash: HashMap::new(),
        }
    }

    /// Encrypts a leaf. Empty strings and empty comments stay `""`, as upstream.
    pub fn encrypt(&self, v: &Value, aad: &str) -> Result<String, CodecError> {
        let (ty, pt) = typed_plaintext(v)?;
        if pt.is_empty() && matches!(ty, "str" | "comment") {
            return Ok(String::new());
        }
        let iv = match self.stash.get(&stash_key(aad, ty, &pt)) {
            Some(iv) => *iv,
            None => {
                let mut iv = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut iv);
                iv
            }
        };
        Ok(self.seal(&pt, &iv, aad.as_bytes(), ty))
    }

    /// Encrypts raw bytes with a given IV (test vectors, the MAC).
    pub fn seal(&self, pt: &[u8], iv: &[u8; 32], aad: &[u8], ty: &str) -> String {
        let mut ct = self
            .gcm
            .encrypt(iv.into(), Payload { msg: pt, aad })
            .expect("AES-GCM encryption of in-memory data cannot fail");
        let tag = ct.split_off(ct.len() - TAG_LEN);
        format!(
            "{PREFIX}{},iv:{},tag:{},type:{ty}]",
            B64.encode(&ct),
            B64.encode(iv),
            B64.encode(&tag)
        )
    }

    /// Decrypts a leaf string. `""` decrypts to `""`. The IV is stashed for re-encryption.
    pub fn decrypt(&mut self, s: &str, aad: &str) -> Result<Value, CodecError> {
        if s.is_empty() {
            return Ok(Value::Str(String::new()));
        }
        let p = parse_enc(s)?;
        let pt = self.open(&p, aad.as_bytes())?;
        // Keyed like `encrypt` looks it up: the value's type name and its stored plaintext.
        let ty = match p.ty {
            "bytes" => "str",
            t => t,
        };
        let key = stash_key(aad, ty, &pt);
        let value = decode_typed(p.ty, pt)?;
        if let Ok(iv) = <[u8; 32]>::try_from(p.iv.as_slice()) {
            self.stash.insert(key, iv);
        }
        Ok(value)
    }

    fn open(&self, p: &Parsed<'_>, aad: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut msg = Vec::with_capacity(p.data.len() + p.tag.len());
        msg.extend_from_slice(&p.data);
        msg.extend_from_slice(&p.tag);
        if p.iv.len() == 32 {
            return self
                .gcm
                .decrypt(p.iv.as_slice().into(), Payload { msg: &msg, aad })
                .map_err(|_| CodecError::Authentication);
        }
        // Any other IV length is legal in the format; SOPS itself only ever wrote 32 bytes.
        Err(CodecError::Malformed)
    }

    /// Decrypts a string whose type must be `str` and returns its bytes (the MAC).
    pub fn decrypt_str(&self, s: &str, aad: &str) -> Result<Vec<u8>, CodecError> {
        let p = parse_enc(s)?;
        let pt = self.open(&p, aad.as_bytes())?;
        if p.ty != "str" {
            return Err(CodecError::UnknownType(p.ty.to_string()));
        }
        Ok(pt)
    }

    /// Encrypts a `str` with a fresh IV (the MAC).
    pub fn encrypt_str(&self, s: &str, aad: &str) -> String {
        let mut iv = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        self.seal(s.as_bytes(), &iv, aad.as_bytes(), "str")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn upstream_vector_and_empty_aad() {
        let key = DataKey::from_slice(&[b'f'; 32]).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/vectors.json")).unwrap();
        let vec = &v["upstream_decrypt_vector"];
        let enc = vec["enc"].as_str().unwrap();
        let mut c = Cipher::new(&key);
        assert_eq!(c.decrypt(enc, "bar:").unwrap(), Value::from("foo"));
        assert_eq!(c.decrypt(enc, ""), Err(CodecError::Authentication));
    }

    #[test]
    fn value_encryption_vectors() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/vectors.json")).unwrap();
        let rows = v["value_encryption"]["vectors"].as_array().unwrap();
        assert!(rows.len() >= 6);
        for row in rows {
            let key = DataKey::from_slice(&hex(row["key_hex"].as_str().unwrap())).unwrap();
            let iv: [u8; 32] = hex(row["iv_hex"].as_str().unwrap()).try_into().unwrap();
            let pt = row["plaintext_bytes_utf8"].as_str().unwrap();
            let ty = row["type"].as_str().unwrap();
            let aad = row["aad"].as_str().unwrap();
            let mut c = Cipher::new(&key);
            let expected = row["expected"].as_str().unwrap();
            assert_eq!(c.seal(pt.as_bytes(), &iv, aad.as_bytes(), ty), expected);
            let back = c.decrypt(expected, aad).unwrap();
            assert_eq!(
                typed_plaintext(&back).unwrap(),
                (ty_static(ty), pt.as_bytes().to_vec())
            );
            // The stash makes re-encryption of the decrypted value byte-identical.
            assert_eq!(c.encrypt(&back, aad).unwrap(), expected);
        }
    }

    fn ty_static(t: &str) -> &'static str {
        ["str", "int", "float", "bool", "time", "comment"]
            .into_iter()
            .find(|x| *x == t)
            .unwrap()
    }

    #[test]
    fn tampering_and_malformed_inputs_fail() {
        let key = DataKey::generate();
        let mut c = Cipher::new(&key);
        let enc = c.encrypt(&Value::from("secret"), "a:").unwrap();
        assert_eq!(c.decrypt(&enc, "b:"), Err(CodecError::Authentication));
        let flipped = enc.replacen("data:", "data:A", 1);
        assert!(c.decrypt(&flipped, "a:").is_err());
        assert_eq!(c.decrypt("plain", "a:"), Err(CodecError::Malformed));
        assert_eq!(c.decrypt("", "a:"), Ok(Value::from("")));
        assert_eq!(c.encrypt(&Value::from(""), "a:").unwrap(), "");
        let other = Cipher::new(&DataKey::generate())
            .encrypt(&Value::Int(1), "a:")
            .unwrap();
        assert_eq!(c.decrypt(&other, "a:"), Err(CodecError::Authentication));
    }

    #[test]
    fn fresh_values_get_fresh_ivs_and_types_round_trip() {
        let c0 = Cipher::new(&DataKey::generate());
        let a = c0.encrypt(&Value::from("x"), "k:").unwrap();
        let b = c0.encrypt(&Value::from("x"), "k:").unwrap();
        assert_ne!(a, b);
        let mut c = c0;
        for v in [
            Value::Int(-7),
            Value::Float(1e21),
            Value::Bool(false),
            Value::Time(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap()),
            Value::Comment(Comment::new(" hi")),
            Value::Bytes(vec![0, 0xff]),
        ] {
            let e = c.encrypt(&v, "k:").unwrap();
            let d = c.decrypt(&e, "k:").unwrap();
            assert_eq!(typed_plaintext(&d).unwrap(), typed_plaintext(&v).unwrap());
        }
    }
}
