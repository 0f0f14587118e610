//! `exec-env` and `exec-file`: values reach the child byte for byte and unevaluated, the
//! child's exit status comes back, and the decrypted file is gone afterwards.

use crate::common::*;
use crate::ops::{decrypt, encrypted, shroud_k};

const TRICKY: &str = r#"{
	"SUBST": "$(touch pwned) `touch pwned2` ${HOME}",
	"QUOTES": "it's \"quoted\" \\ back",
	"NEWLINES": "line1\nline2\n",
	"NUMBER": 1.5,
	"FLAG": true
}
"#;

fn exec_env(sb: &Sandbox, f: &std::path::Path, cmd: &str) -> Run {
    run(shroud_k(sb).arg("exec-env").arg(f).arg(cmd))
}

#[test]
fn exec_env_passes_values_unevaluated() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "env.enc.json", TRICKY);
    let get = |name: &str| {
        exec_env(&sb, &f, &format!("printenv {name}"))
            .ok()
            .stdout_str()
    };
    assert_eq!(get("SUBST"), "$(touch pwned) `touch pwned2` ${HOME}\n");
    assert_eq!(get("QUOTES"), "it's \"quoted\" \\ back\n");
    assert_eq!(get("NEWLINES"), "line1\nline2\n\n");
    assert_eq!(get("NUMBER"), "1.5\n");
    assert_eq!(get("FLAG"), "true\n");
    assert!(!sb.path("pwned").exists() && !sb.path("pwned2").exists());
    // The command itself is split into words, not run by a shell.
    // (printenv gets ";", "touch", "pwned3" as variable names and fails on them.)
    let r = exec_env(&sb, &f, "printenv SUBST ; touch pwned3");
    assert_eq!(r.code, 1);
    assert!(!sb.path("pwned3").exists());
}

#[test]
fn exec_env_environment_and_exit_codes() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "e.enc.json", "{\"A\": \"1\", \"B\": \"two\"}\n");
    let all = run(shroud_k(&sb)
        .env("OUTER", "kept")
        .arg("exec-env")
        .arg(&f)
        .arg("/usr/bin/env"))
    .ok()
    .stdout_str();
    assert!(all.contains("A=1\n") && all.contains("B=two\n") && all.contains("OUTER=kept\n"));
    let pristine = run(shroud_k(&sb)
        .env("OUTER", "kept")
        .args(["exec-env", "--pristine"])
        .arg(&f)
        .arg("env"))
    .ok()
    .stdout_str();
    let mut lines: Vec<&str> = pristine.lines().collect();
    lines.sort();
    assert_eq!(lines, ["A=1", "B=two"]);
    // The child's exit code comes back, without a message of ours.
    let r = exec_env(&sb, &f, "sh -c 'exit 7'");
    assert_eq!(r.code, 7);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(exec_env(&sb, &f, "sh -c 'exit \"$0\"' 42").code, 42);
    // Usage errors.
    run(shroud_k(&sb).arg("exec-env").arg(&f)).fails_with(100);
    exec_env(&sb, &f, "no-such-program-xyz").fails_with(1);
    let nested = encrypted(&sb, "n.enc.json", "{\"A\": {\"b\": \"secret\"}}\n");
    let r = exec_env(&sb, &nested, "env").fails_with(1);
    assert!(!r.stderr.contains("secret"), "{}", r.stderr);
}

#[test]
fn exec_file_gives_a_path_to_the_plaintext_that_is_gone_afterwards() {
    let sb = Sandbox::new();
    let tmp = sb.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let f = encrypted(&sb, "f.enc.json", "{\"a\": \"x\", \"b\": [1, 2]}\n");
    let plain = decrypt(&sb, &f);
    let exec_file = |args: &[&str], cmd: &str| {
        run(shroud_k(&sb)
            .env("TMPDIR", &tmp)
            .arg("exec-file")
            .args(args)
            .arg(&f)
            .arg(cmd))
    };
    // FIFO (default) and --no-fifo: the child reads the decrypted file.
    for args in [&[][..], &["--no-fifo"][..]] {
        let r = exec_file(args, "sh -c 'cat \"$1\"; echo \"$1\" >&2' sh {}").ok();
        assert_eq!(r.stdout_str(), plain, "{args:?}");
        let path = r.stderr.trim().to_string();
        assert!(path.starts_with(tmp.to_str().unwrap()), "{path}");
        assert!(!std::path::Path::new(&path).exists(), "{path} left behind");
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    }
    assert_eq!(exec_file(&[], "cat {}").ok().stdout_str(), plain);
    // A FIFO by default; a 0600 regular file with --no-fifo; --filename names it.
    let kind = exec_file(&[], "stat -c %F {}").ok().stdout_str();
    assert_eq!(kind.trim(), "fifo");
    let mode = exec_file(&["--no-fifo"], "stat -c %a {}").ok().stdout_str();
    assert_eq!(mode.trim(), "600");
    let named = exec_file(&["--no-fifo", "--filename", "app.json"], "echo {}")
        .ok()
        .stdout_str();
    assert!(named.trim().ends_with("/app.json"), "{named}");
    exec_file(&["--filename", "../escape"], "cat {}").fails_with(1);
    // Exit code of the child; nothing left behind.
    assert_eq!(exec_file(&[], "sh -c 'exit 9'").code, 9);
    assert_eq!(exec_file(&["--no-fifo"], "sh -c 'exit 3'").code, 3);
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    run(shroud_k(&sb).arg("exec-file").arg(&f)).fails_with(100);
}

#[test]
fn exec_file_background_returns_after_the_child_read_the_fifo() {
    let sb = Sandbox::new();
    let tmp = sb.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let f = encrypted(&sb, "b.enc.json", "{\"a\": \"x\"}\n");
    let out = sb.path("copy.json");
    let cmd = format!("sh -c 'cat \"$1\" > {}' sh {{}}", out.display());
    run(shroud_k(&sb)
        .env("TMPDIR", &tmp)
        .args(["exec-file", "--background"])
        .arg(&f)
        .arg(&cmd))
    .ok();
    let t0 = std::time::Instant::now();
    while decrypt_len(&out) == 0 && t0.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), decrypt(&sb, &f));
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

fn decrypt_len(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}
