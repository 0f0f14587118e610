//! Golden tests against go-yaml/SOPS output, typing vectors, errors and round-trip properties.

use std::path::{Path, PathBuf};

use super::*;
use crate::core::scalar::format_float_f;
use crate::core::{Comment, Item};

fn fixture_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(sub)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn store() -> YamlStore {
    YamlStore::new(4)
}

fn roundtrip(input: &[u8]) -> Vec<u8> {
    let loaded = store().load(input).expect("load");
    let meta = loaded.metadata.as_ref().and_then(|m| m.as_map());
    store().emit(&loaded.docs, meta).expect("emit")
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn emitter_goldens() {
    let mut all = Vec::new();
    files(&fixture_dir("compat/emitter"), &mut all);
    let inputs: Vec<_> = all
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".in.yaml"))
        .collect();
    assert_eq!(inputs.len(), 5);
    for input in inputs {
        let expected_path = input.to_string_lossy().replace(".in.yaml", ".out.yaml");
        let expected = std::fs::read(&expected_path).expect("expected output");
        let got = roundtrip(&std::fs::read(input).expect("input"));
        assert_eq!(show(&got), show(&expected), "{}", input.display());
    }
}

#[test]
fn decrypted_fixtures_are_fixed_points() {
    let mut all = Vec::new();
    files(&fixture_dir("compat"), &mut all);
    let mut n = 0;
    for p in all.iter().filter(|p| {
        let s = p.to_string_lossy();
        s.contains(".yaml.decrypted") || s.ends_with("example.yaml.decrypted")
    }) {
        let input = std::fs::read(p).expect("read");
        assert_eq!(show(&roundtrip(&input)), show(&input), "{}", p.display());
        n += 1;
    }
    assert!(n >= 10, "only {n} decrypted fixtures");
}

#[test]
fn encrypted_3_13_files_round_trip_with_metadata() {
    let mut all = Vec::new();
    files(&fixture_dir("compat/synthetic"), &mut all);
    let mut paths: Vec<_> = all
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".enc.yaml"))
        .collect();
    paths.push(fixture_dir(
        "compat/upstream/functional-tests/res/format.enc.yaml",
    ));
    assert_eq!(paths.len(), 7);
    for p in paths {
        let input = std::fs::read(&p).expect("read");
        let loaded = store().load(&input).expect("load");
        let meta = loaded.metadata.as_ref().expect("metadata");
        let meta = meta.as_map().expect("metadata is a mapping");
        assert!(meta.contains_key("mac"), "{}", p.display());
        for doc in &loaded.docs {
            assert!(!doc.contains_key("sops"));
        }
        let out = store().emit(&loaded.docs, Some(meta)).expect("emit");
        assert_eq!(show(&out), show(&input), "{}", p.display());
    }
}

#[test]
fn older_layouts_load() {
    for rel in [
        "compat/upstream/example.yaml",
        "compat/upstream/functional-tests/res/comments.enc.yaml",
        "compat/upstream/functional-tests/res/comments_unencrypted_comments.yaml",
        "compat/upstream/functional-tests/res/multiple_keys.yaml",
        "compat/upstream/functional-tests/res/no_mac.yaml",
        "compat/upstream/legacy-unopenable/config/test_resources/example.yaml",
    ] {
        let input = std::fs::read(fixture_dir(rel)).expect("read");
        let loaded = store().load(&input).expect(rel);
        assert!(loaded.metadata.is_some(), "{rel}");
    }
    let example = std::fs::read(fixture_dir("compat/upstream/example.yaml")).expect("read");
    assert_eq!(show(&roundtrip(&example)), show(&example));
    for rel in [
        "compat/upstream/config-examples/functional-tests.sops.yaml",
        "compat/upstream/config-examples/repo-root.sops.yaml",
    ] {
        let input = std::fs::read(fixture_dir(rel)).expect("read");
        let loaded = store().load(&input).expect(rel);
        assert!(loaded.docs[0].contains_key("creation_rules"), "{rel}");
        // Normalised once, the text is stable.
        let once = roundtrip(&input);
        assert_eq!(show(&roundtrip(&once)), show(&once), "{rel}");
    }
}

