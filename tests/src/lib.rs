//! Support for the test suite and the benchmarks, one concern per module:
//! what the spec says ([`spec`]), JSON comparison and snapshots ([`json`]),
//! sample pages ([`samples`]), servers on 127.0.0.1 ([`http`],
//! [`server`]), runtimes to move a client between ([`runtimes`]), and the
//! checks every exposed operation gets ([`operation_checks`]).

pub mod http;
pub mod json;
pub mod operation_checks;
pub mod runtimes;
pub mod samples;
pub mod server;
pub mod spec;
