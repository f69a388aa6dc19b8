//! Shell words: the one place oxible quotes, joins and splits them.
//!
//! Commands reach targets as POSIX shell text, so every value pasted into one goes through
//! [`quote`]; free-form strings that Ansible splits with Python's `shlex` go through [`split`].
//!
//! ```
//! assert_eq!(oxible_shell::quote("it's"), "'it'\"'\"'s'");
//! let words: Vec<String> = oxible_shell::split("a 'b c'", false).unwrap().into_iter().map(|t| t.text).collect();
//! assert_eq!(words, ["a", "b c"]);
//! ```
#![deny(missing_docs)]

mod quote;
mod split;

pub use quote::{join, quote, quote_bytes};
pub use split::{SplitError, Token, split};
