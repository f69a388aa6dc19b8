//! `ping`: checks the target answers (no Python needed, unlike Ansible's).

use oxible_yaml::Value;

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[ArgSpec::new("data", ArgType::Str)];

module!(
    /// The `ping` module.
    pub Ping = "ping", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let data = args.str("data").unwrap_or("pong").to_string();
    if data == "crash" {
        return Ok(Outcome::failure("boom"));
    }
    target.run("true", None, None).await?;
    let mut outcome = Outcome::changed(false);
    outcome.set("ping", Value::from(data));
    Ok(outcome)
}
