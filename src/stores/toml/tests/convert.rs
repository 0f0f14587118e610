//! Trees that come without a layout (from YAML or JSON, or built by hand): the output must
//! load back to the same tree, including value order (the MAC) and comment placement (AAD).

use super::*;
use crate::core::{Comment, Item};

fn map(items: Vec<Item>) -> Map {
    Map { items }
}

fn entry(k: &str, v: impl Into<Value>) -> Item {
    Item::Entry(k.into(), v.into())
}

fn note(t: &str) -> Item {
    Item::Comment(Comment::new(t))
}

fn round_trip(tree: &Map) -> String {
    let out = text(
        TomlStore::new()
            .emit(std::slice::from_ref(tree), None)
            .expect("emits"),
    );
    let back = load(&TomlStore::new(), &out);
    assert_eq!(back, vec![tree.clone()], "reloads equal:\n{out}");
    out
}

fn every_scalar() -> Map {
    let t = Timestamp::parse_rfc3339("2024-01-02T03:04:05.5+01:00").unwrap();
    map(vec![
        entry("s", "plain"),
        entry("multi", "line one\nline two\n"),
        entry("i", Value::Int(-7)),
        entry("f", Value::Float(0.25)),
        entry("big", Value::Float(1e300)),
        entry("b", Value::Bool(false)),
        entry("t", Value::Time(t)),
        entry("ld", Value::LocalDateTime("2024-01-02".into())),
        entry("lt", Value::LocalDateTime("03:04:05".into())),
        entry("with space", "q"),
        entry("a.b", "dot in key"),
        entry("", "empty key"),
        entry("ünï", "\u{1}ctl\t"),
    ])
}

#[test]
fn a_tree_without_template_emits_toml_that_loads_back_equal() {
    let mut server = every_scalar();
    server.items.insert(0, note(" first server"));
    let tree = map(vec![
        note(" top"),
        entry("title", "demo"),
        entry("ports", Value::Seq(vec![Value::Int(80), Value::Int(443)])),
        entry(
            "mixed",
            Value::Seq(vec![
                Value::Comment(Comment::new(" about one")),
                Value::Int(1),
                Value::Comment(Comment::inline(" trails two")),
                Value::Seq(vec![Value::from("x"), Value::Map(Map::new())]),
                Value::Comment(Comment::new(" at the end")),
            ]),
        ),
        entry("empty", Value::Seq(vec![])),
        note(" the database"),
        Item::Comment(Comment::inline(" inline on header")),
        entry(
            "db",
            map(vec![
                entry("host", "localhost"),
                entry("replica", map(vec![entry("host", "r1")])),
            ]),
        ),
        entry(
            "servers",
            Value::Seq(vec![
                Value::Map(server),
                Value::Comment(Comment::new(" second")),
                Value::Map(map(vec![entry("name", "b")])),
            ]),
        ),
        note(" end of file"),
    ]);
    let out = round_trip(&tree);
    assert!(
        out.starts_with("# top\ntitle = \"demo\"\nports = [80, 443]\n"),
        "{out}"
    );
    assert!(out.contains("\n# the database\n[db] # inline on header\nhost = \"localhost\"\n"));
    assert!(out.contains("\n[[servers]]\n# first server\ns = \"plain\"\n"));
    assert!(out.contains("multi = \"\"\"\nline one\nline two\n\"\"\"\n"));
    assert!(out.ends_with("# end of file\n"));
}

#[test]
fn order_is_kept_when_tables_come_before_plain_keys() {
    let tree = map(vec![
        entry(
            "first",
            map(vec![
                entry("x", Value::Int(1)),
                entry("y", map(vec![entry("z", Value::Int(2))])),
            ]),
        ),
        entry(
            "list",
            Value::Seq(vec![Value::Map(map(vec![entry("n", Value::Int(1))]))]),
        ),
        entry("plain", "after the tables"),
        entry("last", map(vec![entry("k", "v")])),
    ]);
    let out = round_trip(&tree);
    assert_eq!(
        out,
        "first.x = 1\nfirst.y.z = 2\nlist = [{ n = 1 }]\nplain = \"after the tables\"\n\n[last]\nk = \"v\"\n"
    );
}

#[test]
fn comments_that_headers_cannot_hold_force_inline_forms() {
    // YAML foot comments (after the last key of a mapping) and a comment above a list of
    // mappings have no header position in TOML that would load back in the same mapping.
    let tree = map(vec![
        entry(
            "a",
            map(vec![entry("x", Value::Int(1)), note(" foot of a")]),
        ),
        note(" above the list"),
        entry(
            "l",
            Value::Seq(vec![Value::Map(map(vec![
                entry("n", Value::Int(1)),
                note(" foot of item"),
            ]))]),
        ),
        entry("only_comments", map(vec![note(" nothing else")])),
    ]);
    let out = round_trip(&tree);
    assert!(
        out.starts_with("a = {\n    x = 1\n    # foot of a\n}\n"),
        "{out}"
    );
}

#[test]
fn converted_trees_encrypt_and_decrypt_with_a_valid_mac() {
    let tree = map(vec![
        note(" converted from YAML"),
        entry("app", map(vec![entry("key", "s3cret"), note(" foot")])),
        entry(
            "items",
            Value::Seq(vec![
                Value::Comment(Comment::new(" a list comment")),
                Value::from("one"),
                Value::Map(map(vec![entry("k", Value::Int(2))])),
            ]),
        ),
        entry("tail", Value::Bool(true)),
    ]);
    let store = TomlStore::new();
    let mut docs = vec![tree.clone()];
    let key = DataKey::generate();
    let mut meta = metadata(Selection::default());
    ops::seal(&mut docs, &mut meta, &mut Cipher::new(&key)).unwrap();
    let enc = text(store.emit(&docs, Some(&meta.to_map())).unwrap());
    assert!(!enc.contains("s3cret") && !enc.contains("a list comment"));
    let fresh = TomlStore::new();
    let (back, _) = open(&fresh, &enc, &key);
    assert_eq!(back, vec![tree]);
}

#[test]
fn only_the_first_document_is_written() {
    let a = map(vec![entry("a", Value::Int(1))]);
    let b = map(vec![entry("b", Value::Int(2))]);
    let out = TomlStore::new().emit(&[a, b], None).unwrap();
    assert_eq!(out, b"a = 1\n");
}
