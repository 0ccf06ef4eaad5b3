//! The `feedwright` binary: parse the command line, set up logging, run, map the outcome to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use feedwright::cli::{self, Cli, Error};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and the version are answers, not errors; a usage error exits 64 (EX_USAGE), not
        // clap's 2, which for `once` means that some feeds failed.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(Error::USAGE);
        }
    };
    init_tracing();
    // Commands that run and exit use one thread: a run waits on the network far more than it
    // computes, and a second worker thread only added cross-thread wake-ups and a malloc arena
    // (measured: `once` over 26 pages went from 30 ms of CPU and 16 MiB to 15 ms and under 15 MiB).
    // The daemon serves HTTP while feeds are parsed, so it gets a worker per core.
    let mut builder = match cli.command {
        cli::Command::Run => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let Err(error) = runtime.block_on(cli::run(cli)) else {
        return ExitCode::SUCCESS;
    };
    match &error {
        // Each failed feed was reported as it ended.
        Error::SomeFeedsFailed | Error::Relayed { text: None, .. } => {}
        Error::Config(e) => eprintln!(
            "{e}\n{} configuration error(s); nothing was started.",
            e.0.len()
        ),
        e => eprintln!("error: {e}"),
    }
    ExitCode::from(error.exit_code())
}

/// Logs to stderr, one line per event; without timestamps under systemd, whose journal adds them.
fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // Colour only for a person at a terminal, and never with NO_COLOR (https://no-color.org):
    // a log appended to a file or read from a pipe gets plain text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.with_ansi(colour).init();
    }
}
