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

/// Has mimalloc give freed memory back to the system after 10 ms rather than a second: a
/// sync frees each page's JSON and records as the next arrive, and with the default delay
/// that memory piles up (100,000-employee first sync: peak RSS 274 -> 217 MB). Not at once
/// (0): pages arrive every few milliseconds, and memory given back that soon is faulted in
/// and zeroed again for the next page (10,000-employee first sync: 0.2 s of kernel time
/// instead of 0.1 s, wall 0.89-1.06 s instead of 0.75-0.78 s; peak RSS at 100,000: 200 MB).
/// `MIMALLOC_PURGE_DELAY` in the environment still wins: an operator's value is kept.
/// Not for the simulator: it builds and frees a large JSON body per request, and giving
/// that back to the system every time halves its speed (10,000 employees: 0.40 -> 0.9 s).
#[allow(unsafe_code)]
fn purge_freed_memory_soon() {
    // `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys exports no
    // constant for it). Its default there is 1,000 (ms, src/options.c): only when the
    // option reads that is it the one meant and not set by the operator.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const DELAY_MS: std::ffi::c_long = 10;
    // SAFETY: mi_option_get and mi_option_set only read and write mimalloc's option table;
    // they take plain integers and may be called from any thread at any time.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, DELAY_MS);
        }
    }
}

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::PersonioSim(_)) {
        purge_freed_memory_soon();
    }
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
