use super::*;
use crate::{catalogue::Endpoint, observe::event::What};

fn log(history: usize, buffer: usize, subscribers: usize) -> Arc<EventLog> {
    Arc::new(EventLog::new(Bounds {
        history,
        buffer,
        subscribers,
    }))
}

fn created(task: u128) -> Event {
    Event {
        at_unix_ms: 7,
        task: Some(uuid::Uuid::from_u128(task)),
        what: What::TaskCreated {
            endpoint: Endpoint::WanT2v,
        },
    }
}

fn ids(items: &[Item]) -> Vec<u64> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Event(id, _) => Some(*id),
            _ => None,
        })
        .collect()
}

async fn take(subscription: &mut Subscription, n: usize) -> Vec<Item> {
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(subscription.next().await.expect("an item"));
    }
    items
}

#[tokio::test]
async fn nothing_is_kept_before_the_first_subscriber() {
    let log = log(8, 8, 2);
    log.publish(created(1));
    assert_eq!(log.kept(), 0);
    let _first = log.subscribe(Filter::default(), None).unwrap();
    log.publish(created(2));
    assert_eq!(log.kept(), 1);
}

#[tokio::test]
async fn last_event_id_resumes_with_what_followed_it() {
    let log = log(8, 8, 2);
    let first = log.subscribe(Filter::default(), None).unwrap();
    for task in 1..=5 {
        log.publish(created(task));
    }
    drop(first);
    let mut again = log.subscribe(Filter::default(), Some(3)).unwrap();
    log.publish(created(6));
    assert_eq!(ids(&take(&mut again, 3).await), [4, 5, 6]);
}

#[tokio::test]
async fn a_resume_older_than_the_history_says_what_was_lost() {
    let log = log(3, 8, 2);
    let _first = log.subscribe(Filter::default(), None).unwrap();
    for task in 1..=6 {
        log.publish(created(task));
    }
    let mut again = log.subscribe(Filter::default(), Some(1)).unwrap();
    let items = take(&mut again, 4).await;
    assert_eq!(
        items[0],
        Item::Gap {
            last_id: 1,
            oldest: 4
        }
    );
    assert_eq!(ids(&items), [4, 5, 6]);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_cut_off_and_the_rest_go_on() {
    let log = log(64, 4, 2);
    let mut slow = log.subscribe(Filter::default(), None).unwrap();
    let mut fast = log.subscribe(Filter::default(), None).unwrap();
    for task in 1..=3 {
        log.publish(created(task));
    }
    assert_eq!(ids(&take(&mut fast, 3).await), [1, 2, 3]);
    assert_eq!(ids(&take(&mut slow, 1).await), [1]);
    // The slow one reads nothing more while ten events go out, each read by the fast one as
    // it comes; publishing never waits for the slow one.
    for task in 4..=13 {
        log.publish(created(task));
        assert_eq!(ids(&take(&mut fast, 1).await), [task as u64]);
    }
    assert_eq!(
        slow.next().await,
        Some(Item::CutOff {
            missed: 8,
            last_id: 1
        })
    );
    assert_eq!(slow.next().await, None);
    // It comes back with the id it last had, and gets what the history still holds.
    drop(slow);
    let mut back = log.subscribe(Filter::default(), Some(1)).unwrap();
    assert_eq!(
        ids(&take(&mut back, 12).await),
        (2..=13).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn filters_pick_kinds_and_one_task() {
    let log = log(64, 64, 4);
    let task = Some(uuid::Uuid::from_u128(2));
    let mut one = log
        .subscribe(
            Filter {
                kinds: Filter::default().kinds,
                task,
            },
            None,
        )
        .unwrap();
    let mut finished = log
        .subscribe(
            Filter {
                kinds: Kind::TaskFinished.bit(),
                task: None,
            },
            None,
        )
        .unwrap();
    for n in 1..=3 {
        log.publish(created(n));
    }
    let done = Event {
        at_unix_ms: 9,
        task,
        what: What::TaskFinished {
            status: "TASK_STATUS_SUCCEED",
        },
    };
    log.publish(done);
    assert_eq!(ids(&take(&mut one, 2).await), [2, 4]);
    assert_eq!(finished.next().await, Some(Item::Event(4, done)));
}

#[tokio::test]
async fn subscribers_are_bounded_and_a_place_frees_when_one_leaves() {
    let log = log(8, 8, 2);
    let a = log.subscribe(Filter::default(), None).unwrap();
    let _b = log.subscribe(Filter::default(), None).unwrap();
    assert!(log.subscribe(Filter::default(), None).is_err());
    drop(a);
    assert!(log.subscribe(Filter::default(), None).is_ok());
}

#[tokio::test]
async fn request_events_are_published_only_while_someone_asks_for_them() {
    let log = log(8, 8, 2);
    assert!(!log.wants_requests());
    let asks = log
        .subscribe(
            Filter {
                kinds: Kind::Request.bit(),
                task: None,
            },
            None,
        )
        .unwrap();
    assert!(log.wants_requests());
    drop(asks);
    assert!(!log.wants_requests());
}
