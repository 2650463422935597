//! Any bytes through the engine.io and socket.io packet decoders: see
//! tests/fuzz/targets.rs.
#![no_main]

#[path = "../../examples/conformance/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../../tests/fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    targets::packets(input);
});
