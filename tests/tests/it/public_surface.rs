//! What a user of the crate meets: mocks that answer like the API when it
//! fails, errors that say whether to try again, builders that finish.

use httpmock::MockServer;
use serde_json::json;
use support::http::test_client;
use support::samples::ids::{AGENT, BATCH};
use ultravox_client::mock::MockServerExt;
use ultravox_client::types::{PaginatedScheduledCallList, ScheduledCall};
use ultravox_client::{Error, ErrorKind, StatusCode};

/// The error of fetching the first page from `server`.
async fn first_page_error(server: &MockServer) -> Error {
    let client = test_client(&server.base_url()).build().unwrap();
    client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn mocks_answer_with_errors_and_retry_after() {
    let server = MockServer::start_async().await;
    let detail = json!({ "detail": "Not found." });
    let mock = server.list_scheduled_calls(|when, then| {
        when.agent_id(&AGENT);
        then.error(404, &detail);
    });
    let err = first_page_error(&server).await;
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert!(!err.is_retryable(), "{err}");
    let ErrorKind::Status { body, .. } = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        detail
    );
    mock.assert_calls(1);

    let server = MockServer::start_async().await;
    let mock = server.list_scheduled_calls(|_, then| {
        then.retry_after(503, 3600);
    });
    let err = first_page_error(&server).await;
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        err.retry_after(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert!(err.is_retryable(), "{err}");
    // An hour is longer than `max_retry_after`: no retry, the answer at once.
    mock.assert_calls(1);
}

#[test]
fn builders_finish_with_build_and_name_what_is_missing() {
    let err = PaginatedScheduledCallList::builder().build().unwrap_err();
    assert!(err.to_string().contains("results"), "{err}");
    let page = PaginatedScheduledCallList::builder()
        .results(Vec::new())
        .build()
        .unwrap();
    assert!(page.results.is_empty() && page.next.is_none());
    let err = ScheduledCall::builder()
        .batch_id(BATCH)
        .build()
        .unwrap_err();
    let message = err.to_string();
    assert!(message.ends_with(": no value supplied"), "{message}");
}

/// The README's table of client methods is the exposed operations: every
/// `openapi/operations.yaml` entry, by its Rust name, beside its method and
/// path in the spec.
#[test]
fn the_readme_lists_every_exposed_operation_with_its_path() {
    let root = support::spec::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let operations = std::fs::read_to_string(root.join("openapi/operations.yaml")).unwrap();
    let entries: Vec<(&str, &str)> = operations
        .lines()
        .filter_map(|line| {
            let line = line.strip_prefix("- { operationId: ")?.strip_suffix(" }")?;
            line.split_once(", name: ")
        })
        .collect();
    assert!(
        !entries.is_empty(),
        "no one-line entries in operations.yaml"
    );
    let spec = support::spec::spec();
    for (id, name) in entries {
        let (path, method) = spec["paths"]
            .as_object()
            .unwrap()
            .iter()
            .find_map(|(path, item)| {
                let (method, _) = item
                    .as_object()?
                    .iter()
                    .find(|(_, operation)| operation["operationId"] == id)?;
                Some((path, method.to_uppercase()))
            })
            .unwrap_or_else(|| panic!("{id} is not in the spec"));
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{name}(")))
            .unwrap_or_else(|| panic!("README.md has no row for `{name}`"));
        assert!(row.contains(&format!("| `{method} {path}`")), "{row}");
    }
}

/// A request's `Debug` says what it would send — the operation, the method,
/// the path with its ids and the query — and nothing of the generator's
/// internals; a cursor's value stays out.
#[test]
fn a_request_debugs_as_method_path_and_query() {
    use ultravox_client::types::ScheduledCallStatus;
    let client = test_client("http://127.0.0.1:9").build().unwrap();
    let request = client
        .list_scheduled_calls(AGENT, BATCH)
        .page_size(50)
        .status(ScheduledCallStatus::Error)
        .cursor("c2VjcmV0LWN1cnNvcg");
    let shown = format!("{request:?}");
    let path = support::samples::calls_path();
    // The query parameters' names as the spec spells them, by their methods.
    let parameter = |method: &str| {
        support::spec::spec()["paths"][support::spec::operation_path()]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|parameter| parameter["name"].as_str())
            .find(|name| snake(name) == method)
            .unwrap_or_else(|| panic!("no parameter for `{method}`"))
    };
    use ultravox_client::Operation;
    use ultravox_client::operations::ListScheduledCalls;
    for expected in [
        format!("operation: {:?}", ListScheduledCalls::NAME),
        format!("method: {:?}", ListScheduledCalls::HTTP_METHOD),
        format!("path: {path:?}"),
        format!("({:?}, \"50\")", parameter("page_size")),
        format!("({:?}, \"…\")", parameter("cursor")),
    ] {
        assert!(shown.contains(&expected), "{expected} missing: {shown}");
    }
    let status = support::spec::statuses()
        .into_iter()
        .find(|status| ScheduledCallStatus::from_api_value(status) == ScheduledCallStatus::Error)
        .unwrap();
    assert!(
        shown.contains(&format!("({:?}, \"{status}\")", parameter("status"))),
        "{shown}"
    );
    assert!(!shown.contains("c2VjcmV0LWN1cnNvcg"), "the cursor: {shown}");
    assert!(
        !shown.contains("Result") && !shown.contains("client:"),
        "{shown}"
    );
    assert!(shown.len() < 600, "{} bytes: {shown}", shown.len());
}

/// `camelCase` → `snake_case`, as the generated method names are.
fn snake(name: &str) -> String {
    name.chars()
        .flat_map(|c| match c.is_ascii_uppercase() {
            true => vec!['_', c.to_ascii_lowercase()],
            false => vec![c],
        })
        .collect()
}
