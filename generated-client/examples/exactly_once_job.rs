//! A job that handles every scheduled call of a batch exactly once, even
//! when it is killed at any instant: each call's effect and the job's
//! position are committed in one SQLite transaction, so a kill leaves both
//! or neither. (`examples/resumable_job.rs` saves its position after the
//! call instead: at least once.)
//!
//! ```sh
//! ULTRAVOX_API_KEY=… cargo run -p ultravox-client --example exactly_once_job -- AGENT_ID BATCH_ID job.sqlite
//! ```
//!
//! The effect here is a row per call in the table `handled`; put your own
//! writes in the same transaction. Delete the database to start over.

use std::path::Path;

use futures_util::TryStreamExt;
use rusqlite::{Connection, OptionalExtension, Transaction};
use ultravox_client::types::ScheduledCall;
use ultravox_client::{Client, Position, Uuid};

/// The tables of the job: its effects, and where it stands.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS handled (call TEXT NOT NULL, status TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), saved TEXT NOT NULL);
";

/// Handles every scheduled call of `batch` after the position saved in the
/// database at `db`: for each call, `handle` writes the call's effect in a
/// transaction, the call's position is saved in the same transaction, and
/// it commits. Killed at any point, the next run finds the effects of the
/// calls whose positions it finds, no more, no fewer.
///
/// SQLite's calls block the task for the length of a commit; a service
/// with other work on its runtime would run them on `spawn_blocking`.
pub async fn run_job(
    client: &Client,
    agent: Uuid,
    batch: Uuid,
    db: &Path,
    mut handle: impl FnMut(&Transaction<'_>, &ScheduledCall) -> rusqlite::Result<()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut connection = Connection::open(db)?;
    connection.execute_batch(SCHEMA)?;
    let saved: Option<String> = connection
        .query_row("SELECT saved FROM position WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?;
    let mut request = client.list_scheduled_calls(agent, batch);
    if let Some(saved) = saved {
        request = request.resume_after(&saved.parse::<Position>()?);
    }
    let mut calls = std::pin::pin!(request.stream_with_positions());
    while let Some(call) = calls.try_next().await? {
        let transaction = connection.transaction()?;
        handle(&transaction, &call.item)?;
        transaction.execute(
            "INSERT INTO position (id, saved) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET saved = excluded.saved",
            [call.position.to_string()],
        )?;
        transaction.commit()?;
    }
    Ok(())
}

/// The effect of one call: a row with the call and its status.
pub fn record(transaction: &Transaction<'_>, call: &ScheduledCall) -> rusqlite::Result<()> {
    let key = serde_json::to_string(call)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    transaction.execute(
        "INSERT INTO handled (call, status) VALUES (?1, ?2)",
        (key, call.status.as_str()),
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [agent, batch, db] = args.as_slice() else {
        return Err("usage: exactly_once_job AGENT_ID BATCH_ID DATABASE".into());
    };
    let client = Client::from_env()?;
    run_job(
        &client,
        agent.parse()?,
        batch.parse()?,
        Path::new(db),
        record,
    )
    .await
}
