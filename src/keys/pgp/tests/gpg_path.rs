//! The gpg path: SOPS's exact invocations against a throwaway keyring.

use super::*;

/// A gpg wrapper that logs each invocation's arguments, one line per process.
struct CountingGpg {
    dir: tempfile::TempDir,
}

impl CountingGpg {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("gpg");
        let log = dir.path().join("log");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec gpg \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        CountingGpg { dir }
    }

    fn program(&self) -> OsString {
        self.dir.path().join("gpg").into_os_string()
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn every_upstream_pgp_entry_unwraps_with_one_gpg_process() {
    if !gpg_available() {
        return;
    }
    let home = GpgHome::sops();
    let counter = CountingGpg::new();
    let env = PgpEnv {
        gpg_program: counter.program(),
        ..home.env()
    };
    let mut unwrapped = 0;
    for f in pgp_fixtures() {
        let text = std::fs::read_to_string(compat(&f.rel)).unwrap();
        for (i, enc) in messages_in(&text).iter().enumerate() {
            let secret = key_with_enc(enc)
                .unwrap_with(&env)
                .unwrap_or_else(|e| panic!("{} key {i}: {e}", f.rel));
            assert_eq!(hex(&secret), f.data_key_hex, "{} key {i}", f.rel);
            unwrapped += 1;
        }
        assert_eq!(messages_in(&text).len(), f.keys);
    }
    let calls = counter.calls();
    assert_eq!(calls.len(), unwrapped, "one gpg process per unwrap");
    let want = format!("--homedir {} -d", home.path().display());
    assert!(calls.iter().all(|c| *c == want), "{calls:?}");
}

#[test]
fn wrapping_runs_sops_gpg_command_and_trims_the_armor() {
    if !gpg_available() {
        return;
    }
    let home = GpgHome::sops();
    let counter = CountingGpg::new();
    let env = PgpEnv {
        gpg_program: counter.program(),
        ..home.env()
    };
    let mut k = PgpKey::from_fingerprint(KEY1).unwrap();
    k.wrap_with(&env, &secret()).unwrap();
    let enc = k.enc().unwrap();
    assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----\n"), "{enc}");
    assert!(
        enc.ends_with("-----END PGP MESSAGE-----"),
        "no trailing newline"
    );
    assert_eq!(
        counter.calls(),
        [format!(
            "--homedir {} --no-default-recipient --yes --encrypt -a -r {KEY1} \
             --trusted-key 3D16CEE4A27381B4 --no-encrypt-to",
            home.path().display()
        )]
    );
    assert_eq!(
        home.decrypt(enc),
        secret(),
        "gpg --decrypt gives the 32 bytes"
    );
    assert_eq!(*k.unwrap_with(&home.env()).unwrap(), secret());
    assert_eq!(k.to_entry().get("enc").and_then(Value::as_str), Some(enc));

    // A subkey with `!`: gpg encrypts to exactly that subkey.
    let mut sub = PgpKey::from_fingerprint(&format!("{KEY1_SUBKEY}!")).unwrap();
    sub.wrap_with(&env, &secret()).unwrap();
    assert!(counter.calls()[1].contains("--trusted-key 25294A17CD90507F --no-encrypt-to"));
    assert_eq!(*sub.unwrap_with(&home.env()).unwrap(), secret());
}

#[test]
fn old_armor_with_headers_and_trailing_newline_unwraps() {
    if !gpg_available() {
        return;
    }
    let home = GpgHome::sops();
    let text =
        std::fs::read_to_string(compat("upstream/functional-tests/res/format.enc.yaml")).unwrap();
    let enc = &messages_in(&text)[0];
    let old = enc.replacen(
        "-----BEGIN PGP MESSAGE-----\n",
        "-----BEGIN PGP MESSAGE-----\nVersion: GnuPG v1\nComment: old sops\n",
        1,
    ) + "\n";
    let secret = key_with_enc(&old).unwrap_with(&home.env()).unwrap();
    assert_eq!(
        hex(&secret),
        "af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4"
    );
}

#[test]
fn unavailable_keys_fail_with_the_fingerprint_and_gpg_verdict() {
    if !gpg_available() {
        return;
    }
    let home = GpgHome::sops();
    let env = home.env();

    // Not in the keyring at all: wrapping fails.
    let mut absent = PgpKey::from_fingerprint(ABSENT).unwrap();
    let e = absent.wrap_with(&env, &secret()).unwrap_err();
    assert_eq!((e.kind.as_str(), e.id.as_str()), ("pgp", ABSENT));
    assert!(e.reason.contains("No public key"), "{e}");
    assert!(!e.reason.contains('\n'), "one line: {e}");
    assert!(absent.enc().is_none());

    // Public key only: wrapping works, unwrapping has no secret key.
    let mut public = PgpKey::from_fingerprint(KEY3_PUBLIC_ONLY).unwrap();
    public.wrap_with(&env, &secret()).unwrap();
    let e = public.unwrap_with(&env).unwrap_err();
    assert_eq!(e.id, KEY3_PUBLIC_ONLY);
    assert!(e.reason.contains("No secret key"), "{e}");
    assert!(!e.to_string().contains(&hex(&secret())));

    // Without any keyring.
    let empty = GpgHome::with(&[]);
    let e = key_with_enc(public.enc().unwrap())
        .unwrap_with(&empty.env())
        .unwrap_err();
    assert!(e.reason.contains("No secret key"), "{e}");
}

#[test]
fn expired_keys_are_refused_for_wrapping() {
    if !gpg_available() {
        return;
    }
    let home = GpgHome::with(&["expired_key.asc"]);
    let mut k = PgpKey::from_fingerprint(EXPIRED_KEY).unwrap();
    let e = k.wrap_with(&home.env(), &secret()).unwrap_err();
    assert_eq!(e.id, EXPIRED_KEY);
    let reason = e.reason.to_lowercase();
    assert!(
        reason.contains("expired") || reason.contains("unusable"),
        "{e}"
    );
}

#[test]
fn a_missing_gpg_is_named() {
    let env = PgpEnv {
        gpg_program: "/nonexistent/shroud-test-gpg".into(),
        ..PgpEnv::default()
    };
    let mut k = PgpKey::from_fingerprint(KEY1).unwrap();
    let e = k.wrap_with(&env, &secret()).unwrap_err();
    assert_eq!(e.id, KEY1);
    assert!(e.reason.contains("not found"), "{e}");
    assert!(e.reason.contains(KEY_FILE_VAR), "{e}");
    let e = key_with_enc("-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----")
        .unwrap_with(&env)
        .unwrap_err();
    assert!(e.reason.contains("not found"), "{e}");
}
