//! Fuzzes the playbook model: any YAML text as a playbook (plays, blocks, tasks, keywords,
//! module arguments) must load or fail with an error, never panic. Only the playbook file
//! exists: imports and roles it names are missing files, which must be errors too.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oxible_playbook::{LoadOptions, Loader, Playbook};

/// A file system holding `site.yml` alone.
struct OneFile<'a>(&'a str);

impl Loader for OneFile<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == Path::new("/play/site.yml") {
            Ok(self.0.to_string())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }

    fn exists(&self, path: &Path) -> bool {
        path == Path::new("/play/site.yml") || path == Path::new("/play")
    }

    fn is_dir(&self, path: &Path) -> bool {
        path == Path::new("/play")
    }

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        if path == Path::new("/play") {
            Ok(vec!["site.yml".into()])
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let loaded = Playbook::load(
            &OneFile(text),
            Path::new("/play/site.yml"),
            &LoadOptions::default(),
        );
        if let Err(err) = loaded {
            // Rendering the error exercises the snippet and caret code too.
            let _ = err.to_string();
        }
    }
});
