//! A scripted HTTP/1.1 server on 127.0.0.1 for behaviour httpmock cannot
//! express: response sequences (retries), stalls, trickled bodies and resets,
//! over plain TCP or HTTPS (a test certificate for `localhost`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then never answer; counts the client hanging up
    /// (see [`ScriptedServer::hangups`]).
    Stall,
    /// Announce `body.len()` bytes, then send them one at a time, `every` apart.
    Trickle { body: Vec<u8>, every: Duration },
    /// Announce a body, send part of it, then reset the connection.
    ResetMidBody { announced: usize, sent: Vec<u8> },
    /// These bytes as the whole response, however malformed, then close.
    Bytes(Vec<u8>),
    /// A success head with `headers` announcing `announced` bytes, then
    /// only `sent`, then the connection closes (a body cut short); all of
    /// `sent` arrives.
    CutShort {
        headers: Vec<(String, String)>,
        announced: usize,
        sent: Vec<u8>,
    },
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::raw(status, "application/json", body.to_string().into_bytes())
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply::Http {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// The body of a complete response (empty for the other replies).
    pub fn body(&self) -> &[u8] {
        match self {
            Reply::Http { body, .. } => body,
            _ => &[],
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// The head of a request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// e.g. `/api/agents/…/scheduled_calls?cursor=c2`
    pub target: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct ScriptedServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    hangups: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// The test authority that signed the HTTPS server's certificate (DER),
/// for a client to trust.
pub const TEST_CERTIFICATE_AUTHORITY: &[u8] = include_bytes!("../fixtures/tls/ca.der");
const TEST_CERTIFICATE: &[u8] = include_bytes!("../fixtures/tls/cert.der");
const TEST_KEY: &[u8] = include_bytes!("../fixtures/tls/key.der");

impl ScriptedServer {
    /// Serves `script` in order, one reply per request; the last reply repeats.
    pub async fn start(script: Vec<Reply>) -> Self {
        Self::start_on(script, None).await
    }

    /// [`ScriptedServer::start`] over HTTPS, as `https://localhost:PORT`
    /// with a certificate of [`TEST_CERTIFICATE_AUTHORITY`].
    pub async fn start_https(script: Vec<Reply>) -> Self {
        let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(TEST_KEY.to_vec())
            .expect("the test key is PKCS#8 DER");
        let certificate =
            tokio_rustls::rustls::pki_types::CertificateDer::from(TEST_CERTIFICATE.to_vec());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .expect("the test certificate and key match");
        Self::start_on(
            script,
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        )
        .await
    }

    async fn start_on(script: Vec<Reply>, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let address = listener.local_addr().unwrap();
        let base_url = match tls {
            Some(_) => format!("https://localhost:{}", address.port()),
            None => format!("http://{address}"),
        };
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let recorded = requests.clone();
        let hangups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hung_up = hangups.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let reply = {
                    let mut script = script.lock().unwrap();
                    if script.len() > 1 {
                        script.pop_front().unwrap()
                    } else {
                        script[0].clone()
                    }
                };
                let (recorded, hung_up) = (recorded.clone(), hung_up.clone());
                match tls.clone() {
                    None => {
                        tokio::spawn(serve(stream, reply, recorded, hung_up));
                    }
                    Some(acceptor) => {
                        tokio::spawn(async move {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, reply, recorded, hung_up).await;
                            }
                        });
                    }
                }
            }
        });
        Self {
            base_url,
            requests,
            hangups,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many stalled requests the client gave up on (closed the connection).
    pub fn hangups(&self) -> usize {
        self.hangups.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection the server can reset (RST) rather than close.
trait Connection: AsyncRead + AsyncWrite + Unpin {
    fn reset_on_close(&self);
}

impl Connection for TcpStream {
    fn reset_on_close(&self) {
        // SO_LINGER 0 turns the close into a TCP RST.
        let _ = self.set_zero_linger();
    }
}

impl Connection for tokio_rustls::server::TlsStream<TcpStream> {
    fn reset_on_close(&self) {
        self.get_ref().0.reset_on_close();
    }
}

async fn serve(
    mut stream: impl Connection,
    reply: Reply,
    requests: Arc<Mutex<Vec<Recorded>>>,
    hangups: Arc<std::sync::atomic::AtomicUsize>,
) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    requests.lock().unwrap().push(request);
    // Write errors mean the client hung up (e.g. on a timeout): nothing to do.
    let _ = match reply {
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await
        }
        Reply::Stall => {
            let mut buffer = [0u8; 1024];
            let hung_up = async {
                while let Ok(read) = stream.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(3600), hung_up)
                .await
                .is_ok()
            {
                hangups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(())
        }
        Reply::Trickle { body, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let mut result = stream.write_all(head.as_bytes()).await;
            for byte in body {
                if result.is_err() {
                    break;
                }
                tokio::time::sleep(every).await;
                result = stream.write_all(&[byte]).await;
            }
            result
        }
        Reply::Bytes(bytes) => stream.write_all(&bytes).await,
        Reply::ResetMidBody { announced, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {announced}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            let _ = stream.flush().await;
            stream.reset_on_close();
            drop(stream);
            Ok(())
        }
        Reply::CutShort {
            headers,
            announced,
            sent,
        } => {
            let mut head = format!("HTTP/1.1 200 OK\r\ncontent-length: {announced}\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            let _ = stream.flush().await;
            // A plain close (over TLS: without close_notify), so that what
            // was sent arrives before the end does.
            drop(stream);
            Ok(())
        }
    };
}

async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let head = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Recorded { target, headers })
}

