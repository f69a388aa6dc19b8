//! `setup`: the facts roles read, gathered by one shell command and parsed on the controller.
//!
//! The probe prints sections (`@@name` then the section's text) from `/proc`, `/sys`, `/etc`,
//! `uname`, `id`, `ip` and `date`; [`parse`] turns them into Ansible's fact names and shapes
//! (`ansible_os_family`, `ansible_default_ipv4.address` …). Facts whose source is missing are
//! left out rather than guessed, except where Ansible itself reports `NA` or `unknown`.

use oxible_yaml::{Map, Value};

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// The probe: one round trip, sections separated by `@@name` lines.
const PROBE: &str = r#"
s() { printf '\n@@%s\n' "$1"; }
s uname; uname -s; uname -r; uname -v; uname -m; uname -n
s hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname
s fqdn; h=$(hostname 2>/dev/null); a=$(getent ahostsv4 "$h" 2>/dev/null | awk 'NR==1{print $1}'); [ -n "$a" ] && getent hosts "$a" 2>/dev/null | head -n 1
s os_release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s debian_version; cat /etc/debian_version 2>/dev/null
s lsb; lsb_release -a 2>/dev/null || cat /etc/lsb-release 2>/dev/null
s meminfo; cat /proc/meminfo 2>/dev/null
s cpuinfo; cat /proc/cpuinfo 2>/dev/null
s nproc; nproc 2>/dev/null
s id; id -un; id -u; id -g
s passwd; getent passwd "$(id -un)" 2>/dev/null
s env; env
s proc1; cat /proc/1/comm 2>/dev/null
s pkg; for p in apt-get dnf5 dnf yum zypper apk pacman emerge pkg brew; do command -v "$p" >/dev/null 2>&1 && { echo "$p"; break; }; done
s systemd; [ -d /run/systemd/system ] && echo yes
s initd; [ -d /etc/init.d ] && echo yes
s selinux; [ -r /sys/fs/selinux/enforce ] && { cat /sys/fs/selinux/enforce; cat /sys/fs/selinux/policyvers 2>/dev/null; }
s selinux_config; cat /etc/selinux/config 2>/dev/null
s virt; [ -f /.dockerenv ] && echo docker; [ -f /run/.containerenv ] && echo podman; grep -qa 'container=lxc' /proc/1/environ 2>/dev/null && echo lxc; cat /sys/class/dmi/id/product_name /sys/class/dmi/id/sys_vendor 2>/dev/null; grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo hypervisor
s machine_id; cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null
s date; date +'%Y %m %d %H %M %S %N %Z %z %A %w %W %s %j'
s long_bit; getconf LONG_BIT 2>/dev/null
s python; for p in python3 python; do command -v "$p" >/dev/null 2>&1 && { "$p" -c 'import sys; v=sys.version_info; print(sys.executable); print(v[0], v[1], v[2], v[3], v[4])' 2>/dev/null; break; }; done
s interfaces; ls -f /sys/class/net 2>/dev/null
s links; for i in $(ls /sys/class/net 2>/dev/null); do printf '%s %s %s %s %s\n' "$i" "$(cat /sys/class/net/$i/address 2>/dev/null)" "$(cat /sys/class/net/$i/mtu 2>/dev/null)" "$(cat /sys/class/net/$i/type 2>/dev/null)" "$(cat /sys/class/net/$i/operstate 2>/dev/null)"; done
s addr4; ip -4 -o addr show 2>/dev/null
s route4; ip -4 route get 8.8.8.8 2>/dev/null
"#;

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("gather_subset", ArgType::List),
    ArgSpec::new("gather_timeout", ArgType::Int),
    ArgSpec::new("filter", ArgType::List),
    ArgSpec::new("fact_path", ArgType::Path),
];

