//! Where the state file lives, held by one mock from start to its last save: claimed at start
//! (an exclusive lock, its folder checked writable), cleaned of the temporary files of a save
//! cut short, read once if it is there, and written at shutdown.

use std::path::{Path, PathBuf};

use novita_files::{read_regular, remove_leftovers, Claim};

use crate::{
    snapshot::{
        format::{parse, MAX_STATE_BYTES},
        restore::Saved,
        save::{save, Counts},
    },
    state::AppState,
};

/// The state file of a running mock; dropping it lets another mock use the file.
pub struct StateFile {
    /// As given (`--state`), for messages.
    path: PathBuf,
    claim: Claim,
}

impl StateFile {
    /// Claims the state file at `path` for this mock and reads it back: `None` when there is
    /// none yet (its folder is created if missing). The error is one line naming the file and
    /// the reason: another mock uses it, its folder cannot be written, it is not a regular
    /// file, it is too large, or what it holds is not a state a mock saves.
    pub fn open(path: &Path) -> Result<(StateFile, Option<Saved>), String> {
        let fail = |reason: String| format!("state file {}: {reason}", path.display());
        let claim = Claim::take(path).map_err(|e| fail(e.to_string()))?;
        match remove_leftovers(claim.target()) {
            Ok(0) => {}
            Ok(removed) => tracing::info!(
                removed,
                "state file {}: removed {removed} temporary files left by a save cut short",
                path.display()
            ),
            Err(e) => tracing::warn!(
                "state file {}: cannot remove the temporary files of a save cut short ({e})",
                path.display()
            ),
        }
        let saved = read_regular(claim.target(), MAX_STATE_BYTES as u64)
            .map_err(|e| fail(e.to_string()))?
            .map(|bytes| parse(&bytes).map(|file| Saved { file }))
            .transpose()
            .map_err(fail)?;
        let file = StateFile {
            path: path.to_path_buf(),
            claim,
        };
        Ok((file, saved))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `state` to the file (its link followed). Run once the mock has stopped serving
    /// and its webhook driver is closed.
    pub fn save(&self, state: &AppState) -> Result<Counts, String> {
        save(state, self.claim.target())
            .map_err(|reason| format!("state file {}: {reason}", self.path.display()))
    }
}
