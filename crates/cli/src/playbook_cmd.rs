//! `oxible playbook`: ansible-playbook's command line.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use oxible_playbook::{FsLoader, LoadOptions, Playbook, TagFilter};

use crate::config::Config;
use crate::exit::{Failure, FailureClass};
use crate::listing::{self, Want};

/// Forks when neither `-f` nor ansible.cfg's `forks` says: more than Ansible's 5, because an
/// oxible fork is a task on one connection, not a Python process.
const DEFAULT_FORKS: usize = 25;

/// Flags of `oxible playbook`, spelled as ansible-playbook spells them.
#[derive(clap::Args)]
pub struct Args {
    /// Playbook files to run, in order.
    #[arg(required = true)]
    pub playbooks: Vec<std::path::PathBuf>,
    /// Inventory source: a file, a directory, or a comma-separated host list.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Further limit the selected hosts to this pattern (`@file` reads it from a file).
    #[arg(short = 'l', long = "limit")]
    pub limit: Option<String>,
    /// Only run plays and tasks tagged with these values.
    #[arg(short = 't', long = "tags")]
    pub tags: Vec<String>,
    /// Only run plays and tasks whose tags do not match these values.
    #[arg(long = "skip-tags")]
    pub skip_tags: Vec<String>,
    /// Extra variables as `key=value`, YAML/JSON, or `@file`.
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// Check the playbooks' syntax and exit.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// List the hosts each play would run on.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks each play would run.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List the tags of each play.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// Connection type to use when neither the play nor the host sets one.
    #[arg(short = 'c', long = "connection")]
    pub connection: Option<String>,
    /// Don't make any changes; predict what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show the differences in changed files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// Hosts a task runs on at once (else ansible.cfg's `forks`; oxible's default is 25,
    /// Ansible's is 5).
    #[arg(short = 'f', long = "forks")]
    pub forks: Option<usize>,
    /// More output (-v shows every result; repeat for more).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Start the playbook at the task with this name (or matching this glob).
    #[arg(long = "start-at-task")]
    pub start_at_task: Option<String>,
    /// Run the handlers notified on a host even when it failed (the play keyword
    /// `force_handlers` overrides this).
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// One-step-at-a-time: confirm each task before running it (refused: oxible runs
    /// unattended).
    #[arg(long = "step")]
    pub step: bool,
    /// Connect as this user (when the host and play set none).
    #[arg(short = 'u', long = "user")]
    pub user: Option<String>,
    /// Use this file to authenticate the connection (when the host sets no key).
    #[arg(long = "private-key", visible_alias = "key-file")]
    pub private_key: Option<std::path::PathBuf>,
    /// Arguments added to every ssh command line (when the host sets no ansible_ssh_common_args).
    #[arg(long = "ssh-common-args", allow_hyphen_values = true)]
    pub ssh_common_args: Option<String>,
    /// Arguments added to ssh only (when the host sets no ansible_ssh_extra_args).
    #[arg(long = "ssh-extra-args", allow_hyphen_values = true)]
    pub ssh_extra_args: Option<String>,
    /// Connection timeout in seconds (ansible.cfg `timeout`, default 10).
    #[arg(short = 'T', long = "timeout")]
    pub timeout: Option<u64>,
    /// Run operations with become.
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// Run operations as this user (default root).
    #[arg(long = "become-user")]
    pub become_user: Option<String>,
    /// Privilege escalation method (`sudo` or `su`).
    #[arg(long = "become-method")]
    pub become_method: Option<String>,
    /// Ask for the privilege escalation password (needs a terminal).
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Read the privilege escalation password from this file.
    #[arg(long = "become-password-file", visible_alias = "become-pass-file")]
    pub become_password_file: Option<std::path::PathBuf>,
    /// Output format: `text` (Ansible's default callback) or `json` (one event per line).
    #[arg(long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// What `--output` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Ansible's default callback, line for line.
    Text,
    /// One JSON event per line (docs/output.md).
    Json,
}

