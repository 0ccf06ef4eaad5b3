//! Shared test parts: a fixture HTTP server, the K2 fixture site, and a temp project layout.

pub mod k2;
pub mod server;
pub mod sites;

use std::path::{Path, PathBuf};
use std::process::Output;

/// A temporary feedwright installation: `config/feedwright.toml`, `feeds/`, `data/`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose settings are `settings` (paths are filled in).
    pub fn new(extra_settings: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("feeds")).unwrap();
        let settings = format!(
            "state_dir = \"../data\"\nfeeds_dir = \"../feeds\"\npublic_url = \"http://feeds.test\"\n[http]\nlisten = \"\"\n{extra_settings}"
        );
        std::fs::write(dir.path().join("config/feedwright.toml"), settings).unwrap();
        Project { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config/feedwright.toml")
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    pub fn public(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path("data/public").join(file)).unwrap()
    }

    /// The binary with `--config` set, run to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The binary with `--config` set, not yet started.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("FEEDWRIGHT_CONFIG");
        cmd
    }
}

/// The path of the built binary (assert_cmd finds it for the test profile in use).
pub fn bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("feedwright")
}

/// Stdout and stderr as text, for assertion messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
