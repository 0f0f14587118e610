//! PGP end to end: upstream's PGP fixtures through gpg and through a key file without gpg,
//! interop with upstream sops, and the errors for keys that are not there. gpg runs in
//! throwaway homes holding the public TEST-ONLY keys of `fixtures/compat/keys/pgp/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

const KEY1: &str = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
const KEY2: &str = "D7229043384BCC60326C6FB9D8720D957C3D3074";
/// Public key only in the fixture keyring.
const KEY3_PUBLIC_ONLY: &str = "B611A2F9F11D0FF82568805119F9B5DAEA91FF86";
/// In no keyring.
const ABSENT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

/// Upstream files encrypted to the PGP test keys, each with a `.decrypted` sibling.
const FIXTURES: &[&str] = &[
    "upstream/example.yaml",
    "upstream/example.json",
    "upstream/example.ini",
    "upstream/example.txt",
    "upstream/functional-tests/res/format.enc.yaml",
    "upstream/functional-tests/res/format.enc.json",
    "upstream/functional-tests/res/format.enc.env",
    "upstream/functional-tests/res/format.enc.ini",
    "upstream/functional-tests/res/format-2.enc.ini",
    "upstream/functional-tests/res/comments.enc.yaml",
    "upstream/functional-tests/res/comments_unencrypted_comments.yaml",
    "upstream/functional-tests/res/multiple_keys.yaml",
    "upstream/examples/all_in_one/config/secret.enc.json",
    "upstream/examples/per_file/config.enc/static_github.json",
];

fn pgp_key_file(name: &str) -> PathBuf {
    compat(&format!("keys/pgp/{name}"))
}

/// gpg is required when the run requires every tool (`scripts/test.sh`); otherwise tests
/// that need it are skipped.
fn gpg_available() -> bool {
    if which("gpg").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("SHROUD_REQUIRE_ORACLE").is_none(),
        "gpg is not installed; run scripts/test.sh"
    );
    eprintln!("skipping: gpg not installed");
    false
}

/// A throwaway GNUPGHOME with the upstream test keys; its agent is stopped when dropped.
struct GnupgHome {
    dir: tempfile::TempDir,
}

impl GnupgHome {
    fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let home = GnupgHome { dir };
        let out = home
            .gpg()
            .args(["--batch", "--import"])
            .arg(pgp_key_file("sops_functional_tests_key.asc"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir").arg(self.path());
        c
    }

    /// `gpg --decrypt` of an armored message.
    fn decrypt(&self, armored: &str) -> Vec<u8> {
        use std::io::Write;
        let mut child = self
            .gpg()
            .args(["--batch", "--decrypt"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(armored.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `shroud` with this GNUPGHOME.
fn shroud_gpg(sb: &Sandbox, home: &GnupgHome) -> Command {
    let mut c = sb.shroud();
    c.env("GNUPGHOME", home.path());
    c
}

/// `shroud` that cannot find gpg, with a key file instead.
fn shroud_without_gpg(sb: &Sandbox, key_file: &str) -> Command {
    let empty = sb.path("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_shroud")).parent().unwrap();
    let path = std::env::join_paths([empty.as_path(), bin_dir]).unwrap();
    let mut c = sb.shroud();
    c.env("PATH", path)
        .env("SHROUD_PGP_KEY_FILE", pgp_key_file(key_file));
    c
}

/// Every armored PGP message in a SOPS file of any format, with the store's quoting undone.
fn messages_in(text: &str) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
    const END: &str = "-----END PGP MESSAGE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(BEGIN) {
        let e = rest[b..].find(END).expect("unterminated message") + b + END.len();
        let armored = rest[b..e]
            .replace("\\n", "\n")
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n");
        out.push(armored);
        rest = &rest[e..];
    }
    out
}

fn expect_decrypted(rel: &str, expected_rel: &str, r: Run) {
    let want = std::fs::read(compat(expected_rel)).unwrap();
    let r = r.ok();
    assert!(
        r.stdout == want,
        "{rel}: output differs\n--- got\n{}\n--- want\n{}",
        r.stdout_str(),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn upstream_pgp_fixtures_decrypt_byte_for_byte_through_gpg() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    for rel in FIXTURES {
        let r = run(shroud_gpg(&sb, &home).arg("decrypt").arg(compat(rel)));
        expect_decrypted(rel, &format!("{rel}.decrypted"), r);
    }
}

#[test]
fn upstream_pgp_fixtures_decrypt_byte_for_byte_without_gpg() {
    let sb = Sandbox::new();
    for rel in FIXTURES {
        let r = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
            .arg("decrypt")
            .arg(compat(rel)));
        expect_decrypted(rel, &format!("{rel}.decrypted"), r);
    }
}

#[test]
fn no_mac_fixture_is_51_unless_the_mac_is_ignored() {
    let rel = "upstream/functional-tests/res/no_mac.yaml";
    let sb = Sandbox::new();
    let r = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
        .arg("decrypt")
        .arg(compat(rel)));
    r.fails_with(51);
    let r = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
        .args(["decrypt", "--ignore-mac"])
        .arg(compat(rel)));
    expect_decrypted(rel, &format!("{rel}.decrypted-ignore-mac"), r);

    if gpg_available() {
        let home = GnupgHome::new();
        run(shroud_gpg(&sb, &home).arg("decrypt").arg(compat(rel))).fails_with(51);
        let r = run(shroud_gpg(&sb, &home)
            .args(["decrypt", "--ignore-mac"])
            .arg(compat(rel)));
        expect_decrypted(rel, &format!("{rel}.decrypted-ignore-mac"), r);
    }
}

const PLAIN: &str = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";

#[test]
fn shroud_pgp_files_decrypt_with_upstream_sops_and_gpg() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    let Some(_) = sb.sops() else { return };
    let plain = sb.write("secrets.yaml", PLAIN);
    let enc = run(shroud_gpg(&sb, &home)
        .args(["encrypt", "-p", KEY1])
        .arg(&plain))
    .ok();
    let text = enc.stdout_str();
    assert!(text.contains(&format!("fp: {KEY1}")), "{text}");
    assert!(text.contains("created_at: \""), "{text}");
    assert!(!text.contains("hunter2"));
    let file = sb.write("enc.yaml", &enc.stdout);

