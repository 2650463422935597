//! The build-step example: a server whose declarations live in a crate of
//! their own (`build-step-spec`), and whose `build.rs` writes the
//! frontend's TypeScript from them, so `cargo build` keeps
//! `web/src/generated/` current (docs/codegen.md, "In a build script").
//!
//! ```sh
//! cargo run --manifest-path examples/build-step/server/Cargo.toml   # serves on http://127.0.0.1:3000 (PORT changes it)
//! ```

use build_step_spec::BoardApp;
use dialogue_runtime::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dialogue = Dialogue::<BoardApp>::builder().build()?;
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    dialogue.serve_on(listener).await?;
    Ok(())
}
