//! End to end against the mock, in one process: start the mock, submit a Kling 3.0 (pro)
//! text-to-video job with the client, wait for it with progress, download the MP4.
//!
//! `cargo run -p conformance --example end_to_end -- [OUT.mp4]`

use novita_mock::Config;
use novita_video::{
    types::{KlingProT2vRequest, KlingProT2vRequestAspectRatio},
    NovitaClient, WaitOptions,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "end_to_end.mp4".to_string());

    // The mock on a free port, ten times faster than real time.
    let mock = novita_mock::spawn(Config {
        speed: 10.0,
        ..Config::for_tests()
    })
    .await?;
    println!("mock listening at {}", mock.url());

    // The same client code works against the real service: only the base URL and key change.
    let client = NovitaClient::builder()
        .api_key("example-key")
        .base_url(mock.url())
        .build()?;
    let request: KlingProT2vRequest = KlingProT2vRequest::builder()
        .prompt(Some("A red fox trotting through fresh snow at dawn".into()))
        .aspect_ratio(Some(KlingProT2vRequestAspectRatio::X169))
        .duration(Some(3))
        .try_into()?;
    let task_id = client.submit(&request).await?;
    println!("submitted task {task_id}");

    let options = WaitOptions::default().on_progress(|p| {
        println!(
            "  {} {:>3}% eta {:?}",
            p.status.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            p.progress_percent.unwrap_or(0.0),
            p.eta.unwrap_or_default()
        )
    });
    let result = client.wait(&task_id, options).await?;
    let bytes = client.download_video(&result, &out, |_, _| {}).await?;
    println!("downloaded {bytes} bytes to {out}");
    mock.shutdown().await?;
    Ok(())
}
