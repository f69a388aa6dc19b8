//! What the user sees: executor events rendered as ansible-playbook's default callback does,
//! or as JSON lines.
//!
//! Brief overview:
//! - [`DefaultOutput`]: an [`oxible_executor::EventSink`] writing the `PLAY [...]`,
//!   `TASK [...]`, `ok: [host]`, `fatal: [host]: FAILED! => {...}` and `PLAY RECAP` lines of
//!   Ansible's `default` stdout callback at every verbosity, coloured on a terminal, with a
//!   live status line on stderr that never reaches the log.
//! - [`JsonLines`]: `--output json`, one JSON event per line (schema in docs/output.md).
//! - [`colour_wanted`]: Ansible's colour decision (`ANSIBLE_NOCOLOR`, `ANSIBLE_FORCE_COLOR`).
//!
//! **Architecture Invariant:** renders events only; knows nothing of how they were produced.
#![deny(missing_docs)]

mod console;
mod default;
mod diff;
mod json;
mod origin;

pub use console::colour_wanted;
pub use default::DefaultOutput;
pub use json::{JsonLines, SCHEMA_VERSION};

/// A writer tests read back.
#[cfg(test)]
mod testing {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// Bytes written, shared between the sink and the test.
    #[derive(Clone, Default)]
    pub(crate) struct Shared(pub Arc<Mutex<Vec<u8>>>);

    impl Shared {
        /// Everything written so far, as text.
        pub fn text(&self) -> String {
            String::from_utf8_lossy(
                &self
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
            .into_owned()
        }
    }

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
