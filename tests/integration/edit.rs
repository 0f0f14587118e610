//! `edit` with a real editor process (`tests/scripts/fake-editor.sh`): minimal diffs, nothing
//! written when nothing changed or the editor failed, and no plaintext left in `TMPDIR` after
//! any of it, signals included.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use crate::ops::{decrypt, encrypted, many_keys, shroud_k, sops_k, Git, FORMATS};

fn fake_editor() -> PathBuf {
    root().join("tests/scripts/fake-editor.sh")
}

/// `shroud` with identity 1, the fake editor and a private `TMPDIR` inside the sandbox.
fn editing(sb: &Sandbox) -> Command {
    let tmp = sb.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut c = shroud_k(sb);
    c.env("EDITOR", fake_editor()).env("TMPDIR", &tmp);
    c
}

/// Nothing left behind in the sandbox's `TMPDIR`.
fn assert_tmp_empty(sb: &Sandbox) {
    let left: Vec<_> = std::fs::read_dir(sb.path("tmp"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn edit_of_one_value_changes_three_lines_in_git() {
    for fmt in FORMATS {
        let sb = Sandbox::new();
        let f = encrypted(&sb, &format!("e.enc.{fmt}"), &many_keys(fmt, 100));
        let git = Git::init(&sb);
        git.commit_all();
        run(editing(&sb)
            .env("FAKE_EDITOR_SED", "s/value042/edited value/")
            .arg("edit")
            .arg(&f))
        .ok();
        assert_eq!(git.numstat(&f), (3, 3), "{fmt}");
        assert!(decrypt(&sb, &f).contains("edited value"));
        assert_tmp_empty(&sb);
        // The bare form is edit too.
        git.commit_all();
        run(editing(&sb)
            .env("FAKE_EDITOR_SED", "s/value007/bare form/")
            .arg(&f))
        .ok();
        assert_eq!(git.numstat(&f), (3, 3), "{fmt}");
        if let Some(mut sops) = sops_k(&sb) {
            assert_eq!(
                run(sops.arg("decrypt").arg(&f)).ok().stdout,
                decrypt(&sb, &f).into_bytes()
            );
        }
    }
}

#[test]
fn unchanged_edit_is_200_and_leaves_the_file_alone() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "n.enc.json", "{\"a\": \"x\", \"b\": 2}\n");
    let before = std::fs::read(&f).unwrap();
    let r = run(editing(&sb).arg("edit").arg(&f)).fails_with(200);
    assert!(
        r.stderr.contains("File has not changed, exiting."),
        "{}",
        r.stderr
    );
    // Reformatting only (same tree) writes nothing either.
    run(editing(&sb)
        .env("FAKE_EDITOR_SED", "s/\"b\": 2/\"b\":    2/")
        .arg("edit")
        .arg(&f))
    .fails_with(200);
    assert_eq!(std::fs::read(&f).unwrap(), before);
    assert_tmp_empty(&sb);
}

#[test]
fn failing_editor_is_201_and_writes_nothing() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "x.enc.json", "{\"a\": \"x\"}\n");
    let before = std::fs::read(&f).unwrap();
    run(editing(&sb)
        .env("FAKE_EDITOR_SED", "s/x/changed/")
        .env("FAKE_EDITOR_EXIT", "1")
        .arg("edit")
        .arg(&f))
    .fails_with(201);
    assert_eq!(std::fs::read(&f).unwrap(), before);
    assert_tmp_empty(&sb);
    // No editor at all: 201.
    let empty_path = sb.path("nobin");
    std::fs::create_dir_all(&empty_path).unwrap();
    run(shroud_k(&sb)
        .env("PATH", &empty_path)
        .env("TMPDIR", sb.path("tmp"))
        .arg("edit")
        .arg(&f))
    .fails_with(201);
    assert_tmp_empty(&sb);
}

#[test]
fn invalid_result_without_a_terminal_fails_and_writes_nothing() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "i.enc.json", "{\"a\": \"secret-a\"}\n");
    let before = std::fs::read(&f).unwrap();
    for (var, val, why) in [
        (
            "FAKE_EDITOR_CONTENT",
            "{\"a\": \"secret-b\",",
            "invalid syntax",
        ),
        ("FAKE_EDITOR_SED", "s/\"a\"/\"sops\"/", "reserved"),
        ("FAKE_EDITOR_CONTENT", "", "edited file"),
    ] {
        let r = run(editing(&sb).env(var, val).arg("edit").arg(&f)).fails_with(1);
        assert!(r.stderr.contains(why), "{why}: {}", r.stderr);
        assert!(r.stderr.contains("not changed"), "{}", r.stderr);
        assert!(
            !r.stderr.contains("secret-"),
            "plaintext in error: {}",
            r.stderr
        );
        assert_eq!(std::fs::read(&f).unwrap(), before);
        assert_tmp_empty(&sb);
    }
}

