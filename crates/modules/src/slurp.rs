//! `slurp`: a file's content from the target, base64-encoded, in one command.

use base64::Engine;

use crate::fs::{self, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[ArgSpec::new("src", ArgType::Path)
    .required()
    .aliases(&["path"])];

module!(
    /// The `slurp` module.
    pub Slurp = "slurp", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let src = args.str("src").unwrap_or_default();
    let quoted = oxible_shell::quote(src);
    let script = format!(
        "{}{}",
        fs::probe_snippet(&quoted, Want::default()),
        fs::content_snippet(&quoted)
    );
    let mut out = fs::probe(target, &script).await?;
    let probe = out.first();
    let Some(content) = out.content.take() else {
        let msg = match probe.followed() {
            Some(st) if st.is_dir() => {
                format!("Could not open {src}: source is a directory and must be a file")
            }
            Some(_) => format!("Could not open {src}: permission denied"),
            None => format!("File not found: {src}"),
        };
        return Ok(Outcome::failure(msg));
    };
    let mut outcome = Outcome::changed(false);
    outcome
        .set(
            "content",
            base64::engine::general_purpose::STANDARD.encode(content),
        )
        .set("source", src)
        .set("encoding", "base64");
    Ok(outcome)
}