module!(
    /// The `setup` module.
    pub Setup = "setup", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let out = target.run(PROBE, None, None).await?;
    let mut facts: Map = parse(&out.stdout_text())
        .into_iter()
        .map(|(k, v)| (Value::from(format!("ansible_{}", k.py_str())), v))
        .collect();
    let filters = args.strings("filter");
    if !filters.is_empty() {
        facts.retain(|key, _| {
            let key = key.py_str();
            filters.iter().any(|f| glob_match(f, &key))
        });
    }
    let subset = match args.strings("gather_subset") {
        s if s.is_empty() => vec!["all".to_string()],
        s => s,
    };
    facts.insert(
        Value::from("gather_subset"),
        Value::seq(subset.iter().map(|s| Value::from(s.as_str())).collect()),
    );
    facts.insert(Value::from("module_setup"), Value::from(true));
    let mut outcome = Outcome::changed(false);
    outcome.set("ansible_facts", Value::map(facts));
    Ok(outcome)
}

/// `*`/`?` globbing for `filter`, as Python's `fnmatch`.
fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    go(&p, &t)
}

/// The probe's sections by name.
pub(crate) fn sections(text: &str) -> std::collections::HashMap<&str, String> {
    let mut out = std::collections::HashMap::new();
    let mut name = "";
    let mut body: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(next) = line.strip_prefix("@@") {
            out.insert(name, body.join("\n").trim_end().to_string());
            name = next;
            body.clear();
        } else {
            body.push(line);
        }
    }
    out.insert(name, body.join("\n").trim_end().to_string());
    out
}

/// Facts under their `ansible_`-less names, from the probe's output.
pub(crate) fn parse(text: &str) -> Map {
    let sec = sections(text);
    let get = |name: &str| sec.get(name).map(String::as_str).unwrap_or("");
    let mut facts = Facts(Map::new());
    let uname: Vec<&str> = get("uname").lines().collect();
    let field = |i: usize| uname.get(i).copied().unwrap_or("").to_string();
    facts.str("system", field(0));
    facts.str("kernel", field(1));
    facts.str("kernel_version", field(2));
    facts.str("machine", field(3));
    facts.str("architecture", field(3));
    facts.str("userspace_architecture", field(3));
    facts.str("nodename", field(4));
    let hostname = get("hostname").trim().to_string();
    let short = hostname.split('.').next().unwrap_or_default().to_string();
    facts.str("hostname", short);
    let fqdn = fqdn(get("fqdn"), &hostname);
    facts.str(
        "domain",
        fqdn.split_once('.')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default(),
    );
    facts.str("fqdn", fqdn);
    distribution(&mut facts, get("os_release"), get("debian_version"));
    // Ansible's LSB collector always sets the fact: `{}` without lsb_release or /etc/lsb-release.
    facts.set("lsb", lsb(get("lsb")).unwrap_or_else(|| map_of(Vec::new())));
    memory(&mut facts, get("meminfo"));
    processors(&mut facts, get("cpuinfo"), get("nproc"));
    user(&mut facts, get("id"), get("passwd"));
    facts.set("env", env(get("env")));
    facts.str(
        "service_mgr",
        service_mgr(get("proc1"), get("systemd"), get("initd")),
    );
    if let Some(pkg) = pkg_mgr(get("pkg")) {
        facts.str("pkg_mgr", pkg.to_string());
    }
    facts.set("selinux", selinux(get("selinux"), get("selinux_config")));
    let (virt_type, virt_role) = virtualization(get("virt"));
    facts.str("virtualization_type", virt_type.to_string());
    facts.str("virtualization_role", virt_role.to_string());
    let machine_id = get("machine_id").trim();
    if !machine_id.is_empty() {
        facts.str("machine_id", machine_id.to_string());
    }
    if let Some(date) = date_time(get("date")) {
        facts.set("date_time", date);
    }
    let bits = get("long_bit").trim();
    if !bits.is_empty() {
        facts.str("userspace_bits", bits.to_string());
    }
    python(&mut facts, get("python"));
    network(
        &mut facts,
        get("interfaces"),
        get("links"),
        get("addr4"),
        get("route4"),
    );
    facts.0
}

/// A facts map under construction.
struct Facts(Map);

impl Facts {
    fn set(&mut self, key: &str, value: Value) {
        self.0.insert(Value::from(key), value);
    }

    fn str(&mut self, key: &str, value: String) {
        self.set(key, Value::from(value));
    }
}

