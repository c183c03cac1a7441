//! Large inline images from several clients at once, for the soak: each client sends
//! `wan2.7-i2v` submissions of about 30 MB (two PNG images as `data:` URIs, a real header of
//! 1280x720 padded to 19.5 MB and 3 MB, both within the page's 20 MB per image) one after the
//! other until the time is up or it has sent its share. The mock accepts them (200), so the
//! whole path is measured: the body read, the inline image checks and the task stored.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::STANDARD, Engine};
use bytes::Bytes;
use serde::Serialize;

/// Clients sending at once.
pub const CLIENTS: usize = 16;
/// Submissions per client at most, so the row is bounded in count as well as in time.
const PER_CLIENT: usize = 200;
/// Decoded size of the two images: the body is about 30 MB once base64 adds its third.
const FIRST_FRAME_BYTES: usize = 19_500_000;
const LAST_FRAME_BYTES: usize = 3_000_000;

#[derive(Debug, Default, Serialize)]
pub struct LargeLoad {
    pub clients: usize,
    pub body_bytes: usize,
    pub submissions: u64,
    pub submissions_per_second: f64,
    /// Answers by status code; `error` for a request that got no answer.
    pub statuses: BTreeMap<String, u64>,
}

/// A PNG file of `width` x `height` as its header says: the signature and a valid IHDR chunk,
/// then zeros up to `len` bytes. Only the header is read by the mock.
pub fn png(width: u32, height: u32, len: usize) -> Vec<u8> {
    let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    // 8-bit RGB, deflate, adaptive filtering, no interlace.
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    file.extend_from_slice(&13u32.to_be_bytes());
    file.extend_from_slice(&chunk);
    file.extend_from_slice(&crc32(&chunk).to_be_bytes());
    file.resize(len.max(file.len()), 0);
    file
}

/// The CRC of a PNG chunk (ISO 3309, as the PNG specification gives it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The body every client sends.
pub fn body() -> Bytes {
    let uri = |len| {
        format!(
            "data:image/png;base64,{}",
            STANDARD.encode(png(1280, 720, len))
        )
    };
    let body = serde_json::json!({
        "prompt": "A red fox trotting through fresh snow",
        "image_url": uri(FIRST_FRAME_BYTES),
        "last_frame_url": uri(LAST_FRAME_BYTES),
        "resolution": "720P",
        "duration": 5,
    });
    Bytes::from(serde_json::to_vec(&body).expect("JSON"))
}

/// Runs the clients against `url` for `duration`.
pub async fn run(url: &str, duration: Duration) -> LargeLoad {
    let body = body();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let started = Instant::now();
    let deadline = started + duration;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, body) = (http.clone(), body.clone());
            let url = format!("{url}/v3/async/wan2.7-i2v");
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while Instant::now() < deadline && statuses.len() < PER_CLIENT {
                    let answer = http
                        .post(&url)
                        .header("authorization", "Bearer bench")
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    statuses.push(match answer {
                        Ok(response) => {
                            let status = response.status().as_u16().to_string();
                            // Read the answer so that the connection is reused.
                            let _ = response.bytes().await;
                            status
                        }
                        Err(_) => "error".to_string(),
                    });
                }
                statuses
            })
        })
        .collect();
    let mut load = LargeLoad {
        clients: CLIENTS,
        body_bytes: body.len(),
        ..LargeLoad::default()
    };
    for client in clients {
        for status in client.await.unwrap_or_default() {
            *load.statuses.entry(status).or_default() += 1;
            load.submissions += 1;
        }
    }
    load.submissions_per_second = load.submissions as f64 / started.elapsed().as_secs_f64();
    load
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_header_reads_as_1280_by_720() {
        let file = png(1280, 720, 4096);
        assert_eq!(file.len(), 4096);
        let size = imagesize::blob_size(&file).expect("a PNG header");
        assert_eq!((size.width, size.height), (1280, 720));
        // The CRC of the IEND chunk, as every PNG file ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn the_body_is_about_30_mb_and_under_the_mocks_limit() {
        let body = body();
        // The mock refuses bodies over 32 MiB with a 413 (its body_budget::MAX_BODY).
        assert!((29_000_000..32 * 1024 * 1024).contains(&body.len()));
    }
}
