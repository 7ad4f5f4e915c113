//! The file accounts' inbox against a hostile customer, one pass at a time
//! (`engine::inbox::check`): the customer can create files, folders and symbolic links in
//! their folder, and none of it may reach another account's folder, a file outside the
//! inbox, or block the inbox.

use crate::common::{file_account, fresh_store};
use staffsync_engine::inbox::{self, InboxError, Outcome};
use staffsync_engine::{AppState, ServerConfig};
use staffsync_store::{Account, Store};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

const THREE: &str = "ImportId,Email,Firstname,Lastname\n\
    V1,vera@victim.example,Vera,Opfer\n\
    V2,volker@victim.example,Volker,Opfer\n\
    V3,viola@victim.example,Viola,Opfer\n";

const FIVE: &str = "ImportId,Email,Firstname,Lastname\n\
    F1,a@filer.example,Ada,Eins\n\
    F2,b@filer.example,Bea,Zwei\n\
    F3,c@filer.example,Cem,Drei\n\
    F4,d@filer.example,Dora,Vier\n\
    F5,e@filer.example,Emil,Fünf\n";

struct Inboxes {
    _tmp: TempDir,
    /// The inbox root; not created before the first pass.
    root: PathBuf,
    /// Outside every inbox: what an attacker would like to reach.
    outside: PathBuf,
    state: AppState,
    store: Store,
}

impl Inboxes {
    async fn new() -> Self {
        let (tmp, store) = fresh_store().await;
        let root = tmp.path().join("inbox");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let state = AppState::new(
            store.clone(),
            ServerConfig {
                run_scheduler: false,
                inbox_dir: Some(root.clone()),
                inbox_settle: Duration::ZERO,
                ..ServerConfig::default()
            },
        );
        Inboxes {
            _tmp: tmp,
            root,
            outside,
            state,
            store,
        }
    }

    async fn account(&self, slug: &str) -> Account {
        file_account(&self.store, slug, slug).await
    }

    fn dir(&self, account: &Account) -> PathBuf {
        self.root.join(account.slug.as_str())
    }

    async fn check(&self, account: &Account) -> Result<Vec<Outcome>, InboxError> {
        inbox::check(&self.state, account, &self.dir(account)).await
    }

    async fn people(&self, account: &Account) -> usize {
        self.store.directory(account.id).await.unwrap().len()
    }

    async fn runs(&self, account: &Account) -> usize {
        self.store.runs(account.id).await.unwrap().len()
    }
}

fn refused_path(result: Result<Vec<Outcome>, InboxError>) -> PathBuf {
    match result {
        Err(InboxError::Refused { path, .. }) => path,
        other => panic!("expected the pass to be refused, got {other:?}"),
    }
}

fn processed(outcomes: &[Outcome]) -> &Path {
    match outcomes {
        [Outcome::Processed { file, .. }] => file,
        other => panic!("expected one processed file, got {other:?}"),
    }
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Finding 1: `processed` made a link to another account's inbox moved the file there,
/// and the other account then imported it.
#[tokio::test]
async fn a_processed_link_into_another_accounts_inbox_is_refused() {
    let t = Inboxes::new().await;
    let (filer, victim) = (t.account("filer").await, t.account("victim").await);
    std::fs::create_dir_all(t.dir(&victim)).unwrap();
    std::fs::write(t.dir(&victim).join("employees.csv"), THREE).unwrap();
    processed(&t.check(&victim).await.unwrap());
    assert_eq!(t.people(&victim).await, 3);

    std::fs::create_dir_all(t.dir(&filer)).unwrap();
    symlink(t.dir(&victim), t.dir(&filer).join("processed")).unwrap();
    std::fs::write(t.dir(&filer).join("employees.csv"), FIVE).unwrap();
    let path = refused_path(t.check(&filer).await);
    assert_eq!(path, t.dir(&filer).join("processed"));
    assert_eq!(
        refused_path(t.check(&filer).await),
        path,
        "refused on every pass"
    );
    let victims_pass = t.check(&victim).await.unwrap();

    assert!(victims_pass.is_empty(), "{victims_pass:?}");
    assert_eq!(names(&t.dir(&victim)), ["processed", "rejected"]);
    assert_eq!(
        t.people(&victim).await,
        3,
        "the victim's directory is unchanged"
    );
    assert_eq!(t.runs(&victim).await, 1);
    assert_eq!(
        t.runs(&filer).await,
        0,
        "a refused inbox imports nothing either"
    );
    assert!(t.dir(&filer).join("employees.csv").is_file());
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink(),
        "left as it is"
    );
}

