//! When breaking changes may pass: the version and the changelog both declare them.

use crate::compare::Break;

/// Whether `current` bumps past `released` as semver asks for a breaking change: 0.y to
/// 0.(y+1) or later, x.y to (x+1).0 or later. Pre-release and build suffixes are ignored.
pub fn breaking_bump(released: &str, current: &str) -> Result<bool, String> {
    let (old_major, old_minor) = major_minor(released)?;
    let (new_major, new_minor) = major_minor(current)?;
    Ok(if old_major == 0 && new_major == 0 {
        new_minor > old_minor
    } else {
        new_major > old_major
    })
}

fn major_minor(version: &str) -> Result<(u64, u64), String> {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let mut parts = core.split('.').map(str::parse::<u64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => Ok((major, minor)),
        _ => Err(format!("`{version}` is not a semver version")),
    }
}

/// The lines of the changelog's section for `version`: from its `## VERSION ...` (or
/// `## [VERSION] ...`) heading to the next `## ` heading.
pub fn changelog_section<'a>(changelog: &'a str, version: &str) -> Vec<&'a str> {
    let bracketed = format!("[{version}]");
    let mut inside = false;
    let mut lines = Vec::new();
    for line in changelog.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let name = heading.split_whitespace().next().unwrap_or_default();
            inside = name == version || name == bracketed;
        } else if inside {
            lines.push(line);
        }
    }
    lines
}

fn declares_breaking(changelog: &str, version: &str) -> bool {
    changelog_section(changelog, version)
        .iter()
        .any(|line| line.starts_with("### Breaking"))
}

/// The verdict on a change of the public API: `Ok` with what to print, or `Err` with why
/// it fails. Breaking changes pass only when the version bumps as semver asks and the
/// changelog's section of that version has a `### Breaking` heading; a version that bumps
/// so needs that heading even when nothing broke (the contract .ci/public-api always had).
pub fn verdict(
    breaks: &[Break],
    released: &str,
    current: &str,
    changelog: &str,
) -> Result<String, String> {
    let listed: String = breaks.iter().map(|b| format!("  {b}\n")).collect();
    let count = breaks.len();
    if !breaking_bump(released, current)? {
        if breaks.is_empty() {
            return Ok(format!("no breaking change since {released}"));
        }
        return Err(format!(
            "{count} breaking change(s) since {released}, but the version {current} does not \
             declare them (a breaking change needs {}):\n{listed}",
            next_breaking(released)?
        ));
    }
    if !declares_breaking(changelog, current) {
        return Err(format!(
            "the version {current} declares breaking changes since {released}, but CHANGELOG.md \
             has no '## {current}' section with a '### Breaking' heading naming them\n{listed}"
        ));
    }
    Ok(format!(
        "{count} breaking change(s) since {released}, declared by the version {current} and \
         CHANGELOG.md:\n{listed}"
    ))
}

/// The first version that may break what `released` promised.
fn next_breaking(released: &str) -> Result<String, String> {
    let (major, minor) = major_minor(released)?;
    Ok(if major == 0 {
        format!("0.{}.0", minor + 1)
    } else {
        format!("{}.0.0", major + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "# Changelog\n\n## 0.3.0 - unreleased\n\n### Breaking\n\n- gone\n\n\
                             ## [0.2.0] - 2026-01-01\n\n### Added\n\n- x\n";

    fn removed() -> Vec<Break> {
        vec![Break::Removed("pub fn c::f()".into())]
    }

    #[test]
    fn breaking_bumps_follow_semver() {
        assert_eq!(breaking_bump("0.2.0", "0.3.0"), Ok(true));
        assert_eq!(breaking_bump("0.2.0", "0.2.5"), Ok(false));
        assert_eq!(breaking_bump("0.2.3", "1.0.0"), Ok(true));
        assert_eq!(breaking_bump("1.4.0", "1.9.0"), Ok(false));
        assert_eq!(breaking_bump("1.4.0", "2.0.0-rc.1"), Ok(true));
        assert!(breaking_bump("1", "2.0.0").is_err());
    }

    #[test]
    fn the_section_runs_to_the_next_version() {
        assert_eq!(
            changelog_section(CHANGELOG, "0.3.0"),
            ["", "### Breaking", "", "- gone", ""]
        );
        assert_eq!(
            changelog_section(CHANGELOG, "0.2.0"),
            ["", "### Added", "", "- x"]
        );
        assert!(changelog_section(CHANGELOG, "0.1.0").is_empty());
    }

    #[test]
    fn nothing_broken_at_a_patch_version_passes() {
        assert!(verdict(&[], "0.2.0", "0.2.1", CHANGELOG).is_ok());
    }

    #[test]
    fn undeclared_breaks_fail_naming_each_one() {
        let failure = verdict(&removed(), "0.2.0", "0.2.1", CHANGELOG).unwrap_err();
        assert!(failure.contains("removed: pub fn c::f()"), "{failure}");
        assert!(failure.contains("needs 0.3.0"), "{failure}");
    }

    #[test]
    fn declared_breaks_pass() {
        assert!(verdict(&removed(), "0.2.0", "0.3.0", CHANGELOG).is_ok());
    }

    #[test]
    fn a_bump_without_a_breaking_heading_fails() {
        let failure = verdict(&removed(), "0.1.0", "0.2.0", CHANGELOG).unwrap_err();
        assert!(
            failure.contains("no '## 0.2.0' section with a '### Breaking'"),
            "{failure}"
        );
        assert!(verdict(&[], "0.1.0", "0.2.0", CHANGELOG).is_err());
    }
}
