//! Tests of the walker: vectors, round trips, tampering, comment rules, properties.

mod unit {
    use super::super::*;
    use crate::core::datakey::DataKey;

    fn vectors() -> serde_json::Value {
        serde_json::from_str(include_str!("../../fixtures/vectors.json")).unwrap()
    }

    /// The document of the `mac` vector, built by hand (no YAML store needed).
    fn mac_doc() -> Document {
        let mut m = Map::new();
        m.push_comment(Comment::new(" a comment (never hashed)"));
        m.push("hello", "world");
        m.push("count", Value::Int(3));
        m.push("ratio", Value::Float(0.25));
        m.push(
            "flags",
            Value::Seq(vec![Value::Bool(true), Value::Bool(false)]),
        );
        m.push("empty", "");
        m.push("nothing", Value::Null);
        m.push("note_unencrypted", "clear");
        m.push(
            "when",
            Value::Time(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap()),
        );
        m
    }

    #[test]
    fn mac_vectors_and_round_trip() {
        let v = vectors();
        let key = DataKey::generate();
        for (mac_only, want) in [
            (false, "mac_default"),
            (true, "mac_with_mac_only_encrypted"),
        ] {
            let mut docs = vec![mac_doc()];
            let mut c = Cipher::new(&key);
            let enc = encrypt_docs(&mut docs, &Selection::default(), mac_only, &mut c).unwrap();
            assert_eq!(enc.mac, v["mac"][want].as_str().unwrap());
            assert_eq!(docs[0].get("note_unencrypted"), Some(&Value::from("clear")));
            assert_eq!(docs[0].get("empty"), Some(&Value::from("")));
            assert!(docs[0]
                .get("hello")
                .unwrap()
                .as_str()
                .unwrap()
                .starts_with("ENC["));
            assert!(matches!(&docs[0].items[0], Item::Comment(c) if c.text.starts_with("ENC[")));
            let dec = decrypt_docs(&mut docs, &Selection::default(), mac_only, &mut c).unwrap();
            assert_eq!(dec.mac, enc.mac);
            assert_eq!(docs[0], mac_doc());
        }
    }

    #[test]
    fn encrypted_mac_vector() {
        let v = &vectors()["mac"]["encrypted_mac"];
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let key = DataKey::from_slice(&hex(v["key_hex"].as_str().unwrap())).unwrap();
        let c = Cipher::new(&key);
        let lm = Timestamp::parse_rfc3339(v["lastmodified"].as_str().unwrap()).unwrap();
        let iv: [u8; 32] = hex(v["iv_hex"].as_str().unwrap()).try_into().unwrap();
        let mac = vectors()["mac"]["mac_default"]
            .as_str()
            .unwrap()
            .to_string();
        let sealed = c.seal(mac.as_bytes(), &iv, lm.to_rfc3339().as_bytes(), "str");
        assert_eq!(sealed, v["expected"].as_str().unwrap());
        verify_mac(&c, &sealed, &lm, &mac).unwrap();
        let other = Timestamp::parse_rfc3339("2024-01-01T00:00:01Z").unwrap();
        assert!(matches!(
            verify_mac(&c, &sealed, &other, &mac),
            Err(Error::MacUndecryptable)
        ));
        assert!(matches!(
            verify_mac(&c, &sealed, &lm, "00"),
            Err(Error::MacMismatch { .. })
        ));
        assert!(matches!(
            verify_mac(&c, "", &lm, &mac),
            Err(Error::MacMismatch { .. })
        ));
    }

    #[test]
    fn unchanged_values_keep_ciphertext_and_tampering_names_the_path() {
        let key = DataKey::generate();
        let mut c = Cipher::new(&key);
        let mut docs = vec![mac_doc()];
        encrypt_docs(&mut docs, &Selection::default(), false, &mut c).unwrap();
        let encrypted = docs.clone();
        let mut c2 = Cipher::new(&key);
        decrypt_docs(&mut docs, &Selection::default(), false, &mut c2).unwrap();
        *docs[0].get_mut("hello").unwrap() = Value::from("changed");
        encrypt_docs(&mut docs, &Selection::default(), false, &mut c2).unwrap();
        let changed: Vec<_> = docs[0]
            .items
            .iter()
            .zip(encrypted[0].items.iter())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "only the edited value changes");