/// A map from `(key, value)` pairs.
fn map_of(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

/// Python's `socket.getfqdn()`: the first name of the host's address containing a dot, else
/// the first name, else the hostname.
fn fqdn(hosts_line: &str, hostname: &str) -> String {
    let names: Vec<&str> = hosts_line.split_whitespace().skip(1).collect();
    names
        .iter()
        .find(|n| n.contains('.'))
        .or(names.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| hostname.to_string())
}

/// `KEY=value` lines (os-release, lsb-release, selinux config) with quotes removed.
fn key_values(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim().trim_matches('"').trim_matches('\'');
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// Ansible's distribution name for an os-release `ID`, and its family.
fn distribution_name(id: &str) -> (&'static str, &'static str) {
    match id {
        "debian" => ("Debian", "Debian"),
        "ubuntu" => ("Ubuntu", "Debian"),
        "linuxmint" => ("Linux Mint", "Debian"),
        "kali" => ("Kali", "Debian"),
        "raspbian" => ("Debian", "Debian"),
        "centos" => ("CentOS", "RedHat"),
        "rhel" => ("RedHat", "RedHat"),
        "fedora" => ("Fedora", "RedHat"),
        "rocky" => ("Rocky", "RedHat"),
        "almalinux" => ("AlmaLinux", "RedHat"),
        "ol" => ("OracleLinux", "RedHat"),
        "amzn" => ("Amazon", "RedHat"),
        "alpine" => ("Alpine", "Alpine"),
        "arch" => ("Archlinux", "Archlinux"),
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => ("openSUSE Leap", "Suse"),
        "sles" => ("SLES", "Suse"),
        "gentoo" => ("Gentoo", "Gentoo"),
        _ => ("", ""),
    }
}

fn distribution(facts: &mut Facts, os_release: &str, debian_version: &str) {
    let kv = key_values(os_release);
    let id = kv.get("ID").map(String::as_str).unwrap_or("");
    let (name, family) = distribution_name(id);
    let name = if name.is_empty() {
        kv.get("NAME").cloned().unwrap_or_else(|| "NA".into())
    } else {
        name.to_string()
    };
    let family = if family.is_empty() { &name } else { family };
    let debian = debian_version.trim();
    let version = if name == "Debian" && debian.starts_with(|c: char| c.is_ascii_digit()) {
        debian.to_string()
    } else {
        kv.get("VERSION_ID").cloned().unwrap_or_else(|| "NA".into())
    };
    let major = version.split('.').next().unwrap_or_default().to_string();
    let release = kv
        .get("VERSION_CODENAME")
        .filter(|c| !c.is_empty())
        .cloned()
        .unwrap_or_else(|| "NA".into());
    facts.str("os_family", family.to_string());
    facts.str("distribution", name);
    facts.str("distribution_major_version", major);
    facts.str("distribution_release", release);
    facts.str("distribution_version", version);
}

/// `lsb_release -a` output (or `/etc/lsb-release`) as Ansible's `lsb` fact.
fn lsb(text: &str) -> Option<Value> {
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    let mut release = None;
    for line in text.lines() {
        let (key, value) = match line.split_once(':') {
            Some(kv) => kv,
            None => match line.split_once('=') {
                Some(kv) => kv,
                None => continue,
            },
        };
        let value = value.trim().trim_matches('"').to_string();
        let name = match key.trim() {
            "Distributor ID" | "DISTRIB_ID" => "id",
            "Description" | "DISTRIB_DESCRIPTION" => "description",
            "Release" | "DISTRIB_RELEASE" => {
                release = Some(value.clone());
                "release"
            }
            "Codename" | "DISTRIB_CODENAME" => "codename",
            _ => continue,
        };
        pairs.push((name, Value::from(value)));
    }
    if let Some(release) = release {
        let major = release.split('.').next().unwrap_or_default().to_string();
        pairs.push(("major_release", Value::from(major)));
    }
    let mut sorted: Vec<(&str, Value)> = pairs;
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    (!sorted.is_empty()).then(|| map_of(sorted))
}

fn memory(facts: &mut Facts, meminfo: &str) {
    let kb = |key: &str| {
        meminfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k == key)
                .then(|| v.split_whitespace().next()?.parse::<i64>().ok())
                .flatten()
        })
    };
    for (fact, key) in [
        ("memtotal_mb", "MemTotal"),
        ("memfree_mb", "MemFree"),
        ("swaptotal_mb", "SwapTotal"),
        ("swapfree_mb", "SwapFree"),
    ] {
        if let Some(n) = kb(key) {
            facts.set(fact, Value::from(n / 1024));
        }
    }
}

