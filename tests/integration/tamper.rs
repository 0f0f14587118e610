use crate::common::*;

const PLAIN: &str = "# a comment\nstring: hello world\ncount: 3\nlist:\n    - a\n    - b\nclear_unencrypted: visible\n";

/// A fresh encrypted file and its text.
fn encrypted(sb: &Sandbox) -> String {
    let p = sb.write("plain.yaml", PLAIN);
    run(sb.shroud().args(["encrypt", "--age", R1]).arg(&p))
        .ok()
        .stdout_str()
}

/// Changes the first base64 character after `field:` on the first line starting with `line`.
fn flip(text: &str, line: &str, field: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive('\n') {
        if !done && l.trim_start().starts_with(line) {
            let i = l.find(field).expect("field") + field.len();
            let c = l.as_bytes()[i];
            let new = if c == b'A' { 'B' } else { 'A' };
            out.push_str(&l[..i]);
            out.push(new);
            out.push_str(&l[i + 1..]);
            done = true;
        } else {
            out.push_str(l);
        }
    }
    assert!(done, "no line {line}");
    out
}

fn decrypt(sb: &Sandbox, text: &str, extra: &[&str]) -> Run {
    let f = sb.write("t.enc.yaml", text);
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .args(extra)
        .arg(&f));
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        text,
        "input untouched"
    );
    r
}

#[test]
fn changed_ciphertext_iv_or_tag_is_25_without_output() {
    let sb = Sandbox::new();
    let enc = encrypted(&sb);
    decrypt(&sb, &enc, &[]).ok();
    for field in ["data:", "iv:", "tag:"] {
        let r = decrypt(&sb, &flip(&enc, "string:", field), &[]).fails_with(25);
        assert!(
            r.stderr.contains(r#"["string"]"#),
            "names the key path: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("hello"), "no plaintext in errors");
        // --ignore-mac does not skip value authentication
        decrypt(&sb, &flip(&enc, "string:", field), &["--ignore-mac"]).fails_with(25);
    }
}

#[test]
fn changed_mac_or_lastmodified_is_51_and_ignore_mac_skips_only_that() {
    let sb = Sandbox::new();
    let enc = encrypted(&sb);
    let bad_mac = flip(&enc, "mac:", "data:");
    let r = decrypt(&sb, &bad_mac, &[]).fails_with(51);
    assert!(r.stderr.contains("MAC"), "{}", r.stderr);
    let ok = decrypt(&sb, &bad_mac, &["--ignore-mac"]).ok();
    assert_eq!(ok.stdout_str(), PLAIN);

    let older = enc.replace("lastmodified: \"20", "lastmodified: \"19");
    assert_ne!(older, enc);
    decrypt(&sb, &older, &[]).fails_with(51);
}

#[test]
fn changed_clear_value_or_rule_metadata_is_detected() {
    let sb = Sandbox::new();
    let enc = encrypted(&sb);
    decrypt(&sb, &enc.replace("visible", "visiblE"), &[]).fails_with(51);
    let swapped = enc.replace(
        "unencrypted_suffix: _unencrypted",
        "unencrypted_suffix: _clear",
    );
    let r = decrypt(&sb, &swapped, &[]);
    assert_ne!(r.code, 0);
    assert!(r.stdout.is_empty());
}

#[test]
fn tampered_encrypted_comment_fails_unlike_upstream() {
    let sb = Sandbox::new();
    let enc = encrypted(&sb);
    assert!(enc.starts_with("#ENC["), "comment is encrypted: {enc}");
    decrypt(&sb, &flip(&enc, "#ENC[", "data:"), &[]).fails_with(25);
    // An encrypted comment moved into another mapping changes its AAD and fails too.
    let first = enc.lines().next().unwrap();
    let moved = enc.replacen(&format!("{first}\n"), "", 1).replacen(
        "list:\n",
        &format!("list:\n    {first}\n"),
        1,
    );
    decrypt(&sb, &moved, &[]).fails_with(25);
}
