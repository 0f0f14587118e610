use super::*;
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
    let loaded = IniStore.load(input).unwrap();
    let md = loaded.metadata.as_ref().map(|m| m.as_map().unwrap());
    IniStore.emit(&loaded.docs, md).unwrap()
}

fn section<'a>(doc: &'a Map, name: &str) -> &'a Map {
    doc.get(name).unwrap().as_map().unwrap()
}

#[test]
fn golden_ini_special() {
    let out = roundtrip(fixture!("emitter/ini-special.in.ini"));
    assert_eq!(text(&out), text(fixture!("emitter/ini-special.out.ini")));
}

#[test]
fn decrypted_fixtures_are_fixed_points() {
    for f in [
        fixture!("synthetic/basic.enc.ini.decrypted"),
        fixture!("upstream/functional-tests/res/format.enc.ini.decrypted"),
        fixture!("upstream/functional-tests/res/format-2.enc.ini.decrypted"),
        fixture!("upstream/example.ini.decrypted"),
    ] {
        assert_eq!(text(&roundtrip(f)), text(f));
    }
}

#[test]
fn plain_input_prints_as_sops_decrypt_would() {
    let out = roundtrip(fixture!("synthetic/basic.plain.ini"));
    assert_eq!(
        text(&out),
        text(fixture!("synthetic/basic.enc.ini.decrypted"))
    );
}

#[test]
fn tree_shape_of_sections_and_comments() {
    let loaded = IniStore
        .load(fixture!("synthetic/basic.plain.ini"))
        .unwrap();
    let doc = &loaded.docs[0];
    let names: Vec<_> = doc.entries().map(|(k, _)| k).collect();
    assert_eq!(names, ["DEFAULT", "database", "service"]);
    let db = section(doc, "database");
    assert_eq!(
        db.items,
        vec![
            Item::Comment(Comment::new("comment for section")),
            Item::Entry("user".into(), Value::from("admin")),
            Item::Entry("password".into(), Value::from("s3cr3t")),
            Item::Comment(Comment::new("comment for password")),
            Item::Entry("port".into(), Value::from("5432")),
        ]
    );
    // DEFAULT exists even when empty.
    let empty = IniStore.load(b"[a]\nk = v\n").unwrap();
    assert_eq!(empty.docs[0].items.len(), 2);
    assert_eq!(section(&empty.docs[0], "DEFAULT").items.len(), 0);
}

#[test]
fn encrypted_fixtures_round_trip_with_metadata() {
    for f in [
        fixture!("synthetic/basic.enc.ini"),
        fixture!("upstream/functional-tests/res/format.enc.ini"),
    ] {
        let loaded = IniStore.load(f).unwrap();
        assert!(loaded.docs[0].get("sops").is_none());
        let md = loaded.metadata.as_ref().unwrap().as_map().unwrap();
        assert_eq!(
            text(&IniStore.emit(&loaded.docs, Some(md)).unwrap()),
            text(f)
        );
    }
}

fn pgp_enc(md: &Value) -> String {
    let Some(Value::Seq(pgp)) = md.as_map().unwrap().get("pgp") else {
        panic!("pgp is not a list")
    };
    let entry = pgp[0].as_map().unwrap();
    assert_eq!(
        entry.get("fp"),
        Some(&Value::from("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"))
    );
    entry.get("enc").unwrap().as_str().unwrap().to_string()
}

