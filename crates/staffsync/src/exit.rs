//! Exit codes, part of the command line's contract with scripts and operators.

use std::process::ExitCode;

/// Done.
pub const OK: Code = Code(0);
/// Failed; nothing was changed.
pub const FAILED: Code = Code(1);
/// Bad usage (clap uses 2 too).
pub const USAGE: Code = Code(2);
/// Held by the deletion guard; nothing was changed.
pub const HELD: Code = Code(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub u8);

impl From<Code> for ExitCode {
    fn from(c: Code) -> Self {
        ExitCode::from(c.0)
    }
}

/// Bad usage that only a command can see (e.g. a secret given neither as a flag nor in the
/// environment): printed like any error, but the exit code is [`USAGE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