/// `processor` (index, vendor, model per logical CPU) and the counts, as Ansible's Linux
/// hardware facts compute them from `/proc/cpuinfo`.
fn processors(facts: &mut Facts, cpuinfo: &str, nproc: &str) {
    let mut list = Vec::new();
    let mut sockets = std::collections::BTreeSet::new();
    let (mut cores, mut siblings, mut logical) = (None, None, 0i64);
    for line in cpuinfo.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                logical += 1;
                list.push(Value::from(value));
            }
            "vendor_id" | "model name" | "Processor" | "cpu model" => list.push(Value::from(value)),
            "physical id" => {
                sockets.insert(value.to_string());
            }
            "cpu cores" => cores = value.parse::<i64>().ok(),
            "siblings" => siblings = value.parse::<i64>().ok(),
            _ => {}
        }
    }
    let count = i64::try_from(sockets.len()).unwrap_or(0).max(1);
    let cores = cores.unwrap_or(logical.max(1));
    let threads = siblings.map(|s| (s / cores.max(1)).max(1)).unwrap_or(1);
    facts.set("processor", Value::seq(list));
    facts.set("processor_count", Value::from(count));
    facts.set("processor_cores", Value::from(cores));
    facts.set("processor_threads_per_core", Value::from(threads));
    facts.set("processor_vcpus", Value::from(threads * cores * count));
    if let Ok(n) = nproc.trim().parse::<i64>() {
        facts.set("processor_nproc", Value::from(n));
    }
}

fn user(facts: &mut Facts, id: &str, passwd: &str) {
    let lines: Vec<&str> = id.lines().collect();
    if let Some(name) = lines.first() {
        facts.str("user_id", name.to_string());
    }
    for (i, key) in [(1, "user_uid"), (2, "user_gid")] {
        if let Some(n) = lines.get(i).and_then(|v| v.trim().parse::<i64>().ok()) {
            facts.set(key, Value::from(n));
        }
    }
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    if fields.len() >= 7 {
        facts.str("user_gecos", fields[4].to_string());
        facts.str("user_dir", fields[5].to_string());
        facts.str("user_shell", fields[6].to_string());
    }
}

/// `env` output; a line without `=` continues the previous value (a value with a newline).
fn env(text: &str) -> Value {
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match line.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                vars.push((k.to_string(), v.to_string()))
            }
            _ => {
                if let Some(last) = vars.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line);
                }
            }
        }
    }
    vars.sort();
    Value::map(
        vars.into_iter()
            .map(|(k, v)| (Value::from(k), Value::from(v)))
            .collect(),
    )
}

/// Ansible's `service_mgr`: PID 1's name (mapped), else what the system shows.
fn service_mgr(proc1: &str, systemd: &str, initd: &str) -> String {
    let name = proc1.trim();
    let name = name.rsplit('/').next().unwrap_or(name);
    if !name.is_empty() && name != "init" && !name.ends_with("sh") {
        return match name {
            "procd" => "openwrt_init",
            "runit-init" => "runit",
            "svscan" => "svc",
            "openrc-init" => "openrc",
            other => other,
        }
        .to_string();
    }
    if !systemd.trim().is_empty() {
        "systemd"
    } else if !initd.trim().is_empty() {
        "sysvinit"
    } else {
        "service"
    }
    .to_string()
}

