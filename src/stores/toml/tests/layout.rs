//! The tree the engine sees, tricky syntax, the `[sops]` table and errors.

use super::*;
use crate::core::{Comment, Item};

const TRICKY: &str = r#"# top comment

# second block
title = "x" # trailing
a.b = 1
# before a.c
a . c = 2 # tc
"quoted key" = 'literal \ string'
ml = """
multi "line"
  basic"""
mll = '''no escapes \n here'''
int = -42
float = 6.02e23
special = [inf, -inf, nan, 1.5, -0.0]
bool = true
odt = 1979-05-27T07:32:00-07:00
ldt = 1979-05-27 07:32:00.999
ld = 1979-05-27
lt = 07:32
uni = "é 🎉 \t tab \\ \" \u0001"
empty = ""
nested = [[1, 2], ["a", { x = 1 }], []]

[tbl] # header comment
x = [ # after open
  1, # one
  # own line
  2
  , 3, # three
  # end
]
y = { p = 1, q.r = "s" }
# end of tbl

# more
[[srv]]
n = 1
# between
[[srv]] # hdr2
n = 2
[srv.sub]
deep = true
[tbl.sub]
z = 1
# eof
"#;

/// Spellings that decryption cannot know and writes canonically; they load and emit unchanged.
const SPELLINGS: &str = r#"hex = 0x1F
oct = 0o17
bin = 0b101
under = 1_000
plus = +5
e = 1E3
neg_nan = -nan
pinf = +inf
space_time = 1979-05-27 07:32:00Z
offset_zero = 1979-05-27T07:32:00+00:00
lower = 1979-05-27t07:32:00z
escaped = "\u00e9\U0001F389\e"
cont = """
a \
  b"""
"#;

#[test]
fn tricky_documents_round_trip_unchanged() {
    let crlf = "a = 1\r\n# c\r\n[t]\r\nb = \"\"\"\r\nx\r\ny\"\"\" # t\r\n";
    let inline11 = "a = { x = 1, # c1\n  y = 2,\n  # c2\n}\n";
    let odd = "a = { # c0\n x = 1 # c1\n , y = [ # c2\n ] # c3\n , z.w = 2 # c4\n } # c5\n";
    let store = TomlStore::new();
    let docs = load(&store, SPELLINGS);
    assert_eq!(text(store.emit(&docs, None).unwrap()), SPELLINGS);
    for doc in [
        TRICKY,
        crlf,
        inline11,
        odd,
        "a = {x = 1,}\n",
        "\u{feff}a = 1\n",
        "[a]\n[[b]]\n[[b]]\n",
        "a = [\n]\nx = [1, 2, # c\n 3]\n",
        "",
        "\n\n",
        "# only a comment",
        "a = 1",
        "[a]",
    ] {
        let store = TomlStore::new();
        let docs = load(&store, doc);
        assert_eq!(text(store.emit(&docs, None).unwrap()), doc);
        let (enc, key) = encrypt(doc, Selection::default());
        assert_eq!(decrypt(&enc, &key), doc, "through encryption: {doc:?}");
    }
}

#[test]
fn non_canonical_spellings_are_normalised_only_when_encrypted() {
    let doc = "hex = 0x1F\nf = +1.5\nt = 1979-05-27 07:32:00+00:00\ns = \"\\u00e9\"\n";
    let (enc, key) = encrypt(doc, Selection::default());
    assert_eq!(
        decrypt(&enc, &key),
        "hex = 31\nf = 1.5\nt = 1979-05-27T07:32:00Z\ns = \"é\"\n"
    );
    let clear = "hex_unencrypted = 0x1F\n";
    let (enc, key) = encrypt(clear, Selection::default());
    assert!(enc.starts_with(clear));
    assert_eq!(decrypt(&enc, &key), clear);
}

#[test]
fn tables_dotted_keys_and_arrays_of_tables_become_nested_maps() {
    let store = TomlStore::new();
    let docs = load(
        &store,
        "a.b.c = 1\n[[servers]]\nname = \"x\"\n[[servers]]\nname = \"y\"\n[db]\nhost = \"h\"\n",
    );
    let d = &docs[0];
    let Some(Value::Map(a)) = d.get("a") else {
        panic!()
    };
    assert_eq!(
        a.get("b").and_then(|b| b.as_map()).and_then(|b| b.get("c")),
        Some(&Value::Int(1))
    );
    let Some(Value::Seq(servers)) = d.get("servers") else {
        panic!()
    };
    assert_eq!(servers.len(), 2);
    assert_eq!(
        servers[1].as_map().and_then(|m| m.get("name")),
        Some(&Value::from("y"))
    );
    assert!(matches!(d.get("db"), Some(Value::Map(_))));
}

