//! Where a file really is (its symbolic links followed) and the names of the files kept beside
//! it: the temporary files of its writes and its lock.

use std::{
    ffi::OsString,
    io,
    path::{Path, PathBuf},
};

/// Links followed at most before a path is refused, as the kernel does (`ELOOP`).
const MAX_LINKS: usize = 40;

/// The file `path` stands for: symbolic links followed, the last one even when its target does
/// not exist yet (that is where a write creates it). A path that exists as no link comes back
/// as it is.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = folder_of(&current).join(target);
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
}

/// The folder `path` is in (`.` for a bare name).
pub(crate) fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// A temporary file's name for a write to `path`: `.NAME.PID.RANDOM.tmp`. The process id alone
/// is not unique (in containers every process may be PID 1), so 64 random bits follow it.
pub(crate) fn temporary_name(path: &Path) -> OsString {
    let random: u64 = rand::random();
    format!(
        ".{}.{}.{random:016x}.tmp",
        file_name(path),
        std::process::id()
    )
    .into()
}

/// The lock file kept beside `path`: `.NAME.lock`.
pub(crate) fn lock_name(path: &Path) -> OsString {
    format!(".{}.lock", file_name(path)).into()
}

/// True for a name [`temporary_name`] makes for `path`, and for the `.NAME.PID.tmp` of earlier
/// versions; a temporary file of another name (`NAME.other`) never matches.
fn is_temporary_of(name: &str, path: &Path) -> bool {
    let Some(middle) = name
        .strip_prefix(&format!(".{}.", file_name(path)))
        .and_then(|rest| rest.strip_suffix(".tmp"))
    else {
        return false;
    };
    let (pid, random) = middle.split_once('.').unwrap_or((middle, "0"));
    let digits =
        |s: &str, allowed: fn(&char) -> bool| !s.is_empty() && s.chars().all(|c| allowed(&c));
    digits(pid, char::is_ascii_digit) && digits(random, char::is_ascii_hexdigit)
}

/// Removes the temporary files that writes to `path` left behind when their process was killed
/// mid-write; returns how many. Call it while holding the [`Claim`](crate::Claim) on `path`,
/// so that no write of another process is under way.
pub fn remove_leftovers(path: &Path) -> io::Result<usize> {
    let target = resolve(path)?;
    let folder = folder_of(&target);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && is_temporary_of(&name.to_string_lossy(), &target) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_unique_and_recognised() {
        let path = Path::new("/data/state.json");
        let (a, b) = (temporary_name(path), temporary_name(path));
        assert_ne!(a, b, "two writes of one process never share a name");
        assert!(is_temporary_of(&a.to_string_lossy(), path), "{a:?}");
        assert!(is_temporary_of(".state.json.1.tmp", path), "the old names");
        for other in [
            "state.json",
            ".state.json.lock",
            ".state.json.backup.1.tmp",
            ".state.json..tmp",
            ".state.json.1.zz.tmp",
            ".other.json.1.tmp",
        ] {
            assert!(!is_temporary_of(other, path), "{other}");
        }
    }

    #[test]
    fn leftovers_of_this_file_only_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mine = dir.path().join(temporary_name(&path));
        let old = dir.path().join(".state.json.1.tmp");
        let others = [
            dir.path()
                .join(temporary_name(&dir.path().join("state.json.x"))),
            dir.path().join("state.json"),
            dir.path().join(".state.json.lock"),
        ];
        for file in others.iter().chain([&mine, &old]) {
            std::fs::write(file, b"x").unwrap();
        }
        assert_eq!(remove_leftovers(&path).unwrap(), 2);
        assert!(!mine.exists() && !old.exists());
        assert!(others.iter().all(|o| o.exists()));
        let missing = dir.path().join("none").join("state.json");
        assert_eq!(remove_leftovers(&missing).unwrap(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_the_file_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let volume = dir.path().join("volume");
        std::fs::create_dir(&volume).unwrap();
        let link = dir.path().join("state.json");
        std::os::unix::fs::symlink("volume/real.json", &link).unwrap();
        assert_eq!(resolve(&link).unwrap(), dir.path().join("volume/real.json"));
        let chain = dir.path().join("chain.json");
        std::os::unix::fs::symlink(&link, &chain).unwrap();
        assert_eq!(
            resolve(&chain).unwrap(),
            dir.path().join("volume/real.json")
        );
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &looped).unwrap();
        assert!(resolve(&looped).is_err());
        let plain = dir.path().join("plain");
        assert_eq!(resolve(&plain).unwrap(), plain);
    }
}
