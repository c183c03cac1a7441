//! The bounded read of a regular file.

use std::{fmt, fs::Metadata, io, io::Read, path::Path};

/// Why [`read_regular`] read nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The path names something else than a regular file (a folder, a FIFO, a device...).
    NotRegular(&'static str),
    /// The file holds more than the bound; `size` is what its metadata says, when it says so.
    TooLarge {
        size: Option<u64>,
        max: u64,
    },
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge {
                size: Some(size),
                max,
            } => write!(f, "{size} bytes is more than the {max} that are read"),
            ReadError::TooLarge { size: None, max } => {
                write!(f, "it holds more than the {max} bytes that are read")
            }
            ReadError::Io(e) => write!(f, "cannot read it ({e})"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the regular file at `path`, at most `max` bytes of it; `None` when nothing is there.
/// Anything but a regular file is refused without waiting on it (a FIFO is opened without
/// blocking and looked at before anything is read), and the read stops one byte past `max`,
/// whatever the file's size said, so that a file growing while it is read is refused too.
pub fn read_regular(path: &Path, max: u64) -> Result<Option<Vec<u8>>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(kind_of(&metadata)));
    }
    if metadata.len() > max {
        return Err(ReadError::TooLarge {
            size: Some(metadata.len()),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { size: None, max });
    }
    Ok(Some(bytes))
}

fn kind_of(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_bound_is_read_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(read_regular(&path, 4).unwrap().is_none());
        std::fs::write(&path, b"1234").unwrap();
        assert_eq!(read_regular(&path, 4).unwrap().unwrap(), b"1234");
        std::fs::write(&path, b"12345").unwrap();
        let error = read_regular(&path, 4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "5 bytes is more than the 4 that are read"
        );
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_regular(dir.path(), 4).unwrap_err();
        assert_eq!(error.to_string(), "it is a folder, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_with_no_writer_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let error = read_regular(&fifo, 4).unwrap_err();
        assert_eq!(error.to_string(), "it is a FIFO, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_that_never_ends_is_refused() {
        let error = read_regular(Path::new("/dev/zero"), 4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is a character device, not a regular file"
        );
    }
}
