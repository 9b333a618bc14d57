//! Tokio runtimes for the tests that move a client between runtimes.

/// A multi-thread runtime of its own, for the test servers, so the runtime
/// under test holds only the client's work.
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A current_thread runtime for the client under test: it runs only while
/// something blocks on it.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
