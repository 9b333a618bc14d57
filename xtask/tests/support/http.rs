//! A scripted HTTP/1.1 server on 127.0.0.1, one thread, for the download
//! tests: each request gets the next reply of the script (the last one
//! repeats), and its head is recorded.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request.
#[derive(Clone)]
pub enum Reply {
    /// A complete response.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then say nothing for this long.
    Stall(Duration),
    /// A 200 whose `Content-Length` announces more than `body`, then the
    /// connection closes: a body cut short.
    Short { announced: usize, body: Vec<u8> },
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply::status(200, body)
    }

    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

pub struct Server {
    pub url: String,
    /// Each request's head lines (request line first), lower-cased names.
    requests: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Server {
    /// Serves `script` at `http://127.0.0.1:PORT/api/schema/`.
    pub fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/schema/", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        std::thread::spawn(move || {
            let mut script = script.into_iter().peekable();
            let mut last = None;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    head.push(line.trim().to_owned());
                }
                recorded.lock().unwrap().push(head);
                let reply = match script.next() {
                    Some(reply) => {
                        last = Some(reply.clone());
                        reply
                    }
                    None => last.clone().unwrap(),
                };
                match reply {
                    Reply::Stall(time) => std::thread::sleep(time),
                    Reply::Short { announced, body } => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {announced}\r\nconnection: close\r\n\r\n"
                        );
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(&body);
                    }
                    Reply::Http {
                        status,
                        headers,
                        body,
                    } => {
                        let mut response = format!(
                            "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            response.push_str(&format!("{name}: {value}\r\n"));
                        }
                        response.push_str("\r\n");
                        let _ = stream.write_all(response.as_bytes());
                        let _ = stream.write_all(&body);
                    }
                }
            }
        });
        Self { url, requests }
    }

    pub fn requests(&self) -> Vec<Vec<String>> {
        self.requests.lock().unwrap().clone()
    }

    /// The value of header `name` in request `index`.
    pub fn header(&self, index: usize, name: &str) -> Option<String> {
        let requests = self.requests();
        requests.get(index)?.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}