fn pkg_mgr(found: &str) -> Option<&'static str> {
    Some(match found.trim() {
        "apt-get" => "apt",
        "dnf5" => "dnf5",
        "dnf" => "dnf",
        "yum" => "yum",
        "zypper" => "zypper",
        "apk" => "apk",
        "pacman" => "pacman",
        "emerge" => "portage",
        "pkg" => "pkgng",
        "brew" => "homebrew",
        _ => return None,
    })
}

fn selinux(state: &str, config: &str) -> Value {
    let lines: Vec<&str> = state.lines().collect();
    let Some(enforce) = lines.first() else {
        return map_of(vec![("status", Value::from("disabled"))]);
    };
    let kv = key_values(config);
    let mode = if enforce.trim() == "1" {
        "enforcing"
    } else {
        "permissive"
    };
    let mut pairs = vec![
        (
            "config_mode",
            Value::from(kv.get("SELINUX").cloned().unwrap_or_default()),
        ),
        ("mode", Value::from(mode)),
        ("status", Value::from("enabled")),
        (
            "type",
            Value::from(kv.get("SELINUXTYPE").cloned().unwrap_or_default()),
        ),
    ];
    if let Some(v) = lines.get(1).and_then(|v| v.trim().parse::<i64>().ok()) {
        pairs.push(("policyvers", Value::from(v)));
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    map_of(pairs)
}

/// `(virtualization_type, virtualization_role)` from container markers and DMI names.
fn virtualization(probe: &str) -> (&'static str, &'static str) {
    let text = probe.to_ascii_lowercase();
    let has = |word: &str| text.lines().any(|l| l.contains(word));
    for (marker, kind) in [("docker", "docker"), ("podman", "podman"), ("lxc", "lxc")] {
        if text.lines().any(|l| l == marker) {
            return (kind, "guest");
        }
    }
    for (marker, kind) in [
        ("kvm", "kvm"),
        ("qemu", "kvm"),
        ("vmware", "VMware"),
        ("virtualbox", "virtualbox"),
        ("amazon ec2", "amazon"),
        ("google", "kvm"),
        ("openstack", "openstack"),
        ("hvm domu", "xen"),
        ("hypervisor", "kvm"),
    ] {
        if has(marker) {
            return (kind, "guest");
        }
    }
    ("NA", "NA")
}

/// `date +'%Y %m %d %H %M %S %N %Z %z %A %w %W %s %j'` as Ansible's `date_time` fact.
fn date_time(line: &str) -> Option<Value> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let [y, mo, d, h, mi, s, ns, tz, off, wd, wdn, wk, epoch, _doy] = f.as_slice() else {
        return None;
    };
    let micro = ns.get(..6).unwrap_or("000000");
    let pairs = vec![
        ("date", format!("{y}-{mo}-{d}")),
        ("day", d.to_string()),
        ("epoch", epoch.to_string()),
        ("epoch_int", epoch.to_string()),
        ("hour", h.to_string()),
        ("iso8601", format!("{y}-{mo}-{d}T{h}:{mi}:{s}Z")),
        ("iso8601_basic", format!("{y}{mo}{d}T{h}{mi}{s}{micro}")),
        ("iso8601_basic_short", format!("{y}{mo}{d}T{h}{mi}{s}")),
        (
            "iso8601_micro",
            format!("{y}-{mo}-{d}T{h}:{mi}:{s}.{micro}Z"),
        ),
        ("minute", mi.to_string()),
        ("month", mo.to_string()),
        ("second", s.to_string()),
        ("time", format!("{h}:{mi}:{s}")),
        ("tz", tz.to_string()),
        ("tz_dst", tz.to_string()),
        ("tz_offset", off.to_string()),
        ("weekday", wd.to_string()),
        ("weekday_number", wdn.to_string()),
        ("weeknumber", wk.to_string()),
        ("year", y.to_string()),
    ];
    Some(map_of(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect(),
    ))
}

