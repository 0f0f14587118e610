//! Realistic files: exact round trips through encryption, and what stays readable.

use super::*;
use crate::stores::toml::scalar::same;

const CARGO: &str = include_str!("../../../../fixtures/toml/cargo.toml");
const PYPROJECT: &str = include_str!("../../../../fixtures/toml/pyproject.toml");

#[test]
fn fixtures_load_and_emit_unchanged() {
    for f in [CARGO, PYPROJECT] {
        let store = TomlStore::new();
        let docs = load(&store, f);
        assert_eq!(text(store.emit(&docs, None).unwrap()), f);
    }
}

#[test]
fn fixtures_survive_encryption_byte_for_byte_and_leak_nothing() {
    let secrets = [
        "tok_live_51HxQ2eZvKYlo2C0aIiZ",
        "hunter2",
        "AAECAwQFBgcICQoLDA0ODw==",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "s3cr3t-pa55w0rd",
        "DE89370400440532013000",
        "Synchronises ledgers",
        "internal crate",
        "Secrets live under",
        "debug symbols stay off",
        "Runtime settings",
        "settings models",
        "東京",
    ];
    for f in [CARGO, PYPROJECT] {
        let (enc, key) = encrypt(f, Selection::default());
        for s in secrets {
            assert!(!enc.contains(s), "{s:?} leaked");
        }
        let store = TomlStore::new();
        let l = store.load(enc.as_bytes()).unwrap();
        assert_all_encrypted(&Value::Map(l.docs[0].clone()), "");
        assert_eq!(decrypt(&enc, &key), f);
    }
    let (enc, _) = encrypt(CARGO, Selection::default());
    // The value stays clear; the comment before it belongs to `deploy` and is encrypted.
    assert!(enc.contains("\nregion_unencrypted = \"eu-west-1\"   #ENC[AES256_GCM,"));
    assert!(enc.contains("\n[package.metadata.deploy]\n"));
    let (enc, _) = encrypt(PYPROJECT, Selection::default());
    assert!(enc.contains("notes_unencrypted = \"public reference only\"\n"));
}

#[test]
fn comments_chosen_by_regex_stay_clear_and_byte_identical() {
    let sel =
        Selection::from_field("unencrypted_comment_regex", "^ (Everything|The migration)").unwrap();
    let (enc, key) = encrypt(CARGO, sel);
    assert!(enc.contains("\n# Everything for the nightly build.\nfull = [\n    \"tokio\", # async"));
    assert!(enc.contains("\n# The migration helper.\n[[bin]]\nname = \"migrate\""));
    assert!(!enc.contains("Cargo manifest of"));
    assert!(!enc.contains("ledger-sync"));
    assert!(!enc.contains("hunter2"));
    assert_eq!(decrypt(&enc, &key), CARGO);

    let sel = Selection::from_field("encrypted_comment_regex", "Runtime settings").unwrap();
    let (enc, key) = encrypt(PYPROJECT, sel);
    assert!(enc.contains("\n# Runtime settings (read by invoice_bot.settings).\n"));
    assert!(enc.contains("\"pydantic>=2\",   # settings models\n"));
    assert!(enc.contains("requires = [\"setuptools>=61.0\", \"wheel\"]"));
    for s in [
        "sk_live",
        "s3cr3t",
        "DE89370400440532013000",
        "globex",
        "東京",
    ] {
        assert!(!enc.contains(s), "{s:?} leaked");
    }
    assert!(enc.contains("[[tool.invoice-bot.accounts]] #ENC[AES256_GCM,"));
    assert_eq!(decrypt(&enc, &key), PYPROJECT);
}

#[test]
fn unchanged_values_reencrypt_to_the_same_text() {
    let (enc, key) = encrypt(PYPROJECT, Selection::default());
    let store = TomlStore::new();
    let (mut docs, mut cipher) = open(&store, &enc, &key);
    let l = store.load(enc.as_bytes()).unwrap();
    let mut meta = Metadata::from_value(l.metadata.as_ref().unwrap(), &Opaque).unwrap();
    let (again, _) = open(&store, &enc, &key);
    assert_eq!(again, docs);
    ops::seal(&mut docs, &mut meta, &mut cipher).unwrap();
    let out = text(store.emit(&docs, Some(&meta.to_map())).unwrap());
    let body = |s: &str| s[..s.find("\n[sops]").unwrap()].to_string();
    assert_eq!(body(&out), body(&enc), "only the metadata changes");
}

#[test]
fn separate_store_instances_lose_the_layout_but_not_the_data() {
    // What a caller gets if it loads with one store and emits with another: a freshly
    // written file that still decrypts (MAC and comment AAD intact) to the same tree.
    for f in [CARGO, PYPROJECT] {
        let mut docs = load(&TomlStore::new(), f);
        let original = docs.clone();
        let key = DataKey::generate();
        let mut meta = metadata(Selection::default());
        ops::seal(&mut docs, &mut meta, &mut Cipher::new(&key)).unwrap();
        let enc = text(TomlStore::new().emit(&docs, Some(&meta.to_map())).unwrap());
        let (back, _) = open(&TomlStore::new(), &enc, &key);
        // Decrypted comments lose their inline flag (as in YAML); nothing else changes.
        let same_doc = |a: &[Document], b: &[Document]| {
            same(&Value::Map(a[0].clone()), &Value::Map(b[0].clone()))
        };
        assert!(same_doc(&back, &original));
        let plain = text(TomlStore::new().emit(&back, None).unwrap());
        assert!(same_doc(&load(&TomlStore::new(), &plain), &original));
    }
}