#[test]
fn aad_of_array_of_tables_is_the_logical_key_path() {
    use crate::core::codec::Cipher;
    let (enc, key) = encrypt("[[servers]]\nname = \"alpha\"\n", Selection::default());
    let store = TomlStore::new();
    let l = store.load(enc.as_bytes()).unwrap();
    let Some(Value::Seq(s)) = l.docs[0].get("servers") else {
        panic!()
    };
    let Some(Value::Str(name)) = s[0].as_map().and_then(|m| m.get("name")) else {
        panic!()
    };
    let mut c = Cipher::new(&key);
    assert_eq!(
        c.decrypt(name, "servers:name:").unwrap(),
        Value::from("alpha")
    );
    assert!(c.decrypt(name, "servers:0:name:").is_err());
}

#[test]
fn comments_sit_before_their_entry_and_trailing_ones_are_inline() {
    let store = TomlStore::new();
    let d = &load(
        &store,
        "# head\nk = 1 # tail\n[t] # hdr\n# above\nv = [\n  1, # one\n  # two\n  2,\n]\n# eof\n",
    )[0];
    let c = |t: &str, inline| Comment {
        text: t.into(),
        inline,
    };
    assert_eq!(d.items[0], Item::Comment(c(" head", false)));
    assert_eq!(d.items[1], Item::Comment(c(" tail", true)));
    assert!(matches!(&d.items[2], Item::Entry(k, _) if k == "k"));
    assert_eq!(d.items[3], Item::Comment(c(" hdr", true)));
    assert_eq!(d.items[5], Item::Comment(c(" eof", false)));
    let t = d.get("t").and_then(Value::as_map).unwrap();
    assert_eq!(t.items[0], Item::Comment(c(" above", false)));
    let Some(Value::Seq(v)) = t.get("v") else {
        panic!()
    };
    assert_eq!(
        v,
        &vec![
            Value::Comment(c(" one", true)),
            Value::Int(1),
            Value::Comment(c(" two", false)),
            Value::Int(2),
        ]
    );
}

#[test]
fn metadata_is_a_sops_table_at_the_end() {
    let (enc, _) = encrypt("a = 1\n", Selection::default());
    let tail = &enc[enc.find("[sops]").unwrap()..];
    assert!(enc.starts_with("a = \"ENC[AES256_GCM,data:"));
    assert!(enc.contains(",type:int]\"\n\n[sops]\nlastmodified = \""));
    assert!(tail.contains("\nmac = \"ENC[AES256_GCM,"));
    assert!(tail.contains("\nunencrypted_suffix = \"_unencrypted\"\nversion = \"3.13.2\"\n"));
    let age = format!("\n[[sops.age]]\nenc = \"\"\"\n{ARMOR}\"\"\"\nrecipient = \"age1ql3z");
    assert!(tail.contains(&age), "{tail}");

    let store = TomlStore::new();
    let l = store.load(enc.as_bytes()).unwrap();
    let Some(Value::Map(m)) = &l.metadata else {
        panic!()
    };
    assert!(matches!(m.get("lastmodified"), Some(Value::Str(_))));
    let Some(Value::Seq(age)) = m.get("age") else {
        panic!()
    };
    assert_eq!(
        age[0].as_map().and_then(|e| e.get("enc")),
        Some(&Value::from(ARMOR))
    );
    assert!(l.docs[0].get("sops").is_none());
}

