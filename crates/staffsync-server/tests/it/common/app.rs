//! The service in process, the way zero-to-production's `spawn_app` starts it: a fresh
//! SQLite store in a temporary directory of its own and `staffsync_server::serve` on a
//! port of its own (`spawn_app`, a `TestApp`); or several servers one after another over
//! one store (`Server::start`), for the scheduler's tests.
//!
//! Never a fixed port, never a store or a directory shared between tests, and nothing of
//! a test's world (accounts, connections) made here: that is `accounts`.

use staffsync_engine::{AppState, ServerConfig};
use staffsync_store::{Store, StoreConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One test's service: its directory and store, the server over them, and a client.
pub struct TestApp {
    /// The test's own directory: the store keeps its data in `data/` (`data_dir`), so
    /// that a test can put other folders (an inbox, a file outside it) beside it.
    pub dir: TempDir,
    pub store: Store,
    /// The server's state (the same the server runs with): for the engine's entry points
    /// a test drives itself, and for `set_today`.
    pub state: AppState,
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
    /// A plain client (no cookie store, redirects followed), for the API and the
    /// simulator; `browser()` is the web app's.
    pub http: reqwest::Client,
    server: Server,
}

/// A fresh store and a bound port, not served yet: for a test whose world must exist
/// before the server starts (an expired session the start-up sweep must find), or whose
/// configuration names the server's own URL (`public_base_url`).
pub struct Unstarted {
    pub dir: TempDir,
    pub store: Store,
    /// The URL the server will answer at.
    pub base: String,
    listener: TcpListener,
}

/// A running `staffsync_server::serve`; dropping it asks it to stop.
pub struct Server {
    pub base: String,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The service over a fresh store, with the configuration every test starts from
/// (`ServerConfig::default()` without the scheduler: a test makes its runs itself or
/// turns it on) changed by `tune`.
pub async fn spawn_app(tune: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let mut config = ServerConfig {
        run_scheduler: false,
        ..ServerConfig::default()
    };
    tune(&mut config);
    TestApp::unstarted().await.start(config)
}

/// A fresh SQLite store in a temporary directory (its data in `data/`).
pub async fn fresh_store() -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&StoreConfig {
        data_dir: dir.path().join("data"),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    (dir, store)
}

impl TestApp {
    /// A fresh store and a port for the server `Unstarted::start` will serve on it.
    pub async fn unstarted() -> Unstarted {
        let (dir, store) = fresh_store().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        Unstarted {
            dir,
            store,
            base,
            listener,
        }
    }

    /// `path` (starting with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The text `path` answers a plain GET with (`/metrics`, a page without a login).
    pub async fn text(&self, path: &str) -> String {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// Where the store keeps its files.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Stops the server and waits until `serve` has returned (its running syncs
    /// finished); returns how long that took.
    pub async fn stop(self) -> Duration {
        self.server.stop().await
    }
}

impl Unstarted {
    /// Serves the store with `config`.
    pub fn start(self, config: ServerConfig) -> TestApp {
        let server = Server::on(self.listener, &self.store, config);
        TestApp {
            dir: self.dir,
            store: self.store,
            state: server.state.clone(),
            base: server.base.clone(),
            http: reqwest::Client::new(),
            server,
        }
    }
}

impl Server {
    /// Serves `store` with `config` on a new port.
    pub async fn start(store: &Store, config: ServerConfig) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Server::on(listener, store, config)
    }

    fn on(listener: TcpListener, store: &Store, config: ServerConfig) -> Server {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state =
            AppState::new(store.clone(), config).with_letters(staffsync_server::letters::render);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(staffsync_server::serve(
            listener,
            state.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Server {
            base,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `path` (starting with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and waits (a minute at most) until `serve` has returned without
    /// an error; returns how long that took.
    pub async fn stop(mut self) -> Duration {
        let asked = Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("a server stops once");
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("serve returns after stop")
            .unwrap()
            .unwrap();
        asked.elapsed()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
