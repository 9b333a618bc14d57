//! Row-level resume: a listing's rows carry their position, and a job that
//! stops after any row carries on after it, every row delivered once.

use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;
use support::http::test_client;
use support::samples::{ids, page, realistic_rows};
use support::server::{LoopbackServer, page_number};
use ultravox_client::operations::ListScheduledCalls;
use ultravox_client::types::ScheduledCall;
use ultravox_client::{Cursor, Operation, Position};

#[allow(dead_code)] // its `main` belongs to the example binary
#[path = "../../../generated-client/examples/resumable_job.rs"]
mod example;

#[allow(dead_code)] // its `main` belongs to the example binary
#[path = "../../../generated-client/examples/exactly_once_job.rs"]
mod exactly_once;

const PAGES: usize = 24;
const ROWS_PER_PAGE: usize = 25;

/// Serves `PAGES` pages of distinct rows (cursor `n` names page `n`; the
/// first has none), and the rows in order as the generated type decodes
/// them, to compare what a job received with.
async fn listing() -> (LoopbackServer, Vec<String>) {
    let rows = realistic_rows(PAGES * ROWS_PER_PAGE);
    let expected = rows.iter().map(|row| decoded(row.clone())).collect();
    let server = LoopbackServer::start(move |target| {
        let n = page_number(target);
        let slice = rows[(n - 1) * ROWS_PER_PAGE..n * ROWS_PER_PAGE].to_vec();
        let next = (n + 1).to_string();
        let body = page(slice, (n < PAGES).then_some(next.as_str()));
        serde_json::to_vec(&body).unwrap()
    })
    .await;
    (server, expected)
}

/// A row as the client hands it over, in a comparable form.
fn decoded(row: Value) -> String {
    let call: ScheduledCall = serde_json::from_value(row).unwrap();
    serde_json::to_string(&call).unwrap()
}

/// A reproducible sequence of stopping points, 1 to 9 rows apart.
fn stops() -> impl FnMut() -> usize {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        1 + (state % 9) as usize
    }
}

#[tokio::test]
async fn a_stream_dropped_after_any_row_resumes_after_it_exactly_once() {
    let (server, expected) = listing().await;
    let client = test_client(&server.base_url).build().unwrap();
    let mut next_stop = stops();
    let mut saved: Option<String> = None;
    let mut delivered = Vec::new();
    let mut drops = 0;
    loop {
        let mut request = client.list_scheduled_calls(ids::AGENT, ids::BATCH);
        if let Some(text) = &saved {
            request = request.resume_after(&text.parse::<Position>().unwrap());
        }
        let mut rows = std::pin::pin!(request.stream_with_positions());
        let stop_after = next_stop();
        let mut taken = 0;
        let ended = loop {
            if taken == stop_after {
                break false;
            }
            match rows.try_next().await.unwrap() {
                Some(row) => {
                    delivered.push(serde_json::to_string(&row.item).unwrap());
                    saved = Some(row.position.to_string());
                    taken += 1;
                }
                None => break true,
            }
        };
        if ended {
            break;
        }
        drops += 1;
    }
    assert!(drops >= 100, "only {drops} drops");
    assert_eq!(delivered.len(), expected.len(), "rows lost or repeated");
    assert!(delivered == expected, "rows out of order, lost or repeated");
}

#[tokio::test]
async fn positions_name_the_page_and_the_row() {
    let (server, expected) = listing().await;
    let client = test_client(&server.base_url).build().unwrap();
    let rows: Vec<_> = client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .stream_with_positions()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), expected.len());
    for (n, row) in rows.iter().enumerate() {
        let page = n / ROWS_PER_PAGE + 1;
        let cursor = (page > 1).then(|| Cursor::from_raw(page.to_string()));
        assert_eq!(
            (row.position.cursor(), row.position.index()),
            (cursor, n % ROWS_PER_PAGE),
            "row {n}"
        );
        let listing = row.position.listing().unwrap();
        let expected = format!(
            "{} {}",
            ListScheduledCalls::NAME,
            support::samples::calls_path()
        );
        assert!(listing.starts_with(&expected), "{listing}");
    }
    // Resuming after the last row of a page starts the next page.
    let last_of_first = rows[ROWS_PER_PAGE - 1].position.clone();
    let rest: Vec<ScheduledCall> = client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .resume_after(&last_of_first)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), expected.len() - ROWS_PER_PAGE);
    assert_eq!(
        serde_json::to_string(&rest[0]).unwrap(),
        expected[ROWS_PER_PAGE]
    );
}

