//! Stage 1, fetch: where the vendor's document comes in. A download (or a
//! file) becomes text, the text a JSON value, and a record of where it came
//! from. Everything here handles untrusted bytes.

pub mod document;
pub mod download;
pub mod origin;
pub mod provenance;
