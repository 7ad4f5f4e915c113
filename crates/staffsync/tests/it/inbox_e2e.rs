//! End-to-end: the inbox (automated drop) of a file account through the real binary:
//! `staffsync serve` imports a file put into `<data-dir>/inbox/<slug>/`, moves it to
//! `processed/` with what changed, and moves a file it cannot read to `rejected/` with
//! why, changing nobody.

use crate::common::*;
use crate::serve_common::{ServeProcess, wait_for};
use std::path::{Path, PathBuf};
use std::time::Duration;

async fn file_account() -> World {
    let w = World {
        sim: sim(1, false).await,
        dir: tempfile::TempDir::new().unwrap(),
        http: reqwest::Client::new(),
        database_url: None,
    };
    w.ok(&["account", "create", "acme", "--source", "file"]);
    w
}

/// Puts `text` into the inbox as `name`, the way an SFTP client that renames at the end
/// does (so the settle time cannot see half a file).
fn drop_file(inbox: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(inbox).unwrap();
    let part = inbox.join(format!("{name}.part"));
    std::fs::write(&part, text).unwrap();
    std::fs::rename(&part, inbox.join(name)).unwrap();
}

/// The files of `dir` (not below), sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `staffsync serve` looking into the inbox every 100 ms, files settled at once.
fn serve_inbox(w: &World) -> ServeProcess {
    ServeProcess::start(
        w.data_dir(),
        w.data_dir().join("serve.log"),
        &["--scheduler-poll", "100ms", "--inbox-settle", "0s"],
        &[],
    )
}

/// Waits (bounded) until `dir` holds `n` files, and returns them sorted.
async fn wait_for_files(what: &str, dir: &Path, n: usize) -> Vec<PathBuf> {
    wait_for(what, Duration::from_secs(60), || {
        let files = files_in(dir);
        async move { (files.len() == n).then_some(files) }
    })
    .await
}

/// The text of the note at `path` once it is written: the server creates the file, then
/// writes it, so a file that is there may still be empty for a moment.
async fn note(path: &Path) -> String {
    wait_for("the note written", Duration::from_secs(60), || {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        async move { (!text.is_empty()).then_some(text) }
    })
    .await
}

const COMPANY: &str = "ImportId,Email,Firstname,Lastname,Department,ReportsToId\n\
    A1,anna.weber@acme.example,Anna,Weber,Leitung,\n\
    B2,ben.kurz@acme.example,Ben,Kurz,Vertrieb,A1\n\
    C3,cem.yildiz@acme.example,Cem,Yıldız,Vertrieb,B2\n\
    D4,dora.lang@acme.example,Dora,Lang,Technik,A1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_imports_a_dropped_file_and_rejects_a_broken_one_with_its_reason() {
    let w = file_account().await;
    let inbox = w.data_dir().join("inbox").join("acme");
    let mut serve = serve_inbox(&w);

    drop_file(&inbox, "employees.csv", COMPANY);
    let processed = inbox.join("processed");
    let done = wait_for_files("the file to be processed", &processed, 2).await;
    let (file, result) = (&done[0], &done[1]);
    assert!(
        file.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-employees.csv"),
        "{done:?}"
    );
    let result = note(result).await;
    assert!(result.contains("4 created"), "{result}");
    assert!(!inbox.join("employees.csv").exists(), "moved, not copied");
    let people = w.json(&["employees", "acme"]);
    let ids: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["import_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 4, "{people}");
    for id in ["A1", "B2", "C3", "D4"] {
        assert!(ids.contains(&id), "{id} imported: {ids:?}");
    }

    // A file without the Email column is refused whole: nobody is removed.
    drop_file(
        &inbox,
        "employees.csv",
        "ImportId,Firstname,Lastname\nA1,Anna,Weber\n",
    );
    let rejected = inbox.join("rejected");
    let refused = wait_for_files("the file to be rejected", &rejected, 2).await;
    let reason = note(&refused[1]).await;
    assert!(
        refused[1].to_string_lossy().ends_with(".reason.txt"),
        "{refused:?}"
    );
    assert!(
        reason.contains("Email"),
        "the reason names the column: {reason}"
    );
    assert_eq!(w.json(&["employees", "acme"]), people, "nobody changed");
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(
        runs.as_array().unwrap().len(),
        1,
        "a file refused before planning is not a run: {runs}"
    );
    serve.terminate(Duration::from_secs(30));
}

