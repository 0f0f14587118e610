//! Tests of the age backend against the public TEST-ONLY keys in `fixtures/compat/keys/age/`.
//! Discovery is driven through an explicit environment map; the process environment is
//! never read or changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::identities::decrypt_identity_file;
use super::*;

mod discovery;

const RECIPIENT_1: &str = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun";
const RECIPIENT_2: &str = "age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/compat/keys/age")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// The identity line of a fixture identities file.
fn identity_line(name: &str) -> String {
    read(name)
        .lines()
        .find(|l| !l.starts_with('#') && !l.is_empty())
        .unwrap()
        .to_string()
}

/// Discovery with exactly these variables set and the given home directory.
fn discover(vars: &[(&str, &str)], home: Option<&Path>, recipient: &str) -> Identities {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |name: &str| map.get(name).cloned();
    Identities::discover(&env, home.map(Path::to_path_buf), recipient)
}

fn key_file_ids(name: &str) -> Identities {
    let path = fixture(name);
    discover(&[("SOPS_AGE_KEY_FILE", path.to_str().unwrap())], None, "")
}

fn ssh_file_ids() -> Identities {
    let path = fixture("test_ssh_ed25519");
    discover(
        &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", path.to_str().unwrap())],
        None,
        "",
    )
}

fn wrapped(recipient: &str, file: &str) -> AgeKey {
    AgeKey {
        recipient: recipient.into(),
        enc: Some(read(file)),
    }
}

fn answer(passphrase: &'static str, calls: Arc<AtomicUsize>) -> Box<identities::Ask> {
    Box::new(move |_what: &str| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(SecretString::from(passphrase))
    })
}

fn write(dir: &Path, rel: &str, content: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

// ---- unwrapping fixtures ----

#[test]
fn unwraps_x25519_fixture_with_identity_1() {
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    let data = key
        .unwrap_with(&key_file_ids("test_identity_1.txt"))
        .unwrap();
    assert_eq!(&data[..], b"data");
}

#[test]
fn unwraps_ssh_fixture_with_ssh_ed25519_key() {
    let ids = ssh_file_ids();
    assert_eq!(
        ids.public_keys(),
        [read("test_ssh_ed25519.pub")
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")]
    );
    let key = wrapped(read("test_ssh_ed25519.pub").trim(), "wrapped_data_ssh.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
}

#[test]
fn unwraps_synthetic_basic_data_key() {
    let key = wrapped(RECIPIENT_1, "synthetic_basic_enc.age");
    let data = key
        .unwrap_with(&key_file_ids("test_identity_1.txt"))
        .unwrap();
    assert_eq!(data.len(), 32);
    assert_eq!(&data[..], &Sha256::digest(b"shroud-synthetic-basic")[..]);
}

#[test]
fn passphrase_identity_file_decrypts_with_its_passphrase() {
    let content = std::fs::read(fixture("test_identity_passphrase.age")).unwrap();
    let text = decrypt_identity_file(&content, SecretString::from("passphrase")).unwrap();
    assert!(text.contains(&identity_line("test_identity_1.txt")));

    let err = decrypt_identity_file(&content, SecretString::from("wrong")).unwrap_err();
    assert!(err.contains("wrong passphrase"), "{err}");
}

#[test]
fn passphrase_identity_file_is_opened_once_and_only_when_needed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let locked = fixture("test_identity_passphrase.age");
    let plain = fixture("test_identity_2.txt");
    let tmp = tempfile::tempdir().unwrap();
    let ids = discover(
        &[
            ("SOPS_AGE_KEY_FILE", locked.to_str().unwrap()),
            ("SOPS_AGE_KEY", &identity_line("test_identity_2.txt")),
            ("XDG_CONFIG_HOME", tmp.path().to_str().unwrap()),
        ],
        None,
        "",
    )
    .with_ask(answer("passphrase", calls.clone()));
    assert!(plain.exists());

    // Identity 2 opens this one itself: no prompt.
    let mut own = AgeKey::from_recipient(RECIPIENT_2).unwrap();
    own.wrap(b"0123456789abcdef0123456789abcdef").unwrap();
    own.unwrap_with(&ids).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    // Only the locked file opens this one; the passphrase is asked once.
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

// ---- wrapping ----

/// Lengths of the lines of an armored file, after checking its frame.
fn armor_shape(enc: &str) -> Vec<usize> {
    assert!(
        enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"),
        "{enc}"
    );
    assert!(
        enc.ends_with("\n-----END AGE ENCRYPTED FILE-----\n"),
        "{enc}"
    );
    assert!(!enc.contains('\r'));
    let lines: Vec<&str> = enc.lines().collect();
    let body = &lines[1..lines.len() - 1];
    for (i, line) in body.iter().enumerate() {
        assert!(!line.is_empty() && line.len() <= 64, "line {i}: {line:?}");
        if i + 1 < body.len() {
            assert_eq!(line.len(), 64, "only the last line may be short");
        }
        assert!(line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
    }
    lines.iter().map(|l| l.len()).collect()
}

fn stanza_tags(enc: &str) -> Vec<String> {
    let stanzas = open::peek_stanzas(enc).expect("readable age header");
    stanzas.into_iter().map(|(tag, _)| tag).collect()
}

#[test]
fn x25519_wrap_round_trips_in_upstream_armor_layout() {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let secret_text = identity.to_string();
    let ids = discover(&[("SOPS_AGE_KEY", secret_text.expose_secret())], None, "");

    let data_key: [u8; 32] = rand::random();
    let mut key = AgeKey::from_recipient(&format!("  {recipient}\n")).unwrap();
    assert_eq!(key.recipient(), recipient);
    key.wrap(&data_key).unwrap();
    let enc = key.enc().unwrap();
    armor_shape(enc);
    // The checker accepts what SOPS wrote.
    armor_shape(&read("synthetic_basic_enc.age"));
    assert_eq!(stanza_tags(&read("synthetic_basic_enc.age")), ["X25519"]);
    // One X25519 stanza; the age crate always adds one random `…-grease` stanza, which
    // every age implementation (Go's included) skips.
    let tags = stanza_tags(enc);
    assert_eq!(tags[0], "X25519");
    assert!(tags[1..].iter().all(|t| t.ends_with("-grease")), "{tags:?}");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], &data_key[..]);

    // A 33-byte Shamir share too.
    let share = [7u8; 33];
    key.wrap(&share).unwrap();
    armor_shape(key.enc().unwrap());
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], &share[..]);
}

