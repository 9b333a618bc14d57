//! The integration tests, one binary (linking is what a test build spends
//! its time on), one module per concern.

mod client;
mod consumer_dependencies;
mod decode_properties;
mod demo;
mod example;
mod fixtures;
mod hostile_network;
mod hostile_responses;
mod open_enums;
mod production;
mod round_two;
