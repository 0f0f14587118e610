//! Emitting trees whose structure changed since load (`set`, `unset`, `--extract`).

use super::*;
use crate::core::path::{self, Seg};

const DOC: &str = r#"# Service settings
name = "api"   # shown in logs
port = 8080

[db]
# primary
host = "db.internal"
password = "hunter2"
replicas = [ "r1", "r2" ]

[cache]
ttl = 30
"#;

fn key(k: &str) -> Seg {
    Seg::Key(k.into())
}

fn emit_after(edit: impl FnOnce(&mut Document)) -> String {
    let store = TomlStore::new();
    let mut docs = load(&store, DOC);
    edit(&mut docs[0]);
    let out = text(store.emit(&docs, None).unwrap());
    assert_eq!(load(&TomlStore::new(), &out), docs, "reloads equal:\n{out}");
    out
}

#[test]
fn a_new_key_is_appended_to_its_table_and_the_rest_is_untouched() {
    let out = emit_after(|d| {
        path::set(d, &[key("db"), key("user")], Value::from("svc")).unwrap();
    });
    assert_eq!(
        out,
        DOC.replace(
            "[ \"r1\", \"r2\" ]\n",
            "[ \"r1\", \"r2\" ]\nuser = \"svc\"\n"
        )
    );
}

#[test]
fn a_removed_key_takes_its_line_and_the_rest_is_untouched() {
    let out = emit_after(|d| {
        path::unset(d, &[key("port")]).unwrap();
    });
    assert_eq!(out, DOC.replace("port = 8080\n", ""));
}

#[test]
fn list_elements_and_changed_kinds_are_merged_in_place() {
    let out = emit_after(|d| {
        path::set(
            d,
            &[key("db"), key("replicas"), Seg::Index(2)],
            Value::from("r3"),
        )
        .unwrap();
        path::set(
            d,
            &[key("db"), key("replicas"), Seg::Index(3)],
            Value::from("r4"),
        )
        .unwrap();
        path::set(d, &[key("cache"), key("ttl")], Value::Map(Map::new())).unwrap();
    });
    assert!(
        out.contains("replicas = [ \"r1\", \"r2\", \"r3\", \"r4\" ]\n"),
        "{out}"
    );
    assert!(out.ends_with("[cache]\n\n[cache.ttl]\n"), "{out}");
    assert!(out.starts_with("# Service settings\nname = \"api\"   # shown in logs\n"));
    let out = emit_after(|d| {
        path::unset(d, &[key("db"), key("replicas"), Seg::Index(1)]).unwrap();
    });
    assert_eq!(out, DOC.replace("[ \"r1\", \"r2\" ]", "[ \"r1\" ]"));
}

#[test]
fn a_comment_left_dangling_by_unset_is_kept_where_it_belongs() {
    // `# primary` ends up after the last key of [db]: no header position keeps it in [db].
    let out = emit_after(|d| {
        for k in ["host", "password", "replicas"] {
            path::unset(d, &[key("db"), key(k)]).unwrap();
        }
    });
    assert!(
        out.contains("\ndb = {\n    # primary\n}\n\n[cache]\nttl = 30\n"),
        "{out}"
    );
}

#[test]
fn a_new_top_level_key_after_tables_turns_them_into_dotted_keys() {
    let out = emit_after(|d| {
        path::set(d, &[key("extra")], Value::from("last")).unwrap();
    });
    // TOML prints plain keys before tables; `extra` comes last, so [db] and [cache] cannot
    // stay headers without changing the value order the MAC covers.
    assert!(
        out.contains("port = 8080\n# primary\ndb.host = \"db.internal\"\n"),
        "{out}"
    );
    assert!(out.ends_with("cache.ttl = 30\nextra = \"last\"\n"), "{out}");
}

#[test]
fn set_on_an_encrypted_file_keeps_ciphertexts_and_comments() {
    let (enc, key_) = encrypt(DOC, Selection::default());
    let store = TomlStore::new();
    let (mut docs, mut cipher) = open(&store, &enc, &key_);
    let l = store.load(enc.as_bytes()).unwrap();
    let mut meta = Metadata::from_value(l.metadata.as_ref().unwrap(), &Opaque).unwrap();
    let (again, _) = open(&store, &enc, &key_);
    assert_eq!(again, docs);
    path::set(&mut docs[0], &[key("db"), key("user")], Value::from("svc")).unwrap();
    path::unset(&mut docs[0], &[key("port")]).unwrap();
    ops::seal(&mut docs, &mut meta, &mut cipher).unwrap();
    let out = text(store.emit(&docs, Some(&meta.to_map())).unwrap());
    let name_line = enc.lines().find(|l| l.starts_with("name = ")).unwrap();
    assert!(
        out.contains(name_line),
        "unchanged values keep their ciphertext"
    );
    assert!(!out.contains("\nport = "));
    let want = DOC.replace("port = 8080\n", "").replace(
        "[ \"r1\", \"r2\" ]\n",
        "[ \"r1\", \"r2\" ]\nuser = \"svc\"\n",
    );
    assert_eq!(decrypt(&out, &key_), want);
}

#[test]
fn an_extracted_table_is_written_on_its_own() {
    let store = TomlStore::new();
    let docs = load(&store, DOC);
    let Some(Value::Map(db)) = docs[0].get("db") else {
        panic!()
    };
    let out = text(store.emit(std::slice::from_ref(db), None).unwrap());
    assert_eq!(
        out,
        "# primary\nhost = \"db.internal\"\npassword = \"hunter2\"\nreplicas = [\"r1\", \"r2\"]\n"
    );
}
