//! Streaming a result video to a writer or a file, refusing an answer that is not a video
//! (an error page or JSON body behind a 200) before any of it is written.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{
    error::{body_start_within, Error, DOWNLOAD_BODY_START_LIMIT},
    generated::types::TaskResultResponse,
    trace::Span,
    NovitaClient, TaskStatus,
};

/// Box types an MP4 or MOV file can start with (ISO BMFF: a 4-byte size, then the type).
const FIRST_BOX_TYPES: [&[u8; 4]; 5] = [b"ftyp", b"moov", b"mdat", b"free", b"wide"];

/// Whether the first bytes can be an MP4/MOV file: a known box type at bytes 4..8.
fn starts_like_mp4(head: &[u8]) -> bool {
    head.get(4..8)
        .is_some_and(|kind| FIRST_BOX_TYPES.iter().any(|known| kind == *known))
}

/// Whether a `Content-Type` says the body is a document (JSON, XML, HTML, text), not a video.
fn names_a_document(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("/json")
        || essence.ends_with("+json")
        || essence.ends_with("/xml")
        || essence.ends_with("+xml")
}

impl NovitaClient {
    /// Streams `url` into `writer`, calling `progress(bytes_so_far, total_if_known)` after each
    /// chunk. Returns the number of bytes written. The URL is fetched without the API key:
    /// result links are pre-signed.
    ///
    /// An error status is [`Error::Download`]. A 2xx answer whose `Content-Type` names JSON,
    /// XML, HTML or text, or whose first bytes are no MP4/MOV box (`ftyp`, `moov`, `mdat`,
    /// `free`, `wide` at bytes 4..8), is [`Error::NotAVideo`], and nothing is written. A download
    /// that gets no bytes for the client's `download_idle_timeout` is [`Error::Timeout`]; one
    /// that keeps moving is never cut, however long it takes.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let mut buffer = Vec::new();
    /// let bytes = client
    ///     .download("https://example.com/video.mp4", &mut buffer, |done, total| eprintln!("{done}/{total:?}"))
    ///     .await?;
    /// assert_eq!(bytes as usize, buffer.len());
    /// # Ok(()) }
    /// ```
    pub async fn download<W>(
        &self,
        url: &str,
        writer: &mut W,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.fetch(url, None, writer, progress).await
    }

    /// [`NovitaClient::download`] in its span, with the task the link is of when known.
    async fn fetch<W>(
        &self,
        url: &str,
        task_id: Option<&str>,
        writer: &mut W,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let span = Span::download(url);
        if let Some(task_id) = task_id {
            span.task_id(task_id);
        }
        span.around(&self.secret, self.stream_into(url, writer, progress))
            .await
    }

    async fn stream_into<W>(
        &self,
        url: &str,
        writer: &mut W,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        check_link(url)?;
        let request = self.rules.download(self.download_http.get(url));
        let mut response = self.idle_bounded(url, request.send()).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Download {
                url: url.to_string(),
                status,
            });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        // Read before any of the body: reqwest's figure is what is left to read.
        let total = response.content_length();
        // Enough of the body to know whether it is a video (and to show it when it is not).
        let mut head = Vec::new();
        let mut ended = false;
        while head.len() < DOWNLOAD_BODY_START_LIMIT {
            match self.idle_bounded(url, response.chunk()).await? {
                Some(chunk) => head.extend_from_slice(&chunk),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if names_a_document(&content_type) || !starts_like_mp4(&head) {
            return Err(Error::NotAVideo {
                url: url.to_string(),
                status,
                content_type,
                body_start: body_start_within(&head, DOWNLOAD_BODY_START_LIMIT),
            });
        }
        let mut written = 0u64;
        progress(written, total);
        let write_error = |source| Error::Io {
            context: format!(
                "writing the download of {}",
                crate::shown::without_query(url)
            ),
            source,
        };
        let mut next = Some(Bytes::from(head));
        while let Some(chunk) = next {
            writer.write_all(&chunk).await.map_err(write_error)?;
            written += chunk.len() as u64;
            progress(written, total);
            next = if ended {
                None
            } else {
                self.idle_bounded(url, response.chunk()).await?
            };
        }
        writer.flush().await.map_err(write_error)?;
        Ok(written)
    }

    /// One wait of a download of `url`, for the answer's head or for its next part, bounded by
    /// `download_idle_timeout` here rather than by a setting of the HTTP client, so that a
    /// passed-in client has the same bound.
    async fn idle_bounded<T>(
        &self,
        url: &str,
        wait: impl std::future::Future<Output = reqwest::Result<T>>,
    ) -> Result<T, Error> {
        let idle = self.download_idle_timeout;
        match tokio::time::timeout(idle, wait).await {
            Ok(Ok(value)) => Ok(value),
            Err(_) => Err(self.download_stalled(url, idle)),
            Ok(Err(source)) if source.is_timeout() => {
                let limit = match self.connect_timeout {
                    Some(limit) if source.is_connect() => limit,
                    _ => idle,
                };
                Err(self.download_stalled(url, limit))
            }
            // reqwest's message would repeat the pre-signed URL, signature included.
            Ok(Err(source)) => Err(Error::Transport {
                source: source.without_url(),
                timed_out: false,
                task_id: None,
            }),
        }
    }

    /// The download of `url` got no bytes for `limit`.
    fn download_stalled(&self, url: &str, limit: std::time::Duration) -> Error {
        Error::Timeout {
            what: format!(
                "the download of {} (no bytes came)",
                crate::shown::without_query(url)
            ),
            limit,
            task_id: None,
        }
    }

    /// Downloads `url` to `path`. `path` must be a new file or a regular file (which is
    /// replaced); a directory, a symbolic link, a pipe or a device is refused before anything
    /// is fetched. The bytes go to a new hidden file beside it (`.<name>.<random>.part`,
    /// created exclusively, so no existing file is touched) and are renamed into place only
    /// when complete: an interrupted download never leaves a truncated video under the final
    /// name, and a failed or dropped one removes its own partial file.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// client.download_to_file("https://example.com/video.mp4", "out.mp4", |_, _| {}).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_to_file(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        self.save(url, None, path.as_ref(), progress).await
    }