#[test]
fn scalar_typing_vectors() {
    let text = std::fs::read_to_string(fixture_dir("vectors.json")).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let rows = v["yaml_scalar_typing"]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 48);
    for row in rows {
        let yaml = row["yaml"].as_str().expect("yaml");
        let ty = row["type"].as_str().expect("type");
        let plain = row["plaintext"].as_str().expect("plaintext");
        let doc = format!("k: {yaml}\n");
        let loaded = store().load(doc.as_bytes());
        if ty.starts_with("UNSUPPORTED") {
            let e = loaded.expect_err(yaml);
            assert_eq!(e.line, Some(1));
            continue;
        }
        let loaded = loaded.expect(yaml);
        let got = loaded.docs[0].get("k").expect("k").clone();
        let (kind, text) = match &got {
            Value::Str(s) => ("str", s.clone()),
            Value::Int(i) => ("int", i.to_string()),
            Value::Float(f) => ("float", format_float_f(*f)),
            Value::Bool(b) => ("bool", if *b { "True" } else { "False" }.to_string()),
            Value::Time(t) => ("time", t.to_rfc3339_nano()),
            Value::Null => ("null", String::new()),
            other => panic!("{yaml}: unexpected {other:?}"),
        };
        assert_eq!((kind, text.as_str()), (ty, plain), "{yaml}");
    }
}

#[test]
fn structure_and_empty_documents() {
    assert_eq!(store().load(b"").unwrap().docs.len(), 0);
    let l = store().load(b"---\n").unwrap();
    assert_eq!(l.docs, vec![Map::new()]);
    assert_eq!(show(&store().emit(&l.docs, None).unwrap()), "{}\n");
    let l = store().load(b"a: 1\n---\n---\nb: 2\n").unwrap();
    assert_eq!(l.docs.len(), 3);
    assert_eq!(
        show(&store().emit(&l.docs, None).unwrap()),
        "a: 1\n---\n{}\n---\nb: 2\n"
    );
    assert!(store().load(b"# only a comment\n").is_err());
}

