//! The lifecycle of one task on a fixed clock.

use super::*;
use crate::sim::phase::SUCCEED;

fn task_with(planned_failure: Option<&str>, fault: Option<Fault>) -> Task {
    test_task(
        MockTime::ZERO,
        Duration::from_secs(4),
        planned_failure,
        fault,
    )
}

fn task(planned_failure: Option<&str>) -> Task {
    task_with(planned_failure, None)
}

fn at(seconds: f64) -> MockTime {
    MockTime::ZERO + Duration::from_secs_f64(seconds)
}

#[test]
fn lifecycle_follows_the_clock() {
    let task = task(None);
    assert_eq!(
        task.phase(at(0.0)),
        Phase::Queued {
            eta: Duration::from_secs(5)
        }
    );
    assert_eq!(
        task.phase(at(2.0)),
        Phase::Processing {
            progress: 25,
            eta: Duration::from_secs(3)
        }
    );
    assert_eq!(task.phase(at(5.0)), Phase::Succeeded { at: at(5.0) });
    assert_eq!(task.ends_at(at(1.0)), Some(at(5.0)));
    assert_eq!(task.ends_at(at(6.0)), None);
}

#[test]
fn progress_rises_and_eta_falls_monotonically() {
    // Queued for the first second, processing until 5 s, then succeeded: each sample is in one
    // of those phases, in that order, and while processing, progress rises and eta falls.
    let task = task(None);
    let mut last = (0, Duration::MAX);
    let (mut queued, mut processing, mut succeeded) = (0, 0, 0);
    for ms in (0..6000).step_by(37) {
        match task.phase(at(ms as f64 / 1000.0)) {
            Phase::Queued { .. } => {
                assert_eq!((processing, succeeded), (0, 0), "queued again at {ms} ms");
                queued += 1;
            }
            Phase::Processing { progress, eta } => {
                assert_eq!(succeeded, 0, "processing again at {ms} ms");
                assert!(
                    progress >= last.0 && eta <= last.1,
                    "at {ms} ms: {progress}% and {eta:?} after {last:?}"
                );
                last = (progress, eta);
                processing += 1;
            }
            Phase::Succeeded { .. } => succeeded += 1,
            other => panic!("at {ms} ms: {other:?}"),
        }
    }
    // 1 s of 37 ms steps queued, 4 s processing, the last second succeeded.
    assert_eq!((queued, processing, succeeded), (28, 108, 27));
    assert!(last.0 >= 95, "progress near the end: {last:?}");
}

#[test]
fn planned_failure_strikes_halfway() {
    let task = task(Some("TASK_FAILED"));
    let phase = task.phase(at(3.0));
    assert!(matches!(phase, Phase::Failed { ref reason, .. } if reason == "TASK_FAILED"));
}

#[test]
fn advance_and_force() {
    let task = task(None);
    task.advance(Duration::from_secs(3));
    assert!(matches!(
        task.phase(at(0.0)),
        Phase::Processing { progress: 50, .. }
    ));
    assert!(task.force(Some("NOPE".into()), at(0.0)));
    assert!(!task.force(None, at(0.0)), "an ended task stays ended");
    assert!(matches!(
        task.phase(at(100.0)),
        Phase::Failed { progress: 50, .. }
    ));
}

#[test]
fn stuck_tasks_wait_until_told() {
    let queued = task_with(None, Some(Fault::StuckQueued));
    assert!(matches!(queued.phase(at(1e6)), Phase::Queued { .. }));
    assert_eq!(queued.ends_at(at(1e6)), None);
    assert_eq!(queued.started_at(at(1e6)), None);
    let processing = task_with(None, Some(Fault::StuckProcessing));
    assert!(matches!(
        processing.phase(at(1e6)),
        Phase::Processing { progress: 50, .. }
    ));
    assert!(processing.force(None, at(1e6)));
    assert_eq!(processing.phase(at(1e6)).status(), SUCCEED);
}

#[test]
fn a_lying_eta_reaches_zero_long_before_the_end() {
    let task = task_with(None, Some(Fault::EtaLies));
    // A quarter of the 4 s run is done at 2 s: eta says 0, the task still works until 5 s.
    assert_eq!(
        task.phase(at(2.5)),
        Phase::Processing {
            progress: 37,
            eta: Duration::ZERO
        }
    );
    assert_eq!(task.phase(at(5.0)).status(), SUCCEED);
}

#[test]
fn progress_goes_back_once() {
    let task = task_with(None, Some(Fault::ProgressRegress));
    let progress: Vec<u32> = (0..50)
        .filter_map(|i| match task.phase(at(1.0 + f64::from(i) * 0.08)) {
            Phase::Processing { progress, .. } => Some(progress),
            _ => None,
        })
        .collect();
    let drops = progress.windows(2).filter(|w| w[1] < w[0]).count();
    assert_eq!(drops, 1, "{progress:?}");
}

#[test]
fn ids_are_read_in_their_canonical_form_only() {
    let id = TaskId::random();
    let text = id.to_string();
    assert_eq!(TaskId::parse(&text), Some(id));
    assert_eq!(TaskId::parse(&text.to_uppercase()), None);
    assert_eq!(TaskId::parse(&text.replace('-', "")), None);
    assert_eq!(TaskId::parse("nope"), None);
}

/// A task like `task(None)` whose request asked for a webhook.
fn hooked_task() -> Task {
    let plain = task(None);
    let mut job = plain.job.clone();
    job.webhook = Some(crate::sim::job::WebhookRequest {
        url: "http://127.0.0.1:9/hook".into(),
        test_mode: None,
        echo: serde_json::json!({"url": "http://127.0.0.1:9/hook"}),
    });
    Task::new(
        NewTask {
            job,
            seed: plain.seed,
            request_text: plain.request_text.clone(),
            api_key: plain.api_key.clone(),
            planned_failure: None,
            fault: None,
            script: None,
            born_terminal: None,
            trace: None,
        },
        MockTime::ZERO,
    )
}

#[test]
fn webhook_attempts_are_claimed_once() {
    let task = task(None);
    // No webhook: nothing to claim.
    assert!(!task.claim_attempt(1));

    let task = hooked_task();
    assert_eq!(task.delivery_status(), Delivery::Pending);
    // Attempts are claimed in order, each once.
    assert!(!task.claim_attempt(2), "attempt 2 before attempt 1");
    assert!(task.claim_attempt(1));
    assert!(!task.claim_attempt(1), "attempt 1 twice");
    assert!(!task.awaits_first_attempt());
    assert!(task.claim_attempt(2));
    assert!(!task.claim_attempt(2), "attempt 2 twice");
    assert!(!task.claim_attempt(1), "an earlier attempt again");

    // Two claimers racing for the same attempt, started together: exactly one wins, every
    // time.
    for number in 3..=200 {
        let start = std::sync::Barrier::new(2);
        let won: Vec<bool> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        task.claim_attempt(number)
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "attempt {number}: {won:?}"
        );
    }

    // An attempt given back (the mock stopped while it was in flight) is claimed once more.
    assert_eq!(task.unclaim_attempt(), 200);
    assert!(task.claim_attempt(200));
    assert!(!task.claim_attempt(200));

    // A settled delivery claims nothing more.
    task.set_delivery(Delivery::Delivered);
    assert!(!task.claim_attempt(201));
}
