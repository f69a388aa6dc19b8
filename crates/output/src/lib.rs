//! What the user sees: executor events rendered as ansible-playbook's default callback does.
//!
//! Brief overview: [`DefaultOutput`] is an [`oxible_executor::EventSink`] that writes the
//! `PLAY [...]`, `TASK [...]`, `ok: [host]`, `fatal: [host]: FAILED! => {...}` and `PLAY RECAP`
//! lines of Ansible's `default` stdout callback, at verbosity 0 and with `-v`.
//!
//! **Architecture Invariant:** renders events only; knows nothing of how they were produced.
#![deny(missing_docs)]

mod default;
mod origin;

pub use default::DefaultOutput;
