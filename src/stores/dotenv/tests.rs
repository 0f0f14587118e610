use super::*;
use crate::core::{Item, Timestamp};
use proptest::prelude::*;

macro_rules! fixture {
    ($p:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/compat/", $p)).as_slice()
    };
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

fn roundtrip(input: &[u8]) -> Vec<u8> {
    let loaded = DotenvStore.load(input).unwrap();
    let md = loaded.metadata.as_ref().map(|m| m.as_map().unwrap());
    DotenvStore.emit(&loaded.docs, md).unwrap()
}

#[test]
fn decrypted_fixtures_are_fixed_points() {
    for f in [
        fixture!("synthetic/basic.enc.env.decrypted"),
        fixture!("synthetic/basic.plain.env"),
        fixture!("upstream/functional-tests/res/format.enc.env.decrypted"),
    ] {
        assert_eq!(text(&roundtrip(f)), text(f));
    }
}

#[test]
fn values_and_keys_are_verbatim() {
    let loaded = DotenvStore
        .load(fixture!("synthetic/basic.plain.env"))
        .unwrap();
    let doc = &loaded.docs[0];
    assert_eq!(
        doc.items[0],
        Item::Comment(Comment::new(" a dotenv comment"))
    );
    assert_eq!(doc.get("MULTI"), Some(&Value::from("line1\nline2")));
    assert_eq!(doc.get("QUOTED"), Some(&Value::from("\"kept quotes\"")));
    assert_eq!(
        doc.get("SPACED "),
        Some(&Value::from(" value with spaces "))
    );
    assert_eq!(doc.get("EMPTY"), Some(&Value::from("")));
    let crlf = DotenvStore.load(b"A=1\r\nexport B = x=y\n").unwrap();
    assert_eq!(crlf.docs[0].get("A"), Some(&Value::from("1\r")));
    assert_eq!(crlf.docs[0].get("export B "), Some(&Value::from(" x=y")));
}

#[test]
fn encrypted_fixtures_round_trip_with_metadata() {
    for f in [
        fixture!("synthetic/basic.enc.env"),
        fixture!("upstream/functional-tests/res/format.enc.env"),
    ] {
        let loaded = DotenvStore.load(f).unwrap();
        assert!(loaded.docs[0]
            .entries()
            .all(|(k, _)| !k.starts_with("sops_")));
        let md = loaded.metadata.as_ref().unwrap().as_map().unwrap();
        assert_eq!(
            text(&DotenvStore.emit(&loaded.docs, Some(md)).unwrap()),
            text(f)
        );
    }
}

#[test]
fn metadata_is_unflattened() {
    let loaded = DotenvStore
        .load(fixture!("upstream/functional-tests/res/format.enc.env"))
        .unwrap();
    let foo = loaded.docs[0].get("foo ").unwrap().as_str().unwrap();
    assert!(foo.starts_with("ENC[AES256_GCM,data:XBV7lQ==,"));
    let md = loaded.metadata.unwrap();
    let md = md.as_map().unwrap();
    let keys: Vec<_> = md.entries().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "lastmodified",
            "mac",
            "pgp",
            "unencrypted_suffix",
            "version"
        ]
    );
    let Some(Value::Seq(pgp)) = md.get("pgp") else {
        panic!("pgp is not a list")
    };
    let entry = pgp[0].as_map().unwrap();
    let enc = entry.get("enc").unwrap().as_str().unwrap();
    assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----\n\nwcBMAy"));
    assert!(enc.ends_with("\n-----END PGP MESSAGE-----"));
    assert_eq!(
        entry.get("created_at"),
        Some(&Value::from("2026-05-22T20:15:26Z"))
    );
    let age = DotenvStore
        .load(fixture!("synthetic/basic.enc.env"))
        .unwrap()
        .metadata
        .unwrap();
    let Some(Value::Seq(age)) = age.as_map().unwrap().get("age") else {
        panic!("age is not a list")
    };
    assert!(age[0].as_map().unwrap().contains_key("recipient"));
}

#[test]
fn sops_keys_anywhere_are_metadata() {
    let loaded = DotenvStore
        .load(b"sops_version=3.13.2\nA=1\nsops_shamir_threshold=2\n")
        .unwrap();
    assert_eq!(loaded.docs[0].items.len(), 1);
    let md = loaded.metadata.unwrap();
    assert_eq!(
        md.as_map().unwrap().get("shamir_threshold"),
        Some(&Value::from("2"))
    );
    assert_eq!(DotenvStore.load(b"A=1\n").unwrap().metadata, None);
}

