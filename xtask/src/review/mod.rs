//! Stage 4, review: what a change means for the people who merge it. The
//! change report and its verdict, cargo-semver-checks' verdict, and the
//! watch's pull request.

pub mod report;
pub mod semver;
pub mod watch;
