//! The whole-file operations as functions over documents and metadata, so the CLI only does
//! I/O around them: open (unwrap the key, decrypt, verify the MAC) and seal (encrypt, stamp
//! `lastmodified`, store the MAC).

use super::codec::Cipher;
use super::datakey::DataKey;
use super::error::Result;
use super::keys::recover_data_key;
use super::metadata::Metadata;
use super::scalar::Timestamp;
use super::tree::{Document, Item, Map, Value};
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

/// Gives comments of `new` the `inline` flag of the equal comment of `old` at the same place.
///
/// Decrypting an encrypted YAML comment loses its `inline` flag (an upstream quirk, spec
/// §8.1), while a plaintext file parsed afresh has it. Without this, `encrypt --onto` would
/// see a change (and draw a new IV) for every inline comment on every run. Mappings are
/// matched by key, comments by text within their mapping, sequence elements by position.
pub fn adopt_comment_flags(new: &mut [Document], old: &[Document]) {
    for (n, o) in new.iter_mut().zip(old) {
        adopt_map(n, o);
    }
}

fn adopt_map(new: &mut Map, old: &Map) {
    let mut used = vec![false; old.items.len()];
    for item in &mut new.items {
        match item {
            Item::Entry(k, v) => {
                if let Some(ov) = old.get(k) {
                    adopt_value(v, ov);
                }
            }
            Item::Comment(c) => {
                let hit = old.items.iter().enumerate().position(|(i, oi)| {
                    !used[i] && matches!(oi, Item::Comment(oc) if oc.text == c.text)
                });
                if let Some(i) = hit {
                    used[i] = true;
                    if let Item::Comment(oc) = &old.items[i] {
                        c.inline = oc.inline;
                    }
                }
            }
        }
    }
}

fn adopt_value(new: &mut Value, old: &Value) {
    match (new, old) {
        (Value::Map(n), Value::Map(o)) => adopt_map(n, o),
        (Value::Seq(n), Value::Seq(o)) => {
            for (ne, oe) in n.iter_mut().zip(o) {
                adopt_value(ne, oe);
            }
        }
        (Value::Comment(n), Value::Comment(o)) if n.text == o.text => n.inline = o.inline,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tree::Comment;

    #[test]
    fn comment_flags_follow_the_old_tree() {
        let mut old = Map::new();
        old.push_comment(Comment::new(" c"));
        old.push("k", Value::Seq(vec![Value::Comment(Comment::new(" s"))]));
        let mut new = Map::new();
        new.push_comment(Comment::inline(" c"));
        new.push_comment(Comment::inline(" other"));
        new.push("k", Value::Seq(vec![Value::Comment(Comment::inline(" s"))]));
        let mut docs = vec![new];
        adopt_comment_flags(&mut docs, &[old]);
        let items = &docs[0].items;
        assert_eq!(items[0], Item::Comment(Comment::new(" c")));
        assert_eq!(items[1], Item::Comment(Comment::inline(" other")));
        assert_eq!(
            docs[0].get("k"),
            Some(&Value::Seq(vec![Value::Comment(Comment::new(" s"))]))
        );
    }
}
