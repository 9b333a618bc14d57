//! Stage 4, review: what a change means for the people who merge it. The
//! change report and its verdict, and cargo-semver-checks' verdict (the
//! watch turns them into a pull request).

pub mod report;
pub mod semver;