        let mut tampered = encrypted.clone();
        let flags = tampered[0].get_mut("flags").unwrap();
        if let Value::Seq(s) = flags {
            s[1] = s[0].clone();
        }
        // Duplicating a list item keeps its AAD, so GCM accepts it; only the MAC catches it.
        let mut c3 = Cipher::new(&key);
        let out = decrypt_docs(&mut tampered, &Selection::default(), false, &mut c3).unwrap();
        let mut fresh = encrypted.clone();
        let orig = decrypt_docs(&mut fresh, &Selection::default(), false, &mut c3).unwrap();
        assert_ne!(out.mac, orig.mac);
        let mut moved = encrypted.clone();
        let hello = moved[0].get("hello").unwrap().clone();
        *moved[0].get_mut("count").unwrap() = hello;
        let err = decrypt_docs(
            &mut moved,
            &Selection::default(),
            false,
            &mut Cipher::new(&key),
        )
        .unwrap_err();
        assert!(err.to_string().contains("[\"count\"]"), "{err}");
    }

    #[test]
    fn comment_regex_governs_following_key_and_list_comments() {
        let sel = Selection::from_field("encrypted_comment_regex", "sops:enc").unwrap();
        let mut m = Map::new();
        m.push_comment(Comment::new(" sops:enc"));
        m.push("secret", "s");
        m.push("open", "o");
        m.push(
            "list",
            Value::Seq(vec![
                Value::Comment(Comment::new(" sops:enc")),
                Value::from("hidden"),
                Value::from("shown"),
            ]),
        );
        let original = m.clone();
        let key = DataKey::generate();
        let mut c = Cipher::new(&key);
        let mut docs = vec![m];
        let enc = encrypt_docs(&mut docs, &sel, false, &mut c).unwrap();
        let d = &docs[0];
        assert!(d
            .get("secret")
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("ENC["));
        assert_eq!(d.get("open"), Some(&Value::from("o")));
        let Value::Seq(l) = d.get("list").unwrap() else {
            panic!()
        };
        assert!(
            matches!(&l[0], Value::Comment(_)),
            "the matching comment stays clear"
        );
        assert!(l[1].as_str().unwrap().starts_with("ENC["));
        assert_eq!(l[2], Value::from("shown"));
        let dec = decrypt_docs(&mut docs, &sel, false, &mut c).unwrap();
        assert_eq!(dec.mac, enc.mac);
        assert_eq!(docs[0], original);
    }
}

mod props {
    use super::super::*;
    use crate::core::datakey::DataKey;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::Str),
            any::<i64>().prop_map(Value::Int),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::Float),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            (0i64..4_000_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Value::Time(Timestamp {
                unix: s,
                nanos: n,
                offset: None
            })),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z]{1,8}", "[a-z]{1,4}_unencrypted", any::<String>()]
    }

    fn tree() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 0..6).prop_map(|kv| {
                    let mut m = Map::new();
                    for (k, v) in kv {
                        m.push(k, v);
                    }
                    Value::Map(m)
                }),
                prop::collection::vec(
                    prop_oneof![
                        inner,
                        "[ -~]{0,12}".prop_map(|t| Value::Comment(Comment::new(t)))
                    ],
                    0..6
                )
                .prop_map(Value::Seq),
            ]
        })
    }

    fn doc() -> impl Strategy<Value = Document> {
        prop::collection::vec(
            prop_oneof![
                (key(), tree()).prop_map(|(k, v)| Item::Entry(k, v)),
                "[ -~]{1,12}".prop_map(|t| Item::Comment(Comment::new(t))),
            ],
            0..8,
        )
        .prop_map(|items| Map { items })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn decrypt_inverts_encrypt_and_macs_agree(docs in prop::collection::vec(doc(), 1..3), mac_only in any::<bool>()) {
            let key = DataKey::generate();
            let mut work = docs.clone();
            let sel = Selection::default();
            let enc = encrypt_docs(&mut work, &sel, mac_only, &mut Cipher::new(&key)).unwrap();
            let dec = decrypt_docs(&mut work, &sel, mac_only, &mut Cipher::new(&key)).unwrap();
            prop_assert_eq!(enc.mac, dec.mac);
            prop_assert_eq!(work, docs);
        }
    }
}
