//! The fuzz targets' bounded run (docs/reliability.md): every committed
//! corpus input, then a few thousand inputs mutated from them with a fixed
//! seed, so that CI keeps the targets and their checks alive. The long,
//! coverage-guided run is `fuzz/run.sh` (cargo-fuzz).
//!
//! `DIALOGUE_FUZZ_INPUTS` sets how many mutated inputs each target runs
//! (default 1,500) and `DIALOGUE_FUZZ_SEED` the seed (a failure prints it).

#[path = "../examples/conformance/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

/// The corpus of `target`, sorted by name.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} has no inputs", dir.display());
    inputs
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The conformance application's `fail` handler panics on purpose (the
/// engine answers `INTERNAL`): that one panic is not printed.
fn quiet_expected_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        if message != Some(targets::EXPECTED_PANIC) {
            default(info);
        }
    }));
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// JSON values and fragments that find edge cases: limits, wrong types,
/// odd strings, deep nesting.
fn interesting() -> Vec<String> {
    let mut values: Vec<String> = [
        "-1",
        "0",
        "1e309",
        "-0",
        "18446744073709551616",
        "9007199254740993",
        "4294967296",
        "\"\"",
        "null",
        "true",
        "[]",
        "{}",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"chat\"",
        "\"*\"",
        "\"doc:x\"",
        "\"doc:\"",
        "\"lobby\"",
        "\"small\"",
        "\"message\"",
        "\"order:updated\"",
        "{\"epoch\":\"\",\"seq\":18446744073709551615}",
        "{\"__proto__\":{\"x\":1}}",
        "\"user1\"",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    values.push(format!("\"{}\"", "x".repeat(70_000)));
    values.push(format!("\"{}\"", "é".repeat(300)));
    values.push(format!("{}1{}", "[".repeat(300), "]".repeat(300)));
    values.push(format!("[{}0]", "0,".repeat(5_000)));
    values
}

/// One mutation of `input`, drawing on the other inputs.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], values: &[String]) {
    match rng.below(8) {
        // A JSON value after a `:`, `[` or `,` replaced.
        0..=2 => {
            let marks: Vec<usize> = input
                .iter()
                .enumerate()
                .filter(|(_, b)| matches!(b, b':' | b'[' | b','))
                .map(|(i, _)| i + 1)
                .collect();
            if marks.is_empty() {
                return;
            }
            let start = *rng.pick(&marks);
            let end = input[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']'))
                .map_or(input.len(), |n| start + n);
            let value = rng.pick(values).as_bytes().to_vec();
            input.splice(start..end, value);
        }
        // A byte changed.
        3 => {
            if !input.is_empty() {
                let at = rng.below(input.len());
                input[at] = rng.next() as u8;
            }
        }
        // A range deleted.
        4 => {
            if !input.is_empty() {
                let start = rng.below(input.len());
                let end = (start + rng.below(16)).min(input.len());
                input.drain(start..end);
            }
        }
        // A line of another input appended, under another client maybe.
        5 => {
            let other = rng.pick(seeds);
            let lines: Vec<&[u8]> = other.split(|b| *b == b'\n').collect();
            let mut line = rng.pick(&lines).to_vec();
            if line.len() > 1 && line[0].is_ascii_digit() && rng.below(2) == 0 {
                line[0] = b'0' + rng.below(4) as u8;
            }
            input.push(b'\n');
            input.extend(line);
        }
        // A disconnection or resume somewhere.
        6 => {
            let slot = b'0' + rng.below(4) as u8;
            let op = *rng.pick(b"-~^");
            let lines: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
            let at = rng.below(lines.len() + 1);
            let mut out: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
            out.insert(at, vec![slot, op]);
            *input = out.join(&b'\n');
        }
        // Cut short.
        _ => {
            let len = rng.below(input.len() + 1);
            input.truncate(len);
        }
    }
}

/// Runs `target` on its corpus, then on `DIALOGUE_FUZZ_INPUTS` mutants.
fn run(name: &str, target: impl Fn(&[u8])) -> u64 {
    quiet_expected_panic();
    let seeds: Vec<Vec<u8>> = corpus(name).into_iter().map(|(_, b)| b).collect();
    for (path, input) in corpus(name) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(&input)));
        assert!(outcome.is_ok(), "{} failed", path.display());
    }
    let inputs = setting("DIALOGUE_FUZZ_INPUTS", 1_500);
    let seed = setting("DIALOGUE_FUZZ_SEED", 0x005e_edd1_a106);
    let mut rng = Rng(seed | 1);
    let values = interesting();
    for n in 0..inputs {
        let mut input = rng.pick(&seeds).clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut input, &seeds, &values);
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(&input)));
        assert!(
            outcome.is_ok(),
            "{name}: mutant {n} of seed {seed:#x} failed; its input:\n{}",
            String::from_utf8_lossy(&input)
        );
    }
    seeds.len() as u64 + inputs
}

#[test]
fn requests_answer_every_input_with_a_documented_code() {
    let seen = std::sync::Mutex::new(targets::Seen::default());
    let inputs = run("requests", |input| {
        let one = targets::requests(input);
        seen.lock().unwrap().add(&one);
    });
    let seen = seen.into_inner().unwrap();
    // The corpus and its mutants reach the engine's refusals, not only the
    // decoder's: a change that made every input fail early would show here.
    for code in [
        "INVALID_REQUEST",
        "ROOM_NOT_FOUND",
        "ROOM_FULL",
        "NOT_IN_ROOM",
        "VALIDATION_FAILED",
        "EVENT_NOT_ALLOWED",
        "ROOM_EXISTS",
        "INTERNAL",
        "TOO_BIG",
    ] {
        assert!(
            seen.codes.get(code).is_some_and(|n| *n > 0),
            "no input was answered {code}: {:?}",
            seen.codes
        );
    }
    eprintln!(
        "requests: {inputs} inputs, {} steps, {} packets sent, {} handshakes refused, codes {:?}",
        seen.steps, seen.sent, seen.refused, seen.codes
    );
}

#[test]
fn packets_decode_any_bytes_without_panicking() {
    let inputs = run("packets", targets::packets);
    assert!(inputs > 0);
}
