//! dotenv, INI, binary and TOML through the binary: fixtures, interop with upstream,
//! byte-exact TOML round trips, conversions and per-format bad input.

use crate::common::*;

fn decrypt_with(sb: &Sandbox, file: &std::path::Path, extra: &[&str]) -> Run {
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .arg("decrypt")
        .args(extra)
        .arg(file))
}

#[test]
fn synthetic_env_ini_binary_fixtures_decrypt_byte_for_byte() {
    let sb = Sandbox::new();
    for rel in [
        "synthetic/basic.enc.env",
        "synthetic/basic.enc.ini",
        "synthetic/basic.bin.enc",
    ] {
        let want = std::fs::read(compat(&format!("{rel}.decrypted"))).unwrap();
        let got = decrypt_with(&sb, &compat(rel), &[]).ok().stdout;
        assert!(got == want, "{rel}: {:?}", String::from_utf8_lossy(&got));
    }
}

fn store_name(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap() {
        "env" => "dotenv",
        "ini" => "ini",
        _ => "binary",
    }
}

#[test]
fn dotenv_ini_binary_interop_with_upstream_both_ways() {
    let sb = Sandbox::new();
    let Some(_) = sb.sops() else { return };
    let inputs: [(&str, &[u8]); 3] = [
        ("in.env", b"# comment\nA=1\nB=hello world\nC=\nD_unencrypted=clear\nE=multi\\nline\nfoo = bar\n"),
        ("in.ini", b"top = 1\n[sec]\n; a comment\nkey = value\nother = x # trailing\n[more]\nk2 = \"quoted \"\n"),
        ("in.bin", b"bin\x00\xff data\nno newline at end"),
    ];
    for (name, content) in inputs {
        let plain = sb.write(name, content);
        let ty = store_name(name);
        let sops_decrypt = |f: &std::path::Path| {
            run(sb
                .sops()
                .unwrap()
                .env("SOPS_AGE_KEY_FILE", identity(1))
                .args(["decrypt", "--input-type", ty, "--output-type", ty])
                .arg(f))
            .ok()
            .stdout
        };
        let up = run(sb
            .sops()
            .unwrap()
            .args(["encrypt", "--age", R1])
            .arg(&plain))
        .ok();
        let up_file = sb.write(&format!("up.{name}"), &up.stdout);
        let reference = sops_decrypt(&up_file);
        let ours = run(sb.shroud().args(["encrypt", "--age", R1]).arg(&plain)).ok();
        let our_file = sb.write(&format!("ours.{name}"), &ours.stdout);
        assert_eq!(
            sops_decrypt(&our_file),
            reference,
            "{name}: upstream reads ours"
        );
        assert_eq!(
            decrypt_with(&sb, &up_file, &[]).ok().stdout,
            reference,
            "{name}: we read upstream's"
        );
        if ty == "binary" {
            assert_eq!(reference, content, "binary bytes survive exactly");
        }
    }
}

#[test]
fn toml_round_trips_byte_for_byte_and_hides_values() {
    let sb = Sandbox::new();
    for (name, secrets) in [
        ("cargo.toml", &["ledger-sync", "Ada Lovelace"][..]),
        ("pyproject.toml", &["requests"][..]),
    ] {
        let original = std::fs::read(fixture(&format!("toml/{name}"))).unwrap();
        let plain = sb.write(name, &original);
        run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&plain)).ok();
        let enc = std::fs::read_to_string(&plain).unwrap();
        assert!(
            enc.contains("[sops]") || enc.contains("[[sops."),
            "metadata table"
        );
        for s in secrets {
            assert!(!enc.contains(s), "{name}: {s:?} left in clear");
        }
        let back = decrypt_with(&sb, &plain, &[]).ok().stdout;
        assert!(
            back == original,
            "{name}:\n{}",
            String::from_utf8_lossy(&back)
        );
    }
}

#[test]
fn conversions_between_formats() {
    let sb = Sandbox::new();
    let yaml = sb.write("c.yaml", "a: 1\nb:\n    c: text\n    d: [1, 2]\n");
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&yaml)).ok();
    let json = decrypt_with(&sb, &yaml, &["--output-type", "json"])
        .ok()
        .stdout_str();
    assert_eq!(json, "{\n\t\"a\": 1,\n\t\"b\": {\n\t\t\"c\": \"text\",\n\t\t\"d\": [\n\t\t\t1,\n\t\t\t2\n\t\t]\n\t}\n}\n");
    let toml = decrypt_with(&sb, &yaml, &["--output-type", "toml"])
        .ok()
        .stdout_str();
    assert!(
        toml.contains("a = 1") && toml.contains("c = \"text\""),
        "{toml}"
    );
    // The TOML written from YAML is itself a valid file we can encrypt and read back as JSON.
    let t = sb.write("c.toml", &toml);
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&t)).ok();
    assert_eq!(
        decrypt_with(&sb, &t, &["--output-type", "json"])
            .ok()
            .stdout_str(),
        json
    );
    // Encrypting straight into another format.
    let plain_json = sb.write("p.json", "{\"x\": \"y\"}");
    let out = run(sb
        .shroud()
        .args(["encrypt", "--age", R1, "--output-type", "yaml"])
        .arg(&plain_json))
    .ok()
    .stdout_str();
    assert!(out.starts_with("x: ENC["), "{out}");
    // A nested tree cannot become dotenv: exit 4, clear message, nothing printed.
    let r = decrypt_with(&sb, &yaml, &["--output-type", "dotenv"]).fails_with(4);
    assert!(r.stderr.contains("complex value"), "{}", r.stderr);
}

#[test]
fn bad_input_per_format_names_the_line_and_keeps_the_file() {
    let sb = Sandbox::new();
    let cases: [(&str, &[u8], &[&str], &str); 5] = [
        ("bad.ini", b"[a]\nk = \"\"\"never closed\n", &[], "line 2"),
        ("bad.toml", b"[a]\nk = 1\n[a]\nj = 2\n", &[], "line 3"),
        ("bad2.toml", b"a = 1\nb = \n", &[], "line 2"),
        ("bad.env", b"A=1\nNOEQUALS\n", &[], "line 2"),
        (
            "blob.bin",
            b"\x00\x01\x02: [\xff\n",
            &["--input-type", "yaml"],
            "line 1",
        ),
    ];
    for (name, content, extra, line) in cases {
        let f = sb.write(name, content);
        let r = run(sb
            .shroud()
            .args(["encrypt", "-i", "--age", R1])
            .args(extra)
            .arg(&f));
        assert_ne!(r.code, 0, "{name} must fail");
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.contains(name) && r.stderr.contains(line),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(std::fs::read(&f).unwrap(), content, "{name} untouched");
    }
}