    /// [`NovitaClient::download_to_file`], with the task the link is of when known.
    async fn save(
        &self,
        url: &str,
        task_id: Option<&str>,
        path: &Path,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        check_target(path)?;
        let io = |context: String| move |source| Error::Io { context, source };
        let (mut file, partial) = create_partial(path).await?;
        let written = self.fetch(url, task_id, &mut file, progress).await?;
        file.sync_all()
            .await
            .map_err(io(format!("syncing {}", partial.path.display())))?;
        drop(file);
        // Checked again: the target may have changed while the video came.
        check_target(path)?;
        tokio::fs::rename(&partial.path, path)
            .await
            .map_err(io(format!("moving the download to {}", path.display())))?;
        partial.kept();
        Ok(written)
    }

    /// Streams the first video of a succeeded task's result into `writer` (standard output,
    /// a buffer), with the same status checks as [`NovitaClient::download_video`].
    pub async fn download_video_into<W>(
        &self,
        result: &TaskResultResponse,
        writer: &mut W,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let url = video_url(result).map_err(|e| self.scrub(e))?;
        self.fetch(url, task_of(result), writer, progress).await
    }

    /// Downloads the first video of a succeeded task's result to `path`.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let result = client.wait("a-task-id", novita_video::WaitOptions::default()).await?;
    /// client.download_video(&result, "out.mp4", |done, total| eprintln!("{done}/{total:?}")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_video(
        &self,
        result: &TaskResultResponse,
        path: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        let url = video_url(result).map_err(|e| self.scrub(e))?;
        self.save(url, task_of(result), path.as_ref(), progress)
            .await
    }
}

fn task_of(result: &TaskResultResponse) -> Option<&str> {
    result.task.as_ref().and_then(|t| t.task_id.as_deref())
}

/// The video link of a result, if the task succeeded and has one.
fn video_url(result: &TaskResultResponse) -> Result<&str, Error> {
    let task = result.task.clone().unwrap_or_default();
    let task_id = task.task_id.clone().unwrap_or_default();
    // Only a task that succeeded has its video: a link on a failed or running task's
    // result is not one.
    match task.status {
        Some(TaskStatus::Succeed) => {}
        Some(status) if status.is_terminal() => {
            return Err(Error::TaskFailed {
                task_id,
                status,
                reason: task.reason.unwrap_or_default(),
                result: Box::new(result.clone()),
            })
        }
        status => return Err(Error::NotFinished { task_id, status }),
    }
    result
        .videos
        .iter()
        .find_map(|v| v.video_url.as_deref())
        .ok_or(Error::NoVideo { task_id })
}

/// Refuses a link nothing could be downloaded from, before sending: reqwest would only say
/// "builder error".
fn check_link(url: &str) -> Result<(), Error> {
    let why = match reqwest::Url::parse(url) {
        _ if url.trim().is_empty() => "it is empty",
        Err(_) if !url.contains(':') || url.starts_with('/') => "it is relative, with no host",
        Err(_) => "it is not a URL",
        Ok(link) if !matches!(link.scheme(), "http" | "https") => "it is not http or https",
        Ok(link) if link.host_str().is_none_or(str::is_empty) => "it names no host",
        Ok(_) => return Ok(()),
    };
    Err(Error::BadVideoLink {
        url: url.to_string(),
        why,
    })
}

/// Refuses a target that is not a new or a regular file: writing "to" a link, a pipe or a
/// device would replace it with a regular file, and a directory cannot be a video.
fn check_target(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(()),
        Ok(meta) => Err(Error::Io {
            context: format!(
                "{} is a {}, not a file to write the video to; nothing was written",
                path.display(),
                kind_of(&meta.file_type())
            ),
            source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            context: format!("reading {}", path.display()),
            source,
        }),
    }
}

fn kind_of(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "directory";
    }
    if kind.is_symlink() {
        return "symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "named pipe";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "device";
        }
    }
    "special file"
}

/// The partial file of a download: removed when dropped, unless [`Partial::kept`].
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Partial {
    fn kept(mut self) {
        self.keep = true;
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A new, exclusively created `.<name>.<random>.part` beside `path`.
async fn create_partial(path: &Path) -> Result<(tokio::fs::File, Partial), Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "video".into());
    let mut attempts = 0;
    loop {
        let tag = fastrand::u32(..);
        let partial = path.with_file_name(format!(".{name}.{tag:08x}.part"));
        let created = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .await;
        match created {
            Ok(file) => {
                let guard = Partial {
                    path: partial,
                    keep: false,
                };
                return Ok((file, guard));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 8 => {
                attempts += 1;
            }
            Err(source) => {
                return Err(Error::Io {
                    context: format!("creating {}", partial.display()),
                    source,
                })
            }
        }
    }
}
