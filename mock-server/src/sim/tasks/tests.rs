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
    job.webhook = Some(Box::new(crate::sim::job::WebhookRequest {
        url: "http://127.0.0.1:9/hook".into(),
        test_mode: None,
        echo: serde_json::json!({"url": "http://127.0.0.1:9/hook"}),
    }));
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

#[test]
fn a_reference_being_measured_holds_the_task_and_its_verdict_ends_it() {
    let held = task(None);
    held.await_reference();
    // Held at the start of its 4 s of work, however late it is asked.
    assert_eq!(
        held.phase(at(100.0)),
        Phase::Processing {
            progress: 0,
            eta: Duration::from_secs(4)
        }
    );
    assert_eq!(held.ends_at(at(100.0)), None);
    // Measured past its natural end: it ends when the measurement came in.
    let fits = Reference::Fits {
        width: 1280,
        height: 720,
        seconds: 7.0,
        at: at(100.0),
    };
    hint_agrees_with_phase(&held, "reference being measured");
    assert!(held.measure_reference(fits));
    assert!(!held.measure_reference(Reference::Pending), "measured once");
    assert_eq!(held.phase(at(100.0)), Phase::Succeeded { at: at(100.0) });

    let refused = task(None);
    refused.await_reference();
    let reason = "video: the video lasts 2.00 seconds; it must last 3 to 30 seconds";
    assert!(refused.measure_reference(Reference::Refused {
        reason: reason.into(),
        at: at(0.0),
    }));
    // It fails when its work would start, a second after submission.
    assert!(matches!(refused.phase(at(0.5)), Phase::Queued { .. }));
    assert_eq!(refused.ends_at(at(0.5)), Some(at(1.0)));
    hint_agrees_with_phase(&refused, "refused reference");
    assert_eq!(
        refused.phase(at(1.0)),
        Phase::Failed {
            reason: reason.into(),
            progress: 0,
            at: at(1.0)
        }
    );
}

/// `has_ended` (the end hint, without the lock) against `phase` (the lock), at every quarter
/// second of the first 12, for `task` as it stands.
fn hint_agrees_with_phase(task: &Task, what: &str) {
    for quarter in 0..48 {
        let now = at(quarter as f64 / 4.0);
        assert_eq!(
            task.has_ended(now),
            task.phase(now).ended_at().is_some(),
            "{what} at {now:?}"
        );
    }
}

#[test]
fn the_end_hint_agrees_with_the_phase_whatever_moves_the_end() {
    let kinds: [(&str, Option<&str>, Option<Fault>); 5] = [
        ("plain", None, None),
        ("planned failure", Some("boom"), None),
        ("stuck queued", None, Some(Fault::StuckQueued)),
        ("stuck processing", None, Some(Fault::StuckProcessing)),
        ("lying eta", None, Some(Fault::EtaLies)),
    ];
    for (what, failure, fault) in kinds {
        let task = task_with(failure, fault.clone());
        hint_agrees_with_phase(&task, what);
        task.advance(Duration::from_millis(1500));
        hint_agrees_with_phase(&task, &format!("{what}, advanced 1.5 s"));
        task.advance(Duration::from_secs(30));
        hint_agrees_with_phase(&task, &format!("{what}, advanced past its end"));

        let forced = task_with(failure, fault);
        assert!(forced.force(Some("told to".into()), at(2.0)));
        hint_agrees_with_phase(&forced, &format!("{what}, failed at 2 s"));
    }
    // Submitted after zero, so that "before its submission" is asked too.
    let late = test_task(at(3.0), Duration::from_secs(4), None, None);
    hint_agrees_with_phase(&late, "submitted at 3 s");
    late.advance(Duration::from_secs(5));
    hint_agrees_with_phase(&late, "submitted at 3 s, advanced by its whole run");
}

#[test]
fn a_task_read_back_has_the_same_end_before_and_after_its_hint_is_worked_out() {
    let task = task(None);
    task.advance(Duration::from_secs(2));
    let text = serde_json::to_string(&task).unwrap();
    let read: Task = serde_json::from_str(&text).unwrap();
    // Not known yet: every answer comes from the phase.
    hint_agrees_with_phase(&read, "read back");
    read.settle_end_hint();
    hint_agrees_with_phase(&read, "read back, settled");
    assert!(read.has_ended(at(3.0)), "5 s of run, 2 s advanced");
    assert!(!read.has_ended(at(2.9)));
}

/// Every stored task holds a `Task` in an `Arc` (16 bytes more): at 304 bytes it fits the
/// allocator's 320-byte class, where 512 (with the rare parts inline) took 640.
#[cfg(target_pointer_width = "64")]
#[test]
fn a_task_keeps_its_rare_parts_out_of_line() {
    assert!(
        std::mem::size_of::<Task>() <= 304,
        "{}",
        std::mem::size_of::<Task>()
    );
    assert!(std::mem::size_of::<State>() <= 72);
}
