//! Differential property test: bodies for every submit operation, generated from the spec's own
//! request schemas, are judged by the client's check and by the in-process mock. Both must give
//! the same verdict (accepted, or refused naming the same field), and the one the case calls for.
//!
//! The cases are aimed: walking each request schema gives every target the spec offers (a field
//! and a way to break it, or to leave it valid at an edge; a rule across fields and a way to
//! break it), and each target is tried on several bodies that are otherwise random but valid.
//! So every class is reached on every field that has it, however the random draws fall:
//! missing required fields, nulls, wrong types, fractions for integers, integers past either
//! bound, integers outside an integer enum, strings outside an enum, strings one character too
//! short or too long, arrays at and over `maxItems` and under `minItems`, items of the wrong type,
//! unknown fields at the top and inside nested objects and items, integral floats, and across
//! fields: every pair of individually valid values outside `allowed_pairs` (and every listed
//! pair, and pairs with a side left out), both and neither for `exactly_one_of`, both for
//! `at_most_one_of`. The seed is fixed, so a run is repeatable; a failure prints the shrunk
//! body. Disagreements found before are kept below as a regression list.

use std::sync::OnceLock;

use conformance::{
    harness::Harness,
    targets::{all_targets, body_for, field_name, Break, Choices, Step, Target},
    verdict::{self, Verdict},
};
use novita_mock::Config;
use novita_video::SubmitOperation;
use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config as RunConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner},
};
use serde_json::{json, Value};

/// Bodies tried per target: each a different random valid body around the break.
const BODIES_PER_TARGET: u32 = 8;
const SEED: [u8; 32] = *b"novita-video differential test!!";

/// The mock in-process, on a runtime of its own that outlives the proptest runner. Its clock
/// is paused: the tasks accepted bodies create stay queued and cost nothing.
fn mock() -> &'static (tokio::runtime::Runtime, Harness) {
    static MOCK: OnceLock<(tokio::runtime::Runtime, Harness)> = OnceLock::new();
    MOCK.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let harness = runtime.block_on(Harness::mock_with(Config {
            paused: true,
            ..Config::for_tests()
        }));
        (runtime, harness)
    })
}

fn mock_verdict(operation: &SubmitOperation, body: &Value) -> Verdict {
    let (runtime, h) = mock();
    runtime.block_on(verdict::mock(h, operation, body))
}

fn judge(operation: &SubmitOperation, body: &Value, expected: &Verdict) -> Result<(), String> {
    let client = verdict::client(operation, body);
    let mock = mock_verdict(operation, body);
    if &client == expected && &mock == expected {
        Ok(())
    } else {
        Err(format!(
            "{}: expected {expected:?}, client {client:?}, mock {mock:?}\nbody: {body}",
            operation.command()
        ))
    }
}

