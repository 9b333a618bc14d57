//! What a user would write by hand for the same response: plain derives,
//! same field types, no generator.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Page {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<Row>,
    pub total: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Future,
    Pending,
    Success,
    Expired,
    Error,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Row {
    pub status: Status,
    pub batch_id: Uuid,
    pub call_id: Option<Uuid>,
    pub error: Option<String>,
    pub medium: Option<Medium>,
    pub metadata: Option<Value>,
    pub template_context: Option<Value>,
    pub experimental_settings: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Medium {
    pub web_rtc: Option<BTreeMap<String, Value>>,
    pub twilio: Option<Phone>,
    pub server_web_socket: Option<WebSocket>,
    pub telnyx: Option<Phone>,
    pub plivo: Option<Phone>,
    pub exotel: Option<BTreeMap<String, Value>>,
    pub sip: Option<Sip>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Phone {
    pub outgoing: Option<Outgoing>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Outgoing {
    pub to: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub additional_params: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct WebSocket {
    pub input_sample_rate: Option<i32>,
    pub output_sample_rate: Option<i32>,
    pub client_buffer_size_ms: Option<i32>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Sip {
    pub incoming: Option<BTreeMap<String, Value>>,
    pub outgoing: Option<SipOutgoing>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct SipOutgoing {
    pub to: Option<String>,
    pub from: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A transcript page, as a user would write it for `GET /api/calls/{id}/messages`.
#[derive(Deserialize)]
#[allow(dead_code)]
pub struct MessagePage {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<Message>,
}

/// The roles and media as the API spells them (`MESSAGE_ROLE_USER`).
#[derive(Deserialize)]
pub enum Role {
    #[serde(rename = "MESSAGE_ROLE_UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "MESSAGE_ROLE_USER")]
    User,
    #[serde(rename = "MESSAGE_ROLE_AGENT")]
    Agent,
    #[serde(rename = "MESSAGE_ROLE_TOOL_CALL")]
    ToolCall,
    #[serde(rename = "MESSAGE_ROLE_TOOL_RESULT")]
    ToolResult,
}

#[derive(Deserialize)]
pub enum MessageMedium {
    #[serde(rename = "MESSAGE_MEDIUM_UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "MESSAGE_MEDIUM_VOICE")]
    Voice,
    #[serde(rename = "MESSAGE_MEDIUM_TEXT")]
    Text,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Message {
    pub role: Option<Role>,
    pub text: Option<String>,
    pub medium: Option<MessageMedium>,
    pub call_stage_id: Option<String>,
    pub call_stage_message_index: Option<i32>,
    pub invocation_id: Option<String>,
    pub tool_name: Option<String>,
    pub error_details: Option<String>,
    pub timespan: Option<Timespan>,
    pub wall_clock_timespan: Option<Timespan>,
    #[serde(default)]
    pub call_state: serde_json::Map<String, Value>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Timespan {
    pub start: Option<String>,
    pub end: Option<String>,
}