/// Finding 1: `rejected` made a link moved files and their notes to any directory.
#[tokio::test]
async fn a_rejected_link_out_of_the_inbox_is_refused() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    std::fs::create_dir_all(t.dir(&acme)).unwrap();
    symlink(&t.outside, t.dir(&acme).join("rejected")).unwrap();
    std::fs::write(t.dir(&acme).join("employees.csv"), "not, a, company\n").unwrap();

    let path = refused_path(t.check(&acme).await);

    assert_eq!(path, t.dir(&acme).join("rejected"));
    assert!(names(&t.outside).is_empty(), "{:?}", names(&t.outside));
    assert!(t.dir(&acme).join("employees.csv").is_file());
}

/// An account folder that is a link to another account's folder is not read: the other
/// account's file is not imported into this one.
#[tokio::test]
async fn an_account_folder_that_is_a_link_is_refused() {
    let t = Inboxes::new().await;
    let (filer, victim) = (t.account("filer").await, t.account("victim").await);
    std::fs::create_dir_all(&t.root).unwrap();
    std::fs::create_dir(t.dir(&victim)).unwrap();
    std::fs::write(t.dir(&victim).join("employees.csv"), THREE).unwrap();
    symlink(t.dir(&victim), t.dir(&filer)).unwrap();

    assert_eq!(refused_path(t.check(&filer).await), t.dir(&filer));

    assert_eq!(t.runs(&filer).await, 0);
    assert_eq!(names(&t.dir(&victim)), ["employees.csv"]);
}

/// A folder that is not the server's own (here: `processed/` made by the customer's
/// SFTP user) is refused, before anything is imported.
#[tokio::test]
async fn a_folder_of_another_user_is_refused() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    let theirs = t.dir(&acme).join("processed");
    std::fs::create_dir_all(&theirs).unwrap();
    if std::os::unix::fs::chown(&theirs, Some(65534), None).is_err() {
        eprintln!("skipped: changing a folder's owner needs root");
        return;
    }
    std::fs::write(t.dir(&acme).join("employees.csv"), THREE).unwrap();

    let refused = t.check(&acme).await;

    assert!(
        matches!(&refused, Err(InboxError::Refused { why, .. }) if why.contains("65534")),
        "{refused:?}"
    );
    assert_eq!(t.runs(&acme).await, 0);
}

/// Finding 2: a link planted at the note's name had the file it points to overwritten.
#[tokio::test]
async fn a_link_planted_at_the_notes_name_is_never_written_through() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    assert!(t.check(&acme).await.unwrap().is_empty());
    std::fs::create_dir_all(t.dir(&acme).join("processed")).unwrap(); // made by the pass
    let secret = t.outside.join("key");
    std::fs::write(&secret, "SECRET").unwrap();
    // A link at the note's name for every stamp this test can meet (a minute ahead).
    let now = time::OffsetDateTime::now_utc();
    let stamp = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let mut planted = Vec::new();
    for s in -5..60 {
        let at = (now + time::Duration::seconds(s)).format(stamp).unwrap();
        let link = t
            .dir(&acme)
            .join("processed")
            .join(format!("{at}-employees.csv.result.txt"));
        symlink(&secret, &link).unwrap();
        planted.push(link);
    }
    std::fs::write(t.dir(&acme).join("employees.csv"), THREE).unwrap();

    let outcomes = t.check(&acme).await.unwrap();

    let file = processed(&outcomes);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "SECRET");
    let note = PathBuf::from(format!("{}.result.txt", file.display()));
    let meta = std::fs::symlink_metadata(&note).unwrap();
    assert!(meta.is_file(), "the note is a file of its own: {note:?}");
    assert!(
        std::fs::read_to_string(&note)
            .unwrap()
            .contains("3 created")
    );
    for link in planted {
        assert_eq!(std::fs::read_link(&link).unwrap(), secret, "left alone");
    }
    assert_eq!(t.people(&acme).await, 3);
}

