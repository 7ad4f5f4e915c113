//! The README's main command: `staffsync demo`, in both its modes.

use crate::common;

use common::describe;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn demo(dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_staffsync"));
    cmd.args(["demo", "--employees", "80", "--sim-listen", "127.0.0.1:0"])
        .args(extra)
        .env("STAFFSYNC_DATA_DIR", dir)
        .env_remove("STAFFSYNC_DATABASE_URL");
    cmd
}

#[test]
fn the_walkthrough_syncs_shows_groups_and_follows_changes() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let out = demo(dir.path(), &["--walkthrough"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("== First sync") && text.contains("applied"),
        "{text}"
    );
    assert!(text.contains("department: "), "groups are shown: {text}");
    assert!(
        text.contains("created 1") && text.contains("removed 1"),
        "the second sync follows the changes: {text}"
    );
    // A real move: from one department to another.
    let moved = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("moved:"))
        .unwrap_or_else(|| panic!("a move is shown: {text}"));
    let (_, departments) = moved.split_once(", from ").expect("from … to …");
    let (from, to) = departments.split_once(" to ").expect("to");
    assert_ne!(from.trim(), to.trim(), "{text}");
    // The updates beyond the move are explained.
    assert!(
        text.contains("updated because their supervisor"),
        "the reports' updates are explained: {text}"
    );
    // The closing hint can be copied: one command a line, with this data directory.
    let data_dir = dir.path().display().to_string();
    for command in ["employees", "groups", "runs"] {
        assert!(
            text.lines().any(
                |l| l.trim().starts_with(&format!("staffsync {command} demo"))
                    && l.contains(&format!("--data-dir {data_dir}"))
            ),
            "{command} hint with --data-dir: {text}"
        );
    }
    assert!(!text.contains("| staffsync"), "{text}");
}

#[test]
fn the_demo_server_prints_how_to_log_in_and_serves_the_web_app() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let mut child = demo(dir.path(), &["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut url = None;
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.trim().strip_prefix("Web app") {
            url = rest.split_whitespace().next().map(str::to_owned);
        }
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no URL printed: {printed}"));
    for needle in [
        "Login",
        "admin@demo.example",
        "Client-ID",
        "Secret",
        "Personio-URL",
    ] {
        assert!(printed.contains(needle), "{needle} printed: {printed}");
    }
    let health = reqwest::blocking_get(&format!("{url}/healthz"));
    assert_eq!(health, 200);
    let login = reqwest::blocking_get(&format!("{url}/login"));
    assert_eq!(login, 200);
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    let status = child.wait().expect("stops");
    assert_eq!(status.code(), Some(0), "stops cleanly on Ctrl-C");
}

mod reqwest {
    /// A GET on a fresh runtime (the test itself is synchronous); the status code.
    pub fn blocking_get(url: &str) -> u16 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            ::reqwest::get(url)
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    }
}
