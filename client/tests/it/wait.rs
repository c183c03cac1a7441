//! `wait` follows a task through its states, paces itself, and gives up when told.

use crate::common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{client_for, task_body, AN_HOUR};
use novita_video::{Error, TaskStatus, WaitOptions, WaitProgress};
use serde_json::Value;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// Mounts task-result answers that are served in order, each `times` times; the last one stays.
async fn script(server: &MockServer, steps: &[(Value, u64)]) {
    for (index, (body, times)) in steps.iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()));
        let mock = if index + 1 < steps.len() {
            mock.up_to_n_times(*times)
        } else {
            mock
        };
        mock.mount(server).await;
    }
}

/// Polls quickly. The deadline is never what ends these waits: it is generous.
fn quick() -> WaitOptions<'static> {
    WaitOptions::default()
        .timeout(Duration::from_secs(60))
        .interval(Duration::from_millis(5), Duration::from_millis(50))
}

fn recorder() -> (
    Arc<Mutex<Vec<WaitProgress>>>,
    impl FnMut(&WaitProgress) + Send + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |p: &WaitProgress| {
        sink.lock().unwrap().push(p.clone())
    })
}

#[tokio::test]
async fn follows_queued_processing_succeed() {
    let server = MockServer::start().await;
    let mut done = task_body("TASK_STATUS_SUCCEED", 100.0, 0.0);
    done["videos"] = serde_json::json!([{"video_url": "http://x/v.mp4", "video_url_ttl": "3600", "video_type": "mp4"}]);
    script(
        &server,
        &[
            (task_body("TASK_STATUS_QUEUED", 0.0, 0.0), 1),
            (task_body("TASK_STATUS_PROCESSING", 25.0, 0.03), 1),
            (task_body("TASK_STATUS_PROCESSING", 60.0, 0.02), 1),
            (task_body("TASK_STATUS_PROCESSING", 90.0, 0.01), 1),
            (done, 1),
        ],
    )
    .await;
    let (seen, callback) = recorder();
    let client = client_for(&server);
    let result = client
        .wait("t-1", quick().on_progress(callback))
        .await
        .unwrap();
    assert_eq!(result.videos.len(), 1);
    let seen = seen.lock().unwrap();
    let statuses: Vec<_> = seen.iter().map(|p| p.status.clone().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            TaskStatus::Queued,
            TaskStatus::Processing,
            TaskStatus::Processing,
            TaskStatus::Processing,
            TaskStatus::Succeed
        ]
    );
    let progress: Vec<_> = seen.iter().map(|p| p.progress_percent.unwrap()).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(seen.last().unwrap().polls, 5);
    assert_eq!(seen[1].eta, Some(Duration::from_millis(30)));
}

#[tokio::test]
async fn a_failed_task_is_an_error_with_its_reason() {
    let server = MockServer::start().await;
    let mut failed = task_body("TASK_STATUS_FAILED", 40.0, 0.0);
    failed["task"]["reason"] = "ILLEGAL_IMAGE_CONTENT".into();
    script(
        &server,
        &[
            (task_body("TASK_STATUS_PROCESSING", 20.0, 0.01), 2),
            (failed, 1),
        ],
    )
    .await;
    let error = client_for(&server).wait("t-1", quick()).await.unwrap_err();
    match &error {
        Error::TaskFailed {
            task_id,
            status,
            reason,
            ..
        } => {
            assert_eq!(task_id, "t-1");
            assert_eq!(*status, TaskStatus::Failed);
            assert_eq!(reason, "ILLEGAL_IMAGE_CONTENT");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "task t-1 ended with TASK_STATUS_FAILED: ILLEGAL_IMAGE_CONTENT"
    );
}

#[tokio::test]
async fn unknown_statuses_are_waited_through_and_canceled_ends() {
    let server = MockServer::start().await;
    script(
        &server,
        &[
            (task_body("TASK_STATUS_UNKNOWN", 0.0, 0.0), 1),
            (task_body("TASK_STATUS_CANCELED", 0.0, 0.0), 1),
        ],
    )
    .await;
    let error = client_for(&server).wait("t-1", quick()).await.unwrap_err();
    assert!(
        matches!(error, Error::TaskFailed { status: TaskStatus::Other(ref s), .. } if s == "TASK_STATUS_CANCELED")
    );
}

#[tokio::test]
async fn gives_up_at_the_deadline() {
    // Every poll is answered an hour late: only the deadline can end this wait, on any machine.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(task_body("TASK_STATUS_PROCESSING", 50.0, 100.0))
                .set_delay(AN_HOUR),
        )
        .mount(&server)
        .await;
    let timeout = Duration::from_millis(300);
    let options = WaitOptions::default()
        .timeout(timeout)
        .interval(Duration::from_millis(10), Duration::from_secs(60));
    let last_status = timed_out(&server, options, timeout).await;
    assert_eq!(last_status, None, "nothing was answered");
}

