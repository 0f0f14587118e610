//! Every upstream fixture (sops 3.3 … 3.13 layouts, all formats) decrypts byte for byte with
//! its known data key: this covers metadata reading, AAD, MAC and printing independently of
//! the PGP backend that normally unwraps these keys.

use crate::common::*;
use shroud::core::{ops, DataKey, Error, Format, Metadata};
use shroud::stores::{store_for, StoreOptions};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn upstream_fixtures_decrypt_with_their_data_keys() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(compat("upstream/manifest.json")).unwrap()).unwrap();
    let entries = manifest.as_array().unwrap();
    assert_eq!(entries.len(), 15);
    for e in entries {
        let rel = e["encrypted"].as_str().unwrap();
        let format = Format::from_name(e["input_type"].as_str().unwrap()).unwrap();
        let store = store_for(format, StoreOptions::default());
        let bytes = std::fs::read(compat(rel)).unwrap();
        let loaded = store
            .load(&bytes)
            .unwrap_or_else(|err| panic!("{rel}: {err}"));
        let meta =
            Metadata::from_value(&loaded.metadata.expect("metadata"), &shroud::keys::Registry)
                .unwrap_or_else(|err| panic!("{rel}: {err}"));
        assert!(
            meta.all_keys().any(|k| k.kind() == "pgp"),
            "{rel}: pgp keys read"
        );
        let key = DataKey::from_slice(&hex(e["data_key_hex"].as_str().unwrap())).unwrap();
        let mut docs = loaded.docs;
        let no_mac = rel.ends_with("no_mac.yaml");
        if no_mac {
            let mut d2 = docs.clone();
            let err = ops::open_with_key(&mut d2, &meta, key.clone(), false).err();
            assert!(
                matches!(err, Some(Error::MacMismatch { .. })),
                "{rel}: must fail its MAC"
            );
        }
        ops::open_with_key(&mut docs, &meta, key, no_mac)
            .unwrap_or_else(|err| panic!("{rel}: {err}"));
        let out = store.emit(&docs, None).unwrap();
        let want = std::fs::read(compat(e["expected_decrypt_output"].as_str().unwrap())).unwrap();
        assert!(
            out == want,
            "{rel}: output differs\n--- got\n{}\n--- want\n{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want)
        );
    }
}

#[test]
fn legacy_unopenable_metadata_still_parses() {
    let bytes = std::fs::read(compat(
        "upstream/legacy-unopenable/config/test_resources/example.yaml",
    ))
    .unwrap();
    let loaded = store_for(Format::Yaml, StoreOptions::default())
        .load(&bytes)
        .unwrap();
    let meta = Metadata::from_value(&loaded.metadata.unwrap(), &shroud::keys::Registry).unwrap();
    assert!(meta.version.starts_with("1."));
    assert!(meta.all_keys().count() >= 1);
}

#[test]
fn sops_1_13_json_with_kms_and_attention_field_parses() {
    let bytes = std::fs::read(compat(
        "upstream/legacy-unopenable/stores/ini/test_resources/example.json",
    ))
    .unwrap();
    let loaded = store_for(Format::Json, StoreOptions::default())
        .load(&bytes)
        .unwrap();
    let meta = Metadata::from_value(&loaded.metadata.unwrap(), &shroud::keys::Registry).unwrap();
    let kinds: Vec<&str> = meta.all_keys().map(|k| k.kind()).collect();
    assert!(
        kinds.contains(&"kms") && kinds.contains(&"pgp"),
        "{kinds:?}"
    );
    assert_eq!(meta.version, "1.13");
}
