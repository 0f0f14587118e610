//! AWS KMS keys for real, against the local KMS that `scripts/kms-server.sh` starts (moto on
//! 127.0.0.1): through the binary, against upstream sops on the same server, and at the
//! library level. Without the server the tests skip, unless `SHROUD_REQUIRE_ORACLE=1`.
//!
//! Every run gets dummy credentials, every AWS endpoint (KMS and STS) set to the local server
//! and instance metadata disabled, so nothing can reach a real AWS address.

mod library;
mod proxy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use proxy::CountingProxy;

/// The local KMS and the keys the start script created.
pub struct Kms {
    pub endpoint: String,
    pub key: String,
    pub key2: String,
    /// An alias ARN of `key`.
    pub alias: String,
    /// A disabled key, and a data key it wrapped before it was disabled.
    pub disabled: String,
    pub disabled_enc: String,
}

pub fn server() -> Option<Kms> {
    match std::env::var("SHROUD_TEST_KMS_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let var = |n: &str| std::env::var(n).unwrap_or_else(|_| panic!("{n} is not set"));
            Some(Kms {
                endpoint,
                key: var("SHROUD_TEST_KMS_KEY_ARN"),
                key2: var("SHROUD_TEST_KMS_KEY2_ARN"),
                alias: var("SHROUD_TEST_KMS_ALIAS_ARN"),
                disabled: var("SHROUD_TEST_KMS_DISABLED_ARN"),
                disabled_enc: var("SHROUD_TEST_KMS_DISABLED_ENC"),
            })
        }
        _ => {
            assert!(
                std::env::var("SHROUD_REQUIRE_ORACLE").as_deref() != Ok("1"),
                "no local KMS (SHROUD_TEST_KMS_ENDPOINT unset); run scripts/test.sh"
            );
            eprintln!("skipping: no local KMS (run scripts/test.sh)");
            None
        }
    }
}

/// A loopback port nobody listens on (bound, then released).
pub fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Dummy credentials, every AWS service at `endpoint`, no instance-metadata lookups.
fn aws<'a>(cmd: &'a mut Command, endpoint: &str) -> &'a mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ENDPOINT_URL_KMS", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\nlist:\n    - a\n    - 1\n";

/// `shroud encrypt ARGS plain.yaml` → `enc.yaml`.
fn encrypt(sb: &Sandbox, endpoint: &str, args: &[&str]) -> PathBuf {
    let plain = sb.write("plain.yaml", PLAIN);
    let out = run(aws(&mut sb.shroud(), endpoint)
        .arg("encrypt")
        .args(args)
        .arg(&plain))
    .ok();
    sb.write("enc.yaml", &out.stdout)
}

fn decrypt(sb: &Sandbox, endpoint: &str, file: &Path) -> Run {
    run(aws(&mut sb.shroud(), endpoint).arg("decrypt").arg(file))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// Rewrites a file's text (metadata edits: the MAC does not cover the key entries).
fn edit(p: &Path, from: &str, to: &str) {
    let text = read(p);
    assert!(text.contains(from), "{from:?} not in\n{text}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

/// The `enc:` value of the kms entry for `arn` in a YAML file.
fn enc_of(text: &str, arn: &str) -> String {
    let entry = &text[text.find(&format!("arn: {arn}")).expect("arn")..];
    let at = entry.find("enc: ").expect("enc") + 5;
    entry[at..].lines().next().unwrap().to_string()
}

#[test]
fn round_trip_through_local_kms() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.key]);
    let text = read(&enc);
    assert!(!text.contains("hunter2"));
    assert!(text.contains(&format!("- arn: {}\n", kms.key)), "{text}");
    assert!(text.contains("aws_profile: \"\""), "{text}");
    assert!(text.contains("created_at: \""), "{text}");
    assert!(
        !text.contains("role:") && !text.contains("context:"),
        "{text}"
    );
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);
}

#[test]
fn encryption_context_is_stored_and_must_match() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(
        &sb,
        &kms.endpoint,
        &[
            "--kms",
            &kms.key,
            "--encryption-context",
            "app:shroud,env:test",
        ],
    );
    let text = read(&enc);
    assert!(
        text.contains("context:\n            app: shroud\n            env: test\n"),
        "{text}"
    );
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);

    edit(&enc, "env: test", "env: prod");
    let before = std::fs::read(&enc).unwrap();
    let r = run(aws(&mut sb.shroud(), &kms.endpoint)
        .args(["decrypt", "-i"])
        .arg(&enc))
    .fails_with(128);
    assert!(r.stderr.contains(&kms.key), "{}", r.stderr);
    assert!(
        r.stderr.contains("InvalidCiphertextException"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&enc).unwrap(), before, "input unchanged");
}

