use crate::common::*;

const CONFIG: &str = "creation_rules:\n  - path_regex: dev/.*\\.yaml$\n    age: >-\n      age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun\n  - path_regex: prod/\n    age:\n      - age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90\n    encrypted_regex: ^password$\n";

#[test]
fn path_regex_picks_recipients_and_options() {
    let sb = Sandbox::new();
    sb.write(".sops.yaml", CONFIG);
    let dev = sb.write("dev/app.yaml", "password: a\nuser: b\n");
    let prod = sb.write("prod/app.yaml", "password: a\nuser: b\n");
    let d = run(sb.shroud().args(["encrypt", "-i"]).arg(&dev)).ok();
    assert!(d.stdout.is_empty());
    let p = run(sb.shroud().args(["encrypt", "-i"]).arg(&prod)).ok();
    assert!(p.stdout.is_empty());
    let dev_text = std::fs::read_to_string(&dev).unwrap();
    let prod_text = std::fs::read_to_string(&prod).unwrap();
    assert!(dev_text.contains(R1) && !dev_text.contains(R2));
    assert!(prod_text.contains(R2) && !prod_text.contains(R1));
    assert!(
        prod_text.contains("user: b"),
        "encrypted_regex from the rule"
    );
    assert!(prod_text.contains("encrypted_regex: ^password$"));
    assert!(dev_text.contains("user: ENC["));

    // Identity 1 opens dev but not prod: 128, recipients listed.
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(&dev))
    .ok();
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(&prod))
    .fails_with(128);
    assert!(
        r.stderr.contains(R2),
        "lists the file's recipients: {}",
        r.stderr
    );
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .arg("decrypt")
        .arg(&prod))
    .ok();
}

#[test]
fn key_flags_override_rules_and_config_flag_is_honoured() {
    let sb = Sandbox::new();
    let cfg = sb.write("conf/custom.yaml", CONFIG);
    let f = sb.write("dev/x.yaml", "a: 1\n");
    let out = run(sb.shroud().args(["encrypt", "--age", R2]).arg(&f))
        .ok()
        .stdout_str();
    assert!(out.contains(R2) && !out.contains(R1));
    // --config is honoured; a file outside its directory is matched by its absolute path.
    let out = run(sb.shroud().arg("--config").arg(&cfg).arg("encrypt").arg(&f))
        .ok()
        .stdout_str();
    assert!(out.contains(R1) && !out.contains(R2));
    let other = sb.write("other/x.yaml", "a: 1\n");
    let r = run(sb
        .shroud()
        .arg("--config")
        .arg(&cfg)
        .arg("encrypt")
        .arg(&other))
    .fails_with(1);
    assert!(
        r.stderr.contains("no matching creation rules"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_rule_and_no_key_is_a_clear_error() {
    let sb = Sandbox::new();
    let f = sb.write("a.yaml", "a: 1\n");
    let r = run(sb.shroud().arg("encrypt").arg(&f)).fails_with(1);
    assert!(r.stderr.contains("no keys provided"), "{}", r.stderr);
    assert!(r.stderr.lines().next().unwrap().starts_with("Error: "));
    sb.write(
        ".sops.yaml",
        "creation_rules:\n  - path_regex: nomatch\n    age: x\n",
    );
    let r = run(sb.shroud().arg("encrypt").arg(&f)).fails_with(1);
    assert!(
        r.stderr.contains("no matching creation rules"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "a: 1\n");
}

#[test]
fn a_broken_creation_rule_does_not_break_decrypt_but_stops_encrypt() {
    let sb = Sandbox::new();
    let f = sb.write("a.yaml", "a: 1\n");
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&f)).ok();
    sb.write(
        ".sops.yaml",
        "creation_rules:\n  - path_regex: '(unclosed'\n    age: x\n",
    );
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .arg(&f))
    .ok();
    assert_eq!(r.stdout_str(), "a: 1\n");
    let g = sb.write("b.yaml", "b: 1\n");
    let r = run(sb.shroud().arg("encrypt").arg(&g)).fails_with(1);
    assert!(r.stderr.contains("invalid path_regex"), "{}", r.stderr);
}
