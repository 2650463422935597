//! The conformance server: the fixed application of `../shared/CONFORMANCE.md`
//! that end-to-end tests, clients and benchmarks run against.
//!
//! Run: `cargo run --release --example conformance`
//!
//! Until the runtime serves it (the Serve issue), this prints the spec model
//! the declarations produce.

mod app;

use dialogue_runtime::DialogueApp;

fn main() {
    print!(
        "{}",
        dialogue_codegen::spec_json(app::ConformanceApp::spec())
    );
}