#[test]
fn metadata_escaped_and_multiline_variants_read_the_same() {
    let escaped = IniStore
        .load(fixture!("upstream/functional-tests/res/format.enc.ini"))
        .unwrap();
    let multiline = IniStore
        .load(fixture!("upstream/functional-tests/res/format-2.enc.ini"))
        .unwrap();
    for loaded in [&escaped, &multiline] {
        let enc = pgp_enc(loaded.metadata.as_ref().unwrap());
        assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----\n\nwcBMAy"));
        assert!(enc.ends_with("\n-----END PGP MESSAGE-----"));
        assert!(enc.lines().count() > 5);
    }
    // Same structure: only the values differ between the two files.
    let shape = |v: &Value| -> Vec<String> {
        flatten(v.as_map().unwrap(), "")
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(
        shape(escaped.metadata.as_ref().unwrap()),
        shape(multiline.metadata.as_ref().unwrap())
    );
    // Re-emitting the 3.13.1 file writes the 3.13.2 escaped layout.
    let md = multiline.metadata.as_ref().unwrap().as_map().unwrap();
    let out = IniStore.emit(&multiline.docs, Some(md)).unwrap();
    assert!(!text(&out).contains("\"\"\""));
    assert!(text(&out)
        .contains("pgp__list_0__map_enc        = -----BEGIN PGP MESSAGE-----\\n\\nwcBMAy"));
    assert_eq!(IniStore.load(&out).unwrap(), multiline);
}

#[test]
fn old_random_order_metadata_loads() {
    let loaded = IniStore.load(fixture!("upstream/example.ini")).unwrap();
    let md = loaded.metadata.unwrap();
    let Some(Value::Seq(pgp)) = md.as_map().unwrap().get("pgp") else {
        panic!("pgp is not a list")
    };
    assert_eq!(pgp.len(), 2);
    let names: Vec<_> = loaded.docs[0].entries().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["DEFAULT", "name", "address", "phoneNumbers", "not private"]
    );
    assert!(
        matches!(&section(&loaded.docs[0], "name").items[0], Item::Comment(c) if c.text.starts_with("ENC["))
    );
}

#[test]
fn value_syntax() {
    let input = b"a = x#y\nb : 'single'\nc = \"dq\"\nd = \"in\"side\"\ne = `tick # kept` ; dropped\n\
f = \"\"\"multi\nline\"\"\" # trailing\ng = one \\\n  two\\\n three\n\"h=k\" = v\n`i:j` = w\n- = auto\n- = auto2\nk =\n";
    let loaded = IniStore.load(input).unwrap();
    let d = section(&loaded.docs[0], "DEFAULT");
    let get = |k: &str| d.get(k).unwrap().as_str().unwrap().to_string();
    assert_eq!(get("a"), "x");
    assert_eq!(get("b"), "single");
    assert_eq!(get("c"), "dq");
    assert_eq!(get("d"), "\"in\"side\"");
    assert_eq!(get("e"), "tick # kept");
    assert_eq!(get("f"), "multi\nline");
    // Continuation lines are trimmed and joined without a separator.
    assert_eq!(get("g"), "one twothree");
    assert_eq!(get("h=k"), "v");
    assert_eq!(get("i:j"), "w");
    assert_eq!(get("#1"), "auto");
    assert_eq!(get("#2"), "auto2");
    assert_eq!(get("k"), "");
    // Inline comments become key comments; the comment after `"""` too.
    assert!(d.items.contains(&Item::Comment(Comment::new("y"))));
    assert!(d.items.contains(&Item::Comment(Comment::new("trailing"))));
}

#[test]
fn repeated_keys_keep_first_position_last_value_and_sections_repeat() {
    let loaded = IniStore
        .load(b"[s]\na = 1\nb = 2\n; new\na = 3\n[s]\nc = 4\n")
        .unwrap();
    let doc = &loaded.docs[0];
    assert_eq!(doc.items.len(), 3);
    let s = section(doc, "s");
    assert_eq!(
        s.items,
        vec![
            Item::Entry("a".into(), Value::from("3")),
            Item::Comment(Comment::new("new")),
            Item::Entry("b".into(), Value::from("2")),
        ]
    );
}

#[test]
fn crlf_bom_and_non_utf8_values() {
    let loaded = IniStore
        .load(b"\xef\xbb\xbf[s]\r\nk = v\r\nraw = \xff\xfe\r\n")
        .unwrap();
    let s = section(&loaded.docs[0], "s");
    assert_eq!(s.get("k"), Some(&Value::from("v")));
    assert_eq!(s.get("raw"), Some(&Value::Bytes(b"\xff\xfe".to_vec())));
}

#[test]
fn errors_carry_line_numbers_and_no_values() {
    let e = IniStore
        .load(b"[s]\na = 1\nb = \"\"\"secret\nstill secret\n")
        .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("unterminated"), "{e}");
    assert!(!e.to_string().contains("secret"));
    let e = IniStore.load(b"k = `secret").unwrap_err();
    assert_eq!(e.line, Some(1));
    let e = IniStore.load(b"[s]\n\njust-a-secret-word\n").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("delimiter"), "{e}");
    assert!(!e.to_string().contains("secret"));
    assert_eq!(IniStore.load(b"\n[unclosed\n").unwrap_err().line, Some(2));
    assert_eq!(IniStore.load(b"[]\n").unwrap_err().line, Some(1));
    assert_eq!(IniStore.load(b"a = 1\n = 2\n").unwrap_err().line, Some(2));
    assert!(IniStore.load(b"\"open = 1\n").is_err());
}

