//! Tests of the PGP backend against the public TEST-ONLY keys in `fixtures/compat/keys/pgp/` and the
//! upstream fixtures in `fixtures/compat/`. gpg runs in throwaway homes passed as `--homedir`;
//! the process environment is never read or changed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::*;

mod gpg_path;
mod native_path;

pub(super) const KEY1: &str = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
pub(super) const KEY1_SUBKEY: &str = "71D962851765394F76DB9CFC25294A17CD90507F";
pub(super) const KEY2: &str = "D7229043384BCC60326C6FB9D8720D957C3D3074";
/// In the fixture file as a public key only.
pub(super) const KEY3_PUBLIC_ONLY: &str = "B611A2F9F11D0FF82568805119F9B5DAEA91FF86";
/// In no key file at all.
pub(super) const ABSENT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";
pub(super) const PASSPHRASE_KEY: &str = "E51DFFAEE02C0BEE2EA1351C0AEA563F475FF426";
pub(super) const EXPIRED_KEY: &str = "5A260135C27F7DB074BF4E403F9900AA45A5C6BE";

pub(super) fn key_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/compat/keys/pgp")
        .join(name)
}

pub(super) fn compat(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/compat")
        .join(rel)
}

/// A recognisable 32-byte secret.
pub(super) fn secret() -> Vec<u8> {
    (0u8..32)
        .map(|i| i.wrapping_mul(7).wrapping_add(3))
        .collect()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether gpg can be used; without it gpg tests are skipped, unless the run requires every
/// tool (`scripts/test.sh` sets `SHROUD_REQUIRE_ORACLE=1` and installs gpg).
pub(super) fn gpg_available() -> bool {
    let ok = Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("SHROUD_REQUIRE_ORACLE").is_none(),
            "gpg is not installed; run scripts/test.sh"
        );
        eprintln!("skipping: gpg not installed");
    }
    ok
}

/// A throwaway GnuPG home with the given fixture key files imported; its agent is stopped
/// when dropped.
pub(super) struct GpgHome {
    pub dir: tempfile::TempDir,
}

