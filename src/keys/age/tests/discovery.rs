//! Identity discovery (spec §11.1), driven through an explicit environment map.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

#[test]
fn sops_age_key_accepts_several_identities_per_line() {
    let line = format!(
        "{}  {}",
        identity_line("test_identity_1.txt"),
        identity_line("test_identity_2.txt")
    );
    let text = format!("# comment\n\n{line}\n");
    let ids = discover(&[("SOPS_AGE_KEY", &text)], None, "");
    assert_eq!(ids.public_keys(), [RECIPIENT_1, RECIPIENT_2]);
}

#[test]
fn keys_file_skips_comments_and_blank_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "# created: today\n# public key: {RECIPIENT_1}\n{}\n\n# another\n{}\r\n",
        identity_line("test_identity_1.txt"),
        identity_line("test_identity_2.txt")
    );
    let path = write(tmp.path(), "keys.txt", &text);
    let ids = discover(&[("SOPS_AGE_KEY_FILE", path.to_str().unwrap())], None, "");
    assert_eq!(ids.public_keys(), [RECIPIENT_1, RECIPIENT_2]);
    assert_eq!(ids.problems().count(), 0);
}

#[test]
fn malformed_line_fails_the_source_by_line_number_only() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "# keys\n{}\nNOT-A-KEY-topsecretvalue\n",
        identity_line("test_identity_1.txt")
    );
    let path = write(tmp.path(), "keys.txt", &text);
    let ids = discover(
        &[
            ("SOPS_AGE_KEY_FILE", path.to_str().unwrap()),
            ("SOPS_AGE_KEY", &identity_line("test_identity_2.txt")),
        ],
        None,
        "",
    );
    // The broken file contributes nothing; the other source still does.
    assert_eq!(ids.public_keys(), [RECIPIENT_2]);
    let problems: Vec<_> = ids.problems().collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("line 3"), "{}", problems[0]);
    assert!(problems[0].contains(path.to_str().unwrap()));
    assert!(!problems[0].contains("topsecretvalue"));

    // A bad X25519 line is reported the same way, without its content.
    let line = identity_line("test_identity_1.txt");
    let corrupted = &line[..line.len() - 1]; // bad bech32 checksum
    let ids = discover(&[("SOPS_AGE_KEY", &format!("\n\n{corrupted}"))], None, "");
    assert!(ids.public_keys().is_empty());
    let problems: Vec<_> = ids.problems().collect();
    assert!(
        problems[0].contains("SOPS_AGE_KEY: line 3: malformed"),
        "{problems:?}"
    );
    assert!(!problems[0].contains(&corrupted[16..]));
}

#[test]
fn post_quantum_identities_are_skipped_with_a_note() {
    let text = format!(
        "{}\n{}\n",
        identity_line("test_identity_pq.txt"),
        identity_line("test_identity_1.txt")
    );
    let ids = discover(&[("SOPS_AGE_KEY", &text)], None, "");
    assert_eq!(ids.public_keys(), [RECIPIENT_1]);
    let problems: Vec<_> = ids.problems().collect();
    assert!(problems[0].contains("line 1: post-quantum"), "{problems:?}");
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
}

#[test]
fn key_cmd_runs_without_a_shell_and_gets_the_recipient() {
    let id1 = fixture("test_identity_1.txt");
    let script = format!(
        "test \"$SOPS_AGE_RECIPIENT\" = {RECIPIENT_1} && cat '{}'",
        id1.display()
    );
    let cmd = shell_words::join(["sh", "-c", &script]);
    let ids = discover(&[("SOPS_AGE_KEY_CMD", &cmd)], None, RECIPIENT_1);
    assert_eq!(ids.public_keys(), [RECIPIENT_1]);
    assert!(ids.keys[0].source.contains("SOPS_AGE_KEY_CMD"));

    // Another recipient: the command refuses, the source fails with a clear message.
    let ids = discover(&[("SOPS_AGE_KEY_CMD", &cmd)], None, RECIPIENT_2);
    assert!(ids.public_keys().is_empty());
    let problems: Vec<_> = ids.problems().collect();
    assert!(
        problems[0].contains("SOPS_AGE_KEY_CMD: sh failed"),
        "{problems:?}"
    );

    // Shell syntax is not interpreted: `|` is just an argument to `echo`.
    let ids = discover(&[("SOPS_AGE_KEY_CMD", "echo | cat")], None, RECIPIENT_1);
    assert!(ids.problems().next().unwrap().contains("line 1"));
}

#[test]
fn ssh_private_key_cmd_output_is_an_identity() {
    let cmd = format!("cat '{}'", fixture("test_ssh_ed25519").display());
    let ids = discover(&[("SOPS_AGE_SSH_PRIVATE_KEY_CMD", &cmd)], None, "r");
    let key = wrapped("ssh", "wrapped_data_ssh.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
}

#[test]
fn default_keys_file_under_xdg_config_home() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "sops/age/keys.txt",
        &read("test_identity_1.txt"),
    );
    let ids = discover(
        &[("XDG_CONFIG_HOME", tmp.path().to_str().unwrap())],
        None,
        "",
    );
    assert_eq!(ids.public_keys(), [RECIPIENT_1]);
    assert!(ids.keys[0].source.contains(path.to_str().unwrap()));
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn default_keys_file_under_home_config_and_ssh_keys_in_home() {
    let home = tempfile::tempdir().unwrap();
    write(
        home.path(),
        ".config/sops/age/keys.txt",
        &read("test_identity_2.txt"),
    );
    write(home.path(), ".ssh/id_ed25519", &read("test_ssh_ed25519"));
    let ids = discover(&[], Some(home.path()), "");
    // SSH keys come first (spec order), then the default keys file.
    assert_eq!(ids.public_keys().len(), 2);
    assert!(ids.public_keys()[0].starts_with("ssh-ed25519 "));
    assert_eq!(ids.public_keys()[1], RECIPIENT_2);
    let key = wrapped("ssh", "wrapped_data_ssh.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
}

#[test]
fn passphrase_protected_ssh_key_is_opened_only_for_its_own_stanza() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("id_ed25519");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "sekrit", "-C", "t", "-f"])
        .arg(&path)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("ssh-keygen unavailable; skipping");
        return;
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let ids = discover(
        &[
            ("SOPS_AGE_SSH_PRIVATE_KEY_FILE", path.to_str().unwrap()),
            ("SOPS_AGE_KEY", &identity_line("test_identity_1.txt")),
        ],
        None,
        "",
    )
    .with_ask(answer("sekrit", calls.clone()));

    // A file not addressed to the SSH key: no prompt.
    let key = wrapped(RECIPIENT_1, "wrapped_data_x25519.age");
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], b"data");
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    let mut key = AgeKey::from_recipient(&public).unwrap();
    key.wrap(&[9; 32]).unwrap();
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], &[9; 32]);
    assert_eq!(&key.unwrap_with(&ids).unwrap()[..], &[9; 32]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn debug_output_shows_no_secrets() {
    let ids = key_file_ids("test_identity_1.txt");
    let shown = format!("{ids:?}");
    assert!(shown.contains(RECIPIENT_1));
    assert!(!shown.contains("AGE-SECRET-KEY"));
}
