//! The `feedwright` binary: parse the command line, set up logging, run, map the outcome to an exit code.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use feedwright::cli::{self, Cli, Error};
use feedwright::{config, logging, output};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and the version are answers, not errors; a usage error exits 64 (EX_USAGE), not
        // clap's 2, which for `once` means that some feeds failed. clap's printing returns its
        // write errors (a closed stream), it does not panic.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(Error::USAGE);
        }
    };
    // The `[log]` section is read before the configuration is loaded, so that loading logs too; a
    // file that cannot be read gives no choice here and is reported by the command itself.
    let settings = config::peek_log(&config::discover(cli.config.as_deref()));
    logging::init(cli.log_choice(), settings);
    let code = run(cli);
    // Queued log lines are written before the process ends, unless stderr is stuck.
    output::flush_stderr(Duration::from_secs(1));
    code
}

fn run(cli: Cli) -> ExitCode {
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
            output::error_lines(format_args!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let Err(error) = runtime.block_on(cli::run(cli)) else {
        return ExitCode::SUCCESS;
    };
    match &error {
        // Each failed feed was reported as it ended.
        Error::SomeFeedsFailed | Error::Relayed { text: None, .. } => {}
        Error::Config(e) => output::error_lines(format_args!(
            "{e}\n{} configuration error(s); nothing was started.",
            e.0.len()
        )),
        e => output::error_lines(format_args!("error: {e}")),
    }
    ExitCode::from(error.exit_code())
}
