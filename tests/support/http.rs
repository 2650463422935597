//! Plain HTTP requests for the suites that test the HTTP API: a method, a
//! path, an optional bearer key and JSON body; the status, content type and
//! body back (as JSON when it reads as JSON).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// What a request got.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub json: Value,
    pub text: String,
}

/// A response's `content-type` (empty when it has none).
fn content_type<B>(response: &hyper::Response<B>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Sends `method url` with `Authorization: Bearer key` when given, and
/// `body` as JSON (or `raw` as is).
pub async fn send(method: &str, url: &str, key: Option<&str>, body: Option<&Value>) -> Reply {
    let raw = body.map(|b| b.to_string());
    send_raw(method, url, key, raw.as_deref()).await
}

/// Like [`send`], with a body sent as given.
pub async fn send_raw(method: &str, url: &str, key: Option<&str>, raw: Option<&str>) -> Reply {
    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let body = Full::new(Bytes::from(raw.unwrap_or_default().to_owned()));
    let response = http
        .request(request.body(body).expect("a request"))
        .await
        .expect("answers");
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        json,
        text,
    }
}

/// One server-sent event message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseMessage {
    /// `event:`, when not the default `message`.
    pub event: Option<String>,
    pub id: Option<String>,
    /// `data:` lines, joined with `\n`.
    pub data: String,
}

/// A server-sent event stream being read.
pub struct SseStream {
    body: hyper::body::Incoming,
    buffer: String,
}

/// Opens `GET url` as an event stream, with extra `headers`; the status, and
/// the stream when it is 200 (else the JSON body).
pub async fn open_stream(url: &str, headers: &[(&str, &str)]) -> Result<SseStream, Reply> {
    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .uri(url)
        .header("accept", "text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = http
        .request(request.body(Full::new(Bytes::new())).expect("a request"))
        .await
        .expect("answers");
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    if status != 200 {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Err(Reply {
            status,
            content_type,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        });
    }
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    Ok(SseStream {
        body: response.into_body(),
        buffer: String::new(),
    })
}

impl SseStream {
    /// The next message (comments skipped), within `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<SseMessage> {
        tokio::time::timeout(wait, self.read()).await.ok().flatten()
    }

    async fn read(&mut self) -> Option<SseMessage> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = SseMessage::default();
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                    } else if let Some(value) = line.strip_prefix("event:") {
                        message.event = Some(value.trim().to_owned());
                    } else if let Some(value) = line.strip_prefix("id:") {
                        message.id = Some(value.trim().to_owned());
                    }
                }
                if data.is_empty() && message.event.is_none() {
                    continue; // a comment, or only `retry:`
                }
                message.data = data.join("\n");
                return Some(message);
            }
            let frame = self.body.frame().await?.ok()?;
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
}