/// Waits for `t-1`, which must end at the deadline (`timeout`, not before); the last status
/// the error names.
async fn timed_out(
    server: &MockServer,
    options: WaitOptions<'_>,
    timeout: Duration,
) -> Option<TaskStatus> {
    match client_for(server).wait("t-1", options).await.unwrap_err() {
        Error::WaitTimeout {
            task_id,
            waited,
            last_status,
        } => {
            assert_eq!(task_id, "t-1");
            assert!(waited >= timeout, "{waited:?}");
            last_status
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_deadline_error_names_the_last_status_seen() {
    // The first poll is answered at once, every later one an hour late, so the wait ends at
    // its deadline after exactly one answer. The deadline must not pass before that first
    // answer: it is generous, and the test takes that long.
    let server = MockServer::start().await;
    let processing = task_body("TASK_STATUS_PROCESSING", 50.0, 100.0);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(processing.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(processing)
                .set_delay(AN_HOUR),
        )
        .mount(&server)
        .await;
    let timeout = Duration::from_secs(20);
    let (seen, callback) = recorder();
    let options = WaitOptions::default()
        .timeout(timeout)
        .interval(Duration::from_millis(10), Duration::from_secs(60))
        .on_progress(callback);
    let last_status = timed_out(&server, options, timeout).await;
    assert_eq!(last_status, Some(TaskStatus::Processing));
    assert_eq!(seen.lock().unwrap().len(), 1, "one answer came");
}

#[tokio::test]
async fn uses_eta_instead_of_hammering() {
    // The task says it needs 0.2 s more: the next poll comes no sooner, where a fixed poller
    // with this 5 ms floor would ask again after 5 ms. (A lower bound only: how much later
    // the poll comes depends on the machine.)
    let server = MockServer::start().await;
    let eta = Duration::from_millis(200);
    script(
        &server,
        &[
            (
                task_body("TASK_STATUS_PROCESSING", 50.0, eta.as_secs_f64()),
                1,
            ),
            (task_body("TASK_STATUS_SUCCEED", 100.0, 0.0), 1),
        ],
    )
    .await;
    let (seen, callback) = recorder();
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(60))
        .interval(Duration::from_millis(5), Duration::from_secs(5))
        .on_progress(callback);
    client_for(&server).wait("t-1", options).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let seen = seen.lock().unwrap();
    let gap = seen[1].elapsed - seen[0].elapsed;
    assert!(gap >= eta, "polled again after {gap:?}");
}

#[tokio::test]
async fn errors_while_waiting_are_typed_and_carry_the_task_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "code": 404, "reason": "TASK_NOT_FOUND", "message": "no such task", "metadata": {}})))
        .mount(&server)
        .await;
    let error = client_for(&server).wait("nope", quick()).await.unwrap_err();
    assert_eq!(error.reason(), Some("TASK_NOT_FOUND"));
    assert_eq!(error.task_id(), Some("nope"));
}