/// Issue 20, finding 1, through the real binary: the customer of `filer` replaced its
/// `processed/` by a link to the inbox of `acme`. Before, a file dropped into `filer/` was
/// moved into `acme/` and imported there; now the pass of `filer` is refused, the log
/// names the link, and nothing moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_processed_folder_linked_into_another_accounts_inbox() {
    let w = file_account().await;
    w.ok(&["account", "create", "filer", "--source", "file"]);
    let root = w.data_dir().join("inbox");
    let (victim, filer) = (root.join("acme"), root.join("filer"));
    let mut serve = serve_inbox(&w);
    drop_file(&victim, "employees.csv", COMPANY);
    wait_for_files(
        "the victim's file to be processed",
        &victim.join("processed"),
        2,
    )
    .await;
    let people = w.json(&["employees", "acme"]);

    // The customer puts the server's `processed/` aside (once it is made) and a link in
    // its place.
    wait_for("the server to make filer/", Duration::from_secs(60), || {
        let made = filer.is_dir();
        async move { made.then_some(()) }
    })
    .await;
    let processed = filer.join("processed");
    while let Err(e) = std::os::unix::fs::symlink(&victim, &processed) {
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
        std::fs::rename(&processed, filer.join("aside")).unwrap();
    }
    drop_file(
        &filer,
        "employees.csv",
        "ImportId,Email,Firstname,Lastname\nX1,x@filer.example,Xaver,Fremd\n",
    );
    let link = processed.display().to_string();
    // Until the pass of `filer` is refused, or (as before) the file has moved on.
    wait_for("the pass of filer to end", Duration::from_secs(60), || {
        let log = serve.log_text();
        let refused = log.contains("inbox: refused") && log.contains(&link);
        let moved = !filer.join("employees.csv").exists();
        async move { (refused || moved).then_some(()) }
    })
    .await;
    assert_eq!(files_in(&victim), Vec::<PathBuf>::new(), "nothing moved in");
    assert_eq!(w.json(&["employees", "acme"]), people, "victim unchanged");
    assert!(filer.join("employees.csv").is_file(), "the file waits");
    let runs = w.json(&["runs", "filer"]);
    assert_eq!(runs.as_array().unwrap().len(), 0, "{runs}");
    // The other inbox goes on working; two files one after the other take at least one
    // whole tick after the refusal, which is not logged again.
    for n in [4, 6] {
        drop_file(&victim, "employees.csv", COMPANY);
        wait_for_files("the victim's next file", &victim.join("processed"), n).await;
    }
    let log = serve.log_text();
    assert_eq!(
        log.matches("inbox: refused").count(),
        1,
        "warned once, not on every tick:\n{log}"
    );
    serve.terminate(Duration::from_secs(30));
}

/// Issue 20, finding 7, through the real binary: a 250-character name could not be moved
/// with the time stamp in front, so the file was imported on every tick and newer files
/// never were. Now it is moved under a shortened name, imported once, and the next file
/// is imported too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_imports_a_file_with_a_name_too_long_to_move_once() {
    let w = file_account().await;
    let inbox = w.data_dir().join("inbox").join("acme");
    let mut serve = serve_inbox(&w);
    let long = format!("{}.csv", "e".repeat(246));
    drop_file(&inbox, &long, COMPANY);
    let processed = inbox.join("processed");
    wait_for_files("the long name to be processed", &processed, 2).await;
    drop_file(
        &inbox,
        "employees.csv",
        &format!("{COMPANY}E5,eva.neu@acme.example,Eva,Neu,Technik,D4\n"),
    );
    wait_for_files("the newer file to be processed", &processed, 4).await;

    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs.as_array().unwrap().len(), 2, "each file once: {runs}");
    assert_eq!(w.json(&["employees", "acme"]).as_array().unwrap().len(), 5);
    assert!(files_in(&inbox).is_empty(), "{:?}", files_in(&inbox));
    serve.terminate(Duration::from_secs(30));
}