#[test]
fn bad_encryption_context_is_exit_6() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let plain = sb.write("plain.yaml", PLAIN);
    run(aws(&mut sb.shroud(), &kms.endpoint)
        .args([
            "encrypt",
            "--kms",
            &kms.key,
            "--encryption-context",
            "a:b,c",
        ])
        .arg(&plain))
    .fails_with(6);
}

#[test]
fn alias_arn_round_trip() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.alias]);
    assert!(read(&enc).contains(&format!("- arn: {}\n", kms.alias)));
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);
}

#[test]
fn one_usable_key_of_two_is_enough() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let both = format!("{},{}", kms.key2, kms.key);
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &both]);
    // The first key becomes the disabled one: it is tried first, fails, and the second opens.
    let text = read(&enc);
    let old = enc_of(&text, &kms.key2);
    edit(&enc, &kms.key2, &kms.disabled);
    edit(&enc, &old, &kms.disabled_enc);
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);
}

#[test]
fn disabled_key_fails_encrypt_and_decrypt_leaving_files() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let plain = sb.write("plain.yaml", PLAIN);
    let keys = format!("{},{}", kms.key, kms.disabled);
    let r = run(aws(&mut sb.shroud(), &kms.endpoint)
        .args(["encrypt", "-i", "--kms", &keys])
        .arg(&plain));
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(&kms.disabled), "{}", r.stderr);
    assert!(r.stderr.contains("DisabledException"), "{}", r.stderr);
    assert_eq!(read(&plain), PLAIN, "input unchanged");

    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.key]);
    let old = enc_of(&read(&enc), &kms.key);
    edit(&enc, &kms.key, &kms.disabled);
    edit(&enc, &old, &kms.disabled_enc);
    let r = decrypt(&sb, &kms.endpoint, &enc).fails_with(128);
    assert!(r.stderr.contains(&kms.disabled), "{}", r.stderr);
    assert!(r.stderr.contains("DisabledException"), "{}", r.stderr);
}

#[test]
fn missing_credentials_is_128_naming_the_arn() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.key]);
    let before = std::fs::read(&enc).unwrap();
    let t = Instant::now();
    let r = run(sb
        .shroud()
        .env("AWS_ENDPOINT_URL", &kms.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["decrypt", "-i"])
        .arg(&enc))
    .fails_with(128);
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert!(r.stderr.contains(&kms.key), "{}", r.stderr);
    assert!(r.stderr.contains("credentials"), "{}", r.stderr);
    assert_eq!(std::fs::read(&enc).unwrap(), before);
}

#[test]
fn stopped_server_fails_within_seconds() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.key]);
    let before = std::fs::read(&enc).unwrap();
    let dead = format!("http://127.0.0.1:{}", unused_port());
    let t = Instant::now();
    let r = run(aws(&mut sb.shroud(), &dead)
        .args(["decrypt", "-i"])
        .arg(&enc))
    .fails_with(128);
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert!(r.stderr.contains(&kms.key), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot reach the KMS endpoint {dead}")),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&enc).unwrap(), before);

    let plain = sb.write("p.yaml", PLAIN);
    let t = Instant::now();
    let r = run(aws(&mut sb.shroud(), &dead)
        .args(["encrypt", "-i", "--kms", &kms.key])
        .arg(&plain));
    assert_ne!(r.code, 0);
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert!(r.stderr.contains(&dead), "{}", r.stderr);
    assert_eq!(read(&plain), PLAIN);
}

