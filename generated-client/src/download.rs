//! Reading a binary body as it arrives (an operation whose success is not
//! JSON, such as a call's recording): into any `AsyncWrite`, or as a
//! stream of byte chunks. Memory stays at one chunk whatever the size; a
//! body cut short is an error, never a short file presented as whole; a
//! failure part-way is resumed with `Range` when the server said it can.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_TYPE};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::call::{DownloadCall, Fingerprinting};
use crate::error::{Error, ErrorKind};
use crate::operation::Download;
use crate::request::Request;

/// How far a download has come, for [`Request::on_progress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes received so far.
    pub received: u64,
    /// The whole body's length, when the server announced it.
    pub total: Option<u64>,
}

/// What [`Request::download_to`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// The bytes written: the whole body.
    pub bytes: u64,
    /// The body's `Content-Type`, when the server sent one (`audio/wav`).
    pub content_type: Option<String>,
    /// How many times the download went on with `Range` after a failure.
    pub resumes: u32,
}

/// The callback of [`Request::on_progress`].
pub(crate) type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

impl<'a, Op: Download> Request<'a, Op> {
    /// Calls `observe` after each chunk of the body arrives (and once at
    /// the start), with the bytes so far and the total when known.
    pub fn on_progress(mut self, observe: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(observe));
        self
    }

    /// Streams the body into `writer`, then flushes it.
    ///
    /// - Memory stays at one chunk, whatever the size.
    /// - The request's timeouts apply: [`Request::timeout`] to each
    ///   attempt, body included (raise it for a large body),
    ///   [`Request::operation_timeout`] to the whole download.
    /// - A body that ends before its announced length, or fails part-way
    ///   in a way worth another try, goes on from the next byte with
    ///   `Range` when the server answered with `Accept-Ranges: bytes`, up
    ///   to the request's retries; otherwise it is
    ///   [`ErrorKind::Incomplete`]: what was written is not the whole
    ///   body, and the download must start over.
    ///
    /// Write to a temporary file and rename it into place once this
    /// returns `Ok`, so that no partial file is ever taken for a whole one.
    pub async fn download_to<W>(self, writer: &mut W) -> Result<Downloaded, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut body = std::pin::pin!(self.body());
        let mut written = 0u64;
        let mut head = None;
        while let Some(piece) = body.next().await {
            match piece? {
                Piece::Head(content_type) => head = content_type,
                Piece::Chunk(chunk) => {
                    writer.write_all(&chunk).await.map_err(|err| {
                        Error::from(ErrorKind::Write(err)).in_operation(Op::NAME, true)
                    })?;
                    written += chunk.len() as u64;
                }
                Piece::End { resumes } => {
                    writer.flush().await.map_err(|err| {
                        Error::from(ErrorKind::Write(err)).in_operation(Op::NAME, true)
                    })?;
                    return Ok(Downloaded {
                        bytes: written,
                        content_type: head,
                        resumes,
                    });
                }
            }
        }
        unreachable!("the body stream ends with `End` or an error")
    }

    /// The body as a stream of byte chunks, resumed as
    /// [`Request::download_to`] says; it ends after the last byte, or
    /// with an error.
    pub fn byte_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'a {
        self.body().filter_map(|piece| async move {
            match piece {
                Ok(Piece::Chunk(chunk)) => Some(Ok(chunk)),
                Ok(Piece::Head(_) | Piece::End { .. }) => None,
                Err(err) => Some(Err(err)),
            }
        })
    }

    /// The body's pieces: the head once, the chunks, then the end.
    fn body(self) -> impl Stream<Item = Result<Piece, Error>> + Send + 'a {
        let state = Body {
            request: self,
            chunks: None,
            received: 0,
            total: None,
            resumable: false,
            resumes: 0,
            deadline: None,
            max_retries: 0,
            done: false,
        };
        futures_util::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let piece = state.next().await;
            if !matches!(piece, Ok(Piece::Chunk(_) | Piece::Head(_))) {
                state.done = true;
            }
            Some((piece, state))
        })
    }
}

enum Piece {
    Head(Option<String>),
    Chunk(Bytes),
    End { resumes: u32 },
}