/// Finding 7: a 250-character name could not be moved (the stamp made it too long), so
/// the file was imported again on every tick and newer files never were.
#[tokio::test]
async fn a_name_too_long_to_move_is_shortened_and_imported_once() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    std::fs::create_dir_all(t.dir(&acme)).unwrap();
    let long = format!("{}.csv", "e".repeat(246));
    std::fs::write(t.dir(&acme).join(&long), THREE).unwrap();

    let outcomes = t.check(&acme).await.unwrap();

    let file = processed(&outcomes).to_owned();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.len() + ".result.txt".len() <= 255 && name.ends_with("eee.csv"),
        "{name}"
    );
    assert!(file.is_file());
    assert!(PathBuf::from(format!("{}.result.txt", file.display())).is_file());
    assert!(!t.dir(&acme).join(&long).exists());
    assert!(t.check(&acme).await.unwrap().is_empty(), "imported once");
    assert_eq!(t.runs(&acme).await, 1);

    std::fs::write(t.dir(&acme).join("employees.csv"), FIVE).unwrap();
    processed(&t.check(&acme).await.unwrap());
    assert_eq!(t.runs(&acme).await, 2);
    assert_eq!(t.people(&acme).await, 5, "the newer file is imported");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Finding 9: the folders were made 0755 (readable by every local user when the inbox is
/// outside the data directory).
#[tokio::test]
async fn the_folders_the_server_makes_are_its_own() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;

    assert!(t.check(&acme).await.unwrap().is_empty());

    for dir in [
        t.root.clone(),
        t.dir(&acme),
        t.dir(&acme).join("processed"),
        t.dir(&acme).join("rejected"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{dir:?}");
    }
}

/// Result folders an older version made (0755, in an 0755 account folder) are closed on
/// the next pass.
#[tokio::test]
async fn result_folders_made_by_an_older_version_are_closed() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    let old = t.dir(&acme).join("processed");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(t.dir(&acme), std::fs::Permissions::from_mode(0o755)).unwrap();

    assert!(t.check(&acme).await.unwrap().is_empty());

    assert_eq!(mode(&old), 0o700);
    assert_eq!(mode(&t.dir(&acme).join("rejected")), 0o700);
}

/// The SFTP setup of docs/employee-file.md: the operator shares the account folder with
/// the customer's group (2770); the results are readable by that group, never writable.
#[tokio::test]
async fn a_shared_account_folder_shares_the_results_read_only() {
    let t = Inboxes::new().await;
    let acme = t.account("acme").await;
    std::fs::create_dir_all(t.dir(&acme)).unwrap();
    std::fs::set_permissions(t.dir(&acme), std::fs::Permissions::from_mode(0o2770)).unwrap();
    std::fs::write(t.dir(&acme).join("employees.csv"), THREE).unwrap();

    let outcomes = t.check(&acme).await.unwrap();

    for dir in ["processed", "rejected"] {
        assert_eq!(mode(&t.dir(&acme).join(dir)) & 0o777, 0o750, "{dir}");
    }
    let note = format!("{}.result.txt", processed(&outcomes).display());
    assert_eq!(mode(Path::new(&note)), 0o640);
    assert_eq!(
        mode(&t.dir(&acme)),
        0o2770,
        "the operator's folder is left as made"
    );
}
