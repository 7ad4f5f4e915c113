//! File-system helpers for the data directory: private directories and files.
//!
//! The data directory holds the SQLite database and the key file, so it is created with
//! mode 0700 and files in it with 0600. One that already exists with access for group or
//! others (a directory pre-created 0777, a key file copied in 0644) is restricted to its
//! owner, with a warning in the log saying what was changed; when that fails, opening the
//! store fails with an error naming the path. This module must never loosen permissions.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` (and parents) when missing; the new directories get mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates a new file with mode 0600; fails if it exists.
pub(crate) fn create_private_file(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
}

/// Creates an empty file with mode 0600 unless it exists already.
pub(crate) fn touch_private_file(path: &Path) -> io::Result<()> {
    match create_private_file(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Restricts `path` to its owner (0700 for a directory, 0600 for a file) when group or
/// others have any access to it, and logs that it did. `Ok` when nothing had to change.
pub(crate) fn make_private(path: &Path) -> Result<(), crate::StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let failed = |error| crate::StoreError::NotPrivate {
            path: path.to_owned(),
            error,
        };
        let meta = std::fs::metadata(path).map_err(failed)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let private = if meta.is_dir() { 0o700 } else { 0o600 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(private))
                .map_err(failed)?;
            tracing::warn!(
                path = %path.display(),
                was = format!("{mode:o}"),
                now = format!("{private:o}"),
                "group or others had access: restricted to the owner"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
