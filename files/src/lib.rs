//! The files the mock and the proxy keep (the mock's state file, the proxy's report and
//! cassette, the cassette the mock replays), written and read one way for both:
//!
//! - [`write_atomically`] writes through a temporary file of a unique name beside the target,
//!   readable by its owner only, synced, renamed over the target, then the folder synced; the
//!   target is the old file or the new one, never a mix, and the temporary file is removed when
//!   the write fails. A symbolic link at the path is followed: its target is replaced, the link
//!   kept.
//! - [`read_regular`] reads a regular file only (a FIFO or a device is refused without waiting
//!   on it), and never more than its bound, whatever the file's size claims.
//! - [`Claim`] holds a file for one process: an exclusive lock beside it, and a check at start
//!   that its folder can be written, so that a second user or an unwritable place is found
//!   before any work is done.
//! - [`remove_leftovers`] removes the temporary files a process killed mid-write left behind.

mod claim;
mod names;
mod read;
mod write;

pub use claim::{Claim, ClaimError};
pub use names::{remove_leftovers, resolve};
pub use read::{read_regular, ReadError};
pub use write::write_atomically;