/// `python` and `python_version` when a Python is on the target (oxible never needs one).
fn python(facts: &mut Facts, probe: &str) {
    let mut lines = probe.lines();
    let (Some(executable), Some(version)) = (lines.next(), lines.next()) else {
        return;
    };
    let v: Vec<&str> = version.split_whitespace().collect();
    let [major, minor, micro, level, serial] = v.as_slice() else {
        return;
    };
    let num = |s: &str| Value::from(s.parse::<i64>().unwrap_or(0));
    facts.set(
        "python",
        map_of(vec![
            ("executable", Value::from(executable)),
            ("has_sslcontext", Value::from(true)),
            ("type", Value::from("cpython")),
            (
                "version",
                map_of(vec![
                    ("major", num(major)),
                    ("micro", num(micro)),
                    ("minor", num(minor)),
                    ("releaselevel", Value::from(*level)),
                    ("serial", num(serial)),
                ]),
            ),
            (
                "version_info",
                Value::seq(vec![
                    num(major),
                    num(minor),
                    num(micro),
                    Value::from(*level),
                    num(serial),
                ]),
            ),
        ]),
    );
    facts.str("python_version", format!("{major}.{minor}.{micro}"));
}

/// An IPv4 interface address: address, broadcast, netmask, network, prefix.
fn ipv4(cidr: &str, broadcast: Option<&str>) -> Option<Map> {
    let (addr, prefix) = cidr.split_once('/')?;
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    let bits: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let network = std::net::Ipv4Addr::from(u32::from(ip) & mask);
    let mut out = Map::new();
    out.insert(Value::from("address"), Value::from(addr));
    if let Some(b) = broadcast {
        out.insert(Value::from("broadcast"), Value::from(b));
    }
    out.insert(
        Value::from("netmask"),
        Value::from(std::net::Ipv4Addr::from(mask).to_string()),
    );
    out.insert(Value::from("network"), Value::from(network.to_string()));
    out.insert(Value::from("prefix"), Value::from(prefix));
    Some(out)
}

