//! The scheduled-call status as an open enum: the API adds values over time,
//! and a value this crate does not know must not fail a whole page.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a scheduled call is in its life cycle.
///
/// Values the spec does not list yet arrive as [`ScheduledCallStatus::Unknown`],
/// which keeps the raw string and serializes back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScheduledCallStatus {
    /// `FUTURE`: not due yet.
    Future,
    /// `PENDING`: due, waiting to be placed.
    Pending,
    /// `SUCCESS`: the call was created.
    Success,
    /// `EXPIRED`: the window passed before the call could be placed.
    Expired,
    /// `ERROR`: the call could not be made; see the row's `error`.
    Error,
    /// A status this version of the crate does not know, kept verbatim.
    Unknown(String),
}

impl ScheduledCallStatus {
    /// The statuses the spec lists, in its order.
    pub const KNOWN: [ScheduledCallStatus; 5] = [
        Self::Future,
        Self::Pending,
        Self::Success,
        Self::Expired,
        Self::Error,
    ];

    /// The value as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Future => "FUTURE",
            Self::Pending => "PENDING",
            Self::Success => "SUCCESS",
            Self::Expired => "EXPIRED",
            Self::Error => "ERROR",
            Self::Unknown(raw) => raw,
        }
    }
}

impl From<&str> for ScheduledCallStatus {
    fn from(value: &str) -> Self {
        match value {
            "FUTURE" => Self::Future,
            "PENDING" => Self::Pending,
            "SUCCESS" => Self::Success,
            "EXPIRED" => Self::Expired,
            "ERROR" => Self::Error,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl From<String> for ScheduledCallStatus {
    fn from(value: String) -> Self {
        match Self::from(value.as_str()) {
            Self::Unknown(_) => Self::Unknown(value),
            known => known,
        }
    }
}

impl FromStr for ScheduledCallStatus {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

impl fmt::Display for ScheduledCallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScheduledCallStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScheduledCallStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StatusVisitor)
    }
}

/// Matches known values on the borrowed string: no allocation per row
/// unless the value is unknown.
struct StatusVisitor;

impl serde::de::Visitor<'_> for StatusVisitor {
    type Value = ScheduledCallStatus;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scheduled-call status string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(ScheduledCallStatus::from(value))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(ScheduledCallStatus::from(value))
    }
}

impl schemars::JsonSchema for ScheduledCallStatus {
    fn schema_name() -> String {
        "ScheduledCallStatus".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        // Open: any string is accepted; the known values are listed as examples.
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some(
                    "Status of a scheduled call: FUTURE, PENDING, SUCCESS, EXPIRED, ERROR, \
                     or a newer value kept verbatim."
                        .to_owned(),
                ),
                examples: Self::KNOWN.iter().map(|s| s.as_str().into()).collect(),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_values_round_trip() {
        for raw in [
            "FUTURE",
            "PENDING",
            "SUCCESS",
            "EXPIRED",
            "ERROR",
            "CANCELLED",
        ] {
            let status: ScheduledCallStatus = serde_json::from_value(raw.into()).unwrap();
            assert_eq!(serde_json::to_value(&status).unwrap(), raw);
            assert_eq!(status.to_string(), raw);
            assert_eq!(raw.parse::<ScheduledCallStatus>().unwrap(), status);
        }
        assert_eq!(
            ScheduledCallStatus::from("CANCELLED"),
            ScheduledCallStatus::Unknown("CANCELLED".into())
        );
    }

    #[test]
    fn non_strings_are_rejected() {
        assert!(serde_json::from_value::<ScheduledCallStatus>(7.into()).is_err());
    }
}
