//! Harness for `staffsync serve` tests: starts the real binary as a child process with its
//! stderr in a file, finds its address, stops it with SIGTERM (or SIGKILL), and kills it
//! on drop so a failing test leaves no process behind.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct ServeProcess {
    pub child: Child,
    pub log: PathBuf,
    pub addr: String,
}

impl ServeProcess {
    /// Starts `staffsync serve` with `args` and `envs`, logging at info to `log`, and
    /// waits (bounded) for `listening on http://ADDR`.
    pub fn start(data_dir: &Path, log: PathBuf, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let file = File::create(&log).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_staffsync"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("STAFFSYNC_DATA_DIR", data_dir)
            .env("STAFFSYNC_LOG", "info,tower_http=warn,sqlx=warn")
            .env_remove("STAFFSYNC_DATABASE_URL")
            .env_remove("STAFFSYNC_SECRET_KEY")
            .env_remove("STAFFSYNC_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("staffsync serve starts");
        let mut p = ServeProcess {
            child,
            log,
            addr: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = p.log_text();
            if let Some(rest) = text.split("listening on http://").nth(1) {
                p.addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                return p;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("staffsync serve exited early ({status}):\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "staffsync serve did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {sig} failed");
    }

    /// SIGTERM, then waits (bounded) for the exit.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal("-TERM");
        self.wait(limit)
    }

    /// SIGKILL (no chance to clean up), then reaps.
    pub fn kill(&mut self) -> ExitStatus {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped")
    }

    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "staffsync serve did not exit in {limit:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `check` (async) until it returns `Some`, failing after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `admin` (a PostgreSQL URL) with its database name replaced by `db`.
pub fn with_database(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut url = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}