    let msgs = messages_in(&text);
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        home.decrypt(&msgs[0]).len(),
        32,
        "enc holds the 32-byte data key"
    );

    let up = run(sb
        .sops()
        .unwrap()
        .env("GNUPGHOME", home.path())
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert_eq!(up.stdout_str(), PLAIN);

    // shroud reads it back through gpg and through the key file alike.
    let ours = run(shroud_gpg(&sb, &home).arg("decrypt").arg(&file)).ok();
    assert_eq!(ours.stdout_str(), PLAIN);
    let ours = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert_eq!(ours.stdout_str(), PLAIN);
}

#[test]
fn files_encrypted_without_gpg_decrypt_with_upstream_sops() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    let Some(_) = sb.sops() else { return };
    let plain = sb.write("secrets.yaml", PLAIN);
    let enc = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
        .args(["encrypt", "-p", &format!("{KEY1},{KEY2}")])
        .arg(&plain))
    .ok();
    let file = sb.write("enc.yaml", &enc.stdout);
    for msg in messages_in(&enc.stdout_str()) {
        assert_eq!(home.decrypt(&msg).len(), 32);
    }
    let up = run(sb
        .sops()
        .unwrap()
        .env("GNUPGHOME", home.path())
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert_eq!(up.stdout_str(), PLAIN);
}

#[test]
fn upstream_sops_pgp_files_decrypt_with_shroud() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    let Some(_) = sb.sops() else { return };
    let plain = sb.write("secrets.yaml", PLAIN);
    let up = run(sb
        .sops()
        .unwrap()
        .env("GNUPGHOME", home.path())
        .args(["encrypt", "--pgp", KEY1])
        .arg(&plain))
    .ok();
    let file = sb.write("up.yaml", &up.stdout);
    let ours = run(shroud_gpg(&sb, &home).arg("decrypt").arg(&file)).ok();
    assert_eq!(ours.stdout_str(), PLAIN);
    let ours = run(shroud_without_gpg(&sb, "sops_functional_tests_key.asc")
        .arg("decrypt")
        .arg(&file))
    .ok();
    assert_eq!(ours.stdout_str(), PLAIN);
}

#[test]
fn a_recipient_missing_from_the_keyring_is_named_and_the_file_untouched() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    let plain = sb.write("secrets.yaml", PLAIN);
    let r = run(shroud_gpg(&sb, &home)
        .args(["encrypt", "-i", "-p", ABSENT])
        .arg(&plain))
    .fails_with(1);
    assert!(r.stderr.contains(ABSENT), "{}", r.stderr);
    assert!(r.stderr.contains("No public key"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), PLAIN);
}

#[test]
fn a_file_whose_only_key_is_unavailable_is_128() {
    if !gpg_available() {
        return;
    }
    let home = GnupgHome::new();
    let sb = Sandbox::new();
    let plain = sb.write("secrets.yaml", PLAIN);
    // The public key is enough to encrypt; nobody here holds the secret key.
    run(shroud_gpg(&sb, &home)
        .args(["encrypt", "-i", "-p", KEY3_PUBLIC_ONLY])
        .arg(&plain))
    .ok();
    let enc = std::fs::read(&plain).unwrap();

    let r = run(shroud_gpg(&sb, &home).args(["decrypt", "-i"]).arg(&plain)).fails_with(128);
    assert!(r.stderr.contains(KEY3_PUBLIC_ONLY), "{}", r.stderr);
    assert!(r.stderr.contains("No secret key"), "{}", r.stderr);
    assert_eq!(std::fs::read(&plain).unwrap(), enc, "input untouched");

    // Without gpg, with a key file that lacks the key: both paths are reported.
    let r = run(shroud_without_gpg(&sb, "passphrase_key.asc")
        .args(["decrypt", "-i"])
        .arg(&plain))
    .fails_with(128);
    assert!(r.stderr.contains(KEY3_PUBLIC_ONLY), "{}", r.stderr);
    assert!(r.stderr.contains("SHROUD_PGP_KEY_FILE"), "{}", r.stderr);
    assert!(r.stderr.contains("gpg not found"), "{}", r.stderr);
    assert_eq!(std::fs::read(&plain).unwrap(), enc, "input untouched");
}

#[test]
fn upstream_fixtures_name_both_fingerprints_when_no_key_is_available() {
    let sb = Sandbox::new();
    let rel = "upstream/functional-tests/res/multiple_keys.yaml";
    let r = run(shroud_without_gpg(&sb, "passphrase_key.asc")
        .arg("decrypt")
        .arg(compat(rel)))
    .fails_with(128);
    assert!(
        r.stderr.contains(KEY1) && r.stderr.contains(KEY2),
        "{}",
        r.stderr
    );
}
