//! `package`: the host's own package manager, as Ansible's package action picks it (`use`, else
//! the manager found on the target, as the `pkg_mgr` fact would name it); oxible implements
//! `apt`, whose parameters `package` passes through.

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// apt's parameters plus `use`.
const SPEC: [ArgSpec; crate::apt::SPEC.len() + 1] = {
    let mut all = [ArgSpec::new("use", ArgType::Str); crate::apt::SPEC.len() + 1];
    let mut i = 0;
    while i < crate::apt::SPEC.len() {
        all[i] = crate::apt::SPEC[i];
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

async fn run(target: &Target<'_>, args: Args) -> Result<Outcome, ModuleError> {
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
        "apt" => crate::apt::run(target, args).await,
        "" => Ok(Outcome::failure(
            "Could not detect which package manager to use. Try gathering facts or setting the \"use\" option.",
        )),
        other => Ok(Outcome::failure(format!(
            "Could not find a module for {other}."
        ))),
    }
}
