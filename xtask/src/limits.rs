//! Work on a document is bounded by time and memory, not only by counts: a
//! small document can still make the generator run for minutes or take
//! gigabytes (an `allOf` of a few two-way `oneOf`s grows exponentially).
//! So every stage that parses or generates from a document (parse, derive,
//! typify/progenitor, formatting, the report) runs in a child process of
//! the xtask (the same binary, told so by [`JOB_ENV`]) whose address space
//! is capped with `RLIMIT_AS` and which is killed at a wall-clock
//! deadline. A document over either limit is refused, naming the stage it
//! was in and the limit; the parent, small and unharmed, reports it.
//!
//! The defaults (45 s, 1 GiB) are about a hundred and ten times what the
//! real document needs (its sync takes about 0.4 s and 60 MB; it passes
//! under a 128 MiB cap), and keep a refusal inside a minute on the 2-core
//! machine; `--budget FACTOR` multiplies them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Serialize, de::DeserializeOwned};

/// Set in the child: the path of its job (JSON).
pub const JOB_ENV: &str = "XTASK_LIMITED_JOB";
/// Set in the child: where it writes its outcome (JSON).
const OUTCOME_ENV: &str = "XTASK_LIMITED_OUTCOME";
/// Set in the child: its address-space cap, in bytes.
const MEMORY_ENV: &str = "XTASK_LIMITED_MEMORY";
/// The prefix of the lines by which the child says which stage it is in.
const STAGE_PREFIX: &str = "xtask-stage: ";

/// The limits of one document's work.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub wall: Duration,
    pub memory: u64,
}

impl Caps {
    /// These caps, times `factor`.
    pub fn times(self, factor: u32) -> Self {
        let factor = factor.max(1);
        Self {
            wall: self.wall.saturating_mul(factor),
            memory: self.memory.saturating_mul(u64::from(factor)),
        }
    }
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            wall: Duration::from_secs(45),
            memory: 1 << 30,
        }
    }
}

static CAPS: std::sync::OnceLock<Caps> = std::sync::OnceLock::new();

/// Sets the caps of this run (`--time-limit`, `--memory-limit`, times
/// `--budget`), once, before any work.
pub fn set_caps(caps: Caps) {
    let _ = CAPS.set(caps);
}

/// The caps of this run.
pub fn caps() -> Caps {
    CAPS.get().copied().unwrap_or_default()
}

/// What the child sends back.
#[derive(Serialize, serde::Deserialize)]
enum Outcome<T> {
    Done(T),
    Refused(String),
}

