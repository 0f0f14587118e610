//! Hermetic runs of the binary: a clean environment, a private HOME, fixture paths.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const R1: &str = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun";
pub const R2: &str = "age1afnrdrkyvy0sl5e08t9ffs4c7g5e5npc8luf7hjc77syewg5gajsls4r90";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub fn compat(rel: &str) -> PathBuf {
    fixture(&format!("compat/{rel}"))
}

pub fn identity(n: u8) -> PathBuf {
    compat(&format!("keys/age/test_identity_{n}.txt"))
}

/// A scratch directory with its own HOME, so no user config or key leaks in.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Sandbox { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    fn base(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        c
    }

    /// `shroud` in this sandbox.
    pub fn shroud(&self) -> Command {
        self.base(Path::new(env!("CARGO_BIN_EXE_shroud")))
    }

    /// Upstream `sops`, if installed; required when `SHROUD_REQUIRE_ORACLE=1`.
    pub fn sops(&self) -> Option<Command> {
        match which("sops") {
            Some(p) => {
                let mut c = self.base(&p);
                c.env("SOPS_DISABLE_VERSION_CHECK", "1");
                Some(c)
            }
            None => {
                assert!(
                    std::env::var("SHROUD_REQUIRE_ORACLE").is_err(),
                    "upstream sops not found on PATH; run scripts/test.sh"
                );
                eprintln!("skipping: upstream sops not installed");
                None
            }
        }
    }
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Result of a run.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "command failed with {}: {}",
            self.code, self.stderr
        );
        self
    }

    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// A failure: given code, nothing on stdout.
    pub fn fails_with(self, code: i32) -> Self {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "no partial output on failure");
        self
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("spawn");
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
