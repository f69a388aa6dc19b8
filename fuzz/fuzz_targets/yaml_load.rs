//! Fuzzes the YAML loader: any bytes must load or fail with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxible_yaml::{Source, load_source};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(err) = load_source(Source::new("fuzz.yml", text)) {
            // Rendering the diagnostic exercises the snippet and caret code too.
            let _ = err.to_string();
        }
    }
});
