//! The atomic write: a reader or a crash sees the old file or the new one, never a mix.

use std::{fs::File, io, io::Write, path::Path};

use crate::names::{folder_of, resolve, temporary_name};

/// Writes `bytes` to `path`: to a new temporary file of a unique name in the same folder
/// (created readable and writable by its owner only), synced, renamed over the file, then the
/// folder synced so that the rename itself is durable. The folder is created if missing. A
/// symbolic link at `path` is followed and its target replaced. When any step fails the
/// temporary file is removed and the old file is left as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve(path)?;
    let folder = folder_of(&target);
    std::fs::create_dir_all(&folder)?;
    let temporary = folder.join(temporary_name(&target));
    let written = write_new(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, &target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    sync_folder(&folder);
    Ok(())
}

/// Creates `path` (it must not exist), owner-only, and writes and syncs `bytes` into it.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a folder's entries. Some file systems cannot sync a folder; the data itself is synced
/// by then, so that is not an error.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = (folder, File::open);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(names_in(path.parent().unwrap()), ["state.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, b"old, world-readable").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_kept_and_its_target_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let volume = dir.path().join("volume");
        std::fs::create_dir(&volume).unwrap();
        let real = volume.join("state.json");
        std::fs::write(&real, b"stale").unwrap();
        let link = dir.path().join("state.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"fresh").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"fresh");
        assert_eq!(names_in(&volume), ["state.json"]);
    }

    #[test]
    fn a_failed_write_removes_its_temporary_file_and_keeps_the_old() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: the rename fails after the data is written.
        let path = dir.path().join("state.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"kept").unwrap();
        assert!(write_atomically(&path, b"new").is_err());
        assert_eq!(names_in(dir.path()), ["state.json"]);
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
    }
}
