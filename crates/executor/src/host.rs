//! What the executor keeps per host during a run: its connection, the variables tasks gave it
//! (`set_fact`, `register`, `include_vars`, facts), its failure state and pending handlers.

use indexmap::IndexSet;
use oxible_yaml::{Map, Value};

use crate::events::Event;

/// One host's state across a play.
#[derive(Debug)]
pub(crate) struct HostState {
    /// `inventory_hostname`.
    pub name: String,
    /// Gathered facts.
    pub facts: Map,
    /// `include_vars` results.
    pub include_vars: Map,
    /// `set_fact` and `register` results.
    pub set_facts: Map,
    /// The host failed and left the play.
    pub failed: bool,
    /// The host was unreachable and left the play.
    pub unreachable: bool,
    /// `meta: end_host` was run.
    pub ended: bool,
    /// Handler names and `listen` topics notified and not yet run.
    pub notified: IndexSet<String>,
    /// Facts set for other hosts (`delegate_facts`), by host name, handed over after the task.
    pub delegated_facts: Vec<(String, Map)>,
    /// What the running include task asked this host to include, in item order.
    pub includes: Vec<IncludeRequest>,
    /// Events of the task running now, reported in host order once every host has run it.
    pub pending: Vec<Event>,
}

impl HostState {
    /// A fresh host.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            facts: Map::new(),
            include_vars: Map::new(),
            set_facts: Map::new(),
            failed: false,
            unreachable: false,
            ended: false,
            notified: IndexSet::new(),
            delegated_facts: Vec::new(),
            includes: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Adds facts a module returned (`ansible_facts` of `setup`, `service_facts` …): each as a
    /// variable under the name the module gave it (`ansible_os_family`, `services`) and under
    /// `ansible_facts` without the `ansible_` prefix, as Ansible injects and namespaces them.
    pub fn add_facts(&mut self, facts: &Map) {
        let mut namespaced = self
            .facts
            .get(&Value::from("ansible_facts"))
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        for (key, value) in facts {
            let name = key.py_str();
            let short = name.strip_prefix("ansible_").unwrap_or(&name);
            // What a module returned is data, never a template.
            let value = value.untrusted();
            self.facts.insert(key.clone(), value.clone());
            namespaced.insert(Value::from(short), value);
        }
        self.facts
            .insert(Value::from("ansible_facts"), Value::map(namespaced));
    }

    /// Whether the host still runs tasks.
    pub fn active(&self) -> bool {
        !self.failed && !self.unreachable && !self.ended
    }
}

/// One file or role an include task (or one of its loop items) asks a host to include.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IncludeRequest {
    /// The include's arguments, templated.
    pub args: Map,
    /// The loop variables of the item (empty without a loop).
    pub vars: Map,
    /// The item's label, for `included: … => (item=…)`.
    pub label: Option<oxible_yaml::Value>,
}
