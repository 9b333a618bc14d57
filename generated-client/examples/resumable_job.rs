//! A job that survives a crash: it handles every scheduled call of a
//! batch, saving its place after each one, and when it is killed and
//! started again it carries on after the last call it saved. That is at
//! least once: a kill between handling a call and saving its place handles
//! that call again (exactly once needs the call's effect and its place
//! committed together, in one transaction).
//!
//! ```sh
//! ULTRAVOX_API_KEY=… cargo run -p ultravox-client --example resumable_job -- AGENT_ID BATCH_ID STATE_FILE
//! ```
//!
//! It prints one line per call (its status); delete STATE_FILE to start over.

use std::io::Write;
use std::path::Path;

use futures_util::TryStreamExt;
use ultravox_client::types::ScheduledCall;
use ultravox_client::{Client, Position, Uuid};

/// Handles every scheduled call of `batch` after the one `state` names,
/// saving each one's position in `state` once `handle` has returned: a
/// crash leaves the state of the last call saved, so the next run skips
/// none, and repeats only a call handled but not yet saved when it was
/// killed (at least once). For exactly once, make `handle` idempotent
/// (keyed by the call), or commit its effect and the position together.
pub async fn run_job(
    client: &Client,
    agent: Uuid,
    batch: Uuid,
    state: &Path,
    mut handle: impl FnMut(&ScheduledCall) -> std::io::Result<()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut request = client.list_scheduled_calls(agent, batch);
    if let Some(position) = load(state)? {
        request = request.resume_after(&position);
    }
    let mut calls = std::pin::pin!(request.stream_with_positions());
    while let Some(call) = calls.try_next().await? {
        handle(&call.item)?;
        save(state, &call.position)?;
    }
    Ok(())
}

/// The saved position, if the job ran before.
fn load(state: &Path) -> Result<Option<Position>, Box<dyn std::error::Error + Send + Sync>> {
    match std::fs::read_to_string(state) {
        Ok(text) => Ok(Some(text.trim().parse()?)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Writes the position beside the state file, flushes it to disk, then
/// renames it over the state: a crash leaves the old state or the new one,
/// never half of one.
fn save(state: &Path, position: &Position) -> std::io::Result<()> {
    let mut temporary = state.as_os_str().to_owned();
    temporary.push(".tmp");
    let mut file = std::fs::File::create(&temporary)?;
    writeln!(file, "{position}")?;
    file.sync_all()?;
    std::fs::rename(&temporary, state)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [agent, batch, state] = args.as_slice() else {
        return Err("usage: resumable_job AGENT_ID BATCH_ID STATE_FILE".into());
    };
    let client = Client::from_env()?;
    let mut out = std::io::stdout().lock();
    run_job(
        &client,
        agent.parse()?,
        batch.parse()?,
        Path::new(state),
        |call| writeln!(out, "{:?}", call.status),
    )
    .await
}