#[test]
fn the_plaintext_copy_is_private_and_named_like_the_target() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "named.enc.json", "{\"a\": \"x\"}\n");
    let rec = sb.path("record");
    run(editing(&sb)
        .env("FAKE_EDITOR_RECORD", &rec)
        .env("FAKE_EDITOR_SED", "s/x/y/")
        .arg("edit")
        .arg(&f))
    .ok();
    let line = std::fs::read_to_string(&rec).unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert!(
        parts[0].starts_with(sb.path("tmp").to_str().unwrap()),
        "{line}"
    );
    assert!(parts[0].ends_with("/named.enc.json"), "{line}");
    assert_eq!(&parts[1..], ["600", "700"], "{line}");
    assert!(!Path::new(parts[0]).exists());
    assert_tmp_empty(&sb);
}

/// Sends `signal` to shroud while the editor is open: the temp dir goes, the file stays.
fn interrupted(signal: &str) {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "sig.enc.json", "{\"a\": \"x\"}\n");
    let before = std::fs::read(&f).unwrap();
    let rec = sb.path("record");
    let mut child = editing(&sb)
        .env("FAKE_EDITOR_RECORD", &rec)
        .env("FAKE_EDITOR_SLEEP", "5")
        .env("FAKE_EDITOR_SED", "s/x/y/")
        .arg("edit")
        .arg(&f)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !rec.exists() && t0.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(rec.exists(), "editor never started");
    let ok = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{signal}");
    assert_tmp_empty(&sb);
    assert_eq!(std::fs::read(&f).unwrap(), before);
}

#[test]
fn sigterm_and_sigint_remove_the_plaintext() {
    interrupted("-TERM");
    interrupted("-INT");
}

#[test]
fn a_new_file_starts_from_the_example_with_the_given_keys() {
    let sb = Sandbox::new();
    let f = sb.path("new.enc.json");
    // Untouched example: nothing is created.
    run(editing(&sb).args(["edit", "--age", R1]).arg(&f)).fails_with(200);
    assert!(!f.exists());
    run(editing(&sb)
        .env("FAKE_EDITOR_SED", "s/example_value\"/my value\"/")
        .args(["edit", "--age", R1])
        .arg(&f))
    .ok();
    let out = decrypt(&sb, &f);
    assert!(out.contains("\"example_key\": \"my value\""), "{out}");
    assert!(out.contains("Welcome to SOPS!"));
    if let Some(mut sops) = sops_k(&sb) {
        assert_eq!(run(sops.arg("decrypt").arg(&f)).ok().stdout_str(), out);
    }
    for (name, want) in [
        ("new.env", "example_key=mine"),
        ("new.ini", "example_key = mine"),
    ] {
        let p = sb.path(name);
        run(editing(&sb)
            .env("FAKE_EDITOR_SED", "s/example_value/mine/")
            .args(["edit", "--age", R1])
            .arg(&p))
        .ok();
        assert!(decrypt(&sb, &p).contains(want), "{name}");
    }
    // No keys anywhere: a clear error before any editor runs.
    run(editing(&sb).arg("edit").arg(sb.path("nokeys.json"))).fails_with(1);
    run(editing(&sb)
        .args(["edit", "--add-age", R1])
        .arg(sb.path("nokeys.json")))
    .fails_with(49);
    assert_tmp_empty(&sb);
}

#[test]
fn show_master_keys_puts_the_metadata_in_the_editor() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "s.enc.json", "{\"a\": \"x\"}\n");
    let copy = sb.path("seen.json");
    // The editor sees plaintext values plus the sops block; changing a value works.
    run(editing(&sb)
        .env(
            "FAKE_EDITOR_SED",
            format!("s/\"x\"/\"y\"/;w {}", copy.display()),
        )
        .args(["edit", "-s"])
        .arg(&f))
    .ok();
    let seen = std::fs::read_to_string(&copy).unwrap();
    assert!(seen.contains("\"sops\"") && seen.contains(R1), "{seen}");
    assert!(decrypt(&sb, &f).contains("\"a\": \"y\""));
    // Removing the sops block is refused.
    let before = std::fs::read(&f).unwrap();
    run(editing(&sb)
        .env("FAKE_EDITOR_CONTENT", "{\"a\": \"z\"}\n")
        .args(["edit", "-s"])
        .arg(&f))
    .fails_with(1);
    assert_eq!(std::fs::read(&f).unwrap(), before);
    assert_tmp_empty(&sb);
}

