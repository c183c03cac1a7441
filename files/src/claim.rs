//! One process at a time on a file: an exclusive lock held while it is in use, taken at start
//! together with a check that the file's folder can be written.

use std::{fmt, fs::File, io, path::Path, path::PathBuf};

use crate::{
    names::{folder_of, lock_name, resolve, temporary_name},
    write::write_new,
};

/// A file held by this process until the claim is dropped. The lock is on `.NAME.lock` beside
/// the file (its link followed), not on the file itself, which each atomic write replaces; the
/// lock file stays when the claim ends, and the operating system releases the lock of a
/// process that dies.
#[derive(Debug)]
pub struct Claim {
    target: PathBuf,
    _lock: File,
}

/// Why a [`Claim`] could not be taken.
#[derive(Debug)]
pub enum ClaimError {
    /// Another process holds the lock.
    InUse { lock: PathBuf },
    /// The file's folder cannot be made or written.
    Unwritable { folder: PathBuf, error: io::Error },
    /// The lock itself failed (a file system without locks).
    Lock { lock: PathBuf, error: io::Error },
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimError::InUse { lock } => write!(
                f,
                "another process is using it (it holds the lock {})",
                lock.display()
            ),
            ClaimError::Unwritable { folder, error } => {
                write!(
                    f,
                    "its folder {} cannot be written ({error})",
                    folder.display()
                )
            }
            ClaimError::Lock { lock, error } => {
                write!(f, "cannot lock it through {} ({error})", lock.display())
            }
        }
    }
}

impl std::error::Error for ClaimError {}

impl Claim {
    /// Claims the file at `path` (a symbolic link is followed): creates its folder if missing,
    /// checks that a file can be created there, and takes the lock without waiting.
    pub fn take(path: &Path) -> Result<Claim, ClaimError> {
        let target = resolve(path).map_err(|error| ClaimError::Unwritable {
            folder: folder_of(path),
            error,
        })?;
        let folder = folder_of(&target);
        let unwritable = |error| ClaimError::Unwritable {
            folder: folder.clone(),
            error,
        };
        std::fs::create_dir_all(&folder).map_err(unwritable)?;
        let lock = folder.join(lock_name(&target));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&lock).map_err(unwritable)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => return Err(ClaimError::InUse { lock }),
            Err(fs4::TryLockError::Error(error)) => return Err(ClaimError::Lock { lock, error }),
        }
        // The lock file may have been there already: a write of a new file proves the folder
        // takes the temporary files of the writes to come.
        let probe = folder.join(temporary_name(&target));
        write_new(&probe, b"").map_err(unwritable)?;
        std::fs::remove_file(&probe).map_err(unwritable)?;
        Ok(Claim {
            target,
            _lock: file,
        })
    }

    /// The claimed file, its links followed.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("state.json");
        let first = Claim::take(&path).unwrap();
        assert_eq!(first.target(), path);
        let second = Claim::take(&path).unwrap_err();
        assert!(matches!(second, ClaimError::InUse { .. }), "{second}");
        assert!(second
            .to_string()
            .starts_with("another process is using it"));
        drop(first);
        Claim::take(&path).expect("free again");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(".state.json.lock")]);
    }

    #[cfg(unix)]
    #[test]
    fn two_links_to_one_file_share_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let _held = Claim::take(&real).unwrap();
        assert!(matches!(Claim::take(&link), Err(ClaimError::InUse { .. })));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_that_takes_no_files_is_refused() {
        let error = Claim::take(Path::new("/proc/novita-files-test.json")).unwrap_err();
        assert!(matches!(error, ClaimError::Unwritable { .. }), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("its folder /proc cannot be written"),
            "{error}"
        );
    }
}