#[tokio::test]
async fn any_eta_the_answer_carries_becomes_a_bounded_duration() {
    // 1e20 s overflowed `Duration::from_secs_f64` and panicked inside `wait` whenever a
    // progress callback was set; f64::MAX and the largest finite values do too.
    for eta in [1e20, f64::MAX, 1.8e19] {
        let server = MockServer::start().await;
        let mut done = task_body("TASK_STATUS_SUCCEED", 100.0, 0.0);
        done["videos"] = serde_json::json!([{"video_url": "http://x/v.mp4", "video_url_ttl": "3600", "video_type": "mp4"}]);
        script(
            &server,
            &[
                (task_body("TASK_STATUS_PROCESSING", 10.0, eta), 1),
                (done, 1),
            ],
        )
        .await;
        let (seen, callback) = recorder();
        let result = client_for(&server)
            .wait("t-1", quick().on_progress(callback))
            .await;
        assert!(result.is_ok(), "eta {eta}: {result:?}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].eta, Some(novita_video::MAX_ETA), "eta {eta}");
    }
}

#[tokio::test]
async fn an_answer_about_another_task_is_not_taken_for_this_one() {
    let server = MockServer::start().await;
    script(
        &server,
        &[(task_body("TASK_STATUS_SUCCEED", 100.0, 0.0), 1)],
    )
    .await;
    let client = client_for(&server);
    let error = client.task_result_once("t-2").await.unwrap_err();
    assert!(
        matches!(&error, Error::WrongTask { asked, answered } if asked == "t-2" && answered == "t-1"),
        "{error:?}"
    );
    assert_eq!(error.task_id(), Some("t-2"));
    assert!(client.wait("t-2", quick()).await.is_err());
    // The task asked for is the task answered: taken.
    assert!(client.task_result_once("t-1").await.is_ok());
}

#[tokio::test]
async fn a_submit_answer_with_an_empty_task_id_is_an_error_and_nothing_is_polled() {
    use novita_video::{types::Wan27T2vRequest, SubmitOperation};
    for empty in ["", "  "] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"task_id": empty})),
            )
            .mount(&server)
            .await;
        let client = client_for(&server);
        let request: Wan27T2vRequest = Wan27T2vRequest::builder()
            .prompt("a fox")
            .try_into()
            .unwrap();
        let error = client.submit(&request).await.unwrap_err();
        assert!(matches!(error, Error::EmptyTaskId { .. }), "{error:?}");
        assert!(error.to_string().contains("a task may exist"), "{error}");
        let operation = SubmitOperation::find("wan2.7-t2v").unwrap();
        let error = client
            .submit_value(operation, serde_json::json!({"prompt": "a fox"}))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::EmptyTaskId { .. }), "{error:?}");
        let error = client.submit_unchecked(&request).await.unwrap_err();
        assert!(matches!(error, Error::EmptyTaskId { .. }), "{error:?}");
        let requests = server.received_requests().await.unwrap();
        assert!(
            requests.iter().all(|r| r.method.as_str() == "POST"),
            "nothing polled"
        );
        assert_eq!(requests.len(), 3, "and no submission retried");
    }
}

#[tokio::test]
async fn a_progress_or_an_eta_of_the_wrong_type_is_read_as_unknown() {
    // `"progress_percent": "abc"` or `"eta": "soon"` failed the whole answer (a decode error),
    // so `wait` gave up on a task that was running fine.
    let server = MockServer::start().await;
    let mut odd = task_body("TASK_STATUS_PROCESSING", 0.0, 0.0);
    odd["task"]["progress_percent"] = "abc".into();
    odd["task"]["eta"] = "soon".into();
    let mut nested = task_body("TASK_STATUS_PROCESSING", 0.0, 0.0);
    nested["task"]["progress_percent"] = serde_json::json!({"value": [1, 2]});
    nested["task"]["eta"] = serde_json::json!(null);
    let mut as_text = task_body("TASK_STATUS_PROCESSING", 0.0, 0.0);
    as_text["task"]["progress_percent"] = "42.5".into();
    as_text["task"]["eta"] = " 3 ".into();
    let mut done = task_body("TASK_STATUS_SUCCEED", 100.0, 0.0);
    done["task"]["eta"] = true.into();
    script(
        &server,
        &[(odd.clone(), 1), (nested, 1), (as_text, 1), (done, 1)],
    )
    .await;
    let (seen, callback) = recorder();
    let client = client_for(&server);
    client
        .wait("t-1", quick().on_progress(callback))
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    let read: Vec<_> = seen.iter().map(|p| (p.progress_percent, p.eta)).collect();
    assert_eq!(
        read,
        [
            (None, None),
            (None, None),
            (Some(42.5), Some(Duration::from_secs(3))),
            (Some(100.0), None)
        ]
    );
    // The answer keeps what came, so that it prints back as the service sent it.
    let result: novita_video::types::TaskResultResponse = serde_json::from_value(odd).unwrap();
    let task = result.task.unwrap();
    assert_eq!(serde_json::to_value(&task).unwrap()["eta"], "soon");
    assert_eq!(task.progress_percent.unwrap().as_f64(), None);
}
