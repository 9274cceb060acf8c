//! The exit codes README's "Commands" section lists, defined once for every command.

use std::process::ExitCode;

/// How a command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success; no findings at error level; no difference.
    Success,
    /// 1: findings at error level (`check`, `validate`).
    Findings,
    /// 1: a difference (`render --check`, `diff`).
    Difference,
    /// 2: bad usage, bad input, or the command could not run.
    BadInput,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Findings | Exit::Difference => 1,
            Exit::BadInput => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_of_cli_md() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::Findings.code(), 1);
        assert_eq!(Exit::Difference.code(), 1);
        assert_eq!(Exit::BadInput.code(), 2);
    }
}