#[test]
fn ssh_ed25519_wrap_round_trips() {
    let ids = ssh_file_ids();
    let data_key: [u8; 32] = rand::random();
    let mut key = AgeKey::from_recipient(&read("test_ssh_ed25519.pub")).unwrap();
    key.wrap(&data_key).unwrap();
    armor_shape(key.enc().unwrap());
    assert_eq!(stanza_tags(key.enc().unwrap())[0], "ssh-ed25519");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], &data_key[..]);
}

#[test]
fn entry_round_trips() {
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    let entry = key.to_entry();
    assert_eq!(entry.get("recipient"), Some(&Value::from(RECIPIENT_1)));
    assert_eq!(AgeKey::from_entry(&entry).unwrap(), key);
    assert_eq!(key.kind(), "age");
    assert_eq!(key.id(), RECIPIENT_1);

    let mut bad = Map::new();
    bad.push("recipient", Value::Int(3));
    assert!(AgeKey::from_entry(&bad).unwrap_err().contains("string"));
    assert!(AgeKey::from_entry(&Map::new()).is_err());
}

// ---- errors ----

#[test]
fn wrong_identity_lists_public_recipient_and_source_but_no_secret() {
    let path = fixture("test_identity_2.txt");
    let ids = key_file_ids("test_identity_2.txt");
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    let err = key.unwrap_with(&ids).unwrap_err();
    assert_eq!(err.kind, "age");
    assert_eq!(err.id, RECIPIENT_1);
    assert!(err.reason.contains(RECIPIENT_2), "{}", err.reason);
    assert!(
        err.reason
            .contains(&format!("SOPS_AGE_KEY_FILE={}", path.display())),
        "{}",
        err.reason
    );
    assert!(!err.to_string().contains("AGE-SECRET-KEY"));
}

#[test]
fn no_identities_names_the_places_looked_and_how_to_provide_one() {
    let home = tempfile::tempdir().unwrap();
    let ids = discover(&[], Some(home.path()), "");
    assert!(ids.is_empty());
    let err = wrapped(RECIPIENT_1, "wrapped_data_x25519.age")
        .unwrap_with(&ids)
        .unwrap_err();
    let reason = err.reason;
    assert!(reason.contains("no age identity found"), "{reason}");
    for looked in [
        "SOPS_AGE_KEY (not set)",
        "SOPS_AGE_KEY_FILE (not set)",
        "id_ed25519",
    ] {
        assert!(reason.contains(looked), "{looked}: {reason}");
    }
    assert!(reason.contains("SOPS_AGE_KEY_FILE=<"), "{reason}");
    assert!(reason.contains("keys.txt"), "{reason}");
}

