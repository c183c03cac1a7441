//! Compares the public API of novita-video with the released one and fails on a breaking
//! change that the version and CHANGELOG.md do not declare. `.ci/public-api` writes the
//! current crate's rustdoc JSON and runs it against the kept listing of the released one:
//!
//! `novita-apicheck RELEASED.api|RELEASED.json CURRENT.json CHANGELOG.md`
//!
//! `.ci/release-api` keeps that listing: `novita-apicheck --listing CRATE.json` prints it.

mod compare;
mod listing;
mod policy;

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: novita-apicheck RELEASED.api|RELEASED.json CURRENT.json CHANGELOG.md\n\
                     \x20      novita-apicheck --listing CRATE.json   (prints the listing to keep)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [flag, json] if flag == "--listing" => {
            listing::read(Path::new(json)).and_then(|found| listing::kept_text(&found))
        }
        [released, current, changelog] => check(
            Path::new(released),
            Path::new(current),
            Path::new(changelog),
        ),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("{failure}");
            ExitCode::FAILURE
        }
    }
}

fn check(released: &Path, current: &Path, changelog: &Path) -> Result<String, String> {
    // The kept listing (`.api`) or, to make one or check one, the released crate's rustdoc JSON.
    let released = if released.extension().is_some_and(|e| e == "json") {
        listing::read(released)?
    } else {
        listing::read_kept(released)?
    };
    let current = listing::read(current)?;
    let changelog =
        std::fs::read_to_string(changelog).map_err(|e| format!("{}: {e}", changelog.display()))?;
    println!(
        "the public API of novita-video {} ({} items) against the released {} ({} items)",
        current.version,
        current.entries.len(),
        released.version,
        released.entries.len()
    );
    let breaks = compare::breaking_changes(&released.entries, &current.entries);
    policy::verdict(&breaks, &released.version, &current.version, &changelog).map(|r| r + "\n")
}