/// Runs `oxible playbook`.
pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let config = Config::load();
    // ansible-playbook checks the playbook files before it reads `-e`.
    for path in &args.playbooks {
        check_playbook_file(path)?;
    }
    let (extra_vars, warnings) = crate::extra_vars::parse(&args.extra_vars)?;
    warn(&warnings);
    let options = LoadOptions {
        roles_path: config.roles_path.clone(),
        extra_vars,
        templar: Arc::new(crate::static_templar::LoadTimeTemplar::default()),
    };
    let sources = if args.inventory.is_empty() {
        config.inventory.clone()
    } else {
        args.inventory.clone()
    };
    let mut inventory = load_inventory(&sources)?;
    if let Some(limit) = &args.limit {
        let selection = inventory.select("all", Some(limit))?;
        warn(&selection.warnings);
        if selection.hosts.is_empty() {
            return Err(Failure::new(
                FailureClass::General,
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
            ));
        }
    }
    let mut playbooks = Vec::new();
    for path in &args.playbooks {
        let playbook = Playbook::load(&FsLoader, path, &options)?;
        warn(&playbook.warnings);
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            warn(&inventory.add_playbook_dir(dir)?);
        }
        playbooks.push(playbook);
    }
    let want = Want {
        hosts: args.list_hosts,
        tasks: args.list_tasks,
        tags: args.list_tags,
    };
    let mut out = String::new();
    if args.syntax_check {
        for playbook in &playbooks {
            out.push_str(&format!("\nplaybook: {}\n", playbook.path.display()));
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    if !(want.hosts || want.tasks || want.tags) {
        if args.step {
            return Err(Failure::new(
                FailureClass::General,
                "--step is not supported: oxible does not ask before each task; use --start-at-task, --tags or --check instead",
            ));
        }
        check_prompts(&playbooks, &options)?;
        if args.output == OutputFormat::Text {
            print_header(args.verbose, config.file.as_deref());
        }
        return execute(&args, &config, &playbooks, &inventory, options);
    }
    // ansible-playbook lists every tag, `never` included, when --list-tags has no -t/--skip-tags.
    let only = if want.tags && args.tags.is_empty() && args.skip_tags.is_empty() {
        vec!["never".to_string(), "all".to_string()]
    } else {
        args.tags.clone()
    };
    let filter = TagFilter::new(&only, &args.skip_tags);
    for playbook in &playbooks {
        out.push_str(&format!("\nplaybook: {}\n", playbook.path.display()));
        for (index, play) in playbook.plays.iter().enumerate() {
            let hosts = if want.hosts {
                let selection = inventory.select(&play.hosts.join(","), args.limit.as_deref())?;
                warn(&selection.warnings);
                Some(selection.hosts)
            } else {
                None
            };
            listing::play_header(&mut out, index, play, hosts.as_deref());
            listing::play_tasks(&mut out, play, &filter, want);
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Runs the playbooks and maps the results to ansible-playbook's exit code.
fn execute(
    args: &Args,
    config: &Config,
    playbooks: &[Playbook],
    inventory: &oxible_inventory::Inventory,
    load: LoadOptions,
) -> Result<ExitCode, Failure> {
    let options = oxible_executor::RunOptions {
        forks: args.forks.or(config.forks).unwrap_or(DEFAULT_FORKS),
        check: args.check,
        diff: args.diff,
        tags: TagFilter::new(&args.tags, &args.skip_tags),
        run_tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        extra_vars: load.extra_vars.clone(),
        limit: args.limit.clone(),
        connection: args.connection.clone(),
        start_at_task: args.start_at_task.clone(),
        force_handlers: args.force_handlers || config.force_handlers,
        connect: crate::remote::connect_options(args, config)?,
        become_: crate::remote::become_options(args, config)?,
        load,
        retry_files: config
            .retry_files_enabled
            .then(|| config.retry_files_save_path.clone()),
    };
    let output: Box<dyn oxible_executor::EventSink> = match args.output {
        OutputFormat::Text => Box::new(oxible_output::DefaultOutput::terminal(
            std::io::stdout(),
            args.verbose,
        )),
        OutputFormat::Json => Box::new(oxible_output::JsonLines::new(std::io::stdout())),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                FailureClass::General,
                format!("cannot start the runtime: {e}"),
            )
        })?;
    // `^C` ends the run as ansible-playbook's KeyboardInterrupt handler does: nothing more on
    // stdout (no recap), the error on stderr, exit code 99. Dropping the run kills the
    // commands it started.
    let stats = runtime.block_on(async {
        tokio::select! {
            stats = oxible_executor::run(playbooks, inventory, &options, output.as_ref()) => {
                stats.map(Some)
            }
            Ok(()) = tokio::signal::ctrl_c() => Ok(None),
        }
    })?;
    let Some(stats) = stats else {
        // A `pause` may still wait for a line on stdin: do not wait for it.
        runtime.shutdown_background();
        return Err(Failure::new(
            FailureClass::Interrupted,
            "User interrupted execution",
        ));
    };
    Ok(ExitCode::from(u8::try_from(stats.exit_code()).unwrap_or(1)))
}

/// What ansible-playbook prints before the run at `-v` (the configuration file) and `-vv`
/// (its version line first; Python and module path details have no oxible equivalent).
fn print_header(verbosity: u8, config_file: Option<&Path>) {
    if verbosity > 1 {
        println!("oxible-playbook [oxible {}]", env!("CARGO_PKG_VERSION"));
        match config_file {
            Some(path) => println!("  config file = {}", path.display()),
            None => println!("  config file = None"),
        }
    }
    if verbosity > 0 {
        match config_file {
            Some(path) => println!("Using {} as config file", path.display()),
            None => println!("No config file found; using defaults"),
        }
    }
}

/// Refuses a playbook path that is missing or not a regular file, with Ansible's messages.
fn check_playbook_file(path: &Path) -> Result<(), Failure> {
    let problem = if !path.exists() {
        "could not be found"
    } else if !path.is_file() {
        "does not appear to be a file"
    } else {
        return Ok(());
    };
    Err(Failure::new(
        FailureClass::General,
        format!("the playbook: {} {problem}", path.display()),
    ))
}

/// The inventory, with its warnings printed.
fn load_inventory(sources: &[String]) -> Result<oxible_inventory::Inventory, Failure> {
    let loaded = oxible_inventory::Inventory::load(sources)?;
    warn(&loaded.warnings);
    Ok(loaded.inventory)
}

/// Prints warnings on stderr.
fn warn(warnings: &[oxible_yaml::Diagnostic]) {
    for warning in warnings {
        eprintln!("{warning}");
    }
}

/// oxible never prompts: every `vars_prompt` variable must come from `-e`.
fn check_prompts(playbooks: &[Playbook], options: &LoadOptions) -> Result<(), Failure> {
    let missing = playbooks
        .iter()
        .flat_map(|p| &p.plays)
        .flat_map(|play| &play.vars_prompt)
        .find(|prompt| {
            !options
                .extra_vars
                .contains_key(&oxible_yaml::Value::from(prompt.name.as_str()))
        });
    match missing {
        Some(prompt) => {
            let diagnostic = oxible_yaml::Diagnostic::error(
                format!(
                    "vars_prompt would ask for '{}', but oxible does not prompt",
                    prompt.name
                ),
                prompt.span.clone(),
            )
            .with_help(format!(
                "pass the value on the command line: -e {}=<value>",
                prompt.name
            ));
            Err(Failure::diagnostic(FailureClass::General, &diagnostic))
        }
        None => Ok(()),
    }
}
