//! The web page, embedded in the binary: `index.html`, the bundled script
//! and the style sheet, served next to the Socket.IO endpoint.

use axum::http::header;
use axum::response::Html;
use axum::routing::get;

/// The page.
pub const INDEX_HTML: &str = include_str!("web/index.html");
/// The page's script: `web/src/main.ts` and the generated client, bundled by
/// `npm run build` in `examples/chat/web`.
pub const APP_JS: &str = include_str!("web/dist/app.js");
/// The page's style.
pub const STYLE_CSS: &str = include_str!("web/style.css");

/// `/`, `/app.js` and `/style.css` (`/health` and `/ready` come with the
/// server's router).
pub fn routes() -> axum::Router {
    axum::Router::new()
        .route("/", get(|| async { Html(INDEX_HTML) }))
        .route(
            "/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    APP_JS,
                )
            }),
        )
        .route(
            "/style.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    STYLE_CSS,
                )
            }),
        )
}