/// A keep-alive HTTP/1.1 server: `respond(target)` gives the 200 JSON body
/// for each request. Stops when dropped.
pub struct LoopbackServer {
    pub base_url: String,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// How a [`LoopbackServer`] treats a connection after a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterResponse {
    /// Keep it open for the next request.
    KeepAlive,
    /// Keep it, but close it without an answer when a second request
    /// arrives on it: what a server whose idle timeout fires just as the
    /// client reuses the connection does (the keep-alive race).
    CloseOnReuse,
    /// Wait this long before answering (a slow network).
    Delay(Duration),
}

impl LoopbackServer {
    pub async fn start(respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Self {
        Self::start_with(AfterResponse::KeepAlive, respond).await
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn start_with(
        behaviour: AfterResponse,
        respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let respond = Arc::new(respond);
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let respond = respond.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    // One write per response, no Nagle: otherwise delayed ACKs
                    // add ~40 ms per request and the benchmark measures TCP.
                    let _ = stream.set_nodelay(true);
                    let mut answered = 0;
                    while let Some(request) = read_head(&mut stream).await {
                        if behaviour == AfterResponse::CloseOnReuse && answered == 1 {
                            break;
                        }
                        answered += 1;
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if let AfterResponse::Delay(delay) = behaviour {
                            tokio::time::sleep(delay).await;
                        }
                        let body = respond(&request.target);
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        // Head and body in one vectored write, the body not
                        // copied: the memory benchmarks count this server's
                        // heap with the client's.
                        let mut response = Buf::chain(head.as_bytes(), &body[..]);
                        if stream.write_all_buf(&mut response).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Self {
            base_url,
            requests,
            task,
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The page number a request asks for: its `cursor=n` (1 without a cursor).
pub fn page_number(target: &str) -> usize {
    target
        .split_once("cursor=")
        .and_then(|(_, rest)| rest.split('&').next()?.parse().ok())
        .unwrap_or(1)
}

/// Serves `pages` pages of `rows_per_page` realistic rows: page `n` for
/// `cursor=n` (the first has no cursor), each `next` pointing at `n + 1`.
pub async fn paged_server(pages: usize, rows_per_page: usize) -> LoopbackServer {
    paged_server_with(AfterResponse::KeepAlive, pages, rows_per_page).await
}

/// [`paged_server`], treating connections as `behaviour` says.
pub async fn paged_server_with(
    behaviour: AfterResponse,
    pages: usize,
    rows_per_page: usize,
) -> LoopbackServer {
    let rows = serde_json::to_string(&crate::samples::realistic_rows(rows_per_page)).unwrap();
    let total = pages * rows_per_page;
    LoopbackServer::start_with(behaviour, move |target| {
        let n = page_number(target);
        let next = if n < pages {
            format!("\"https://api.ultravox.ai/next?cursor={}\"", n + 1)
        } else {
            "null".to_owned()
        };
        // Sized once: the memory benchmarks count this server's heap too.
        let mut page = String::with_capacity(rows.len() + next.len() + 64);
        write!(
            page,
            r#"{{"next":{next},"previous":null,"total":{total},"results":{rows}}}"#
        )
        .expect("writing to a String cannot fail");
        page.into_bytes()
    })
    .await
}

/// A server that answers every request with `body` (announcing its length
/// or sending it chunked), written from the one shared copy, so the heap
/// growth measured is the client's alone.
pub async fn static_body_server(body: Arc<Vec<u8>>, content_type: &str, announce: bool) -> String {
    let content_type = content_type.to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (body, content_type) = (body.clone(), content_type.clone());
            tokio::spawn(async move {
                let mut head = [0u8; 8192];
                let _ = stream.read(&mut head).await;
                let framing = if announce {
                    format!("content-length: {}", body.len())
                } else {
                    "transfer-encoding: chunked".to_owned()
                };
                // The connection is closed after the body: said, so that a
                // client never sends its next request down a closed socket.
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{framing}\r\n\
                     connection: close\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes()).await;
                if announce {
                    let _ = stream.write_all(&body).await;
                } else {
                    for chunk in body.chunks(64 * 1024) {
                        let size = format!("{:x}\r\n", chunk.len());
                        let _ = stream.write_all(size.as_bytes()).await;
                        let _ = stream.write_all(chunk).await;
                        let _ = stream.write_all(b"\r\n").await;
                    }
                    let _ = stream.write_all(b"0\r\n\r\n").await;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}