#[tokio::test]
async fn the_readme_job_handles_every_call_once_across_crashes() {
    let (server, expected) = listing().await;
    let client = test_client(&server.base_url).build().unwrap();
    let dir = tempfile_dir();
    let state = dir.join("job.state");
    let mut next_stop = stops();
    let mut handled = Vec::new();
    let mut crashes = 0;
    loop {
        // The handler fails before handling the n-th call of this run, as
        // a crash would stop the job there.
        let crash_at = next_stop();
        let mut seen = 0;
        let result = example::run_job(&client, ids::AGENT, ids::BATCH, &state, |call| {
            seen += 1;
            if seen == crash_at {
                return Err(std::io::Error::other("crash"));
            }
            handled.push(serde_json::to_string(call).unwrap());
            Ok(())
        })
        .await;
        match result {
            Ok(()) => break,
            Err(err) => assert_eq!(err.to_string(), "crash"),
        }
        crashes += 1;
        let saved = std::fs::read_to_string(&state).unwrap();
        assert!(saved.trim().parse::<Position>().is_ok(), "{saved:?}");
        assert!(
            !dir.join("job.state.tmp").exists(),
            "a temporary state file was left"
        );
    }
    assert!(crashes >= 100, "only {crashes} crashes");
    assert!(handled == expected, "calls lost, repeated or out of order");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory of this test's own.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ultravox-resume-job-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A cursor from outside (a saved position's) is sent as one query value:
/// `&…` in it adds no parameter.
#[tokio::test]
async fn a_saved_cursor_is_sent_as_one_query_value() {
    let targets = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = targets.clone();
    let server = LoopbackServer::start(move |target| {
        seen.lock().unwrap().push(target.to_owned());
        serde_json::to_vec(&page(realistic_rows(2), None)).unwrap()
    })
    .await;
    let client = test_client(&server.base_url).build().unwrap();
    let forged: Position = "0:abc&pageSize=999&status=EVIL".parse().unwrap();
    let rows: Vec<ScheduledCall> = client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .resume_after(&forged)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the row after index 0");
    let target = targets.lock().unwrap()[0].clone();
    let query = target.split_once('?').unwrap().1;
    let pairs: Vec<&str> = query.split('&').collect();
    assert_eq!(
        pairs,
        ["cursor=abc%26pageSize=999%26status=EVIL"],
        "{target}"
    );
}

/// A position saved from one batch's listing, given to another's, ends the
/// walk at once with an error naming both listings; no row is delivered.
/// One saved by an earlier release (`index:cursor`) names no listing and
/// resumes any.
#[tokio::test]
async fn a_position_resumes_only_its_own_listing() {
    let (server, expected) = listing().await;
    let client = test_client(&server.base_url).build().unwrap();
    let rows: Vec<_> = client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .stream_with_positions()
        .take_while(|row| {
            std::future::ready(row.as_ref().is_ok_and(|row| row.position.index() < 3))
        })
        .try_collect()
        .await
        .unwrap();
    let saved = rows.last().unwrap().position.to_string();
    let position: Position = saved.parse().unwrap();
    let other_batch = ultravox_client::Uuid::from_u128(7);
    let mut walk = std::pin::pin!(
        client
            .list_scheduled_calls(ids::AGENT, other_batch)
            .resume_after(&position)
            .stream()
    );
    let err = walk.try_next().await.expect_err("another listing");
    let shown = err.to_string();
    assert!(
        matches!(err.kind(), ultravox_client::ErrorKind::InvalidRequest(_))
            && shown.contains(&format!("a position of `{}", ListScheduledCalls::NAME))
            && shown.contains(&ids::BATCH.to_string())
            && shown.contains(&other_batch.to_string())
            && !shown.contains('…'),
        "{shown}"
    );
    assert!(walk.try_next().await.unwrap().is_none(), "nothing after");

    let old_format = format!("{}:", position.index());
    let rest: Vec<ScheduledCall> = client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .resume_after(&old_format.parse().unwrap())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), expected.len() - 3);
}

