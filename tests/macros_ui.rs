//! Compile-time behaviour of the macros: every mistake gets its message under
//! the offending token (`tests/ui/fail`, each `.rs` with its `.stderr`), and
//! tricky accepted forms compile and behave (`tests/ui/pass`).
//!
//! After an intended change of a message, regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test macros_ui` and read the diff.

#[test]
fn macros_ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
