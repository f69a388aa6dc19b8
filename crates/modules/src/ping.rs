//! `ping`: checks the target answers (no Python needed, unlike Ansible's).

use oxible_connection::BoxFuture;
use oxible_yaml::Value;

use crate::{ArgSpec, ArgType, Args, Module, ModuleError, Outcome, Target};

/// The `ping` module.
pub struct Ping;

impl Module for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }

    fn spec(&self) -> &'static [ArgSpec] {
        const SPEC: &[ArgSpec] = &[ArgSpec::new("data", ArgType::Str)];
        SPEC
    }

    fn run<'a>(
        &'a self,
        target: &'a Target<'a>,
        args: Args,
    ) -> BoxFuture<'a, Result<Outcome, ModuleError>> {
        Box::pin(async move {
            let data = args.str("data").unwrap_or("pong").to_string();
            if data == "crash" {
                return Ok(Outcome::failure("boom"));
            }
            target.run("true", None, None).await?;
            let mut outcome = Outcome::changed(false);
            outcome.set("ping", Value::from(data));
            Ok(outcome)
        })
    }
}
