//! The endpoints of models Novita has retired: served as before by default, refused as retired
//! when the mock is told so (`--retired reject`, `retired: reject` in a scenario file).

use crate::common;

use common::{assert_novita_error, start, start_default};
use novita_mock::{Config, Retired};
use serde_json::json;

const RETIRED: [(&str, &str, &str); 3] = [
    ("/v3/async/wan-t2v", "2026-08-19", "Wan 2.7 Text-to-Video"),
    ("/v3/async/wan-i2v", "2026-08-19", "Wan 2.7 Image-to-Video"),
    ("/v3/async/wan2.6-i2v", "2026-09-30", "Kling 3.0"),
];

#[tokio::test]
async fn retired_endpoints_are_served_by_default() {
    let mock = start_default().await;
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "a fox"}))
        .await;
}

#[tokio::test]
async fn told_to_reject_the_mock_refuses_retired_models_and_names_the_replacement() {
    let mock = start(Config {
        retired: Retired::Reject,
        ..Config::for_tests()
    })
    .await;
    for (path, date, replacement) in RETIRED {
        // Even a body that breaks every rule gets the retirement answer first.
        let answer = mock.submit(path, &json!({})).await;
        let message = assert_novita_error(&answer, 404, "MODEL_RETIRED");
        assert!(
            message.contains(date) && message.contains(replacement),
            "{path}: {message}"
        );
    }
    let live = json!({"prompt": "a fox"});
    mock.submit_ok("/v3/async/wan2.7-t2v", &live).await;
}

#[test]
fn the_scenario_file_says_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    std::fs::write(&file, "retired: reject\n").unwrap();
    assert_eq!(Config::from_file(&file).unwrap().retired, Retired::Reject);
    std::fs::write(&file, "retired: maybe\n").unwrap();
    let error = Config::from_file(&file).unwrap_err();
    assert!(error.contains("retired"), "{error}");
}