/// The exactly-once job (`examples/exactly_once_job.rs`), killed with
/// SIGKILL at random instants — while it starts, fetches, handles a call
/// or commits (its handler here waits a little between writing the effect
/// and the commit, to widen that window) — at least 100 times: every job,
/// once it finishes, has every call's effect once, in order. The instants
/// are drawn over the time a whole run takes on this machine, measured
/// first, so a loaded machine does not make every kill land at start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exactly_once_job_killed_at_random_instants_handles_each_call_once() {
    let (server, expected) = listing().await;
    // In memory where the machine has it: a kill, not a power cut, is what
    // is tested, and a commit's fsync there costs nothing.
    let memory = std::path::Path::new("/dev/shm");
    let base = if memory.is_dir() {
        memory.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("ultravox-exactly-once-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("job.sqlite");
    let exe = std::env::current_exe().unwrap();
    let child = || {
        std::process::Command::new(&exe)
            .args([
                "resume_rows::exactly_once_child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env("EXACTLY_ONCE_URL", &server.base_url)
            .env("EXACTLY_ONCE_DB", &db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // What the job has committed; nothing when a kill came after SQLite
    // made the file but before the job's schema was committed.
    let handled = || -> Vec<String> {
        let connection = rusqlite::Connection::open(&db).unwrap();
        let has_table: bool = connection
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'handled'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        if !has_table {
            return Vec::new();
        }
        let mut query = connection
            .prepare("SELECT call FROM handled ORDER BY rowid")
            .unwrap();
        query
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // A finished job has every call once, in order; then it starts over.
    let finished = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let calls = handled();
        assert_eq!(calls.len(), expected.len(), "calls lost or handled twice");
        assert!(calls == expected, "calls out of order, lost or repeated");
        std::fs::remove_file(&db).unwrap();
    };
    let started = std::time::Instant::now();
    finished(child().wait_with_output().unwrap());
    let whole_run = started.elapsed().as_millis().max(20) as u64;

    // A reproducible xorshift: a thousand distinct instants in the window.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut draw = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 1000
    };
    let (mut kills, mut kills_while_working, mut jobs) = (0, 0, 1);
    while kills < 100 {
        let before = if db.exists() { handled().len() } else { 0 };
        let mut running = child();
        // Anywhere in the first half of a whole run's time: before the job
        // starts, while it fetches, writes an effect or commits (a run that
        // resumes has less to do, and sometimes finishes first).
        let delay = whole_run * draw() / 2000;
        tokio::time::sleep(std::time::Duration::from_millis(delay.max(1))).await;
        if running.try_wait().unwrap().is_some() {
            finished(running.wait_with_output().unwrap());
            jobs += 1;
            continue;
        }
        running.kill().unwrap();
        running.wait().unwrap();
        kills += 1;
        if db.exists() && handled().len() > before {
            kills_while_working += 1;
        }
    }
    finished(child().wait_with_output().unwrap());
    assert!(
        kills_while_working >= 30,
        "only {kills_while_working} of {kills} kills came after the job had committed work"
    );
    assert!(jobs >= 2, "{jobs} jobs");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The job, in the child process the test above starts and kills.
#[test]
#[ignore = "run by the_exactly_once_job_killed_at_random_instants_handles_each_call_once"]
fn exactly_once_child() {
    let (Some(url), Some(db)) = (
        std::env::var_os("EXACTLY_ONCE_URL"),
        std::env::var_os("EXACTLY_ONCE_DB"),
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = test_client(url.to_str().unwrap()).build().unwrap();
    runtime
        .block_on(exactly_once::run_job(
            &client,
            ids::AGENT,
            ids::BATCH,
            std::path::Path::new(&db),
            |transaction, call| {
                exactly_once::record(transaction, call)?;
                std::thread::sleep(std::time::Duration::from_micros(300));
                Ok(())
            },
        ))
        .unwrap();
}
