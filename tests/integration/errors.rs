use crate::common::*;

fn unchanged(path: &std::path::Path, before: &[u8]) {
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "{} must be untouched",
        path.display()
    );
}

#[test]
fn malformed_yaml_and_json_name_file_and_line() {
    let sb = Sandbox::new();
    for (name, content, line) in [
        ("bad.yaml", "a: 1\nb: [unclosed\nc: 3\n", "line"),
        ("bad.json", "{\n  \"a\": 1,\n  \"b\": \n}\n", "line 4"),
    ] {
        let f = sb.write(name, content);
        let r = run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&f)).fails_with(2);
        assert!(
            r.stderr.contains(name) && r.stderr.contains(line),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().next().unwrap().matches('\n').count(), 0);
        unchanged(&f, content.as_bytes());
    }
}

#[test]
fn encrypting_twice_is_203_and_decrypting_plain_is_an_error() {
    let sb = Sandbox::new();
    let f = sb.write("s.yaml", "a: 1\n");
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&f)).ok();
    let enc = std::fs::read(&f).unwrap();
    let r = run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&f)).fails_with(203);
    assert!(r.stderr.contains("already encrypted"), "{}", r.stderr);
    unchanged(&f, &enc);

    let p = sb.write("plain.yaml", "a: 1\n");
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .args(["decrypt", "-i"])
        .arg(&p))
    .fails_with(1);
    assert!(r.stderr.contains("metadata not found"), "{}", r.stderr);
    unchanged(&p, b"a: 1\n");
}

#[test]
fn wrong_age_key_is_128_listing_recipients_and_tried_identities() {
    let sb = Sandbox::new();
    let f = sb.write("s.yaml", "secret: value\n");
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&f)).ok();
    let enc = std::fs::read(&f).unwrap();
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .args(["decrypt", "-i"])
        .arg(&f))
    .fails_with(128);
    assert!(
        r.stderr.contains(R1),
        "file's recipient listed: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(R2),
        "tried identity listed by its recipient: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("AGE-SECRET-KEY"), "no secrets in errors");
    unchanged(&f, &enc);
}

#[test]
fn missing_file_is_100_and_conflicting_flags_are_8() {
    let sb = Sandbox::new();
    run(sb.shroud().args(["decrypt", "nope.yaml"])).fails_with(100);
    run(sb.shroud().args(["encrypt", "--age", R1, "nope.yaml"])).fails_with(100);
    let f = sb.write("a.yaml", "a: 1\n");
    run(sb
        .shroud()
        .args(["encrypt", "-i", "--output", "x.yaml", "--age", R1])
        .arg(&f))
    .fails_with(8);
    run(sb
        .shroud()
        .args([
            "encrypt",
            "--age",
            R1,
            "--encrypted-regex",
            "a",
            "--unencrypted-suffix",
            "b",
        ])
        .arg(&f))
    .fails_with(8);
    unchanged(&f, b"a: 1\n");
}

#[test]
fn empty_yaml_is_92() {
    let sb = Sandbox::new();
    let f = sb.write("empty.yaml", "");
    run(sb.shroud().args(["encrypt", "--age", R1]).arg(&f)).fails_with(92);
}

#[test]
fn sops_boolean_env_vars_take_sops_spellings() {
    let sb = Sandbox::new();
    for v in ["1", "true", "0"] {
        let r = run(sb
            .shroud()
            .env("SOPS_DISABLE_VERSION_CHECK", v)
            .arg("--version"))
        .ok();
        assert!(r.stdout_str().starts_with("shroud "), "{v}");
    }
}
