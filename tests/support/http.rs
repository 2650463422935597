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
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
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
