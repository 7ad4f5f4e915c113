//! The `staffsync` binary: parses the command line and hands over to a command.
//! Thin on purpose: everything it runs lives in a library crate or in `commands/`.

mod cli;
mod commands;
mod exit;
mod output;

use clap::Parser;

// A sync allocates millions of small strings (names, attribute values, group names) and
// frees them together; mimalloc does that in well under half the time of glibc's malloc
// (planner bench, 100,000 employees: 170 -> 97 ms), see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::FAILED.into();
        }
    };
    let code = runtime.block_on(commands::run(cli));
    code.into()
}
