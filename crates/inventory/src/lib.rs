//! Ansible inventories: hosts, groups and their variables, read from INI, YAML and directory
//! sources exactly as ansible-core 2.19 reads them, and host patterns evaluated as Ansible
//! evaluates them.
//!
//! Brief overview:
//! - [`Inventory::load`] reads `-i` sources (files, directories, `a,b,` lists) with the
//!   `group_vars/` and `host_vars/` beside them; sources that fail are skipped with a warning
//!   naming file:line:col, as `ansible-inventory` does.
//! - [`Inventory::select`] evaluates host patterns and `--limit` in Ansible's host order.
//! - [`Inventory::host_vars`] merges a host's variables with Ansible's precedence;
//!   [`Inventory::groups_dict`] and [`Inventory::group_names`] feed the magic variables.
//!
//! ```
//! use oxible_inventory::Inventory;
//! use oxible_yaml::Value;
//! let text = "[web]\nweb[01:02] http_port=80\n[db]\ndb1\n[prod:children]\nweb\ndb\n";
//! let inv = Inventory::from_ini_text("hosts", text).unwrap().inventory;
//! assert_eq!(inv.select("prod:!db", None).unwrap().hosts, ["web01", "web02"]);
//! let vars = inv.host_vars("web02").unwrap();
//! assert_eq!(vars.get(&Value::from("http_port")), Some(&Value::from(80)));
//! assert_eq!(inv.group_names("db1"), ["db", "prod"]);
//! ```
//!
//! **Architecture Invariant:** this crate knows nothing of playbooks or templating; values are
//! returned as loaded (templating happens later, in the executor).
#![deny(missing_docs)]

mod address;
mod data;
mod error;
mod ini;
mod inventory;
mod pattern;
mod pyliteral;
mod vars_dirs;
mod yaml_source;

pub use address::is_ip_address;
pub use data::{Group, Host, LOCALHOST_NAMES};
pub use error::InventoryError;
pub use inventory::{INTERNAL_VARS, Inventory, Loaded, Selection};
pub use pattern::{PatternError, fnmatch, split_host_pattern};
