use crate::common::*;

/// Every YAML leaf kind, comments in all positions, `_unencrypted` keys, empty strings,
/// unicode keys and deep nesting.
pub const RICH_YAML: &str = r#"# top comment
string: hello world
empty: ""
int: 42
negative: -7
octal: 017
float: 1.5
whole: 2.0
big: 1.0e+21
small: 1.5e-7
yes_str: yes
quoted: "123"
bool: true
nothing: null
date: 2024-01-01
datetime: 2001-12-14T21:59:43.10-05:00
multiline: |
    line one
    line two
folded: >-
    folded text
    continues
unicode_ключ: значение ✓
"key with: colon": v
list:
    - a
    # comment in list
    - 2
    - false
    - nested: map
      other: 1
    - - inner
      - list
deep:
    a:
        b:
            c:
                d:
                    e: deep value
nested:
    # nested comment
    key: value # inline comment
    empty_map: {}
    empty_list: []
password_unencrypted: plain-text
tree_unencrypted:
    child: stays clear
    items:
        - x
"#;

pub const RICH_JSON: &str = r#"{
	"string": "hello <world> & co",
	"empty": "",
	"int": 42,
	"float": 1.5,
	"whole": 1.0,
	"big": 12345678901234567890,
	"bool": false,
	"nothing": null,
	"unicode ✓": "ü",
	"list": [1, "two", {"three": 3}, []],
	"obj": {"a": {"b": {"c": "deep"}}, "empty": {}},
	"secret_unencrypted": "clear"
}
"#;

fn sops_decrypt(sb: &Sandbox, file: &std::path::Path) -> Vec<u8> {
    let mut sops = sb.sops().expect("oracle");
    run(sops
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(file))
    .ok()
    .stdout
}

fn both_ways(name: &str, content: &str) {
    let sb = Sandbox::new();
    let Some(_) = sb.sops() else { return };
    let plain = sb.write(name, content);

    // upstream's own round trip is the reference output
    let up_enc = run(sb
        .sops()
        .unwrap()
        .args(["encrypt", "--age", R1])
        .arg(&plain))
    .ok();
    let up_file = sb.write(&format!("up.{name}"), &up_enc.stdout);
    let reference = sops_decrypt(&sb, &up_file);

    // shroud encrypts, upstream decrypts
    let ours = run(sb.shroud().args(["encrypt", "--age", R1]).arg(&plain)).ok();
    let our_file = sb.write(&format!("ours.{name}"), &ours.stdout);
    let upstream_of_ours = sops_decrypt(&sb, &our_file);
    assert_eq!(
        String::from_utf8_lossy(&upstream_of_ours),
        String::from_utf8_lossy(&reference),
        "{name}: upstream's decryption of shroud's file differs from its own round trip"
    );

    // upstream encrypts, shroud decrypts
    let shroud_of_up = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(&up_file))
    .ok();
    assert_eq!(
        shroud_of_up.stdout_str(),
        String::from_utf8_lossy(&reference),
        "{name}: shroud's decryption of upstream's file differs from upstream's"
    );

    // and shroud reads its own file the same way
    let own = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(&our_file))
    .ok();
    assert_eq!(own.stdout, shroud_of_up.stdout);
}

#[test]
fn yaml_round_trips_with_upstream_both_ways() {
    both_ways("rich.yaml", RICH_YAML);
}

#[test]
fn json_round_trips_with_upstream_both_ways() {
    both_ways("rich.json", RICH_JSON);
}

#[test]
fn encrypted_file_keeps_clear_what_must_stay_clear() {
    let sb = Sandbox::new();
    let plain = sb.write("rich.yaml", RICH_YAML);
    let out = run(sb.shroud().args(["encrypt", "--age", R1]).arg(&plain))
        .ok()
        .stdout_str();
    for clear in [
        "password_unencrypted: plain-text",
        "child: stays clear",
        "empty: \"\"",
        "nothing: null",
        "unicode_ключ: ENC[",
    ] {
        assert!(out.contains(clear), "missing {clear:?} in\n{out}");
    }
    for secret in [
        "hello world",
        "deep value",
        "line one",
        "comment in list",
        "значение",
    ] {
        assert!(
            !out.contains(secret),
            "plaintext {secret:?} leaked into\n{out}"
        );
    }
    assert!(out.contains("    version: 3.13.2\n"));
    assert!(out.contains("    unencrypted_suffix: _unencrypted\n"));
}