impl GpgHome {
    pub fn with(files: &[&str]) -> GpgHome {
        let dir = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let home = GpgHome { dir };
        for f in files {
            let out = home
                .gpg()
                .args(["--batch", "--import"])
                .arg(key_fixture(f))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "import {f}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        home
    }

    /// The standard home: the upstream test keys.
    pub fn sops() -> GpgHome {
        GpgHome::with(&["sops_functional_tests_key.asc"])
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir").arg(self.path());
        c
    }

    pub fn env(&self) -> PgpEnv {
        PgpEnv {
            gnupg_home: Some(self.path().to_path_buf()),
            ..PgpEnv::default()
        }
    }

    /// `gpg --batch --decrypt` of an armored message, as a user would check it.
    pub fn decrypt(&self, armored: &str) -> Vec<u8> {
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
            "gpg --decrypt: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for GpgHome {
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

/// Every armored PGP message in a SOPS file of any format, in file order, with the store's
/// quoting undone: YAML block indentation, JSON/INI/dotenv `\n` escapes.
pub(super) fn messages_in(text: &str) -> Vec<String> {
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

/// A fixture with PGP keys: its path, the data key, and how many PGP entries it has.
pub(super) struct PgpFixture {
    pub rel: String,
    pub data_key_hex: String,
    pub keys: usize,
}

/// Every PGP-encrypted fixture listed in the compat manifests.
pub(super) fn pgp_fixtures() -> Vec<PgpFixture> {
    let mut out = Vec::new();
    for manifest in ["upstream/manifest.json", "synthetic/manifest.json"] {
        let text = std::fs::read_to_string(compat(manifest)).unwrap();
        let entries: serde_json::Value = serde_json::from_str(&text).unwrap();
        for e in entries.as_array().unwrap() {
            let rel = e["encrypted"].as_str().unwrap().to_string();
            let file = std::fs::read_to_string(compat(&rel)).unwrap();
            let keys = messages_in(&file).len();
            if keys == 0 {
                continue;
            }
            out.push(PgpFixture {
                rel,
                data_key_hex: e["data_key_hex"].as_str().unwrap().to_string(),
                keys,
            });
        }
    }
    assert!(out.len() >= 16, "found only {} PGP fixtures", out.len());
    out
}

/// A key holding `enc`, as read from a file.
pub(super) fn key_with_enc(enc: &str) -> PgpKey {
    let mut m = Map::new();
    m.push("fp", KEY1);
    m.push("created_at", "2019-08-29T21:52:32Z");
    m.push("enc", enc);
    PgpKey::from_entry(&m).unwrap()
}

#[test]
fn fingerprint_specs() {
    let k = PgpKey::from_fingerprint("FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4").unwrap();
    assert_eq!(k.fingerprint(), KEY1);
    assert_eq!(k.id(), KEY1);
    assert_eq!(k.kind(), "pgp");
    assert!(k.enc().is_none());
    let ts = Timestamp::parse_rfc3339(k.created_at()).expect("created_at is RFC 3339");
    assert!(k.created_at().ends_with('Z') && k.created_at().len() == 20);
    assert!((Timestamp::now_utc().unix - ts.unix).abs() < 60);

    let bang = format!("{KEY1_SUBKEY}!");
    assert_eq!(PgpKey::from_fingerprint(&bang).unwrap().fingerprint(), bang);
    let lower = KEY1.to_lowercase();
    assert_eq!(
        PgpKey::from_fingerprint(&lower).unwrap().fingerprint(),
        lower
    );
    assert!(
        PgpKey::from_fingerprint("3D16CEE4A27381B4").is_ok(),
        "long key ID"
    );

    for bad in [
        "",
        "!",
        "XYZ",
        "A27381B4",
        "user@example.com",
        "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4!!",
    ] {
        let e = PgpKey::from_fingerprint(bad).unwrap_err();
        assert_eq!(e.kind, "pgp");
        assert!(!e.reason.is_empty());
    }
    let e = PgpKey::from_fingerprint(concat!("-----BEGIN PGP ", "PRIVATE KEY BLOCK----- abc"))
        .unwrap_err();
    assert!(!e.to_string().contains("abc"), "{e}");

    let list = parse_fingerprints(&format!(" {KEY1} , ,{KEY2},")).unwrap();
    let ids: Vec<_> = list.iter().map(|k| k.fingerprint()).collect();
    assert_eq!(ids, [KEY1, KEY2]);
}

#[test]
fn entries_round_trip_and_created_at_is_normalised() {
    let mut m = Map::new();
    m.push("created_at", "2019-08-29T23:52:32.5+02:00");
    m.push(
        "enc",
        "-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----",
    );
    m.push("fp", KEY1);
    let k = PgpKey::from_entry(&m).unwrap();
    assert_eq!(k.created_at(), "2019-08-29T21:52:32Z");
    let e = k.to_entry();
    assert_eq!(e.get("fp").and_then(Value::as_str), Some(KEY1));
    assert_eq!(
        e.get("created_at").and_then(Value::as_str),
        Some("2019-08-29T21:52:32Z")
    );
    assert_eq!(e.get("enc").and_then(Value::as_str), k.enc());

    // A YAML timestamp value (unquoted in an old file) is accepted too.
    let mut t = Map::new();
    t.push("fp", KEY1);
    t.push(
        "created_at",
        Value::Time(Timestamp::parse_rfc3339("2016-08-02T18:34:06Z").unwrap()),
    );
    assert_eq!(
        PgpKey::from_entry(&t).unwrap().created_at(),
        "2016-08-02T18:34:06Z"
    );
    assert!(PgpKey::from_entry(&t).unwrap().enc().is_none());

    let mut bad = Map::new();
    bad.push("fp", KEY1);
    bad.push("created_at", "yesterday");
    assert!(PgpKey::from_entry(&bad).unwrap_err().contains(KEY1));
    let mut nofp = Map::new();
    nofp.push("created_at", "2019-08-29T21:52:32Z");
    assert!(PgpKey::from_entry(&nofp).is_err());
}

#[test]
fn a_key_without_enc_fails_before_touching_gpg() {
    let mut m = Map::new();
    m.push("fp", KEY1);
    m.push("created_at", "2019-08-29T21:52:32Z");
    m.push("enc", "");
    let k = PgpKey::from_entry(&m).unwrap();
    let env = PgpEnv {
        gpg_program: "/nonexistent/gpg".into(),
        ..PgpEnv::default()
    };
    let e = k.unwrap_with(&env).unwrap_err();
    assert!(e.reason.contains("no encrypted data key"), "{e}");
    assert_eq!(e.id, KEY1);
}

#[test]
fn the_registry_builds_pgp_keys() {
    use crate::core::keys::KeySource;
    let k = crate::keys::build(&crate::keys::KeySpec::Pgp(KEY1.into())).unwrap();
    assert_eq!((k.kind(), k.id()), ("pgp", KEY1.to_string()));
    let entry = key_with_enc("x").to_entry();
    let k = crate::keys::Registry.key_from_entry("pgp", &entry).unwrap();
    assert_eq!(k.to_entry(), entry);
}

#[test]
fn legacy_entries_with_armor_headers_parse() {
    // SOPS 1.13: `Version: GnuPG v1` header and a trailing newline in `enc`.
    let text = std::fs::read_to_string(compat(
        "upstream/legacy-unopenable/config/test_resources/example.yaml",
    ))
    .unwrap();
    let msgs = messages_in(&text);
    assert!(!msgs.is_empty());
    let k = key_with_enc(&format!("{}\n", msgs[0]));
    assert!(k.enc().unwrap().contains("Version: GnuPG v1"));
}

#[test]
fn gpg_stderr_is_reduced_to_its_verdict() {
    let s = "gpg: encrypted with 2048-bit RSA key, ID 25294A17CD90507F, created 2019-08-29\n      \"SOPS Functional Tests Key 1 <secops@mozilla.com>\"\ngpg: decryption failed: No secret key\n";
    assert_eq!(
        gpg::summarize(s).unwrap(),
        "decryption failed: No secret key"
    );
    let s = "gpg: 0123456789ABCDEF0123456789ABCDEF01234567: skipped: No public key\ngpg: [stdin]: encryption failed: No public key\n";
    assert_eq!(gpg::summarize(s).unwrap(), "No public key");
    assert_eq!(
        gpg::summarize("gpg: [stdin]: encryption failed: x\n").unwrap(),
        "encryption failed: x"
    );
    assert_eq!(
        gpg::summarize("gpg: something odd\n").unwrap(),
        "something odd"
    );
    assert_eq!(gpg::summarize("\n"), None);
}
