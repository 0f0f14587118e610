//! `set`, `unset`, `rotate`, `groups`, `updatekeys` and `filestatus` through the binary:
//! minimal git diffs, upstream can read every result, and the data key really changes on
//! rotate. Helpers shared with the `edit` and `exec` tests live here too.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// Formats the diff tests run in.
pub const FORMATS: [&str; 2] = ["json", "yaml"];

/// A plaintext file with `n` string keys `key000: value000`, ….
pub fn many_keys(format: &str, n: usize) -> String {
    match format {
        "yaml" => (0..n)
            .map(|i| format!("key{i:03}: value{i:03}\n"))
            .collect(),
        "json" => {
            let body: Vec<String> = (0..n)
                .map(|i| format!("\t\"key{i:03}\": \"value{i:03}\""))
                .collect();
            format!("{{\n{}\n}}\n", body.join(",\n"))
        }
        other => panic!("no many_keys for {other}"),
    }
}

/// `shroud` with identity 1 available.
pub fn shroud_k(sb: &Sandbox) -> Command {
    let mut c = sb.shroud();
    c.env("SOPS_AGE_KEY_FILE", identity(1));
    c
}

/// `sops` (3.11.0) with identity 1 available, if installed.
pub fn sops_k(sb: &Sandbox) -> Option<Command> {
    let mut c = sb.sops()?;
    c.env("SOPS_AGE_KEY_FILE", identity(1));
    Some(c)
}

/// Writes `plain` to `name` and encrypts it in place for R1.
pub fn encrypted(sb: &Sandbox, name: &str, plain: &str) -> PathBuf {
    let p = sb.write(name, plain);
    run(sb.shroud().args(["encrypt", "-i", "--age", R1]).arg(&p)).ok();
    p
}

pub fn decrypt(sb: &Sandbox, file: &Path) -> String {
    run(shroud_k(sb).arg("decrypt").arg(file)).ok().stdout_str()
}

/// A git repository in the sandbox, to measure diffs the way reviewers see them.
pub struct Git<'a> {
    sb: &'a Sandbox,
}

impl<'a> Git<'a> {
    pub fn init(sb: &'a Sandbox) -> Self {
        let g = Git { sb };
        g.git(&["init", "-q"]);
        g.git(&["config", "user.name", "Shroud Test"]);
        g.git(&["config", "user.email", "test@example.com"]);
        g
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.sb.dir.path())
            .env("HOME", self.sb.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {:?}", out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Commits everything, then waits for the clock to pass the next second so that a
    /// following write gets a new `lastmodified` (it has seconds precision).
    pub fn commit_all(&self) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "snapshot"]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_nanos(
            1_000_000_000 - u64::from(now.subsec_nanos()) + 10_000_000,
        ));
    }

    /// `(added, deleted)` lines of `file` against the last commit.
    pub fn numstat(&self, file: &Path) -> (usize, usize) {
        let out = self.git(&["diff", "--numstat", "--", &file.to_string_lossy()]);
        let mut f = out.split_whitespace();
        match (f.next(), f.next()) {
            (Some(a), Some(d)) => (a.parse().unwrap(), d.parse().unwrap()),
            _ => (0, 0),
        }
    }

    /// The changed lines (`+`/`-`), without the diff headers.
    pub fn changed_lines(&self, file: &Path) -> Vec<String> {
        self.git(&["diff", "-U0", "--", &file.to_string_lossy()])
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .map(str::to_string)
            .collect()
    }
}

/// The changed lines must be exactly: the given keys, `lastmodified` and `mac`.
pub fn assert_only(lines: &[String], keys: &[&str]) {
    for l in lines {
        assert!(
            keys.iter().any(|k| l.contains(k)) || l.contains("lastmodified") || l.contains("mac"),
            "unexpected changed line {l}"
        );
    }
}

