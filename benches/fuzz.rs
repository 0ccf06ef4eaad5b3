//! The fuzz harness's long run (`tests/fuzz.rs` holds the targets and the mutator): every target
//! gets `FUZZ_CASES` mutated inputs (default 1,000,000) from `FUZZ_SEED` (default 1); the counts,
//! the time and each crash are printed, and each crash's input is written under
//! `target/fuzz-crashes/` to become a regression test. `FUZZ_TARGET=name` runs one target.
//!
//! ```sh
//! cargo bench --bench fuzz                       # all six targets, 10^6 cases each
//! FUZZ_CASES=10000 cargo bench --bench fuzz      # a quick pass
//! ```

#[path = "../tests/fuzz.rs"]
#[allow(dead_code)]
mod fuzz;

fn main() {
    let env = |k: &str| std::env::var(k).ok();
    let cases: u64 = env("FUZZ_CASES")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = env("FUZZ_SEED").and_then(|v| v.parse().ok()).unwrap_or(1);
    let only = env("FUZZ_TARGET");
    let mut total_crashes = 0;
    for target in fuzz::targets() {
        if only.as_deref().is_some_and(|o| !target.name.contains(o)) {
            continue;
        }
        let start = std::time::Instant::now();
        let found = fuzz::fuzz(&target, cases, seed);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<18} {:>9} cases  {:>8.1} s  {:>9.0} cases/s  {} crash(es)",
            target.name,
            found.cases,
            secs,
            found.cases as f64 / secs.max(1e-9),
            found.crashes.len()
        );
        for (i, (input, why)) in found.crashes.iter().enumerate() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{}-{seed}-{i}.txt", target.name.replace(' ', "-")));
            let _ = std::fs::write(&file, input);
            println!("  crash {i}: {why}\n  input: {}", file.display());
        }
        total_crashes += found.crashes.len();
    }
    println!("seed {seed}: {total_crashes} crash(es) in all");
}
