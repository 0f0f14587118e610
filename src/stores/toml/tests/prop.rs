//! Property test: generated documents (tables, nested tables, arrays of tables, dotted keys,
//! arrays with comments, inline tables, every scalar type in its canonical spelling, comments
//! everywhere) come back byte for byte from encryption, under several selection rules.

use proptest::prelude::*;

use super::{assert_all_encrypted, decrypt, encrypt, load, text};
use crate::core::{Comment, Map, Selection, Store, Timestamp, Value};
use crate::stores::toml::scalar::{render_float, same};
use crate::stores::toml::TomlStore;

fn comment() -> impl Strategy<Value = String> {
    "[ a-zA-Z0-9#é:]{0,12}"
}

/// Strings in all four quoting styles, spelled here independently of the store's renderer:
/// the canonical spelling is the property under test.
fn string() -> impl Strategy<Value = String> {
    let basic = "[a-zA-Z0-9 é日🎉\"'\\\\\t\n\r\u{1}]{0,12}".prop_map(|s| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\u{1}' => out.push_str("\\u0001"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    });
    let literal = "[a-zA-Z0-9 é日🎉\"\\\\\t]{0,12}".prop_map(|s| format!("'{s}'"));
    let multi = ("[a-zA-Z0-9 é日🎉'\t\n]{0,16}", any::<bool>(), any::<bool>()).prop_map(
        |(s, lead, basic)| {
            let lead = if lead || s.starts_with('\n') {
                "\n"
            } else {
                ""
            };
            if basic {
                format!("\"\"\"{lead}{s}\"\"\"")
            } else {
                let s = s.replace('\'', "\"");
                format!("'''{lead}{s}'''")
            }
        },
    );
    prop_oneof![basic, literal, multi]
}

fn date() -> impl Strategy<Value = String> {
    (1u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn time() -> impl Strategy<Value = String> {
    (0u32..24, 0u32..60, 0u32..60, prop::option::of(0u32..1000)).prop_map(|(h, m, s, f)| match f {
        Some(f) => format!("{h:02}:{m:02}:{s:02}.{f:03}"),
        None => format!("{h:02}:{m:02}:{s:02}"),
    })
}

fn scalar() -> impl Strategy<Value = String> {
    let offset_time = (
        1i64..=9999,
        1u32..=12,
        1u32..=28,
        (0u32..24, 0u32..60, 0u32..60),
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
        prop_oneof![Just(None), (-1439i32..1440).prop_map(|m| Some(m * 60))],
    )
        .prop_map(|(y, mo, d, (h, mi, s), n, off)| {
            Timestamp::from_civil(y, mo, d, h, mi, s, n, off)
                .expect("valid civil time")
                .to_rfc3339_nano()
        });
    prop_oneof![
        4 => string(),
        1 => any::<i64>().prop_map(|i| i.to_string()),
        1 => any::<f64>().prop_map(render_float),
        1 => any::<bool>().prop_map(|b| b.to_string()),
        1 => offset_time,
        1 => date(),
        1 => time(),
        1 => "[0-2][0-9]:[0-5][0-9]".prop_filter("hour", |t| t.as_str() < "24"),
        1 => (date(), prop_oneof![Just('T'), Just(' ')], time())
            .prop_map(|(d, s, t)| format!("{d}{s}{t}")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (
                prop::collection::vec(
                    (
                        prop::option::of(comment()),
                        inner.clone(),
                        prop::option::of(comment())
                    ),
                    0..4
                ),
                prop::option::of(comment()),
            )
                .prop_map(|(els, end)| {
                    let mut s = String::from("[\n");
                    for (above, v, after) in els {
                        if let Some(c) = above {
                            s.push_str(&format!("  #{c}\n"));
                        }
                        s.push_str(&format!("  {v},"));
                        if let Some(c) = after {
                            s.push_str(&format!(" #{c}"));
                        }
                        s.push('\n');
                    }
                    if let Some(c) = end {
                        s.push_str(&format!("  #{c}\n"));
                    }
                    s.push(']');
                    s
                }),
            prop::collection::vec(inner, 0..3).prop_map(|v| {
                let kv: Vec<String> = v
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("i{i} = {v}"))
                    .collect();
                if kv.is_empty() {
                    "{}".into()
                } else {
                    format!("{{ {} }}", kv.join(", "))
                }
            }),
        ]
    })
}

#[derive(Debug, Clone)]
struct Kv {
    blank: bool,
    above: Vec<String>,
    dotted: bool,
    clear: bool,
    value: String,
    after: Option<String>,
}

#[derive(Debug, Clone)]
struct Header {
    blank: bool,
    above: Vec<String>,
    after: Option<String>,
    body: Table,
}

#[derive(Debug, Clone)]
enum Sub {
    Table(Header),
    Tables(Vec<Header>),
}

#[derive(Debug, Clone)]
struct Table {
    kvs: Vec<Kv>,
    subs: Vec<Sub>,
}

fn kv() -> impl Strategy<Value = Kv> {
    (
        any::<bool>(),
        prop::collection::vec(comment(), 0..2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        value(),
        prop::option::of(comment()),
    )
        .prop_map(|(blank, above, dotted, clear, value, after)| Kv {
            blank,
            above,
            dotted,
            clear,
            value,
            after,
        })
}

fn header(body: BoxedStrategy<Table>) -> impl Strategy<Value = Header> {
    (
        any::<bool>(),
        prop::collection::vec(comment(), 0..2),
        prop::option::of(comment()),
        body,
    )
        .prop_map(|(blank, above, after, body)| Header {
            blank,
            above,
            after,
            body,
        })
}

fn table(depth: u32) -> BoxedStrategy<Table> {
    let kvs = prop::collection::vec(kv(), 0..4);
    if depth == 0 {
        return kvs
            .prop_map(|kvs| Table {
                kvs,
                subs: Vec::new(),
            })
            .boxed();
    }
    let sub = prop_oneof![
        header(table(depth - 1)).prop_map(Sub::Table),
        prop::collection::vec(header(table(depth - 1)), 1..3).prop_map(Sub::Tables),
    ];
    (kvs, prop::collection::vec(sub, 0..3))
        .prop_map(|(kvs, subs)| Table { kvs, subs })
        .boxed()
}

fn render_header(out: &mut String, h: &Header, open: &str, path: &str, close: &str) {
    if h.blank {
        out.push('\n');
    }
    for c in &h.above {
        out.push_str(&format!("#{c}\n"));
    }
    out.push_str(&format!("{open}{path}{close}"));
    if let Some(c) = &h.after {
        out.push_str(&format!(" #{c}"));
    }
    out.push('\n');
    render(out, &h.body, path);
}

fn render(out: &mut String, t: &Table, path: &str) {
    for (i, kv) in t.kvs.iter().enumerate() {
        if kv.blank {
            out.push('\n');
        }
        for c in &kv.above {
            out.push_str(&format!("#{c}\n"));
        }
        let clear = if kv.clear { "_unencrypted" } else { "" };
        let key = if kv.dotted {
            format!("d{i} . k{clear}")
        } else {
            format!("k{i}{clear}")
        };
        out.push_str(&format!("{key} = {}", kv.value));
        if let Some(c) = &kv.after {
            out.push_str(&format!("   #{c}"));
        }
        out.push('\n');
    }
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    };
    for (j, sub) in t.subs.iter().enumerate() {
        match sub {
            Sub::Table(h) => render_header(out, h, "[", &format!("{prefix}t{j}"), "]"),
            Sub::Tables(hs) => {
                for h in hs {
                    render_header(out, h, "[[", &format!("{prefix}a{j}"), "]]");
                }
            }
        }
    }
}

fn selection() -> impl Strategy<Value = Selection> {
    prop_oneof![
        Just(Selection::default()),
        Just(Selection::from_field("encrypted_regex", "^k[01]").unwrap()),
        Just(Selection::from_field("unencrypted_comment_regex", "^ ?[a-f]").unwrap()),
        Just(Selection::from_field("encrypted_comment_regex", "^ ?[a-m]").unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn documents_survive_encryption_byte_for_byte(
        t in table(2),
        end in prop::collection::vec(comment(), 0..2),
        sel in selection(),
    ) {
        let mut doc = String::new();
        render(&mut doc, &t, "");
        for c in end {
            doc.push_str(&format!("#{c}\n"));
        }
        prop_assert!(doc.parse::<toml_edit::DocumentMut>().is_ok(), "generator bug:\n{}", doc);
        let store = TomlStore::new();
        let docs = load(&store, &doc);
        prop_assert_eq!(text(store.emit(&docs, None).unwrap()), doc.clone());
        let default = sel == Selection::default();
        let (enc, key) = encrypt(&doc, sel);
        if default {
            let l = TomlStore::new().load(enc.as_bytes()).unwrap();
            assert_all_encrypted(&Value::Map(l.docs[0].clone()), "");
        }
        prop_assert_eq!(decrypt(&enc, &key), doc);
    }
}

/// Trees as another store might hand them over: comments anywhere (also inline ones where
/// TOML has no inline position), tables before plain keys, lists of tables with comments.
fn note() -> impl Strategy<Value = Comment> + Clone {
    ("[ a-z:#]{0,6}", any::<bool>()).prop_map(|(t, inline)| Comment { text: t, inline })
}

fn map_of(items: Vec<(Option<Value>, Comment)>) -> Map {
    let mut m = Map::new();
    for (i, (v, c)) in items.into_iter().enumerate() {
        match v {
            Some(v) => m.push(format!("k{i}"), v),
            None => m.push_comment(c),
        }
    }
    m
}

fn tree() -> impl Strategy<Value = Map> {
    let inner_note = note();
    let leaf = prop_oneof![
        "[a-z \n\"'\\\\é]{0,8}".prop_map(Value::Str),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        time().prop_map(Value::LocalDateTime),
    ];
    let value = leaf.prop_recursive(4, 40, 5, move |inner| {
        let note = inner_note.clone();
        let item = prop_oneof![
            3 => inner.clone().prop_map(Some),
            1 => Just(None),
        ];
        prop_oneof![
            prop::collection::vec((item.clone(), note.clone()), 0..5).prop_map(|els| {
                Value::Seq(
                    els.into_iter()
                        .map(|(v, c)| v.unwrap_or(Value::Comment(c)))
                        .collect(),
                )
            }),
            prop::collection::vec((item, note), 0..5).prop_map(|els| Value::Map(map_of(els))),
        ]
    });
    let item = prop_oneof![3 => value.prop_map(Some), 1 => Just(None)];
    prop::collection::vec((item, note()), 0..6).prop_map(map_of)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn trees_without_layout_load_back_equal(m in tree()) {
        let out = TomlStore::new().emit(std::slice::from_ref(&m), None);
        let out = text(out.map_err(|e| TestCaseError::fail(e.to_string()))?);
        let back = load(&TomlStore::new(), &out);
        prop_assert!(same(&Value::Map(back[0].clone()), &Value::Map(m)), "{}", out);
    }
}

/// A structural edit, as `set`/`unset` make them.
#[derive(Debug, Clone)]
enum Edit {
    Unset(usize),
    SetTop,
    SetInside(usize),
    Append(usize),
    DropComment(usize),
}

fn apply(doc: &mut Map, edit: &Edit) {
    use crate::core::path::{self, Seg};
    use crate::core::Item;
    let keys: Vec<String> = doc.entries().map(|(k, _)| k.to_string()).collect();
    let pick = |i: usize| keys.get(i % keys.len().max(1)).cloned();
    match edit {
        Edit::Unset(i) => {
            if let Some(k) = pick(*i) {
                path::unset(doc, &[Seg::Key(k)]).unwrap();
            }
        }
        Edit::SetTop => {
            path::set(doc, &[Seg::Key("added".into())], Value::Int(1)).unwrap();
        }
        Edit::SetInside(i) | Edit::Append(i) => {
            let Some(k) = pick(*i) else { return };
            let seg = match (edit, doc.get(&k)) {
                (Edit::SetInside(_), Some(Value::Map(_))) => Seg::Key("added".into()),
                (Edit::Append(_), Some(Value::Seq(s))) => Seg::Index(s.len()),
                _ => return,
            };
            path::set(doc, &[Seg::Key(k), seg], Value::from("new")).unwrap();
        }
        Edit::DropComment(i) => {
            let n = doc
                .items
                .iter()
                .filter(|i| matches!(i, Item::Comment(_)))
                .count();
            if n > 0 {
                let mut seen = 0;
                doc.items.retain(|it| {
                    let keep = !matches!(it, Item::Comment(_)) || seen != i % n;
                    seen += matches!(it, Item::Comment(_)) as usize;
                    keep
                });
            }
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Unset),
        Just(Edit::SetTop),
        any::<usize>().prop_map(Edit::SetInside),
        any::<usize>().prop_map(Edit::Append),
        any::<usize>().prop_map(Edit::DropComment),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// After `set`/`unset`-like edits the output (with metadata, so comments count too)
    /// still loads back to exactly the edited tree.
    #[test]
    fn edited_documents_load_back_equal(t in table(2), edits in prop::collection::vec(edit(), 1..4)) {
        let mut doc = String::new();
        render(&mut doc, &t, "");
        let store = TomlStore::new();
        let mut docs = load(&store, &doc);
        for e in &edits {
            apply(&mut docs[0], e);
        }
        let meta = super::metadata(Selection::default()).to_map();
        let out = store.emit(&docs, Some(&meta));
        let out = text(out.map_err(|e| TestCaseError::fail(e.to_string()))?);
        let back = TomlStore::new().load(out.as_bytes()).unwrap();
        prop_assert!(
            same(&Value::Map(back.docs[0].clone()), &Value::Map(docs[0].clone())),
            "{}",
            out
        );
    }
}