#[test]
fn client_and_mock_agree_on_generated_bodies() {
    let all = all_targets();
    let mut failures = Vec::new();
    for (index, (operation, target)) in all.iter().enumerate() {
        let config = RunConfig {
            cases: BODIES_PER_TARGET,
            failure_persistence: None,
            ..RunConfig::default()
        };
        let mut seed = SEED;
        seed[..8].copy_from_slice(&(index as u64).to_le_bytes());
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let schema = operation.rules();
        let outcome = runner.run(&vec(any::<u32>(), 64), |numbers| {
            let mut choices = Choices::new(&numbers);
            let body = body_for(schema, target, &mut choices);
            judge(operation, &body, &target.expected).map_err(TestCaseError::fail)
        });
        if let Err(failure) = outcome {
            failures.push(format!(
                "{} {}: {failure}",
                operation.command(),
                target.describe()
            ));
        }
    }
    println!(
        "{} targets over {} operations, {} bodies each",
        all.len(),
        SubmitOperation::all().len(),
        BODIES_PER_TARGET
    );
    assert!(
        failures.is_empty(),
        "client and mock disagree with the spec on {} of {} targets (shrunk):\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// What the walk finds is what the test claims to reach: every class on every operation that
/// has a field for it, and the pair rules' every combination.
#[test]
fn the_targets_cover_every_class_on_every_operation() {
    let all = all_targets();
    let count = |command: &str, class: &str| {
        all.iter()
            .filter(|(op, t)| op.command() == command && format!("{:?}", t.how).starts_with(class))
            .count()
    };
    assert_eq!(SubmitOperation::all().len(), 14);
    for operation in SubmitOperation::all() {
        for class in ["Nothing", "UnknownField", "Null", "WrongType"] {
            assert!(
                count(operation.command(), class) > 0,
                "{} {class}",
                operation.command()
            );
        }
    }
    // Wan 2.1: 16 width/height combinations, 4 listed; nested unknown fields in `loras[0]`.
    for command in ["wan-t2v", "wan-i2v"] {
        let pairs: Vec<&Target> = all
            .iter()
            .filter(|(op, t)| op.command() == command && matches!(t.how, Break::Pair(_)))
            .map(|(_, t)| t)
            .collect();
        assert_eq!(pairs.len(), 16, "{command}");
        assert_eq!(pairs.iter().filter(|t| t.expected.is_err()).count(), 12);
        assert!(pairs
            .iter()
            .any(|t| matches!(&t.how, Break::Pair(v) if v == &[json!(480), json!(480)])));
        for class in [
            "Missing",
            "Fraction",
            "IntegralFloat",
            "BelowMinimum",
            "AboveMaximum",
            "OutsideEnum",
            "TooShort",
            "TooLong",
            "AtMaxItems",
            "OverMaxItems",
            "PairWithout",
        ] {
            assert!(count(command, class) > 0, "{command} {class}");
        }
        let nested = |t: &Target| t.path.first() == Some(&Step::Key("loras".into()));
        assert!(all.iter().any(|(op, t)| op.command() == command
            && nested(t)
            && matches!(t.how, Break::UnknownField)));
    }
    // Integer enums with a gap inside their range, and one without a range.
    let outside = |command: &str, field: &str| {
        all.iter()
            .find(|(op, t)| {
                op.command() == command
                    && field_name(&t.path) == field
                    && matches!(t.how, Break::OutsideEnum(_))
            })
            .map(|(_, t)| t.how.clone())
    };
    assert!(
        matches!(outside("wan2.7-videoedit", "duration"), Some(Break::OutsideEnum(v)) if v == 1)
    );
    assert!(
        matches!(outside("wan2.6-i2v", "parameters.duration"), Some(Break::OutsideEnum(v)) if v == 6)
    );
    assert!(matches!(outside("wan-t2v", "width"), Some(Break::OutsideEnum(v)) if v == 481));
    // Across fields: exactly_one_of both and neither, at_most_one_of both.
    for command in ["wan2.7-i2v", "kling-v3.0-pro-t2v", "kling-v3.0-pro-i2v"] {
        for class in ["All", "Neither", "Only"] {
            assert!(count(command, class) > 0, "{command} {class}");
        }
    }
    for command in ["kling-v3.0-std-i2v", "kling-v3.0-4k-i2v"] {
        let both = all.iter().any(|(op, t)| {
            op.command() == command && matches!(t.how, Break::All) && t.expected.is_err()
        });
        assert!(both, "{command}");
    }
    // Arrays under minItems and at and over maxItems; nested objects' unknown fields.
    assert!(count("wan2.7-r2v", "UnderMinItems") > 0 && count("wan2.7-r2v", "AtMaxItems") > 0);
    assert!(all.iter().any(|(op, t)| op.command() == "wan2.6-i2v"
        && field_name(&t.path) == "parameters"
        && matches!(t.how, Break::UnknownField)));
}

/// Disagreements found before, settled (see openapi/README.md, "Choices the pages leave open"): each must
/// stay agreed.
#[test]
fn settled_disagreements_stay_settled() {
    let find = |command| SubmitOperation::find(command).expect("in the spec");
    let refused = |field: &str| Err(field.to_string());
    let cases: Vec<(&str, Value, Result<(), String>)> = vec![
        // Integral floats are integers, as JSON Schema reads the spec; 5.5 is not.
        (
            "wan-t2v",
            json!({"prompt": "p", "width": 480.0, "height": 832}),
            Ok(()),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "p", "duration": 5.0}),
            Ok(()),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "p", "duration": 5.5}),
            refused("duration"),
        ),
        // Text past a "cut off" limit is refused by both.
        (
            "wan2.6-i2v",
            json!({"input": {"img_url": "u", "prompt": "x".repeat(2001)}}),
            refused("input.prompt"),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "x".repeat(1501)}),
            refused("prompt"),
        ),
        // Fields of the current Wan 2.1 pages, and of an older i2v copy.
        (
            "wan-t2v",
            json!({"prompt": "p", "enable_safety_checker": "yes"}),
            refused("enable_safety_checker"),
        ),
        (
            "wan-t2v",
            json!({"prompt": "p", "fast_mode": 1}),
            refused("fast_mode"),
        ),
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": "u", "model_name": 3}),
            refused("model_name"),
        ),
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": "u", "model_name": "wan2.1-i2v"}),
            Ok(()),
        ),
        // Empty URLs name nothing.
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": ""}),
            refused("image_url"),
        ),
        (
            "wan2.7-videoedit",
            json!({"video_url": ""}),
            refused("video_url"),
        ),
        // extra.webhook is read on every endpoint.
        (
            "wan2.7-i2v",
            json!({"image_url": "u", "extra": {"webhook": {"url": "ftp://x"}}}),
            refused("extra.webhook.url"),
        ),
        // A blank webhook URL, and whitespace the spec's pattern reads as whitespace.
        (
            "wan-t2v",
            json!({"prompt": "p", "extra": {"webhook": {"url": "https://a\u{feff}b"}}}),
            refused("extra.webhook.url"),
        ),
    ];
    let mut failures = Vec::new();
    for (command, body, expected) in cases {
        if let Err(failure) = judge(find(command), &body, &expected) {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
