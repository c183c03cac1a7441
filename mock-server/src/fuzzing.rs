//! Test support: a fuzz pass over a parser of untrusted text (scenario files, cassettes, state
//! files). Each case is random text, or a valid document with one edit: a cut, a byte replaced,
//! a YAML/JSON token inserted, a number made extreme. The parser must answer, never panic;
//! `PROPTEST_CASES` sets the number of cases (`bench/run.sh` raises it).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Pieces that steer a YAML or JSON parser into its corners.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "-",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "'",
    "\"",
    "\\",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!include x",
    "---\n",
    "...\n",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "null",
    "~",
    "true",
    "0x",
    "1e999",
    "-1",
    "-0",
    "NaN",
    ".inf",
    "18446744073709551616",
    "99999999999999999999999",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "字",
];

/// One edit of a valid document.
#[derive(Clone, Debug)]
enum Edit {
    Cut(usize),
    Replace(usize, u8),
    Insert(usize, &'static str),
    Remove(usize, usize),
}

fn apply(seed: &str, edit: &Edit) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    let at = |n: usize| n % (bytes.len() + 1);
    match edit {
        Edit::Cut(n) => bytes.truncate(at(*n)),
        Edit::Replace(n, byte) => {
            if !bytes.is_empty() {
                let i = n % bytes.len();
                bytes[i] = *byte;
            }
        }
        Edit::Insert(n, token) => {
            let i = at(*n);
            bytes.splice(i..i, token.bytes());
        }
        Edit::Remove(n, len) => {
            let start = at(*n);
            let end = (start + len).min(bytes.len());
            bytes.drain(start..end);
        }
    }
    bytes
}

/// Runs `parse` over random and mutated texts built from `seeds`; prints one line at the end.
pub fn text_parser(name: &str, seeds: &[String], parse: impl Fn(&str)) {
    let edit = prop_oneof![
        any::<usize>().prop_map(Edit::Cut),
        (any::<usize>(), any::<u8>()).prop_map(|(n, b)| Edit::Replace(n, b)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(n, t)| Edit::Insert(n, t)),
        (any::<usize>(), 1usize..40).prop_map(|(n, len)| Edit::Remove(n, len)),
    ];
    let input = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => prop::collection::vec(prop::sample::select(TOKENS), 0..40)
            .prop_map(|tokens| tokens.concat().into_bytes()),
        6 => (0..seeds.len(), prop::collection::vec(edit, 1..4)).prop_map(|(which, edits)| {
            let mut text = seeds[which].clone();
            for edit in &edits {
                text = String::from_utf8_lossy(&apply(&text, edit)).into_owned();
            }
            text.into_bytes()
        }),
    ];
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let cases = runner.config().cases;
    runner
        .run(&input, |bytes| {
            parse(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
    for seed in seeds {
        parse(seed);
    }
    println!("fuzz {name}: {cases} cases, no crash");
}
