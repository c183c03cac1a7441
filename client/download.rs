//! Streaming a result video to a writer or a file.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{error::Error, generated::types::TaskResultResponse, NovitaClient};

impl NovitaClient {
    /// Streams `url` into `writer`, calling `progress(bytes_so_far, total_if_known)` after each
    /// chunk. Returns the number of bytes written. The URL is fetched without the API key:
    /// result links are pre-signed.
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
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let transport = |source: reqwest::Error| Error::Transport {
            timed_out: source.is_timeout(),
            source,
            task_id: None,
        };
        let mut response = self
            .download_http
            .get(url)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Download {
                url: url.to_string(),
                status,
            });
        }
        let total = response.content_length();
        let mut written = 0u64;
        progress(written, total);
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            writer.write_all(&chunk).await.map_err(|source| Error::Io {
                context: format!("writing the download of {url}"),
                source,
            })?;
            written += chunk.len() as u64;
            progress(written, total);
        }
        writer.flush().await.map_err(|source| Error::Io {
            context: format!("writing the download of {url}"),
            source,
        })?;
        Ok(written)
    }

    /// Downloads `url` to `path`. The bytes go to `<path>.part` first and are renamed into
    /// place only when complete, so an interrupted download never leaves a truncated video
    /// under the final name.
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
        let path = path.as_ref();
        let partial = partial_path(path);
        let io = |context: String| move |source| Error::Io { context, source };
        let mut file = tokio::fs::File::create(&partial)
            .await
            .map_err(io(format!("creating {}", partial.display())))?;
        let written = match self.download(url, &mut file, progress).await {
            Ok(written) => written,
            Err(error) => {
                drop(file);
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(error);
            }
        };
        file.sync_all()
            .await
            .map_err(io(format!("syncing {}", partial.display())))?;
        drop(file);
        tokio::fs::rename(&partial, path)
            .await
            .map_err(io(format!("moving the download to {}", path.display())))?;
        Ok(written)
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
        let url = result
            .videos
            .iter()
            .find_map(|v| v.video_url.as_deref())
            .ok_or_else(|| Error::NoVideo {
                task_id: result
                    .task
                    .as_ref()
                    .and_then(|t| t.task_id.clone())
                    .unwrap_or_default(),
            })?;
        self.download_to_file(url, path, progress).await
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}
