use crate::common::*;

/// Decrypts `rel` with identity `n` and compares with its `.decrypted` sibling.
fn check(rel: &str, n: u8) {
    let sb = Sandbox::new();
    let file = compat(rel);
    let want = std::fs::read(compat(&format!("{rel}.decrypted"))).unwrap();
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(n))
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert!(
        r.stdout == want,
        "{rel}: output differs\n--- got\n{}\n--- want\n{}",
        r.stdout_str(),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn synthetic_yaml_and_json_fixtures_decrypt_byte_for_byte() {
    for (rel, n) in [
        ("synthetic/basic.enc.yaml", 1),
        ("synthetic/basic.enc.json", 1),
        ("synthetic/multidoc.enc.yaml", 1),
        ("synthetic/comment_regex.enc.yaml", 1),
        ("synthetic/regex_maconly.enc.yaml", 1),
        ("synthetic/pgp_age.enc.yaml", 2),
    ] {
        check(rel, n);
    }
}

#[test]
fn synthetic_fixture_opens_through_every_identity_source() {
    let sb = Sandbox::new();
    let file = compat("synthetic/basic.enc.yaml");
    let want = std::fs::read(compat("synthetic/basic.enc.yaml.decrypted")).unwrap();
    let key = std::fs::read_to_string(identity(1)).unwrap();
    // SOPS_AGE_KEY holds the identities themselves.
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY", &key)
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert_eq!(r.stdout, want);
    // The default keys file under XDG_CONFIG_HOME.
    sb.write("xdg/sops/age/keys.txt", &key);
    let r = run(sb
        .shroud()
        .env("XDG_CONFIG_HOME", sb.path("xdg"))
        .arg("-d")
        .arg(&file))
    .ok();
    assert_eq!(r.stdout, want, "legacy -d form with the default keys file");
}
