//! The key stays with the API's origin. The document's first server becomes
//! `DEFAULT_BASE_URL`, where every user's client sends its API key: a
//! document may not move it. A change of scheme, host or port is refused
//! unless `openapi/overlay.yaml` (reviewed, the project's own) lists the
//! new origin under `x-allowed-origins`; plain `http://` never passes.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::fetch::origin::origin;
use crate::sinks::line::one_line;

/// The overlay's list of origins the API may move to.
pub const ALLOWED: &str = "x-allowed-origins";

/// The first server's URL.
pub fn server(spec: &Value) -> Option<&str> {
    spec.pointer("/servers/0/url").and_then(Value::as_str)
}

/// The server, if any, is an `https://` URL with a host, and no query or
/// fragment (the client joins paths to it: it would refuse such a base URL,
/// so every default client would fail).
pub fn check_scheme(spec: &Value, shown: &str) -> Result<()> {
    let Some(url) = server(spec) else {
        return Ok(());
    };
    if url.contains(['?', '#']) {
        bail!(
            "{shown}: the server {} has a query or a fragment; it cannot be the base URL that \
             operation paths are joined to. Report it to Ultravox",
            one_line(url)
        );
    }
    match origin(url) {
        Some(origin) if origin.starts_with("https://") => Ok(()),
        _ => bail!(
            "{shown}: the server {} is not an `https://` URL with a host; every client would \
             send its API key there. Report it to Ultravox",
            one_line(url)
        ),
    }
}

/// The server's origin is the committed one, or one the overlay allows.
pub fn check_change(before: &Value, after: &Value, overlay: &Value, shown: &str) -> Result<()> {
    let (Some(old), Some(new)) = (server(before), server(after)) else {
        return Ok(());
    };
    let (old_origin, new_origin) = (origin(old), origin(new));
    if old_origin == new_origin {
        return Ok(());
    }
    let allowed = overlay
        .get(ALLOWED)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(origin);
    if let Some(new_origin) = &new_origin
        && allowed.into_iter().any(|allowed| allowed == *new_origin)
    {
        return Ok(());
    }
    bail!(
        "{shown}: the API's origin changes from {} to {}: every user's client would send its \
         API key to the new one. Refused unless openapi/overlay.yaml lists it under \
         `{ALLOWED}` (after checking with Ultravox that the move is real)",
        one_line(old),
        one_line(new)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{check_change, check_scheme, origin};

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin("https://API.ultravox.ai/x").unwrap(),
            "https://api.ultravox.ai:443"
        );
        assert_eq!(
            origin("https://api.ultravox.ai:443").unwrap(),
            "https://api.ultravox.ai:443"
        );
        assert_eq!(origin("http://x:8080").unwrap(), "http://x:8080");
        assert_eq!(origin("https://u@x"), None);
        assert_eq!(origin("nonsense"), None);
    }

    #[test]
    fn the_origin_moves_only_where_the_overlay_allows() {
        let spec = |url: &str| json!({ "servers": [{ "url": url }] });
        let before = spec("https://api.ultravox.ai");
        let none = json!({});
        check_change(&before, &spec("https://api.ultravox.ai/v2"), &none, "doc").unwrap();
        for moved in [
            "https://evil.example",
            "https://api.ultravox.ai:8443",
            "http://api.ultravox.ai",
        ] {
            let err = check_change(&before, &spec(moved), &none, "doc")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(moved) && err.contains("x-allowed-origins"),
                "{err}"
            );
        }
        let allowing = json!({ "x-allowed-origins": ["https://api2.ultravox.ai"] });
        check_change(&before, &spec("https://api2.ultravox.ai"), &allowing, "doc").unwrap();
        assert!(check_scheme(&spec("http://api.ultravox.ai"), "doc").is_err());
        check_scheme(&spec("https://api.ultravox.ai"), "doc").unwrap();
    }
}
