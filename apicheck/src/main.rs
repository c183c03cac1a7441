//! Compares the public API of novita-video with the released one and fails on a breaking
//! change that the version and CHANGELOG.md do not declare. `.ci/public-api` writes both
//! rustdoc JSON files and runs it:
//!
//! `novita-apicheck RELEASED.json CURRENT.json CHANGELOG.md`

mod compare;
mod listing;
mod policy;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [released, current, changelog] = args.as_slice() else {
        eprintln!("usage: novita-apicheck RELEASED.json CURRENT.json CHANGELOG.md");
        return ExitCode::from(2);
    };
    match check(
        Path::new(released),
        Path::new(current),
        Path::new(changelog),
    ) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("{failure}");
            ExitCode::FAILURE
        }
    }
}

fn check(released: &Path, current: &Path, changelog: &Path) -> Result<String, String> {
    let released = listing::read(released)?;
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
    policy::verdict(&breaks, &released.version, &current.version, &changelog)
}