/// Runs `job` in a child process of this binary, under `caps`; the child's
/// `main` hands it to the function that [`child_job`] names. `what` names
/// the work in messages (`openapi/ultravox.json`).
pub fn run<J: Serialize, T: DeserializeOwned>(
    kind: &str,
    job: &J,
    caps: Caps,
    what: &str,
) -> Result<T> {
    let dir = tempfile::tempdir().context("cannot make a directory for the limited child")?;
    let job_path = dir.path().join("job.json");
    let outcome_path = dir.path().join("outcome.json");
    let stderr_path = dir.path().join("stderr");
    let job_text = serde_json::json!({ "kind": kind, "job": job });
    std::fs::write(&job_path, job_text.to_string())
        .with_context(|| format!("cannot write {}", job_path.display()))?;
    let stderr = std::fs::File::create(&stderr_path)
        .with_context(|| format!("cannot create {}", stderr_path.display()))?;
    let program = std::env::current_exe().context("cannot find the xtask's own binary")?;
    let mut child = std::process::Command::new(&program)
        .env(JOB_ENV, &job_path)
        .env(OUTCOME_ENV, &outcome_path)
        .env(MEMORY_ENV, caps.memory.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .context("cannot wait for the limited child")?
        {
            break Some(status);
        }
        if started.elapsed() >= caps.wall {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let stage = log
        .lines()
        .filter_map(|line| line.strip_prefix(STAGE_PREFIX))
        .next_back()
        .unwrap_or("start")
        .to_owned();
    // What the child printed besides its stages (already encoded there).
    let printed: String = log
        .lines()
        .filter(|line| !line.starts_with(STAGE_PREFIX))
        .map(|line| format!("{line}\n"))
        .collect();
    let Some(status) = status else {
        bail!(
            "{what}: the {stage} stage ran over its time limit of {} s and was stopped; the \
             document asks for more work than an API of its size needs. If it really is that \
             big, run again with `--budget 2` (or more)",
            caps.wall.as_secs()
        );
    };
    match std::fs::read_to_string(&outcome_path) {
        Ok(text) => {
            crate::sinks::terminal::err(&printed);
            let outcome: Outcome<T> = serde_json::from_str(&text)
                .with_context(|| format!("the limited child's outcome for {what} is damaged"))?;
            match outcome {
                Outcome::Done(value) => Ok(value),
                Outcome::Refused(message) => Err(anyhow!(message)),
            }
        }
        Err(_) if out_of_memory(&printed, status) => bail!(
            "{what}: the {stage} stage ran over its memory limit of {} MiB and was stopped; the \
             document asks for more memory than an API of its size needs. If it really is that \
             big, run again with `--budget 2` (or more)",
            caps.memory >> 20
        ),
        Err(_) => bail!(
            "{what}: the {stage} stage ended without an outcome ({status}): {}",
            printed.lines().last().unwrap_or("no output")
        ),
    }
}

/// Whether the child died of the address-space cap: an allocation failed
/// (Rust aborts saying so), or it was killed by SIGABRT/SIGSEGV with
/// nothing else said.
fn out_of_memory(printed: &str, status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    printed.contains("memory allocation of")
        || printed.contains("capacity overflow")
        || matches!(status.signal(), Some(6 | 11))
}

/// In the child: its kind and job, if this process is one. The memory cap
/// is in force once this returns.
pub fn child_job() -> Option<Result<(String, serde_json::Value)>> {
    let path = PathBuf::from(std::env::var_os(JOB_ENV)?);
    Some(read_job(&path))
}

fn read_job(path: &Path) -> Result<(String, serde_json::Value)> {
    if let Some(memory) = std::env::var(MEMORY_ENV)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
    {
        let limit = rustix::process::Rlimit {
            current: Some(memory),
            maximum: Some(memory),
        };
        rustix::process::setrlimit(rustix::process::Resource::As, limit)
            .context("cannot cap the child's memory (setrlimit RLIMIT_AS)")?;
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?;
    let kind = value["kind"].as_str().unwrap_or_default().to_owned();
    Ok((kind, value["job"].take()))
}

/// In the child: sends `result` back to the parent.
pub fn finish<T: Serialize>(result: Result<T>) -> Result<()> {
    let path = std::env::var_os(OUTCOME_ENV).context("the limited child has no outcome path")?;
    let outcome = match result {
        Ok(value) => Outcome::Done(value),
        Err(err) => Outcome::Refused(format!("{err:#}")),
    };
    let text = serde_json::to_string(&outcome).context("the outcome does not serialize")?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `#[serde(with = "crate::limits::by_file")]` for the generated files
/// (path, contents) of an outcome: each file's contents cross as a file of
/// its own beside the outcome, not as an escaped JSON string (the
/// unoptimized xtask would spend tens of milliseconds escaping a megabyte).
pub mod by_file {
    use std::path::PathBuf;

    use serde::{
        Deserialize, Deserializer, Serialize, Serializer, de::Error as _, ser::Error as _,
    };

    pub fn serialize<S: Serializer>(
        files: &[(PathBuf, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let outcome = std::env::var_os(super::OUTCOME_ENV)
            .map(PathBuf::from)
            .ok_or_else(|| S::Error::custom("not in a limited child"))?;
        let mut crossing = Vec::with_capacity(files.len());
        for (index, (path, contents)) in files.iter().enumerate() {
            let side = outcome.with_extension(format!("file-{index}"));
            std::fs::write(&side, contents)
                .map_err(|err| S::Error::custom(format!("{}: {err}", side.display())))?;
            crossing.push((path, side));
        }
        crossing.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(PathBuf, String)>, D::Error> {
        let crossing: Vec<(PathBuf, PathBuf)> = Vec::deserialize(deserializer)?;
        crossing
            .into_iter()
            .map(|(path, side)| {
                std::fs::read_to_string(&side)
                    .map(|contents| (path, contents))
                    .map_err(|err| D::Error::custom(format!("{}: {err}", side.display())))
            })
            .collect()
    }
}

/// Says which stage the work is in (in the child; nothing otherwise).
pub fn stage(name: &str) {
    if std::env::var_os(JOB_ENV).is_some() {
        crate::sinks::terminal::err(&format!("{STAGE_PREFIX}{name}\n"));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn caps_scale_with_the_budget() {
        let caps = super::Caps::default().times(3);
        assert_eq!(caps.wall.as_secs(), 135);
        assert_eq!(caps.memory, 3 << 30);
        assert_eq!(super::Caps::default().times(0).wall.as_secs(), 45);
    }
}