#[test]
fn line_without_equals_is_an_error_with_its_line() {
    let e = DotenvStore
        .load(b"# comment\nA=1\n\nsecret-value\n")
        .unwrap_err();
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("invalid dotenv input line"));
    assert!(!e.to_string().contains("secret"));
}

#[test]
fn complex_values_cannot_be_emitted() {
    let mut doc = Map::new();
    doc.push("nested", Value::Map(Map::new()));
    let e = DotenvStore.emit(&[doc], None).unwrap_err();
    assert!(
        e.message
            .starts_with("cannot use complex value in dotenv file (key "),
        "{}",
        e.message
    );
    let mut doc = Map::new();
    doc.push("list", Value::Seq(vec![]));
    assert!(DotenvStore.emit(&[doc], None).is_err());
}

#[test]
fn non_strings_use_val_to_string() {
    let t = Timestamp::parse_rfc3339("2025-01-02T03:04:05.123Z").unwrap();
    let mut doc = Map::new();
    doc.push("i", Value::Int(-3));
    doc.push("f", Value::Float(2.0));
    doc.push("g", Value::Float(1e21));
    doc.push("b", Value::Bool(true));
    doc.push("n", Value::Null);
    doc.push("t", Value::Time(t));
    doc.push("raw", Value::Bytes(b"\xff\n".to_vec()));
    doc.push_comment(Comment::new("two\nlines"));
    let out = DotenvStore.emit(&[doc], None).unwrap();
    assert_eq!(
        out,
        b"i=-3\nf=2.0\ng=1E+21\nb=true\nn=<nil>\nt=2025-01-02T03:04:05Z\nraw=\xff\\n\n#two\n#lines\n"
    );
}

#[test]
fn metadata_is_flattened_with_prefix_at_the_end() {
    let mut entry = Map::new();
    entry.push("enc", "a\nb");
    entry.push("recipient", "age1x");
    let mut md = Map::new();
    md.push("age", Value::Seq(vec![Value::Map(entry)]));
    md.push("mac_only_encrypted", Value::Bool(true));
    md.push("shamir_threshold", Value::Int(2));
    let mut doc = Map::new();
    doc.push("A", "1");
    let out = DotenvStore.emit(&[doc], Some(&md)).unwrap();
    assert_eq!(
        text(&out),
        "A=1\nsops_age__list_0__map_enc=a\\nb\nsops_age__list_0__map_recipient=age1x\nsops_mac_only_encrypted=true\nsops_shamir_threshold=2\n"
    );
}

#[test]
fn emit_value_only_strings() {
    assert_eq!(
        DotenvStore.emit_value(&Value::from("x\ny")).unwrap(),
        b"x\ny"
    );
    assert!(DotenvStore.emit_value(&Value::Int(1)).is_err());
}

proptest! {
    /// Caveats: keys cannot hold `=` or `\n`, start with `#` or `sops_`; values cannot hold the
    /// two characters `\n` (they read back as a newline); comments are single lines.
    #[test]
    fn dotenv_round_trips(
        items in prop::collection::vec(
            prop_oneof![
                ("[^=\n]{0,12}", "[^\n]{0,16}|[a-z\n]{0,16}")
                    .prop_filter("representable", |(k, v): &(String, String)| {
                        !k.starts_with('#')
                            && !k.starts_with(SOPS_PREFIX)
                            && !v.contains("\\n")
                    })
                    .prop_map(|(k, v)| Item::Entry(k, Value::Str(v))),
                "[^\n]{0,16}".prop_map(|c| Item::Comment(Comment::new(c))),
            ],
            0..10,
        )
    ) {
        let doc = Map { items };
        let out = DotenvStore.emit(std::slice::from_ref(&doc), None).unwrap();
        let back = DotenvStore.load(&out).unwrap();
        prop_assert_eq!(back.metadata, None);
        prop_assert_eq!(&back.docs[0], &doc);
    }
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(loaded) = DotenvStore.load(&bytes) {
            let md = loaded.metadata.as_ref().and_then(Value::as_map);
            prop_assert!(DotenvStore.emit(&loaded.docs, md).is_ok());
        }
    }
}