/// `interfaces`, `ansible_<iface>`, `all_ipv4_addresses` and `default_ipv4`.
fn network(facts: &mut Facts, listing: &str, links: &str, addr4: &str, route4: &str) {
    let names: Vec<&str> = listing
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .collect();
    facts.set(
        "interfaces",
        Value::seq(names.iter().map(|n| Value::from(*n)).collect()),
    );
    let mut all = Vec::new();
    let mut addresses: std::collections::HashMap<&str, Map> = std::collections::HashMap::new();
    for line in addr4.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(dev), Some(at)) = (words.get(1), words.iter().position(|w| *w == "inet")) else {
            continue;
        };
        let broadcast = words
            .iter()
            .position(|w| *w == "brd")
            .and_then(|i| words.get(i + 1).copied());
        if let Some(cidr) = words.get(at + 1)
            && let Some(v4) = ipv4(cidr, broadcast)
        {
            if !cidr.starts_with("127.") {
                all.push(Value::from(cidr.split('/').next().unwrap_or_default()));
            }
            addresses.entry(dev.trim_end_matches(':')).or_insert(v4);
        }
    }
    facts.set("all_ipv4_addresses", Value::seq(all));
    let mut details: std::collections::HashMap<String, Map> = std::collections::HashMap::new();
    for line in links.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let [dev, mac, mtu, kind, operstate] = w.as_slice() else {
            continue;
        };
        let up = *operstate != "down";
        let mut iface = Map::new();
        iface.insert(Value::from("active"), Value::from(up));
        iface.insert(Value::from("device"), Value::from(*dev));
        if let Some(v4) = addresses.get(dev) {
            iface.insert(Value::from("ipv4"), Value::map(v4.clone()));
        }
        iface.insert(Value::from("macaddress"), Value::from(*mac));
        iface.insert(
            Value::from("mtu"),
            Value::from(mtu.parse::<i64>().unwrap_or(0)),
        );
        let kind = match *kind {
            "772" => "loopback",
            "1" => "ether",
            _ => "unknown",
        };
        iface.insert(Value::from("type"), Value::from(kind));
        details.insert(dev.to_string(), iface.clone());
        facts.set(&dev.replace(['-', ':', '.'], "_"), Value::map(iface));
    }
    let words: Vec<&str> = route4.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1).copied())
    };
    let mut default = Map::new();
    if let Some(dev) = after("dev") {
        if let Some(v4) = addresses.get(dev) {
            default.extend(v4.clone());
        }
        default.insert(Value::from("alias"), Value::from(dev));
        if let Some(gw) = after("via") {
            default.insert(Value::from("gateway"), Value::from(gw));
        }
        default.insert(Value::from("interface"), Value::from(dev));
        if let Some(iface) = details.get(dev) {
            for key in ["macaddress", "mtu", "type"] {
                if let Some(v) = iface.get(&Value::from(key)) {
                    default.insert(Value::from(key), v.clone());
                }
            }
        }
        default.sort_by(|a, _, b, _| a.py_str().cmp(&b.py_str()));
    }
    facts.set("default_ipv4", Value::map(default));
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE_OUTPUT: &str = "\n@@uname\nLinux\n6.1.0\n#1 SMP\nx86_64\nvm\n@@hostname\nvm\n@@fqdn\n127.0.0.1       localhost\n@@os_release\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n@@debian_version\n12.11\n@@meminfo\nMemTotal:       24683520 kB\nMemFree:        21618000 kB\n@@cpuinfo\nprocessor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\n@@nproc\n2\n@@id\nroot\n0\n0\n@@passwd\nroot:x:0:0:root:/root:/bin/bash\n@@proc1\nsystemd\n@@pkg\napt-get\n@@virt\ndocker\n@@date\n2026 11 26 07 15 15 297891123 UTC +0000 Thursday 4 47 1795677315 330\n@@interfaces\n.\nlo\neth0\n..\n@@links\nlo 00:00:00:00:00:00 65536 772 unknown\neth0 02:fc:00:00:00:01 1400 1 up\n@@addr4\n1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\n@@route4\n8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0\n";

    fn fact(facts: &Map, key: &str) -> String {
        facts
            .get(&Value::from(key))
            .map(|v| v.py_json(None, true))
            .unwrap_or_default()
    }

    #[test]
    fn parses_facts_like_ansible() {
        let facts = parse(PROBE_OUTPUT);
        assert_eq!(fact(&facts, "os_family"), "\"Debian\"");
        assert_eq!(fact(&facts, "distribution_version"), "\"12.11\"");
        assert_eq!(fact(&facts, "distribution_major_version"), "\"12\"");
        assert_eq!(fact(&facts, "distribution_release"), "\"bookworm\"");
        assert_eq!(fact(&facts, "fqdn"), "\"localhost\"");
        assert_eq!(fact(&facts, "memtotal_mb"), "24105");
        assert_eq!(fact(&facts, "processor_vcpus"), "2");
        assert_eq!(fact(&facts, "service_mgr"), "\"systemd\"");
        assert_eq!(fact(&facts, "pkg_mgr"), "\"apt\"");
        assert_eq!(fact(&facts, "user_dir"), "\"/root\"");
        assert_eq!(fact(&facts, "virtualization_type"), "\"docker\"");
        assert_eq!(fact(&facts, "interfaces"), "[\"lo\", \"eth0\"]");
        assert_eq!(fact(&facts, "all_ipv4_addresses"), "[\"192.0.2.2\"]");
        assert_eq!(
            fact(&facts, "default_ipv4"),
            "{\"address\": \"192.0.2.2\", \"alias\": \"eth0\", \"broadcast\": \"192.0.2.255\", \"gateway\": \"192.0.2.1\", \"interface\": \"eth0\", \"macaddress\": \"02:fc:00:00:00:01\", \"mtu\": 1400, \"netmask\": \"255.255.255.0\", \"network\": \"192.0.2.0\", \"prefix\": \"24\", \"type\": \"ether\"}"
        );
        assert!(
            fact(&facts, "date_time")
                .contains("\"iso8601_micro\": \"2026-11-26T07:15:15.297891Z\"")
        );
        assert_eq!(fact(&facts, "python"), "", "no Python probed, no fact");
    }

    #[test]
    fn filters_glob() {
        assert!(glob_match("ansible_*", "ansible_os_family"));
        assert!(!glob_match("ansible_dist*", "ansible_os_family"));
    }
}