#[test]
fn key_groups_and_nested_maps_use_arrays_of_tables() {
    let mut entry = Map::new();
    entry.push("arn", "arn:aws:kms:eu-west-1:1:key/x");
    entry.push(
        "context",
        Value::Map([("app", "web")].into_iter().collect()),
    );
    let mut group = Map::new();
    group.push("age", Value::Seq(vec![]));
    group.push("hc_vault", Value::Seq(vec![]));
    group.push("kms", Value::Seq(vec![Value::Map(entry)]));
    let mut meta = Map::new();
    meta.push(
        "key_groups",
        Value::Seq(vec![Value::Map(group.clone()), Value::Map(group)]),
    );
    meta.push("lastmodified", "2024-01-01T00:00:00Z");
    meta.push("shamir_threshold", Value::Int(2));
    let store = TomlStore::new();
    let out = text(store.emit(&[Map::new()], Some(&meta)).unwrap());
    assert!(
        out.starts_with(
            "[sops]\nlastmodified = \"2024-01-01T00:00:00Z\"\nshamir_threshold = 2\n\n\
         [[sops.key_groups]]\nage = []\nhc_vault = []\n\n[[sops.key_groups.kms]]\n\
         arn = \"arn:aws:kms:eu-west-1:1:key/x\"\n\n[sops.key_groups.kms.context]\napp = \"web\"\n"
        ),
        "{out}"
    );
    let l = store.load(out.as_bytes()).unwrap();
    let Some(Value::Map(back)) = l.metadata else {
        panic!()
    };
    assert_eq!(back.get("key_groups"), meta.get("key_groups"));
    assert_eq!(l.docs, vec![Map::new()]);
}

#[test]
fn a_plain_file_with_a_sops_key_hands_it_over_as_metadata() {
    let store = TomlStore::new();
    let l = store.load(b"a = 1\nsops = \"x\"\n").unwrap();
    assert_eq!(l.metadata, Some(Value::from("x")));
    assert_eq!(l.docs[0].get("a"), Some(&Value::Int(1)));
    let l = store.load(b"[sops.x]\ny = 1\n[a]\nb = 2\n").unwrap();
    assert!(matches!(l.metadata, Some(Value::Map(_))));
    assert_eq!(text(store.emit(&l.docs, None).unwrap()), "[a]\nb = 2\n");
}

#[test]
fn metadata_cut_keeps_the_documents_own_ending() {
    for doc in ["a = 1", "a = 1\n", "a = 1\n\n", "# c\n", "x = 1 # end"] {
        let (enc, key) = encrypt(doc, Selection::default());
        assert_eq!(decrypt(&enc, &key), doc);
    }
}

#[test]
fn invalid_toml_reports_line_and_column_without_content() {
    let store = TomlStore::new();
    let input = b"ok = 1\n[t]\npassword = hunter2\n";
    let e = store.load(input).unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(12)));
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert_eq!(input, b"ok = 1\n[t]\npassword = hunter2\n");
    let e = store.load(b"a = 1\na = 2\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    let e = store.load(b"a = \"ok\"\nb = \"\xff\"\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(6)));
    let e = store.load(b"t = 1979-05-27T07:32:60Z\n").unwrap_err();
    assert_eq!(e.line, Some(1));
}

#[test]
fn debug_output_never_shows_the_remembered_text() {
    let store = TomlStore::new();
    load(&store, "password = \"hunter2\"\n");
    let shown = format!("{store:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("21"),
        "{shown}"
    );
}

#[test]
fn values_toml_cannot_hold_are_errors_naming_the_key() {
    let store = TomlStore::new();
    let mut m = Map::new();
    let mut inner = Map::new();
    inner.push("gone", Value::Null);
    m.push("t", Value::Map(inner));
    let e = store.emit(&[m], None).unwrap_err();
    assert!(e.to_string().contains("[\"t\"][\"gone\"]"), "{e}");
    let mut m = Map::new();
    m.push_comment(Comment::new("two\nlines"));
    assert!(store.emit(&[m], None).is_err());
}

#[test]
fn emit_value_prints_strings_raw_and_tables_as_documents() {
    let store = TomlStore::new();
    assert_eq!(store.emit_value(&Value::from("s3cret")).unwrap(), b"s3cret");
    assert_eq!(store.emit_value(&Value::Int(7)).unwrap(), b"7\n");
    assert_eq!(
        store
            .emit_value(&Value::Seq(vec![Value::Bool(true), Value::from("x")]))
            .unwrap(),
        b"[true, \"x\"]\n"
    );
    let mut m = Map::new();
    m.push("k", "v");
    assert_eq!(store.emit_value(&Value::Map(m)).unwrap(), b"k = \"v\"\n");
}
