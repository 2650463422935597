//! Writes the frontend's TypeScript (`web/src/generated/`) from the
//! declarations crate on every build: only the files whose contents change
//! are written, and Cargo runs this again when one of them is edited or
//! deleted. `tests/codegen.rs` checks that the checked-in files are current.

fn main() {
    if let Err(error) = dialogue_codegen::build(build_step_spec::spec(), "web/src/generated") {
        // A build script reports with `cargo:warning` and fails the build.
        println!("cargo:warning=cannot generate the frontend's TypeScript: {error}");
        std::process::exit(1);
    }
}