#[test]
fn emit_alignment_quoting_and_comments() {
    let mut s = Map::new();
    s.push_comment(Comment::new("section\n# marked\n;  spaced"));
    s.push("k", "  padded ");
    s.push_comment(Comment::new("about k"));
    s.push("with\"quote", "a;b");
    s.push("back`tick", "multi\nline");
    s.push("empty", "");
    s.push("num", Value::Int(5));
    s.push("float", Value::Float(2.0));
    s.push("flag", Value::Bool(false));
    s.push("nothing", Value::Null);
    let mut doc = Map::new();
    doc.push("DEFAULT", Value::Map(Map::new()));
    doc.push("sec", Value::Map(s));
    let out = IniStore.emit(&[doc], None).unwrap();
    assert_eq!(
        text(&out),
        "; section\n# marked\n; spaced\n[sec]\n\
; about k\n\
k               = \"  padded \"\n\
`with\"quote`    = `a;b`\n\
\"\"\"back`tick\"\"\" = \"\"\"multi\nline\"\"\"\n\
empty           = \n\
num             = 5\n\
float           = 2.0\n\
flag            = false\n\
nothing         = <nil>\n"
    );
}

#[test]
fn emit_errors() {
    let mut doc = Map::new();
    doc.push("top", "not a section");
    let e = IniStore.emit(&[doc], None).unwrap_err();
    assert!(e
        .message
        .contains("Section values should always be TreeBranches"));
    let mut s = Map::new();
    s.push("nested", Value::Seq(vec![]));
    let mut doc = Map::new();
    doc.push("s", Value::Map(s));
    assert!(IniStore.emit(&[doc], None).is_err());
}

#[test]
fn first_section_named_default_case_insensitively_has_no_header() {
    let mut s = Map::new();
    s.push("a", "1");
    let mut doc = Map::new();
    doc.push("default", Value::Map(s.clone()));
    doc.push("DEFAULT", Value::Map(s));
    let out = IniStore.emit(&[doc], None).unwrap();
    assert_eq!(text(&out), "a = 1\n\n[DEFAULT]\na = 1\n");
    assert_eq!(IniStore.emit(&[Map::new()], None).unwrap(), b"");
}

#[test]
fn emit_value_forms() {
    assert_eq!(IniStore.emit_value(&Value::from("raw")).unwrap(), b"raw");
    assert_eq!(
        IniStore
            .emit_value(&Value::Seq(vec![Value::Int(1), Value::from("<")]))
            .unwrap(),
        br#"[1,"\u003c"]"#
    );
}

fn representable_key(k: &str) -> bool {
    !k.is_empty()
        && k.trim() == k
        && k != "-"
        && !k.starts_with(['#', ';', '['])
        && !(k.contains('`') && k.contains(['"', '=', ':']))
}

fn arb_section() -> impl Strategy<Value = Map> {
    prop::collection::btree_map(
        "[a-zA-Z0-9_.=: \"`é-]{1,10}".prop_filter("key", |k| representable_key(k)),
        // No quote characters or backslashes in values: those are ambiguous in ini.v1.
        "[a-z0-9 #;=:\\[\\]\té\n]{0,12}",
        0..5,
    )
    .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn ini_round_trips(
        default in arb_section(),
        sections in prop::collection::vec(
            ("[a-zA-Z0-9_. #;=é-]{1,10}".prop_filter("name", |n| n != "sops"), arb_section()),
            0..4,
        ),
    ) {
        let mut doc = Map::new();
        doc.push("DEFAULT", Value::Map(default));
        for (name, s) in sections {
            doc.push(name, Value::Map(s));
        }
        let out = IniStore.emit(std::slice::from_ref(&doc), None).unwrap();
        let back = IniStore.load(&out).unwrap();
        prop_assert_eq!(back.metadata, None);
        prop_assert_eq!(&back.docs[0], &doc);
    }
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        iniish in "[\\[\\]=:#;\"'`\\\\ a-z\n\r\t-]{0,64}",
    ) {
        for input in [bytes.as_slice(), iniish.as_bytes()] {
            if let Ok(loaded) = IniStore.load(input) {
                let md = loaded.metadata.as_ref().and_then(Value::as_map);
                let _ = IniStore.emit(&loaded.docs, md);
            }
        }
    }
}
