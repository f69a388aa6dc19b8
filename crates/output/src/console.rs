//! Where text output goes: stdout for the log, stderr for warnings and the live status line,
//! with Ansible's colours when they are wanted.
//!
//! The status line lives on stderr's last line; every write first erases it and then draws it
//! again, so the log itself never contains a trace of it.

use std::io::{IsTerminal, Write};

/// Ansible's default colours (`COLOR_*` in ansible-core's `base.yml`), as SGR codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Colour {
    /// `COLOR_OK`: green.
    Ok,
    /// `COLOR_CHANGED`: yellow.
    Changed,
    /// `COLOR_SKIP`: cyan.
    Skip,
    /// `COLOR_ERROR`: red.
    Error,
    /// `COLOR_UNREACHABLE`: bright red.
    Unreachable,
    /// `COLOR_WARN`: bright purple.
    Warn,
    /// `COLOR_DEPRECATE`: purple.
    Deprecate,
    /// `COLOR_DEBUG`: dark gray.
    Debug,
    /// `COLOR_VERBOSE`: blue.
    Verbose,
}

impl Colour {
    fn sgr(self) -> &'static str {
        match self {
            Colour::Ok => "0;32",
            Colour::Changed => "0;33",
            Colour::Skip => "0;36",
            Colour::Error => "0;31",
            Colour::Unreachable => "1;31",
            Colour::Warn => "1;35",
            Colour::Deprecate => "0;35",
            Colour::Debug => "1;30",
            Colour::Verbose => "0;34",
        }
    }
}

/// `text` in `colour` when `enabled`, each line wrapped separately (as Ansible's `stringc`).
pub(crate) fn paint(text: &str, colour: Option<Colour>, enabled: bool) -> String {
    match colour {
        Some(colour) if enabled => text
            .split('\n')
            .map(|line| format!("\x1b[{}m{line}\x1b[0m", colour.sgr()))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => text.to_string(),
    }
}

/// Whether Ansible would colour output written to a terminal (`is_tty`): `ANSIBLE_NOCOLOR` or
/// `NO_COLOR` turn colours off, `ANSIBLE_FORCE_COLOR` turns them on even without a terminal.
pub fn colour_wanted(is_tty: bool) -> bool {
    let flag = |name: &str| {
        std::env::var(name).is_ok_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on" | "y" | "t"
            )
        })
    };
    if flag("ANSIBLE_FORCE_COLOR") {
        return true;
    }
    is_tty && !flag("ANSIBLE_NOCOLOR") && !flag("NO_COLOR")
}

/// The stdout and stderr writers of a text sink, with colour and the status line.
pub(crate) struct Console<W: Write + Send> {
    out: W,
    err: Box<dyn Write + Send>,
    /// Colour the text.
    pub colour: bool,
    /// Draw a status line on stderr.
    pub status_enabled: bool,
    /// The status line on screen now (empty: none).
    status: String,
}

impl<W: Write + Send> Console<W> {
    /// A console writing the log to `out` and warnings to `err`, plain, without status line.
    pub fn new(out: W, err: Box<dyn Write + Send>) -> Self {
        Self {
            out,
            err,
            colour: false,
            status_enabled: false,
            status: String::new(),
        }
    }

    /// A console on the process's stdout/stderr, colours and status line as the terminals allow.
    pub fn stdio(out: W) -> Self {
        let mut console = Self::new(out, Box::new(std::io::stderr()));
        console.colour = colour_wanted(std::io::stdout().is_terminal());
        console.status_enabled = std::io::stderr().is_terminal();
        console
    }

    /// Writes `text` and a newline on stdout (`to_stderr`: on stderr) in `colour`.
    pub fn line(&mut self, text: &str, colour: Option<Colour>, to_stderr: bool) {
        let text = paint(text, colour, self.colour);
        self.erase_status();
        // A closed stdout (`| head`) must not stop the run.
        if to_stderr {
            let _ = writeln!(self.err, "{text}");
            let _ = self.err.flush();
        } else {
            let _ = writeln!(self.out, "{text}");
            let _ = self.out.flush();
        }
        self.draw_status();
    }

    /// Replaces the status line with `text` (empty: removes it).
    pub fn set_status(&mut self, text: String) {
        if !self.status_enabled {
            return;
        }
        self.erase_status();
        self.status = text;
        self.draw_status();
    }

    fn erase_status(&mut self) {
        if !self.status.is_empty() {
            let _ = write!(self.err, "\r\x1b[2K");
            let _ = self.err.flush();
        }
    }

    fn draw_status(&mut self) {
        if !self.status.is_empty() {
            let width = terminal_width().saturating_sub(1);
            let shown: String = self.status.chars().take(width).collect();
            let _ = write!(self.err, "{shown}");
            let _ = self.err.flush();
        }
    }
}

/// `$COLUMNS`, else 80: the status line is cut to fit so it never wraps.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Shared;

    #[test]
    fn colours_wrap_each_line() {
        assert_eq!(
            paint("a\nb", Some(Colour::Ok), true),
            "\x1b[0;32ma\x1b[0m\n\x1b[0;32mb\x1b[0m"
        );
        assert_eq!(paint("a", Some(Colour::Ok), false), "a");
    }

    #[test]
    fn the_status_line_is_erased_before_each_write_and_never_reaches_stdout() {
        let (out, err) = (Shared::default(), Shared::default());
        let mut console = Console::new(out.clone(), Box::new(err.clone()));
        console.status_enabled = true;
        console.set_status("TASK [x] 0/2".into());
        console.line("ok: [a]", None, false);
        assert_eq!(out.text(), "ok: [a]\n");
        assert_eq!(
            err.text(),
            "TASK [x] 0/2\r\x1b[2KTASK [x] 0/2",
            "erased before the write, drawn again after"
        );
        console.set_status(String::new());
        assert!(err.text().ends_with("\r\x1b[2K"));
    }
}
