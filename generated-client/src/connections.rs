//! The crate's own reqwest clients, one per tokio runtime. A pooled
//! connection is driven by a task of the runtime that opened it: a
//! request sent over it from another runtime waits until the first one is
//! driven again (a `current_thread` runtime between `block_on`s is not),
//! a whole attempt timeout. So each runtime gets a pool of its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::runtime::{Handle, Id};

use crate::config::USER_AGENT;

/// How many runtimes' pools are kept; the oldest is dropped beyond that
/// (its runtime, if alive, gets a new pool on its next call).
const KEPT_RUNTIMES: usize = 8;

/// A reqwest client as the crate builds it: no redirects (the key is a
/// custom header, which reqwest keeps on a redirect to another host), the
/// crate's `User-Agent`, the connect timeout. The attempt timeout is set on
/// each request.
pub(crate) fn build_http(connect_timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The pools of one [`Client`](crate::Client) and its clones.
#[derive(Clone, Debug)]
pub(crate) struct Connections {
    connect_timeout: Duration,
    pools: Arc<Mutex<Pools>>,
}

#[derive(Debug)]
struct Pools {
    /// The client built with the [`Client`](crate::Client), for the first
    /// runtime that uses it.
    unclaimed: Option<reqwest::Client>,
    by_runtime: VecDeque<(Id, reqwest::Client)>,
}

impl Connections {
    /// Pools built like `first`, which the first runtime to call gets.
    pub(crate) fn new(first: reqwest::Client, connect_timeout: Duration) -> Self {
        let pools = Pools {
            unclaimed: Some(first),
            by_runtime: VecDeque::new(),
        };
        Self {
            connect_timeout,
            pools: Arc::new(Mutex::new(pools)),
        }
    }

    /// The reqwest client for the runtime this is called on (`fallback`
    /// outside one, or if a new client cannot be built).
    pub(crate) fn for_this_runtime(&self, fallback: &reqwest::Client) -> reqwest::Client {
        let Ok(runtime) = Handle::try_current().map(|handle| handle.id()) else {
            return fallback.clone();
        };
        let mut pools = self.pools.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, client)) = pools.by_runtime.iter().find(|(id, _)| *id == runtime) {
            return client.clone();
        }
        let client = match pools.unclaimed.take() {
            Some(client) => client,
            None => build_http(self.connect_timeout).unwrap_or_else(|_| fallback.clone()),
        };
        if pools.by_runtime.len() == KEPT_RUNTIMES {
            pools.by_runtime.pop_front();
        }
        pools.by_runtime.push_back((runtime, client.clone()));
        client
    }
}
