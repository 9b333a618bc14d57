//! After a batch: a call's transcript over several pages, and the account
//! webhook registered with secrets that then verify what Ultravox signs.

use std::time::{Duration, SystemTime};

use futures_util::TryStreamExt;
use support::http::test_client;
use ultravox_client::mock::MockServerExt;
use ultravox_client::mock::httpmock::MockServer;
use ultravox_client::types::{
    AccountWebhookEvent, CallsMessagesListMode, Events, Message, MessageRole, PaginatedMessageList,
    Webhook, WebhookRequest, WebhookStatus,
};
use ultravox_client::webhooks::Verifier;

use crate::webhooks::signed;

const CALL: ultravox_client::Uuid = uuid::uuid!("8d7c6b5a-4e3f-4a1b-9c8d-000000000001");

fn message(index: usize) -> Message {
    let role = &MessageRole::KNOWN[index % MessageRole::KNOWN.len()];
    Message::builder()
        .role(Some(role.clone()))
        .text(Some(format!("line {index}")))
        .call_stage_message_index(Some(index as i32))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_transcript_streams_over_several_pages_in_its_mode() {
    let server = MockServer::start_async().await;
    let mode = CallsMessagesListMode::KNOWN
        .last()
        .expect("the spec lists the modes")
        .clone();
    let messages: Vec<Message> = (0..7).map(message).collect();
    let pages: Vec<&[Message]> = messages.chunks(3).collect();
    for (index, results) in pages.iter().enumerate() {
        let cursor = (index > 0).then(|| format!("p{index}"));
        let next =
            (index + 1 < pages.len()).then(|| server.url(format!("/next?cursor=p{}", index + 1)));
        let page = PaginatedMessageList::builder()
            .next(next)
            .results(results.to_vec())
            .build()
            .unwrap();
        server.list_call_messages(|when, then| {
            when.call_id(&CALL)
                .mode(Some(&mode))
                .cursor(cursor.as_deref());
            then.ok(&page);
        });
    }
    let client = test_client(&server.base_url()).build().unwrap();

    let transcript: Vec<Message> = client
        .list_call_messages(CALL)
        .mode(mode.clone())
        .stream()
        .try_collect()
        .await
        .unwrap();

    let texts = |messages: &[Message]| -> Vec<Option<String>> {
        messages.iter().map(|m| m.text.clone()).collect()
    };
    assert_eq!(texts(&transcript), texts(&messages), "every line, in order");
}

#[tokio::test]
async fn the_account_webhook_registered_with_secrets_verifies_what_ultravox_signs() {
    let secrets = ["whsec-old-0123456789", "whsec-new-9876543210"];
    let url = "https://campaigns.example.com/ultravox/events";
    let events = vec![Events::CallStarted, Events::CallEnded];
    let sent = WebhookRequest::builder()
        .url(url)
        .events(events.clone())
        .secrets(secrets.map(str::to_owned).to_vec())
        .build()
        .unwrap();
    let registered = Webhook::builder()
        .webhook_id(uuid::uuid!("3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b0a"))
        .created("2026-12-07T09:00:00Z")
        .url(url)
        .events(events)
        .secrets(secrets.map(str::to_owned).to_vec())
        .status(WebhookStatus::KNOWN[0].clone())
        .last_status_change(None)
        .recent_failures(Vec::new())
        .build()
        .unwrap();
    let server = MockServer::start_async().await;
    let create = server.create_webhook(|when, then| {
        when.body(&sent);
        then.created(&registered);
    });
    let client = test_client(&server.base_url()).build().unwrap();

    let webhook = client
        .create_webhook()
        .body(sent.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    create.assert();
    assert!(
        !format!("{webhook:?}").contains(secrets[0]),
        "the secrets are redacted in Debug"
    );

    // What Ultravox then sends, signed with the newer secret.
    let verifier = Verifier::new(&webhook.secrets).unwrap();
    let body = serde_json::to_vec(&serde_json::json!({
        "event": Events::CallEnded.as_str(),
        "call": support::operation_checks::sample_json::<ultravox_client::types::Call>(),
    }))
    .unwrap();
    let now = SystemTime::now();
    let timestamp = chrono::DateTime::<chrono::Utc>::from(now).to_rfc3339();
    let headers = signed(secrets[1], &body, &timestamp);
    let verified = verifier.verify(&headers, &body, now).unwrap();
    let event: AccountWebhookEvent = verified.decode().unwrap();
    assert_eq!(event.event, Events::CallEnded);

    // Signed with a secret the webhook does not hold: refused.
    let forged = signed("whsec-not-ours", &body, &timestamp);
    assert!(verifier.verify(&forged, &body, now).is_err());
    let later = now + Duration::from_secs(3600);
    assert!(verifier.verify(&headers, &body, later).is_err(), "stale");
}