#[test]
fn missing_enc_is_an_error_without_looking_for_identities() {
    let key = AgeKey::from_recipient(RECIPIENT_1).unwrap();
    let err = MasterKey::unwrap(&key).unwrap_err();
    assert!(
        err.reason.contains("no encrypted data key"),
        "{}",
        err.reason
    );
}

#[test]
fn bad_recipients_give_clear_errors() {
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("foo", "unknown recipient type"),
        ("age1notbech32", "X25519"),
        ("age1pq1qqqq", "post-quantum"),
        ("age1zz1notbech32", "plugin"),
        ("ssh-ed25519 notbase64!", "SSH public key"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "SSH"),
    ];
    for (input, expected) in cases {
        let err = AgeKey::from_recipient(input).unwrap_err();
        assert!(err.reason.contains(expected), "{input:?}: {}", err.reason);
    }
    let secret = identity_line("test_identity_1.txt");
    let err = AgeKey::from_recipient(&secret).unwrap_err();
    assert!(err.reason.contains("private identity"), "{}", err.reason);
    assert!(!err.to_string().contains(&secret[16..]));
}

#[test]
fn recipient_lists_are_trimmed_and_skip_empty_items() {
    let keys = parse_recipients(&format!(" {RECIPIENT_1} ,, {RECIPIENT_2},")).unwrap();
    let ids: Vec<_> = keys.iter().map(|k| k.recipient()).collect();
    assert_eq!(ids, [RECIPIENT_1, RECIPIENT_2]);
    assert!(parse_recipients("").unwrap().is_empty());
    assert!(parse_recipients(&format!("{RECIPIENT_1},bogus")).is_err());
}

/// Minimal bech32 encoder, to build plugin recipients.
fn bech32(hrp: &str, data: &[u8]) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(values: &[u8]) -> u32 {
        const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        let mut chk = 1u32;
        for v in values {
            let top = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ u32::from(*v);
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    }
    let mut five = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in data {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            five.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        five.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&five);
    values.extend([0; 6]);
    let pm = polymod(&values) ^ 1;
    let checksum = (0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8);
    let mut out = format!("{hrp}1");
    out.extend(
        five.into_iter()
            .chain(checksum)
            .map(|v| CHARSET[v as usize] as char),
    );
    out
}

#[test]
fn plugin_recipient_parses_and_missing_plugin_is_reported_cleanly() {
    let recipient = bech32("age1shroudtestnone", &[1, 2, 3, 4]);
    let mut key = AgeKey::from_recipient(&recipient).unwrap();
    let err = key.wrap(&[0; 32]).unwrap_err();
    assert!(
        err.reason.contains("age-plugin-shroudtestnone"),
        "{}",
        err.reason
    );
    assert!(!err.reason.contains(['\u{2068}', '\u{2069}']));
    assert!(key.enc().is_none());
}

#[test]
fn clean_strips_isolation_marks_and_newlines() {
    assert_eq!(
        clean("Could not find '\u{2068}age-plugin-x\u{2069}'\non the PATH."),
        "Could not find 'age-plugin-x' on the PATH."
    );
}

#[test]
fn wrong_passphrase_fails_that_source_and_says_so() {
    let locked = fixture("test_identity_passphrase.age");
    let calls = Arc::new(AtomicUsize::new(0));
    let ids = discover(&[("SOPS_AGE_KEY_FILE", locked.to_str().unwrap())], None, "")
        .with_ask(answer("not it", calls.clone()));
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    let reason = key.unwrap_with(&ids).unwrap_err().reason;
    assert!(reason.contains("wrong passphrase"), "{reason}");
    assert!(reason.contains("SOPS_AGE_KEY_FILE="), "{reason}");
    // The failure is remembered: no second prompt.
    key.unwrap_with(&ids).unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn oversized_payload_is_rejected() {
    let identity = age::x25519::Identity::generate();
    let enc = armored_encrypt(&identity.to_public(), &[0; 300]).unwrap();
    let secret_text = identity.to_string();
    let ids = discover(&[("SOPS_AGE_KEY", secret_text.expose_secret())], None, "");
    let key = AgeKey {
        recipient: identity.to_public().to_string(),
        enc: Some(enc),
    };
    let reason = key.unwrap_with(&ids).unwrap_err().reason;
    assert!(reason.contains("larger than a data key"), "{reason}");
}
