//! `package`: the host's own package manager, as Ansible's package action picks it (`use`, else
//! the manager found on the target, as the `pkg_mgr` fact would name it); oxible implements
//! `apt` and `dnf`, whose parameters `package` passes through.

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// `use`, then every parameter of the modules `package` dispatches to (apt's, then dnf's), kept
/// as given: Ansible's package action hands them to that module, whose own spec checks them.
const SPEC: [ArgSpec; 1 + crate::apt::SPEC.len() + crate::dnf::SPEC.len()] = {
    let (apt, dnf) = (crate::apt::SPEC, crate::dnf::SPEC);
    let mut all =
        [ArgSpec::new("use", ArgType::Str); 1 + crate::apt::SPEC.len() + crate::dnf::SPEC.len()];
    let mut i = 0;
    while i < apt.len() + dnf.len() {
        let mut spec = if i < apt.len() {
            apt[i]
        } else {
            dnf[i - apt.len()]
        };
        spec.kind = ArgType::Raw;
        spec.choices = &[];
        all[i + 1] = spec;
        i += 1;
    }
    all
};

module!(
    /// The `package` module.
    pub Package = "package", &SPEC, run
);

/// Package managers by the command that reveals them, in the order Ansible's `pkg_mgr` fact
/// prefers them.
const MANAGERS: &str = "apt-get:apt dnf5:dnf5 dnf:dnf yum:yum zypper:zypper apk:apk pacman:pacman";

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let manager = match args.str("use").filter(|u| *u != "auto") {
        Some(manager) => manager.to_string(),
        None => {
            let script = format!(
                "for m in {MANAGERS}; do command -v ${{m%%:*}} >/dev/null 2>&1 && \
                 {{ echo ${{m#*:}}; exit 0; }}; done"
            );
            let out = target.run(&script, None, None).await?;
            out.stdout_text().trim().to_string()
        }
    };
    match manager.as_str() {
        "apt" => match backend_args("apt", crate::apt::SPEC, &args, "package") {
            Ok(args) => crate::apt::run(target, args).await,
            Err(e) => Ok(Outcome::failure(e.to_string())),
        },
        "dnf" => match backend_args("dnf", crate::dnf::SPEC, &args, "name") {
            Ok(args) => crate::dnf::run(target, args).await,
            Err(e) => Ok(Outcome::failure(e.to_string())),
        },
        // ansible-core 2.17+ has no module of these names for the package action to find
        // (only the dnf action maps yum to dnf).
        "yum" | "yum4" | "dnf4" => Ok(Outcome::action_failure(format!(
            "Could not find a matching action for the \"{manager}\" package manager."
        ))),
        "" => Ok(Outcome::failure(
            "Could not detect which package manager to use. Try gathering facts or setting the \"use\" option.",
        )),
        other => Ok(Outcome::failure(format!(
            "Could not find a module for {other}."
        ))),
    }
}

/// The task's parameters checked against the spec of the module `package` runs (`name`, which
/// `package` reads as apt's `package`, under the name that module calls it, `name_key`).
fn backend_args(
    module: &str,
    spec: &[ArgSpec],
    args: &Args,
    name_key: &str,
) -> Result<Args, ModuleError> {
    let mut raw = oxible_yaml::Map::new();
    // `use` is the package action's own (dnf's spec lists it too): never passed on.
    for param in SPEC.iter().filter(|p| p.name != "use") {
        let key = if param.name == "package" {
            name_key
        } else {
            param.name
        };
        if let Some(value) = args.get(param.name)
            && !raw.contains_key(&oxible_yaml::Value::from(key))
        {
            raw.insert(oxible_yaml::Value::from(key), value.clone());
        }
    }
    Args::validate(module, spec, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::{Map, Value};

    #[test]
    fn backends_get_their_own_parameters() {
        let raw: Map = [("name", "oxa"), ("use", "apt"), ("state", "installed")]
            .into_iter()
            .map(|(k, v)| (Value::from(k), Value::from(v)))
            .collect();
        let args = Args::validate("package", &SPEC, &raw).expect("package accepts it");
        let dnf = backend_args("dnf", crate::dnf::SPEC, &args, "name").expect("dnf accepts it");
        assert_eq!(dnf.strings("name"), ["oxa"]);
        assert!(dnf.get("use").is_none());
        // apt has no state `installed`: its own spec says so.
        let err = backend_args("apt", crate::apt::SPEC, &args, "package").expect_err("apt refuses");
        assert!(err.to_string().contains("value of state must be one of"));
    }
}