#[test]
fn errors_carry_lines_and_no_values() {
    let e = store().load(b"a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
    assert!(e.line.is_some(), "{e}");
    let e = store()
        .load(b"a: 1\nb:\n  x: 1\n  x: secret\n")
        .unwrap_err();
    assert_eq!(e.line, Some(4));
    assert_eq!(e.message, "mapping key \"x\" already defined at line 3");
    // Only the first document is checked for duplicates.
    assert!(store().load(b"a: 1\n---\nb: 1\nb: 2\n").is_ok());
    let e = store().load(b"- a\n- b\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("sequences are not supported"));
    assert!(store().load(b"just a string\n").is_err());
    let e = store().load(b"a: 1\n1: secret\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(!e.to_string().contains("secret"));
    let e = store().load(b"a: 1\ntrue: x\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    let e = store().load(b"x: 18446744073709551615\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    let e = store().load(b"a: !!int secret\n").unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = store().load(b"a: 1\nb: \xff\n").unwrap_err();
    assert_eq!(e.line, Some(2));
}

#[test]
fn anchors_merge_keys_and_binary() {
    let l = store()
        .load(b"base: &b\n  k: v\ncopy: *b\nm:\n  <<: *b\n  x: 1\nbin: !!binary /wA=\n")
        .unwrap();
    let d = &l.docs[0];
    assert_eq!(d.get("copy"), d.get("base"));
    let m = d.get("m").and_then(Value::as_map).unwrap();
    assert_eq!(m.get("<<"), d.get("base"));
    assert_eq!(d.get("bin"), Some(&Value::Bytes(vec![0xff, 0])));
    let out = show(&store().emit(&l.docs, None).unwrap());
    assert!(out.contains("    !!merge <<:\n        k: v\n"), "{out}");
    assert!(out.contains("bin: !!binary /wA=\n"), "{out}");
    assert_eq!(show(&roundtrip(out.as_bytes())), out);
    let long = Value::Bytes(vec![0xff; 60]);
    let mut m = Map::new();
    m.push("b", long.clone());
    let out = store().emit(&[m], None).unwrap();
    let back = store().load(&out).unwrap();
    assert_eq!(back.docs[0].get("b"), Some(&long), "{}", show(&out));
}

#[test]
fn metadata_extraction() {
    let l = store()
        .load(b"a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: x\n")
        .unwrap();
    assert_eq!(l.docs.len(), 2);
    assert!(l.docs.iter().all(|d| !d.contains_key("sops")));
    let meta = l.metadata.unwrap();
    assert_eq!(
        meta.as_map().and_then(|m| m.get("version")),
        Some(&Value::Str("3.13.2".into()))
    );
    let l = store().load(b"a: 1\n").unwrap();
    assert!(l.metadata.is_none());
}

#[test]
fn emit_value_forms() {
    let s = store();
    assert_eq!(s.emit_value(&Value::Str("a\nb".into())).unwrap(), b"a\nb");
    assert_eq!(s.emit_value(&Value::Int(1)).unwrap(), b"1\n");
    assert_eq!(s.emit_value(&Value::Bool(true)).unwrap(), b"true\n");
    assert_eq!(s.emit_value(&Value::Null).unwrap(), b"null\n");
    let seq = Value::Seq(vec![Value::Str("a".into()), Value::Int(2)]);
    assert_eq!(show(&s.emit_value(&seq).unwrap()), "- a\n- 2\n");
    let mut m = Map::new();
    m.push("k", Value::Seq(vec![Value::Str("yes".into())]));
    assert_eq!(
        show(&s.emit_value(&Value::Map(m)).unwrap()),
        "k:\n    - \"yes\"\n"
    );
    assert_eq!(scalar_to_yaml(&Value::Str("on".into())).unwrap(), "\"on\"");
}

#[test]
fn indentation_settings() {
    let input = b"a:\n  b:\n  - x: 1\n    z: |\n      l1\n      l2\n";
    let l = store().load(input).unwrap();
    let two = YamlStore::new(2).emit(&l.docs, None).unwrap();
    assert_eq!(
        show(&two),
        "a:\n  b:\n    - x: 1\n      z: |\n        l1\n        l2\n"
    );
    let ten = YamlStore::new(10).emit(&l.docs, None).unwrap();
    assert_eq!(two, ten);
    let four = store().emit(&l.docs, None).unwrap();
    assert_eq!(
        show(&four),
        "a:\n    b:\n        - x: 1\n          z: |\n            l1\n            l2\n"
    );
}

#[test]
fn comment_placement() {
    let l = store()
        .load(b"a:\n    b:\n        c: 1\n    # in a\n# top\nd: 2 # inline\n")
        .unwrap();
    let d = &l.docs[0];
    // Dedented below `c` but followed by a key at another column: yaml.v3 makes it a foot
    // comment of `c`, so it stays in the innermost mapping.
    let a = d.get("a").and_then(Value::as_map).unwrap();
    let b = a.get("b").and_then(Value::as_map).unwrap();
    assert_eq!(b.items.last(), Some(&Item::Comment(Comment::new(" in a"))));
    assert_eq!(d.items[1], Item::Comment(Comment::new(" top")));
    assert_eq!(d.items[2], Item::Comment(Comment::inline(" inline")));
    let l = store().load(b"k: | # hdr\n  text\n").unwrap();
    assert_eq!(l.docs[0].items[0], Item::Comment(Comment::inline(" hdr")));
    assert_eq!(
        show(&roundtrip(b"k: | # hdr\n    text\n")),
        "k: | # hdr\n    text\n"
    );
    let seq = b"l:\n    - a # x\n    # y\n    - b\n    # z\n";
    assert_eq!(show(&roundtrip(seq)), show(seq));
}

#[test]
fn go_yaml_layouts_that_saphyr_rejects_still_load() {
    // go-yaml closes a nested comment-only mapping at column 0; saphyr needs it indented.
    let text = b"a:\n    b: {\n        # c\n}\n    d: 1\n";
    let l = store().load(text).unwrap();
    let a = l.docs[0].get("a").and_then(Value::as_map).unwrap();
    let b = a.get("b").and_then(Value::as_map).unwrap();
    assert_eq!(b.items, vec![Item::Comment(Comment::new(" c"))]);
    assert_eq!(a.get("d"), Some(&Value::Int(1)));
    assert_eq!(show(&store().emit(&l.docs, None).unwrap()), show(text));
}

#[test]
fn emit_edge_cases() {
    assert_eq!(store().emit(&[], None).unwrap(), b"");
    let mut meta = Map::new();
    meta.push("version", "3.13.2");
    let docs = vec![Map::new(), Map::new()];
    assert_eq!(
        show(&store().emit(&docs, Some(&meta)).unwrap()),
        "sops:\n    version: 3.13.2\n---\nsops:\n    version: 3.13.2\n"
    );
    // 0 means the default indentation.
    let mut m = Map::new();
    m.push("a", Value::Seq(vec![Value::Str("x".into())]));
    assert_eq!(
        show(&YamlStore::new(0).emit(&[m], None).unwrap()),
        "a:\n    - x\n"
    );
    let mut bad = Map::new();
    bad.push("a", Value::Comment(Comment::new("x")));
    assert!(store().emit(&[bad], None).is_err());
}