type Chunks = std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// A download in progress.
struct Body<'a, Op: Download> {
    request: Request<'a, Op>,
    chunks: Option<Chunks>,
    received: u64,
    total: Option<u64>,
    /// The server answered with `Accept-Ranges: bytes`.
    resumable: bool,
    resumes: u32,
    /// The operation timeout's end, and the timeout.
    deadline: Option<(tokio::time::Instant, std::time::Duration)>,
    max_retries: usize,
    done: bool,
}

impl<Op: Download> Body<'_, Op> {
    async fn next(&mut self) -> Result<Piece, Error> {
        let Some(chunks) = self.chunks.as_mut() else {
            return self.start().await;
        };
        let next = match self.deadline {
            Some((deadline, _)) => match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(next) => next,
                Err(_) => return Err(self.timed_out()),
            },
            None => chunks.next().await,
        };
        let failure = match next {
            Some(Ok(chunk)) => {
                self.received += chunk.len() as u64;
                if self.total.is_some_and(|total| self.received > total) {
                    return Err(self.incomplete("the body is longer than announced".to_owned()));
                }
                self.report();
                return Ok(Piece::Chunk(chunk));
            }
            None => match self.total {
                Some(total) if self.received < total => "the body ended early".to_owned(),
                _ => {
                    return Ok(Piece::End {
                        resumes: self.resumes,
                    });
                }
            },
            Some(Err(err)) => {
                // The URL may be a signed storage URL: kept out of errors.
                let err = err.without_url();
                if !crate::retry::is_retried(crate::retry::class_of_transport(&err), true) {
                    return Err(
                        Error::from(ErrorKind::from_transport(err)).in_operation(Op::NAME, true)
                    );
                }
                format!("the body failed: {}", crate::error::chain(&err))
            }
        };
        let retries = self.max_retries;
        if !self.resumable {
            return Err(self.incomplete(format!(
                "{failure}; the server did not announce Accept-Ranges, so it cannot resume"
            )));
        }
        if self.resumes as usize >= retries {
            return Err(
                self.incomplete(format!("{failure}; resumed {} times already", self.resumes))
            );
        }
        tracing::debug!(received = self.received, failure = %failure, "resuming the download");
        self.resumes += 1;
        self.chunks = None;
        // The resumed request counts against the first one's deadline.
        match self.deadline {
            Some((deadline, _)) => match tokio::time::timeout_at(deadline, self.start()).await {
                Ok(piece) => piece,
                Err(_) => Err(self.timed_out()),
            },
            None => self.start().await,
        }
    }

    /// Sends the request (from the next byte, when resuming).
    async fn start(&mut self) -> Result<Piece, Error> {
        let download = DownloadCall {
            follows_redirect: Op::FOLLOWS_REDIRECT,
            from: (self.received > 0).then_some(self.received),
        };
        let mut request = self.request.clone();
        request.options.download = Some(download);
        let (response, sent) = request.fetch(false, Fingerprinting::Off).await;
        let response = response?;
        let first = self.resumes == 0;
        if first && let Some(ran) = sent.limits {
            self.deadline = ran.deadline;
            self.max_retries = ran.max_retries;
        }
        let headers = response.headers();
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        self.resumable = headers
            .get(ACCEPT_RANGES)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.split(',').any(|unit| unit.trim() == "bytes"));
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if first {
            self.total = length;
        }
        self.chunks = Some(response.into_inner_stream());
        if first {
            self.report();
            Ok(Piece::Head(content_type))
        } else {
            Box::pin(self.next()).await
        }
    }

    fn report(&self) {
        if let Some(observe) = &self.request.progress {
            observe(Progress {
                received: self.received,
                total: self.total,
            });
        }
    }

    fn incomplete(&self, reason: String) -> Error {
        Error::from(ErrorKind::Incomplete {
            received: self.received,
            expected: self.total,
            reason,
        })
        .in_operation(Op::NAME, true)
    }

    fn timed_out(&self) -> Error {
        let limit = self.deadline.map(|(_, limit)| limit).unwrap_or_default();
        Error::from(ErrorKind::OperationTimeout { limit }).in_operation(Op::NAME, true)
    }
}
