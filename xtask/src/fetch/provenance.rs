//! `openapi/upstream.lock`: where `openapi/upstream.yaml` came from — the
//! source, the sha256 of its bytes, the server's `ETag` and
//! `Last-Modified`, the date it was fetched. `sync` and `watch` write it
//! with the document; `codegen --check` fails when the document no longer
//! matches it (the vendor's document is never edited by hand: the
//! project's changes go to the overlay).

use crate::sinks::markdown::code;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::fetch::download::Validators;

/// The record of one fetched document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The URL, or `file:<name>` for a document read from a file.
    pub source: String,
    pub sha256: String,
    pub validators: Validators,
    /// The day it was fetched (`YYYY-MM-DD`).
    pub fetched: String,
}

impl Provenance {
    /// The record of `bytes`, fetched today from `source`.
    pub fn new(source: String, bytes: &[u8], validators: Validators) -> Self {
        Self {
            source,
            sha256: sha256(bytes),
            validators,
            fetched: day(SystemTime::now()),
        }
    }

    /// The day the document was published, as far as anything says: its
    /// `Last-Modified`, else a `YYYY-MM-DD` in the source's name (the
    /// vendor's captures are named so), else the day it was fetched.
    pub fn published(&self) -> String {
        if let Some(date) = self
            .validators
            .last_modified
            .as_deref()
            .and_then(|date| httpdate::parse_http_date(date).ok())
        {
            return day(date);
        }
        date_in(&self.source).unwrap_or_else(|| self.fetched.clone())
    }

    /// The record as the committed file holds it.
    pub fn to_text(&self) -> String {
        let quoted = |text: &str| toml::Value::String(text.to_owned()).to_string();
        let mut text = String::from(
            "# Where openapi/upstream.yaml came from, written by `cargo xtask sync` and\n\
             # `cargo xtask watch`; `cargo xtask codegen --check` checks the sha256.\n\
             # Do not edit: take in a new document with `cargo xtask sync --from URL|FILE`.\n",
        );
        text.push_str(&format!("source = {}\n", quoted(&self.source)));
        text.push_str(&format!("sha256 = {}\n", quoted(&self.sha256)));
        if let Some(etag) = &self.validators.etag {
            text.push_str(&format!("etag = {}\n", quoted(etag)));
        }
        if let Some(date) = &self.validators.last_modified {
            text.push_str(&format!("last_modified = {}\n", quoted(date)));
        }
        text.push_str(&format!("fetched = {}\n", quoted(&self.fetched)));
        text
    }

    /// Reads the record at `path` (`None` when there is none yet).
    pub fn load(path: &Path, shown: &str) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err).with_context(|| format!("cannot read {shown}")),
        };
        let table: toml::Table = toml::from_str(&text).with_context(|| {
            format!("{shown} is not valid TOML; take the document in again with `cargo xtask sync`")
        })?;
        let field = |name: &str| {
            table
                .get(name)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        let required = |name: &str| {
            field(name).with_context(|| {
                format!(
                    "{shown} has no `{name}`; take the document in again with `cargo xtask sync`"
                )
            })
        };
        Ok(Some(Self {
            source: required("source")?,
            sha256: required("sha256")?,
            validators: Validators {
                etag: field("etag"),
                last_modified: field("last_modified"),
            },
            fetched: required("fetched")?,
        }))
    }

    /// Fails unless `bytes` are the document this record describes.
    pub fn verify(&self, bytes: &[u8], document: &str, shown: &str) -> Result<()> {
        let actual = sha256(bytes);
        if actual != self.sha256 {
            bail!(
                "{document} is not the document {shown} records (sha256 {actual}, recorded {}): \
                 the vendor's document is kept exactly as published. Put the project's change in \
                 openapi/overlay.yaml and restore {document} (`git checkout {document}`), or take \
                 in a new document with `cargo xtask sync --from URL|FILE`",
                self.sha256
            );
        }
        Ok(())
    }

    /// The record for messages: source, date, sha256, validators.
    pub fn to_markdown(&self) -> String {
        // The source, the validators and (through them) the date come from
        // the vendor's server: shown as inert code.
        let mut lines = vec![
            format!("- source: {}", code(&self.source)),
            format!(
                "- published: {} (fetched {})",
                code(&self.published()),
                code(&self.fetched)
            ),
            format!("- sha256: {}", code(&self.sha256)),
        ];
        if let Some(etag) = &self.validators.etag {
            lines.push(format!("- ETag: {}", code(etag)));
        }
        if let Some(date) = &self.validators.last_modified {
            lines.push(format!("- Last-Modified: {}", code(date)));
        }
        lines.join("\n") + "\n"
    }
}

/// The hex sha256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The first `YYYY-MM-DD` in `text`.
fn date_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|start| {
        let candidate = &text.get(start..start + 10)?;
        let shape = candidate.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
        shape.then(|| candidate.to_string())
    })
}

/// `time` as a UTC day, `YYYY-MM-DD` (the civil-from-days algorithm of
/// Howard Hinnant's date library).
fn day(time: SystemTime) -> String {
    let days = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates() {
        let at =
            |seconds: u64| day(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds));
        assert_eq!(at(0), "1970-01-01");
        assert_eq!(at(951_782_400), "2000-02-29");
        assert_eq!(at(1_782_950_400), "2026-07-02");
        assert_eq!(
            date_in("file:ultravox-openapi-2025-09-29.yaml").as_deref(),
            Some("2025-09-29")
        );
        assert_eq!(date_in("https://api.ultravox.ai/api/schema/"), None);
    }

    #[test]
    fn the_record_reads_back_and_dates_come_from_last_modified_first() {
        let record = Provenance {
            source: "https://api.ultravox.ai/api/schema/".to_owned(),
            sha256: sha256(b"openapi: 3.0.3\n"),
            validators: Validators {
                etag: Some("\"abc\"".to_owned()),
                last_modified: Some("Thu, 02 Jul 2026 10:00:00 GMT".to_owned()),
            },
            fetched: "2026-12-02".to_owned(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upstream.lock");
        std::fs::write(&path, record.to_text()).unwrap();
        assert_eq!(
            Provenance::load(&path, "upstream.lock").unwrap(),
            Some(record.clone())
        );
        assert_eq!(record.published(), "2026-07-02");
        assert!(
            record
                .verify(b"openapi: 3.0.3\n", "upstream.yaml", "upstream.lock")
                .is_ok()
        );
        let err = record
            .verify(
                b"openapi: 3.0.3\n# edited\n",
                "upstream.yaml",
                "upstream.lock",
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("overlay") && err.contains("not the document"),
            "{err}"
        );
    }
}
