//! What clients can send, through the engine: see tests/fuzz/targets.rs.
#![no_main]

#[path = "../../examples/conformance/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../../tests/fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

libfuzzer_sys::fuzz_target!(init: allow_expected_panic(), |input: &[u8]| {
    targets::requests(input);
});

/// libFuzzer's hook aborts on any panic, caught or not; the conformance
/// application's `fail` handler panics on purpose (the engine catches it
/// and answers `INTERNAL`), so that one panic is let through.
fn allow_expected_panic() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        if message != Some(targets::EXPECTED_PANIC) {
            abort(info);
        }
    }));
}
