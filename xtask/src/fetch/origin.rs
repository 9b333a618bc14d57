//! The origin of a URL (scheme, host, port): what a redirect may not leave,
//! and what the API's server may not change to unless the overlay says so.

/// `scheme://host:port`, lowercased, with the scheme's default port.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            match port.parse::<u16>() {
                Ok(port) => (host, port),
                Err(_) => return None,
            }
        }
        _ => (
            authority,
            match scheme.as_str() {
                "https" => 443,
                "http" => 80,
                _ => return None,
            },
        ),
    };
    Some(format!("{scheme}://{}:{port}", host.to_ascii_lowercase()))
}

/// `scheme://authority` of `url`.
pub fn scheme_and_authority(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => String::new(),
    }
}
