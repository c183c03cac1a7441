//! `watch` against the mock on a paused clock: an update for each new progress, the stream's
//! end after the ended task, and no poll once the stream is dropped.
//!
//! Nothing here waits on real time: the task moves only when the test moves it, so what the
//! next update holds is known before it is asked for.

use std::pin::pin;

use conformance::harness::Harness;
use futures_util::StreamExt;
use novita_mock::Config;
use novita_video::{types::Wan27T2vRequest, TaskStatus, WatchOptions};
use reqwest::Method;
use serde_json::json;

/// The mock with its clock paused, at speed 1: a paused clock moves only when a test moves it,
/// and `eta` (wall seconds: the time left divided by the speed) then reads the task's own
/// seconds, so its fall between two updates shows.
async fn paused() -> Harness {
    Harness::mock_with(Config {
        paused: true,
        speed: 1.0,
        ..Config::for_tests()
    })
    .await
}

async fn submit(h: &Harness) -> String {
    let request: Wan27T2vRequest = Wan27T2vRequest::builder()
        .prompt("A red fox in fresh snow")
        .try_into()
        .unwrap();
    h.client.submit(&request).await.unwrap()
}

/// Polls as fast as the client allows, so that a poll that should not happen would.
fn eager() -> WatchOptions {
    WatchOptions::default().interval(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(2),
    )
}

/// How many task-result requests the mock has answered for `task_id`.
async fn polls_of(h: &Harness, task_id: &str) -> usize {
    let journal = h
        .control(
            Method::GET,
            "/_mock/journal?path=/v3/async/task-result",
            None,
        )
        .await;
    let wanted = format!("task_id={task_id}");
    assert_eq!(journal["dropped"], 0, "the journal kept every request");
    journal["entries"]
        .as_array()
        .expect("the journal lists its entries")
        .iter()
        .filter(|entry| entry["query"].as_str() == Some(&wanted))
        .count()
}

#[tokio::test]
async fn an_update_for_each_new_progress_then_the_end() {
    let h = paused().await;
    let task_id = submit(&h).await;
    let mut updates = pin!(h.client.watch(&task_id, eager()));

    let queued = updates.next().await.unwrap().unwrap();
    assert_eq!(queued.progress.status, Some(TaskStatus::Queued));
    assert_eq!(queued.progress.task_id, task_id);
    assert_eq!(queued.progress.polls, 1);
    assert!(!queued.is_terminal());

    // Past the 1 s queue: the next update is the first poll that sees it.
    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/advance"),
        Some(json!({"seconds": 1.5})),
    )
    .await;
    let processing = updates.next().await.unwrap().unwrap();
    assert_eq!(processing.progress.status, Some(TaskStatus::Processing));
    assert_eq!(processing.progress.polls, 2);
    // The clock is paused: a read now sees what the update saw.
    let task = h.client.task_result(&task_id).await.unwrap().task.unwrap();
    let percent = task.progress_percent.and_then(|p| p.as_f64());
    assert!(percent.is_some_and(|p| p > 0.0), "{percent:?}");
    assert_eq!(processing.progress.progress_percent, percent);
    let eta = task
        .eta
        .and_then(|e| e.as_f64())
        .map(std::time::Duration::from_secs_f64);
    assert!(
        eta < queued.progress.eta,
        "{eta:?} after {:?}",
        queued.progress.eta
    );
    assert_eq!(processing.progress.eta, eta);

    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/finish"),
        None,
    )
    .await;
    let done = updates.next().await.unwrap().unwrap();
    assert!(done.is_terminal());
    assert_eq!(done.progress.status, Some(TaskStatus::Succeed));
    assert_eq!(done.progress.progress_percent, Some(100.0));
    let result = done.into_result().unwrap();
    assert_eq!(result.videos.len(), 1);

    assert!(
        updates.next().await.is_none(),
        "the watch ends after the ended task"
    );
    // Three polls of the watch and the test's own read.
    assert_eq!(polls_of(&h, &task_id).await, 4, "no poll after the end");
    assert!(h.assert_answers_match_spec() > 0);
}

#[tokio::test]
async fn polls_that_see_nothing_new_yield_nothing() {
    let h = paused().await;
    let task_id = submit(&h).await;
    let mut updates = pin!(h.client.watch(&task_id, eager()));
    let first = updates.next().await.unwrap().unwrap();
    assert_eq!(first.progress.status, Some(TaskStatus::Queued));

    // The clock is paused: every poll sees the same queued task. Drive the stream until the
    // mock has answered several of them, then end the task; the next update is the ended one.
    let polled_again = async {
        while polls_of(&h, &task_id).await < 5 {
            tokio::task::yield_now().await;
        }
        h.control(
            Method::POST,
            &format!("/_mock/tasks/{task_id}/finish"),
            None,
        )
        .await;
    };
    let (next, ()) = tokio::join!(updates.next(), polled_again);
    let next = next.unwrap().unwrap();
    assert_eq!(next.progress.status, Some(TaskStatus::Succeed));
    assert!(next.progress.polls >= 5, "{} polls", next.progress.polls);
}

#[tokio::test]
async fn a_dropped_watch_polls_no_more() {
    let h = paused().await;
    let dropped = submit(&h).await;
    let yardstick = submit(&h).await;

    // Drive a watch of the first task in its own task until the mock has answered a few of its
    // polls (the clock is paused, so it never ends), then drop it with that task.
    let watching = {
        let client = h.client.clone();
        let task_id = dropped.clone();
        tokio::spawn(async move {
            let mut updates = pin!(client.watch(&task_id, eager()));
            while updates.next().await.is_some() {}
        })
    };
    while polls_of(&h, &dropped).await < 3 {
        tokio::task::yield_now().await;
    }
    watching.abort();
    assert!(watching.await.unwrap_err().is_cancelled());
    let at_drop = polls_of(&h, &dropped).await;

    // A second watch, paced the same, makes twenty polls: a loop of the first left running
    // would have polled beside it. One request already on its way at the drop may still land.
    let mut updates = pin!(h.client.watch(&yardstick, eager()));
    let first = updates.next().await.unwrap().unwrap();
    assert_eq!(first.progress.status, Some(TaskStatus::Queued));
    let counted = async {
        while polls_of(&h, &yardstick).await < 20 {
            tokio::task::yield_now().await;
        }
    };
    tokio::select! {
        _ = updates.next() => panic!("the queued task does not change on a paused clock"),
        () = counted => {}
    }
    let after = polls_of(&h, &dropped).await;
    assert!(
        after <= at_drop + 1,
        "the dropped watch went on polling: {at_drop} polls at the drop, {after} after"
    );
}
