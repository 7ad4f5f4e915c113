//! A sync killed with SIGKILL while it applies a large plan leaves the directory as it was
//! before, and the next run converges.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_while_applying_leaves_the_directory_whole_and_the_next_run_converges() {
    let w = World::connected(10_000).await;
    let expected = w.expected_ids(TODAY).await;

    let mut child = w
        .command(&["sync", "acme", "--rate-limit", "off"])
        .env("STAFFSYNC_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("staffsync starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut saw_apply = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        if line.contains("applying plan") {
            saw_apply = true;
            child.kill().expect("SIGKILL");
            break;
        }
    }
    let status = child.wait().expect("reaped");
    assert!(saw_apply, "the run reached the apply step");
    assert_eq!(
        status.code(),
        None,
        "killed by a signal, not finished on its own"
    );

    let after_kill = w.employees();
    assert!(
        after_kill.is_empty() || ids(&after_kill) == expected,
        "all or nothing, found {} of {}",
        after_kill.len(),
        expected.len()
    );
    let runs = w.json(&["runs", "acme"]);
    assert_ne!(
        runs[0]["status"], "applied",
        "the killed run is not recorded as applied"
    );

    let out = w.run(&["sync", "acme", "--rate-limit", "off"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(ids(&w.employees()), expected);
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "applied");
    assert_eq!(
        runs[1]["status"], "interrupted",
        "the killed run is marked interrupted"
    );
}
