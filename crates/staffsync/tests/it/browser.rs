//! The admin web app in a real headless Chromium: starts the Personio simulator (60
//! employees, rate limits on), creates an account with an admin through the real binary,
//! and a second account that takes employee files, runs `staffsync serve` on a free port
//! with a fast scheduler, and hands over to `tests/browser/admin.spec.mjs` (Playwright),
//! which walks login → connect → sync → preview → held review → history → English, then
//! the file account's import (template, upload, preview, apply, confirmed removals).
//! Each state is also checked in German and English at 1280 and 390 px (no page wider
//! than the window). Screenshots land in `target/screenshots/`; `DOCS_SCREENSHOTS`
//! (`scripts/screenshots`) passes through to the walk.
//!
//! Needs `/usr/bin/chromium` (or `CHROMIUM`), `node`, and `tests/browser/node_modules`
//! (`npm ci` there). When one is missing the test fails, saying what; `scripts/test`
//! leaves it out by name and prints "skipped: browser test (…)", except under CI (`CI`
//! set), where it runs and fails: CI must have installed them (`.ci/run` does).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

const CLIENT_ID: &str = "browser-client";
const CLIENT_SECRET: &str = "s3cr3t-Browser-Walk-0815";
const ADMIN_EMAIL: &str = "admin@demo.example";
/// The admin of the second account, which takes employee files instead of Personio.
const FILE_ADMIN_EMAIL: &str = "admin@files.example";
const ADMIN_PASSWORD: &str = "correct-horse-battery";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the browser test needs and is missing, with how to install it.
fn missing_prerequisites(chromium: &Path, browser_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !chromium.exists() {
        missing.push(format!(
            "{} (install: apt-get install -y chromium)",
            chromium.display()
        ));
    }
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        missing.push("node (install: apt-get install -y nodejs npm)".to_owned());
    }
    if !browser_dir.join("node_modules/playwright-core").exists() {
        missing.push(format!(
            "{}/node_modules (install: cd tests/browser && npm ci)",
            browser_dir.display()
        ));
    }
    missing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_web_app_in_headless_chromium() {
    let root = repo_root();
    let browser_dir = root.join("tests/browser");
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let missing = missing_prerequisites(&chromium, &browser_dir);
    // A test that did nothing must not pass: without its prerequisites it fails, and
    // `scripts/test` leaves it out by name (`--skip`) and says so in its summary.
    assert!(
        missing.is_empty(),
        "the browser test needs {}; `scripts/test` skips it visibly where they are missing",
        missing.join(", ")
    );

    let sim = personio_sim::spawn(personio_sim::SimConfig {
        employees: 60,
        seed: 11,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: true,
        ..Default::default()
    })
    .await
    .expect("simulator starts");
    let data = tempfile::TempDir::new().expect("tempdir");
    let staffsync = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_staffsync"));
        cmd.args(args)
            .env("STAFFSYNC_DATA_DIR", data.path())
            .env_remove("STAFFSYNC_DATABASE_URL")
            .env_remove("STAFFSYNC_SECRET_KEY")
            .env_remove("STAFFSYNC_LISTEN")
            .kill_on_drop(true);
        cmd
    };

    for (slug, name, admin, source) in [
        ("demo", "Demo GmbH", ADMIN_EMAIL, "personio"),
        ("files", "Dateien GmbH", FILE_ADMIN_EMAIL, "file"),
    ] {
        let created = staffsync(&[
            "account",
            "create",
            slug,
            "--name",
            name,
            "--admin-email",
            admin,
            "--source",
            source,
        ])
        .env("STAFFSYNC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .await
        .expect("staffsync runs");
        assert!(
            created.status.success(),
            "account create {slug} failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }

    let sim_url = sim.base_url();
    let mut server = staffsync(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--scheduler-poll",
        "200ms",
        // The admin connects to the simulator through the web form.
        "--allow-personio-url",
        &sim_url,
    ])
    .env("STAFFSYNC_LOG", "info")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("staffsync serve starts");
    let stderr = server.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let base_url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("listening on ") {
                return Some(url.trim().to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("staffsync serve prints `listening on http://ADDR`");
    // Keep draining the server's log (a full pipe would block it); show it on failure.
    let log = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            kept.push(line);
        }
        kept
    });

    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).expect("screenshot dir");
    // The walk checks every state in two languages at two widths, failures included.
    let walk = tokio::time::timeout(
        Duration::from_secs(600),
        Command::new("node")
            .arg("admin.spec.mjs")
            .current_dir(&browser_dir)
            .env("BASE_URL", &base_url)
            .env("SIM_URL", sim.base_url())
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("FILE_ADMIN_EMAIL", FILE_ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("SCREENSHOT_DIR", &screenshots)
            .env("CHROMIUM", &chromium)
            .kill_on_drop(true)
            .output(),
    )
    .await;

    let _ = server.start_kill();
    let _ = server.wait().await;
    let server_log = log.await.unwrap_or_default();
    let output = walk
        .expect("the browser walk finishes within 5 minutes")
        .expect("node runs");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        eprintln!("--- staffsync serve log (last 80 lines) ---");
        for line in server_log.iter().rev().take(80).rev() {
            eprintln!("{line}");
        }
        panic!("the browser walk failed ({})", output.status);
    }
    assert!(
        !server_log.iter().any(|l| l.contains(CLIENT_SECRET)),
        "the Personio secret never reaches the server log"
    );
    sim.shutdown().await;
}