#[test]
fn set_changes_three_lines_in_git() {
    for fmt in FORMATS {
        let sb = Sandbox::new();
        let f = encrypted(&sb, &format!("s.enc.{fmt}"), &many_keys(fmt, 100));
        let git = Git::init(&sb);
        git.commit_all();
        run(shroud_k(&sb)
            .arg("set")
            .arg(&f)
            .arg(r#"["key042"]"#)
            .arg(r#""changed""#))
        .ok();
        assert_eq!(git.numstat(&f), (3, 3), "{fmt}");
        assert_only(&git.changed_lines(&f), &["key042"]);
        assert!(decrypt(&sb, &f).contains("changed"));
    }
}

#[test]
fn unset_removes_one_line_plus_metadata() {
    for fmt in FORMATS {
        let sb = Sandbox::new();
        let f = encrypted(&sb, &format!("u.enc.{fmt}"), &many_keys(fmt, 100));
        let git = Git::init(&sb);
        git.commit_all();
        run(shroud_k(&sb).arg("unset").arg(&f).arg(r#"["key042"]"#)).ok();
        assert_eq!(git.numstat(&f), (2, 3), "{fmt}");
        assert_only(&git.changed_lines(&f), &["key042"]);
        assert!(!decrypt(&sb, &f).contains("key042"));
    }
}

#[test]
fn set_value_forms_and_errors() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "v.enc.json", "{\"a\": \"x\", \"list\": [1, 2]}\n");
    let set = |args: &[&str]| run(shroud_k(&sb).arg("set").args(args));
    let fs = f.to_str().unwrap();
    // A bare number is a float, an object keeps ints, missing keys are created.
    set(&[fs, r#"["n"]"#, "2"]).ok();
    set(&[fs, r#"["obj"]["deep"]"#, r#"{"i": 1, "s": "t"}"#]).ok();
    set(&[fs, r#"["list"][5]"#, r#""appended""#]).ok();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("type:float"), "{text}");
    let out = decrypt(&sb, &f);
    for want in ["\"n\": 2", "\"i\": 1", "\"appended\""] {
        assert!(out.contains(want), "{want} in {out}");
    }
    // --value-file and --value-stdin.
    let vf = sb.write("value.json", "\"from file\"");
    set(&["--value-file", fs, r#"["a"]"#, vf.to_str().unwrap()]).ok();
    assert!(decrypt(&sb, &f).contains("from file"));
    let r = run(shroud_k(&sb)
        .args(["set", "--value-stdin", fs, r#"["a"]"#])
        .stdin(std::fs::File::open(sb.write("stdin.json", "\"from stdin\"")).unwrap()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(decrypt(&sb, &f).contains("from stdin"));

    // Setting the same value again writes nothing, with or without --idempotent.
    let before = std::fs::read(&f).unwrap();
    set(&[fs, r#"["a"]"#, r#""from stdin""#]).ok();
    set(&["--idempotent", fs, r#"["a"]"#, r#""from stdin""#]).ok();
    assert_eq!(std::fs::read(&f).unwrap(), before);

    // Errors: bad index 7, bad JSON 7 (value not echoed), argument count 100.
    set(&[fs, r#"["a""#, "1"]).fails_with(7);
    let r = set(&[fs, r#"["a"]"#, "s3cr3t-not-json"]).fails_with(7);
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
    set(&[fs, r#"["a"]"#]).fails_with(100);
    set(&[fs]).fails_with(100);
    set(&["--value-stdin", fs, r#"["a"]"#, "1"]).fails_with(100);
    assert_eq!(std::fs::read(&f).unwrap(), before);
    // Legacy --set.
    run(shroud_k(&sb).args(["--set", r#"["legacy"] "yes""#]).arg(&f)).ok();
    assert!(decrypt(&sb, &f).contains("\"legacy\": \"yes\""));
}

#[test]
fn unset_missing_path_is_an_error_unless_idempotent() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "m.enc.json", "{\"a\": \"x\", \"b\": {\"c\": \"y\"}}\n");
    let before = std::fs::read(&f).unwrap();
    let r = run(shroud_k(&sb).arg("unset").arg(&f).arg(r#"["zz"]"#)).fails_with(1);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    run(shroud_k(&sb)
        .args(["unset", "--idempotent"])
        .arg(&f)
        .arg(r#"["b"]["zz"]"#))
    .ok();
    assert_eq!(std::fs::read(&f).unwrap(), before);
    run(shroud_k(&sb).arg("unset").arg(&f).arg("[0")).fails_with(7);
    run(shroud_k(&sb).arg("unset").arg(&f)).fails_with(100);
    run(shroud_k(&sb).arg("unset").arg(&f).arg(r#"["b"]["c"]"#)).ok();
    assert!(!decrypt(&sb, &f).contains("\"c\""));
}

#[test]
fn upstream_decrypts_after_set_unset_rotate_and_groups() {
    let sb = Sandbox::new();
    let f = encrypted(
        &sb,
        "up.enc.json",
        "{\"a\": \"x\", \"b\": 1, \"c\": true}\n",
    );
    run(shroud_k(&sb)
        .arg("set")
        .arg(&f)
        .arg(r#"["d"]"#)
        .arg("[1, \"two\"]"))
    .ok();
    run(shroud_k(&sb).arg("unset").arg(&f).arg(r#"["b"]"#)).ok();
    run(shroud_k(&sb).args(["rotate", "-i"]).arg(&f)).ok();
    let ours = decrypt(&sb, &f);
    let Some(mut sops) = sops_k(&sb) else { return };
    let theirs = run(sops.arg("decrypt").arg(&f)).ok().stdout_str();
    assert_eq!(theirs, ours);
    assert!(ours.contains("\"two\"") && !ours.contains("\"b\""));
}

/// The `enc` of the first age recipient in an encrypted JSON file.
fn first_enc(text: &str) -> String {
    let start = text.find("\"enc\": \"").unwrap() + 8;
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_string()
}

#[test]
fn rotate_replaces_the_data_key() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "r.enc.json", "{\"a\": \"x\", \"b\": \"y\"}\n");
    let old = std::fs::read_to_string(&f).unwrap();
    run(shroud_k(&sb).args(["rotate", "-i"]).arg(&f)).ok();
    let new = std::fs::read_to_string(&f).unwrap();
    assert_eq!(decrypt(&sb, &f), "{\n\t\"a\": \"x\",\n\t\"b\": \"y\"\n}\n");
    // Every value re-encrypted.
    for line in old.lines().filter(|l| l.contains("ENC[")) {
        assert!(!new.contains(line.trim()), "unchanged after rotate: {line}");
    }
    // The old wrapped key does not open the rotated file.
    let (old_enc, new_enc) = (first_enc(&old), first_enc(&new));
    assert_ne!(old_enc, new_enc);
    let swapped = sb.write("swapped.enc.json", new.replace(&new_enc, &old_enc));
    let r = run(shroud_k(&sb).arg("decrypt").arg(&swapped));
    assert_ne!(r.code, 0, "old key opened the rotated file");
    assert!(r.stdout.is_empty());
    if let Some(mut sops) = sops_k(&sb) {
        assert_ne!(run(sops.arg("decrypt").arg(&swapped)).code, 0);
    }
    // Stdout by default, like sops.
    let r = run(shroud_k(&sb).arg("rotate").arg(&f)).ok();
    assert!(r.stdout_str().contains("ENC[AES256_GCM"));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), new);
}

#[test]
fn rotate_adds_and_removes_recipients() {
    let sb = Sandbox::new();
    let f = encrypted(&sb, "k.enc.json", "{\"a\": \"x\"}\n");
    run(shroud_k(&sb)
        .args(["rotate", "-i", "--add-age", R2])
        .arg(&f))
    .ok();
    let both = std::fs::read_to_string(&f).unwrap();
    assert!(both.contains(R1) && both.contains(R2));
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .arg("decrypt")
        .arg(&f))
    .ok();
    run(shroud_k(&sb).args(["-r", "-i", "--rm-age", R1]).arg(&f)).ok();
    assert!(!std::fs::read_to_string(&f).unwrap().contains(R1));
    run(shroud_k(&sb).arg("decrypt").arg(&f)).fails_with(128);
    if let Some(mut sops) = sb.sops() {
        run(sops
            .env("SOPS_AGE_KEY_FILE", identity(2))
            .arg("decrypt")
            .arg(&f))
        .ok();
    }
    // --add/--rm on a missing file: 49; rotate of a missing file: 2 (legacy -r: 100).
    let missing = sb.path("missing.json");
    run(shroud_k(&sb)
        .args(["rotate", "--add-age", R2])
        .arg(&missing))
    .fails_with(49);
    run(shroud_k(&sb).args(["--add-age", R2]).arg(&missing)).fails_with(49);
    run(shroud_k(&sb).arg("rotate").arg(&missing)).fails_with(2);
    run(shroud_k(&sb).arg("-r").arg(&missing)).fails_with(100);
}

#[test]
fn groups_add_and_delete_keep_values_and_mac() {
    let sb = Sandbox::new();
    let both = sb.write(
        "both.txt",
        format!(
            "{}\n{}\n",
            std::fs::read_to_string(identity(1)).unwrap(),
            std::fs::read_to_string(identity(2)).unwrap()
        ),
    );
    let f = encrypted(&sb, "g.enc.json", "{\"a\": \"x\", \"b\": \"y\"}\n");
    let before = std::fs::read_to_string(&f).unwrap();
    let r = run(shroud_k(&sb)
        .args(["groups", "add", "--age", R2, "-f"])
        .arg(&f))
    .ok();
    let added = r.stdout_str();
    assert!(added.contains("key_groups") && added.contains("\"shamir_threshold\": 2"));
    run(shroud_k(&sb)
        .args(["groups", "add", "--age", R2, "-i", "--file"])
        .arg(&f))
    .ok();
    let after = std::fs::read_to_string(&f).unwrap();
    // Values, lastmodified and mac untouched.
    for line in before.lines().filter(|l| {
        l.contains("\"a\"")
            || l.contains("\"b\"")
            || l.contains("lastmodified")
            || l.contains("\"mac\"")
    }) {
        assert!(after.contains(line.trim()), "changed: {line}");
    }
    // Two groups with threshold 2: one identity is not enough.
    run(shroud_k(&sb).arg("decrypt").arg(&f)).fails_with(128);
    let open2 = |f: &Path| {
        run(sb
            .shroud()
            .env("SOPS_AGE_KEY_FILE", &both)
            .arg("decrypt")
            .arg(f))
    };
    assert_eq!(
        open2(&f).ok().stdout_str(),
        "{\n\t\"a\": \"x\",\n\t\"b\": \"y\"\n}\n"
    );
    if let Some(mut sops) = sb.sops() {
        run(sops.env("SOPS_AGE_KEY_FILE", &both).arg("decrypt").arg(&f)).ok();
    }
    // Deleting below the threshold is refused; with a lower threshold it works.
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", &both)
        .args(["groups", "delete", "-i", "-f"])
        .arg(&f)
        .arg("1"))
    .fails_with(1);
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", &both)
        .args([
            "groups",
            "delete",
            "-i",
            "--shamir-secret-sharing-threshold",
            "1",
            "-f",
        ])
        .arg(&f)
        .arg("1"))
    .ok();
    assert!(!std::fs::read_to_string(&f).unwrap().contains(R2));
    run(shroud_k(&sb).arg("decrypt").arg(&f)).ok();
}

#[test]
fn filestatus_prints_what_upstream_prints() {
    let sb = Sandbox::new();
    let enc = encrypted(&sb, "e.enc.json", "{\"a\": \"x\"}\n");
    let plain = sb.write("p.json", "{\"a\": \"x\"}\n");
    let env_plain = sb.write("p.env", "A=1\n");
    let garbage = sb.write("g.json", "not json at all");
    let missing = sb.path("missing.json");
    for (f, want, code) in [
        (&enc, "{\"encrypted\":true}\n", 0),
        (&plain, "{\"encrypted\":false}\n", 0),
        (&env_plain, "{\"encrypted\":false}\n", 0),
        (&garbage, "", 1),
        (&missing, "", 1),
    ] {
        let r = run(sb.shroud().arg("filestatus").arg(f));
        assert_eq!((r.stdout_str().as_str(), r.code), (want, code), "{f:?}");
        if let Some(mut sops) = sb.sops() {
            let u = run(sops.arg("filestatus").arg(f));
            assert_eq!((u.stdout_str(), u.code), (r.stdout_str(), r.code), "{f:?}");
        }
    }
}

#[test]
fn updatekeys_applies_the_rule_and_keeps_values_and_mac() {
    let sb = Sandbox::new();
    sb.write(".sops.yaml", format!("creation_rules:\n  - age: {R1}\n"));
    let f = sb.write("u.enc.yaml", "a: x\nb: 2\n");
    run(sb.shroud().args(["encrypt", "-i"]).arg(&f)).ok();
    let before = std::fs::read(&f).unwrap();

    // In sync: nothing to do, nothing written.
    let r = run(shroud_k(&sb).args(["updatekeys", "-y"]).arg(&f)).ok();
    assert!(r.stderr.contains("already up to date"), "{}", r.stderr);
    assert_eq!(std::fs::read(&f).unwrap(), before);

    sb.write(
        ".sops.yaml",
        format!("creation_rules:\n  - age: {R1},{R2}\n"),
    );
    // Without a terminal and without -y: the diff is shown, nothing is written.
    let r = run(shroud_k(&sb).arg("updatekeys").arg(&f));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout_str().contains(&format!("+++ {R2}")),
        "{}",
        r.stdout_str()
    );
    assert!(r.stderr.contains("-y"), "{}", r.stderr);
    assert_eq!(std::fs::read(&f).unwrap(), before);

    let r = run(shroud_k(&sb).args(["updatekeys", "-y"]).arg(&f)).ok();
    assert_eq!(
        r.stdout_str(),
        format!(
            "The following changes will be made to the file's groups:\nGroup 1\n    {R1}\n+++ {R2}\n"
        )
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains(R2));
    let old = String::from_utf8(before).unwrap();
    for line in old.lines().filter(|l| {
        l.starts_with("a:")
            || l.starts_with("b:")
            || l.contains("lastmodified")
            || l.contains("mac:")
    }) {
        assert!(text.contains(line), "changed: {line}");
    }
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .arg("decrypt")
        .arg(&f))
    .ok();
    if let Some(mut sops) = sb.sops() {
        run(sops
            .env("SOPS_AGE_KEY_FILE", identity(2))
            .arg("decrypt")
            .arg(&f))
        .ok();
    }

    // Removing a recipient the same way.
    sb.write(".sops.yaml", format!("creation_rules:\n  - age: {R2}\n"));
    let r = run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(2))
        .args(["updatekeys", "--yes"])
        .arg(&f))
    .ok();
    assert!(r.stdout_str().contains(&format!("--- {R1}")));
    run(shroud_k(&sb).arg("decrypt").arg(&f)).fails_with(128);

    // No config at all.
    std::fs::remove_file(sb.path(".sops.yaml")).unwrap();
    run(shroud_k(&sb).args(["updatekeys", "-y"]).arg(&f)).fails_with(1);
    run(shroud_k(&sb).arg("updatekeys")).fails_with(100);
}
