//! Tests of the TOML store: byte-exact round trips through real encryption, the tree shape
//! the engine sees, conversion without a template, structural edits, and a property test.

mod convert;
mod fixtures;
mod layout;
mod prop;
mod structure;

use crate::core::codec::{is_enc, Cipher};
use crate::core::keys::{KeySource, MasterKey, OpaqueKey};
use crate::core::{
    ops, DataKey, Document, Item, Map, Metadata, Selection, Store, Timestamp, Value,
};

use super::TomlStore;

/// Key entries in tests stay opaque: the data key is handed over directly.
struct Opaque;

impl KeySource for Opaque {
    fn key_from_entry(&self, kind: &str, entry: &Map) -> Result<Box<dyn MasterKey>, String> {
        let kind = match kind {
            "age" => "age",
            "pgp" => "pgp",
            other => return Err(format!("unexpected key kind {other}")),
        };
        Ok(Box::new(OpaqueKey {
            kind,
            entry: entry.clone(),
        }))
    }
}

pub(super) const ARMOR: &str = "-----BEGIN AGE ENCRYPTED FILE-----\n\
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBzb21lLXN0YW56YQpmYWtl\n\
-----END AGE ENCRYPTED FILE-----\n";

pub(super) fn metadata(sel: Selection) -> Metadata {
    let mut entry = Map::new();
    entry.push("enc", ARMOR);
    entry.push(
        "recipient",
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    );
    Metadata {
        key_groups: vec![vec![Box::new(OpaqueKey { kind: "age", entry })]],
        shamir_threshold: 0,
        lastmodified: Timestamp::now_utc(),
        mac: String::new(),
        selection: Some(sel),
        mac_only_encrypted: false,
        version: "3.13.2".into(),
    }
}

pub(super) fn load(store: &TomlStore, text: &str) -> Vec<Document> {
    let l = store.load(text.as_bytes()).expect("loads");
    assert!(l.metadata.is_none());
    l.docs
}

pub(super) fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("utf-8")
}

/// Encrypts `plain` as the CLI does (one store instance for load and emit).
pub(super) fn encrypt(plain: &str, sel: Selection) -> (String, DataKey) {
    let store = TomlStore::new();
    let mut docs = load(&store, plain);
    let key = DataKey::generate();
    let mut meta = metadata(sel);
    ops::seal(&mut docs, &mut meta, &mut Cipher::new(&key)).expect("seals");
    let out = store.emit(&docs, Some(&meta.to_map())).expect("emits");
    (text(out), key)
}

/// Loads an encrypted file into a fresh store and opens it (MAC checked).
pub(super) fn open(store: &TomlStore, enc: &str, key: &DataKey) -> (Vec<Document>, Cipher) {
    let l = store.load(enc.as_bytes()).expect("loads encrypted");
    let meta = Metadata::from_value(l.metadata.as_ref().expect("has metadata"), &Opaque)
        .expect("metadata parses");
    let mut docs = l.docs;
    let key = DataKey::from_slice(key.as_bytes()).expect("key");
    let opened = ops::open_with_key(&mut docs, &meta, key, false).expect("decrypts, MAC ok");
    (docs, opened.cipher)
}

pub(super) fn decrypt(enc: &str, key: &DataKey) -> String {
    let store = TomlStore::new();
    let (docs, _) = open(&store, enc, key);
    text(store.emit(&docs, None).expect("emits plain"))
}

/// Empty strings and comments stay empty (as upstream): nothing to hide.
fn enc_or_empty(s: &str) -> bool {
    s.is_empty() || is_enc(s)
}

/// Every leaf and comment outside `_unencrypted` subtrees is an `ENC[...]` string.
pub(super) fn assert_all_encrypted(v: &Value, path: &str) {
    match v {
        Value::Map(m) => {
            for i in &m.items {
                match i {
                    Item::Entry(k, _) if k.ends_with("_unencrypted") => {}
                    Item::Entry(k, v) => assert_all_encrypted(v, &format!("{path}{k}:")),
                    Item::Comment(c) => assert!(enc_or_empty(&c.text), "clear comment in {path}"),
                }
            }
        }
        Value::Seq(s) => s.iter().for_each(|v| assert_all_encrypted(v, path)),
        Value::Comment(c) => assert!(enc_or_empty(&c.text), "clear comment in {path}"),
        Value::Str(s) => assert!(enc_or_empty(s), "clear value at {path}"),
        other => panic!("clear {} at {path}", other.kind_name()),
    }
}