#[test]
fn edit_bumps_an_older_version() {
    let sb = Sandbox::new();
    let Some(mut sops) = sb.sops() else { return };
    let f = sb.write("old.enc.json", "{\"a\": \"x\", \"b\": \"y\"}\n");
    run(sops.args(["encrypt", "-i", "--age", R1]).arg(&f)).ok();
    assert!(std::fs::read_to_string(&f)
        .unwrap()
        .contains("\"version\": \"3.11.0\""));
    run(editing(&sb)
        .env("FAKE_EDITOR_SED", "s/\"y\"/\"z\"/")
        .arg("edit")
        .arg(&f))
    .ok();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("\"version\": \"3.13.2\""), "{text}");
    run(sops_k(&sb).unwrap().arg("decrypt").arg(&f)).ok();
}

#[test]
fn a_new_file_takes_its_keys_from_the_creation_rule() {
    let sb = Sandbox::new();
    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: \\.yaml$\n    age: {R2}\n    encrypted_regex: ^hello$\n"),
    );
    let f = sb.path("fresh.yaml");
    run(editing(&sb)
        .env("FAKE_EDITOR_SED", "s/example_value$/from rule/")
        .arg(&f))
    .ok();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains(R2) && !text.contains(R1), "{text}");
    assert!(
        text.contains("example_key: from rule"),
        "rule's encrypted_regex: {text}"
    );
    assert!(text.contains("hello: ENC["), "{text}");
    let out = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .arg("decrypt")
        .arg(&f))
    .ok()
    .stdout_str();
    assert!(out.starts_with("hello: Welcome to SOPS!"), "{out}");
    assert_tmp_empty(&sb);
}

#[test]
fn on_a_terminal_an_invalid_edit_goes_back_to_the_editor() {
    // `script` gives shroud a pseudo-terminal; Enter is typed through its stdin.
    let Some(script) = which("script") else {
        eprintln!("skipping: script(1) not installed");
        return;
    };
    let sb = Sandbox::new();
    let f = encrypted(&sb, "tty.enc.json", "{\"a\": \"x\"}\n");
    let cmd = format!(
        "{} edit {}",
        env!("CARGO_BIN_EXE_shroud"),
        f.to_str().unwrap()
    );
    let c = editing(&sb);
    let mut child = Command::new(script)
        .args(["-qec", &cmd, "/dev/null"])
        .env_clear()
        .envs(
            c.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env("FAKE_EDITOR_STATE", sb.path("state"))
        .env("FAKE_EDITOR_FIRST", "{\"a\": broken")
        .env("FAKE_EDITOR_CONTENT", "{\"a\": \"fixed\"}\n")
        .current_dir(sb.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("Press enter to return to the editor, or Ctrl+C to exit."),
        "{shown}"
    );
    assert!(!shown.contains("broken"), "plaintext echoed: {shown}");
    assert_eq!(decrypt(&sb, &f), "{\n\t\"a\": \"fixed\"\n}\n");
    assert_tmp_empty(&sb);
}

#[test]
fn show_master_keys_can_add_a_recipient_with_the_same_data_key() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "k.enc.yaml", "a: kept\nb: old\n");
    let before = std::fs::read_to_string(&f).unwrap();
    run(editing(&sb)
        .env(
            "FAKE_EDITOR_SED",
            format!("s/^    age:$/    age:\\n        - recipient: {R2}/;s/^b: old$/b: new/"),
        )
        .args(["edit", "-s"])
        .arg(&f))
    .ok();
    let after = std::fs::read_to_string(&f).unwrap();
    assert!(after.contains(R1) && after.contains(R2), "{after}");
    // Same data key: the untouched value keeps its ciphertext.
    let a_line = |t: &str| t.lines().find(|l| l.starts_with("a:")).unwrap().to_string();
    assert_eq!(a_line(&after), a_line(&before));
    let open2 = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .arg("decrypt")
        .arg(&f))
    .ok();
    assert_eq!(open2.stdout_str(), "a: kept\nb: new\n");
    assert_tmp_empty(&sb);
}