#[test]
fn one_encrypt_per_key_and_one_decrypt_per_file() {
    let Some(kms) = server() else { return };
    let proxy = CountingProxy::start(&kms.endpoint);
    let sb = Sandbox::new();
    let both = format!("{},{}", kms.key, kms.key2);
    let enc = encrypt(&sb, &proxy.endpoint, &["--kms", &both]);
    assert_eq!((proxy.count("Encrypt"), proxy.count("Decrypt")), (2, 0));

    proxy.reset();
    assert_eq!(decrypt(&sb, &proxy.endpoint, &enc).ok().stdout_str(), PLAIN);
    assert_eq!((proxy.count("Encrypt"), proxy.count("Decrypt")), (0, 1));

    // --extract and a second file: still one call per file.
    proxy.reset();
    let copy = sb.write("copy.yaml", std::fs::read(&enc).unwrap());
    run(aws(&mut sb.shroud(), &proxy.endpoint)
        .args(["decrypt", "--extract", r#"["db"]["user"]"#])
        .arg(&copy))
    .ok();
    assert_eq!(proxy.count("Decrypt"), 1);

    // Two keys behind one role: one client, so one AssumeRole for both Encrypt calls.
    proxy.reset();
    let role = "+arn:aws:iam::123456789012:role/shroud-test";
    let keys = format!("{}{role},{}{role}", kms.key, kms.key2);
    let enc = encrypt(&sb, &proxy.endpoint, &["--kms", &keys]);
    assert_eq!((proxy.count("Encrypt"), proxy.assume_role_count()), (2, 1));
    assert!(read(&enc).contains("role: arn:aws:iam::123456789012:role/shroud-test"));
}

#[test]
fn upstream_decrypts_shroud_kms_files() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let Some(mut sops) = sb.sops() else { return };
    let both = format!("{},{}", kms.key, kms.alias);
    let enc = encrypt(
        &sb,
        &kms.endpoint,
        &["--kms", &both, "--encryption-context", "team:infra"],
    );
    let up = run(aws(&mut sops, &kms.endpoint).arg("decrypt").arg(&enc)).ok();
    assert_eq!(up.stdout_str(), PLAIN);
}

#[test]
fn shroud_decrypts_upstream_kms_files() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let Some(mut sops) = sb.sops() else { return };
    let plain = sb.write("plain.yaml", PLAIN);
    let both = format!("{},{}", kms.alias, kms.key2);
    let up = run(aws(&mut sops, &kms.endpoint)
        .args([
            "encrypt",
            "--kms",
            &both,
            "--encryption-context",
            "team:infra,x:y",
        ])
        .arg(&plain))
    .ok();
    let enc = sb.write("up.yaml", &up.stdout);
    assert!(up.stdout_str().contains("aws_profile: \"\""));
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);
}

#[test]
fn creation_rule_key_group_with_context() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    sb.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: {}\n            \
             context:\n              purpose: ci\n",
            kms.key
        ),
    );
    let enc = encrypt(&sb, &kms.endpoint, &[]);
    assert!(read(&enc).contains("purpose: ci"));
    assert_eq!(decrypt(&sb, &kms.endpoint, &enc).ok().stdout_str(), PLAIN);
    if let Some(mut sops) = sb.sops() {
        let up = run(aws(&mut sops, &kms.endpoint).arg("decrypt").arg(&enc)).ok();
        assert_eq!(up.stdout_str(), PLAIN);
    }
}

/// An AWS setup that breaks on any use: a config file that blocks whoever opens it (a FIFO
/// without writer), garbage credentials, a dead endpoint, a missing profile.
fn poisoned(sb: &Sandbox, cmd: &mut Command) {
    let fifo = sb.path("aws-config-fifo");
    if !fifo.exists() {
        let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(ok.success());
    }
    let creds = sb.write("aws-credentials", "[default\x00garbage\n=== not ini\n");
    cmd.env("AWS_CONFIG_FILE", &fifo)
        .env("AWS_SHARED_CREDENTIALS_FILE", creds)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1")
        .env("AWS_PROFILE", "no-such-profile")
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// Runs `cmd` with a deadline: a run that opened the FIFO would block, and must fail the
/// test rather than hang it.
fn run_within(cmd: &mut Command, limit: Duration) -> Run {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("shroud blocked: it opened AWS_CONFIG_FILE on a run that needs no AWS");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn age_only_runs_never_touch_aws() {
    let sb = Sandbox::new();
    let plain = sb.write("plain.yaml", PLAIN);
    let mut cmd = sb.shroud();
    poisoned(&sb, &mut cmd);
    let enc = run_within(
        cmd.args(["encrypt", "--age", R1]).arg(&plain),
        Duration::from_secs(20),
    )
    .ok();
    let enc = sb.write("enc.yaml", &enc.stdout);
    let mut cmd = sb.shroud();
    poisoned(&sb, &mut cmd);
    let out = run_within(
        cmd.env("SOPS_AGE_KEY_FILE", identity(1))
            .arg("decrypt")
            .arg(&enc),
        Duration::from_secs(20),
    )
    .ok();
    assert_eq!(out.stdout_str(), PLAIN);
}

#[test]
fn file_with_age_and_kms_opens_with_age_without_aws() {
    let Some(kms) = server() else { return };
    let sb = Sandbox::new();
    let enc = encrypt(&sb, &kms.endpoint, &["--kms", &kms.key, "--age", R1]);
    let mut cmd = sb.shroud();
    poisoned(&sb, &mut cmd);
    let out = run_within(
        cmd.env("SOPS_AGE_KEY_FILE", identity(1))
            .arg("decrypt")
            .arg(&enc),
        Duration::from_secs(20),
    )
    .ok();
    assert_eq!(out.stdout_str(), PLAIN);
}
