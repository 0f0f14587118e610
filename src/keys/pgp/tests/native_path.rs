//! The in-process path: a key file read by sequoia, with gpg made unreachable.

use sequoia_openpgp as openpgp;

use openpgp::parse::Parse;
use openpgp::{Packet, PacketPile};

use super::*;

/// No gpg anywhere: any attempt to run it fails with "not found".
fn no_gpg(key_file: &str) -> PgpEnv {
    PgpEnv {
        gpg_program: "/nonexistent/shroud-test-gpg".into(),
        key_file: Some(key_fixture(key_file)),
        ..PgpEnv::default()
    }
}

fn with_passphrase(env: PgpEnv, p: &str) -> PgpEnv {
    PgpEnv {
        passphrase: Some(Zeroizing::new(p.to_string())),
        ..env
    }
}

#[test]
fn key_files_with_several_armor_blocks_are_merged() {
    let certs = native::read_certs(&key_fixture("sops_functional_tests_key.asc")).unwrap();
    let mut fps: Vec<String> = certs.iter().map(|c| c.fingerprint().to_hex()).collect();
    fps.sort();
    assert_eq!(fps, [KEY3_PUBLIC_ONLY, KEY2, KEY1]);
    let secret: Vec<bool> = certs.iter().map(|c| c.is_tsk()).collect();
    assert_eq!(secret.iter().filter(|s| **s).count(), 2);

    let e = native::read_certs(Path::new("/nonexistent/keys.asc")).unwrap_err();
    assert!(e.contains("cannot read"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.asc");
    std::fs::write(&junk, "hello\n").unwrap();
    assert!(native::read_certs(&junk).is_err());
}

#[test]
fn every_upstream_pgp_entry_unwraps_without_gpg() {
    let env = no_gpg("sops_functional_tests_key.asc");
    for f in pgp_fixtures() {
        let text = std::fs::read_to_string(compat(&f.rel)).unwrap();
        for (i, enc) in messages_in(&text).iter().enumerate() {
            let secret = key_with_enc(enc)
                .unwrap_with(&env)
                .unwrap_or_else(|e| panic!("{} key {i}: {e}", f.rel));
            assert_eq!(hex(&secret), f.data_key_hex, "{} key {i}", f.rel);
        }
    }
}

#[test]
fn old_armor_with_headers_and_trailing_newline_unwraps_without_gpg() {
    let text = std::fs::read_to_string(compat("upstream/example.json")).unwrap();
    let enc = &messages_in(&text)[1];
    let old = enc.replacen(
        "-----BEGIN PGP MESSAGE-----\n",
        "-----BEGIN PGP MESSAGE-----\nVersion: GnuPG v1\n",
        1,
    ) + "\n";
    let secret = key_with_enc(&old)
        .unwrap_with(&no_gpg("sops_functional_tests_key.asc"))
        .unwrap();
    assert_eq!(
        hex(&secret),
        "faf6a891866fac550ef548b4e5f6fbc98fccc6827cd943cc8d7539747f1d87bd"
    );
}

/// The packets of an armored message, outermost first.
fn packets(armored: &str) -> Vec<Packet> {
    PacketPile::from_bytes(armored.as_bytes())
        .unwrap()
        .into_children()
        .collect()
}

#[test]
fn wrapping_from_a_key_file_makes_a_message_gpg_reads() {
    let env = no_gpg("sops_functional_tests_key.asc");
    let mut k = PgpKey::from_fingerprint(KEY1).unwrap();
    k.wrap_with(&env, &secret()).unwrap();
    let enc = k.enc().unwrap();
    assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----\n"), "{enc}");
    assert!(
        enc.ends_with("-----END PGP MESSAGE-----"),
        "trimmed like gpg output"
    );
    let p = packets(enc);
    assert!(
        matches!(&p[0], Packet::PKESK(pk) if pk.recipient().unwrap().to_hex() == "25294A17CD90507F")
    );
    assert!(
        matches!(&p[1], Packet::SEIP(s) if s.version() == 1),
        "SEIPDv1 for v4 keys"
    );
    assert_eq!(*k.unwrap_with(&env).unwrap(), secret());
    if gpg_available() {
        let home = GpgHome::sops();
        assert_eq!(home.decrypt(enc), secret());
    }

    // `!` selects exactly one subkey; the primary with `!` has no encryption flag itself.
    let mut sub = PgpKey::from_fingerprint(&format!("{KEY1_SUBKEY}!")).unwrap();
    sub.wrap_with(&env, &secret()).unwrap();
    assert_eq!(*sub.unwrap_with(&env).unwrap(), secret());
    let mut primary_only = PgpKey::from_fingerprint(&format!("{KEY1}!")).unwrap();
    let e = primary_only.wrap_with(&env, &secret()).unwrap_err();
    assert!(e.reason.contains("no valid encryption subkey"), "{e}");

    // 1024-bit RSA (upstream's key 2) is accepted, as gpg does.
    let mut weak = PgpKey::from_fingerprint(KEY2).unwrap();
    weak.wrap_with(&env, &secret()).unwrap();
    assert_eq!(*weak.unwrap_with(&env).unwrap(), secret());
    if gpg_available() {
        assert_eq!(GpgHome::sops().decrypt(weak.enc().unwrap()), secret());
    }

    // A public-only certificate is enough to wrap.
    let mut public = PgpKey::from_fingerprint(KEY3_PUBLIC_ONLY).unwrap();
    public.wrap_with(&env, &secret()).unwrap();
    let e = public.unwrap_with(&env).unwrap_err();
    assert!(e.reason.contains("no secret key for this message"), "{e}");
    assert!(
        e.reason.contains("832D91F4BEA02569"),
        "names the subkey: {e}"
    );
    assert!(e.reason.contains("not found"), "then gpg was tried: {e}");
}

#[test]
fn keys_missing_from_the_file_fall_through_to_gpg() {
    let env = no_gpg("passphrase_key.asc");
    let mut k = PgpKey::from_fingerprint(ABSENT).unwrap();
    let e = k.wrap_with(&env, &secret()).unwrap_err();
    assert_eq!(e.id, ABSENT);
    assert!(e.reason.contains(KEY_FILE_VAR), "{e}");
    assert!(e.reason.contains("not found"), "{e}");

    // An unreadable key file is reported, and gpg still gets its turn.
    let broken = PgpEnv {
        key_file: Some("/nonexistent/keys.asc".into()),
        ..no_gpg("passphrase_key.asc")
    };
    let e = k.wrap_with(&broken, &secret()).unwrap_err();
    assert!(
        e.reason.contains("cannot read /nonexistent/keys.asc"),
        "{e}"
    );
    assert!(e.reason.contains("gpg not found"), "{e}");
    let e = key_with_enc("-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----")
        .unwrap_with(&broken)
        .unwrap_err();
    assert!(
        e.reason.contains("cannot read /nonexistent/keys.asc"),
        "{e}"
    );
    assert!(e.reason.contains("gpg not found"), "{e}");

    if gpg_available() {
        let home = GpgHome::sops();
        let env = PgpEnv {
            key_file: Some(key_fixture("passphrase_key.asc")),
            ..home.env()
        };
        let text = std::fs::read_to_string(compat("upstream/functional-tests/res/format.enc.json"))
            .unwrap();
        let secret = key_with_enc(&messages_in(&text)[0])
            .unwrap_with(&env)
            .unwrap();
        assert_eq!(
            hex(&secret),
            "9f6aeda6383502c38f7dae6fbbb8cb6890582adb0335effa8952fe590d7a9596"
        );
        let mut k = PgpKey::from_fingerprint(KEY2).unwrap();
        k.wrap_with(&env, &[1; 32]).unwrap();
        assert_eq!(home.decrypt(k.enc().unwrap()), [1; 32]);
    }
}

#[test]
fn passphrase_protected_keys_need_the_passphrase() {
    let env = no_gpg("passphrase_key.asc");
    let mut k = PgpKey::from_fingerprint(PASSPHRASE_KEY).unwrap();
    k.wrap_with(&env, &secret()).unwrap();

    let e = k.unwrap_with(&env).unwrap_err();
    assert!(e.reason.contains("passphrase-protected"), "{e}");
    assert!(e.reason.contains(PASSPHRASE_VAR), "{e}");

    let e = k
        .unwrap_with(&with_passphrase(env.clone(), "wrong"))
        .unwrap_err();
    assert!(e.reason.contains("wrong passphrase"), "{e}");
    assert!(!e.to_string().contains("wrong\""), "{e}");

    let ok = k.unwrap_with(&with_passphrase(env, "passphrase")).unwrap();
    assert_eq!(*ok, secret());
}

#[test]
fn expired_keys_are_refused_for_wrapping() {
    let mut k = PgpKey::from_fingerprint(EXPIRED_KEY).unwrap();
    let e = k
        .wrap_with(&no_gpg("expired_key.asc"), &secret())
        .unwrap_err();
    assert_eq!(e.id, EXPIRED_KEY);
    assert!(e.reason.contains("no valid encryption subkey"), "{e}");
}

/// The binary form of an armored message, and back.
fn dearmor(armored: &str) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    openpgp::armor::Reader::from_bytes(armored.as_bytes(), None)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn armor(binary: &[u8]) -> String {
    use std::io::Write;
    let mut w = openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::Message).unwrap();
    w.write_all(binary).unwrap();
    String::from_utf8(w.finalize().unwrap()).unwrap()
}

#[test]
fn a_corrupt_payload_is_final_and_names_no_secret() {
    let env = no_gpg("sops_functional_tests_key.asc");
    let text =
        std::fs::read_to_string(compat("upstream/functional-tests/res/format.enc.yaml")).unwrap();
    let mut binary = dearmor(&messages_in(&text)[0]);
    // The last byte is inside the integrity-protected payload: the session key still opens.
    *binary.last_mut().unwrap() ^= 0x01;
    let e = key_with_enc(&armor(&binary)).unwrap_with(&env).unwrap_err();
    assert!(e.reason.contains("cannot decrypt the message"), "{e}");
    assert!(!e.reason.contains("not found"), "gpg is not tried: {e}");
    assert!(!e
        .to_string()
        .contains("af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4"));

    // What sequoia cannot even parse is left to gpg.
    let e = key_with_enc("not armor at all")
        .unwrap_with(&env)
        .unwrap_err();
    assert!(e.reason.contains(KEY_FILE_VAR), "{e}");
    assert!(e.reason.contains("not found"), "then gpg: {e}");
}

#[test]
fn go_written_session_keys_are_repaired_before_sequoia_reads_them() {
    // The first entry of this file was written by Go's OpenPGP library with a non-canonical
    // RSA MPI; gpg reads it, and so must the key-file path.
    let text = std::fs::read_to_string(compat(
        "upstream/functional-tests/res/comments_unencrypted_comments.yaml",
    ))
    .unwrap();
    let binary = dearmor(&messages_in(&text)[0]);
    assert!(
        PacketPile::from_bytes(&binary).is_err(),
        "sequoia alone refuses it"
    );
    let fixed = legacy::normalize(&binary).expect("repaired");
    assert!(PacketPile::from_bytes(&fixed).is_ok());

    // The repaired path still checks integrity.
    let env = no_gpg("sops_functional_tests_key.asc");
    let mut tampered = fixed.clone();
    *tampered.last_mut().unwrap() ^= 0x01; // inside the MDC

    let e = key_with_enc(&armor(&tampered))
        .unwrap_with(&env)
        .unwrap_err();
    assert!(e.reason.contains("cannot decrypt the message"), "{e}");
    assert!(!e.reason.contains("not found"), "gpg is not tried: {e}");
    let secret = key_with_enc(&armor(&binary)).unwrap_with(&env).unwrap();
    assert_eq!(
        hex(&secret),
        "70f645aec88418dff72ac2a7a5503209cf00beda80706e6e157fd94ae53885a0"
    );
}
