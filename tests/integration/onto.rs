//! `encrypt --onto`: the plaintext is encrypted onto an existing encrypted file, keeping its
//! data key and the ciphertext of every unchanged value; an unchanged plaintext writes nothing.

use crate::common::*;
use crate::ops::{assert_only, decrypt, encrypted, many_keys, shroud_k, Git, FORMATS};

#[test]
fn encrypt_onto_changes_three_lines_and_nothing_when_unchanged() {
    for fmt in FORMATS {
        let sb = Sandbox::new();
        let plain = many_keys(fmt, 100);
        let f = encrypted(&sb, &format!("o.enc.{fmt}"), &plain);
        let git = Git::init(&sb);
        git.commit_all();
        let before = std::fs::read(&f).unwrap();

        // Unchanged plaintext: zero bytes change (not even lastmodified).
        let src = sb.write(&format!("plain.{fmt}"), &plain);
        let r = run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&src)).ok();
        assert!(r.stdout.is_empty());
        assert_eq!(std::fs::read(&f).unwrap(), before, "{fmt}: no-op rewrote");

        // One changed value: its line, lastmodified and mac.
        sb.write(
            &format!("plain.{fmt}"),
            plain.replace("value042", "new value"),
        );
        run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&src)).ok();
        assert_eq!(git.numstat(&f), (3, 3), "{fmt}");
        assert_only(&git.changed_lines(&f), &["key042"]);
        assert_eq!(
            decrypt(&sb, &f),
            decrypt_plain(&sb, &plain.replace("value042", "new value"), fmt)
        );
    }
}

/// What `decrypt` prints for this plaintext (the store's own rendering of it).
pub fn decrypt_plain(sb: &Sandbox, plain: &str, fmt: &str) -> String {
    let f = encrypted(sb, &format!("ref.{fmt}"), plain);
    decrypt(sb, &f)
}

#[test]
fn encrypt_onto_creates_a_missing_file_and_can_write_elsewhere() {
    let sb = Sandbox::new();
    let src = sb.write("plain.json", "{\"a\": \"1\"}\n");
    let target = sb.path("new.enc.json");
    run(sb
        .shroud()
        .args(["encrypt", "--age", R1, "--onto"])
        .arg(&target)
        .arg(&src))
    .ok();
    assert!(decrypt(&sb, &target).contains("\"a\": \"1\""));
    // --output: the --onto file is only read.
    let before = std::fs::read(&target).unwrap();
    sb.write("plain.json", "{\"a\": \"2\"}\n");
    let other = sb.path("other.enc.json");
    run(shroud_k(&sb)
        .args(["encrypt", "--onto"])
        .arg(&target)
        .arg("--output")
        .arg(&other)
        .arg(&src))
    .ok();
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert!(decrypt(&sb, &other).contains("\"a\": \"2\""));
    // -i would overwrite the plaintext: refused.
    run(shroud_k(&sb)
        .args(["encrypt", "-i", "--onto"])
        .arg(&target)
        .arg(&src))
    .fails_with(8);
}

#[test]
fn encrypt_onto_is_stable_with_yaml_comments() {
    let sb = Sandbox::new();
    let plain = "# top\na: 1 # inline\nlist:\n    - x # item\n    # between\n    - y\nb: two\n";
    let f = encrypted(&sb, "c.enc.yaml", plain);
    let src = sb.write("c.yaml", plain);
    let first = std::fs::read(&f).unwrap();
    run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&src)).ok();
    assert_eq!(
        std::fs::read(&f).unwrap(),
        first,
        "unchanged plaintext rewrote"
    );
    sb.write("c.yaml", plain.replace("two", "three"));
    run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&src)).ok();
    let second = std::fs::read(&f).unwrap();
    assert_ne!(second, first);
    run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&src)).ok();
    assert_eq!(std::fs::read(&f).unwrap(), second, "second run rewrote");
    assert!(decrypt(&sb, &f).contains("b: three"));
    if let Some(mut sops) = crate::ops::sops_k(&sb) {
        run(sops.arg("decrypt").arg(&f)).ok();
    }
}

#[test]
fn encrypt_onto_reads_stdin_and_other_formats() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "s.enc.json", "{\"a\": \"x\"}\n");
    let before = std::fs::read(&f).unwrap();
    // stdin: the format is the encrypted file's.
    run(shroud_k(&sb)
        .args(["encrypt", "--onto"])
        .arg(&f)
        .stdin(std::fs::File::open(sb.write("in.json", "{\"a\": \"x\"}")).unwrap()))
    .ok();
    assert_eq!(std::fs::read(&f).unwrap(), before);
    // A YAML plaintext onto a JSON file.
    let y = sb.write("p.yaml", "a: x\nb: new\n");
    run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&y)).ok();
    let after = std::fs::read_to_string(&f).unwrap();
    let a_line = |t: &str| t.lines().find(|l| l.contains("\"a\"")).unwrap().to_string();
    assert_eq!(a_line(&after), a_line(&String::from_utf8(before).unwrap()));
    assert!(decrypt(&sb, &f).contains("\"b\": \"new\""));
    // An already encrypted input is refused.
    run(shroud_k(&sb).args(["encrypt", "--onto"]).arg(&f).arg(&f)).fails_with(203);
}
