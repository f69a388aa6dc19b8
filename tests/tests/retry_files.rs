//! `retry_files_enabled`: when hosts fail, ansible-playbook writes their names to
//! `<playbook>.retry` (beside the playbook, or in `retry_files_save_path`) and says
//! `to retry, use: --limit @<file>` before the recap; oxible does the same.

use oxible_tests::{ansible, oxible};

fn check(name: &str, config: &str, retry_file: &str) {
    for tool in ["ansible", "oxible"] {
        let dir =
            std::env::temp_dir().join(format!("oxible-retry-{}-{name}-{tool}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("plays")).unwrap();
        std::fs::write(dir.join("ansible.cfg"), config).unwrap();
        std::fs::write(
            dir.join("hosts.ini"),
            "h1\nh2\nh3\nh4\n[all:vars]\nansible_connection=local\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("plays/site.yml"),
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - fail: msg=no\n      when: inventory_hostname in ['h3', 'h1']\n    - block:\n        - fail: msg=rescued\n          when: inventory_hostname == 'h2'\n      rescue:\n        - debug: msg=ok\n",
        )
        .unwrap();
        let args = ["-i", "hosts.ini", "plays/site.yml"];
        let out = match tool {
            "ansible" => ansible("playbook", &dir, &args),
            _ => oxible("playbook", &dir, &args),
        };
        assert_eq!(out.code, 2, "{tool}:\n{}{}", out.stdout, out.stderr);
        let path = dir.join(retry_file);
        let written = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{tool}: {}: {e}\n{}", path.display(), out.stdout));
        assert_eq!(written, "h1\nh3\n", "{tool}");
        let said = format!("\tto retry, use: --limit @{}\n\nPLAY RECAP", path.display());
        assert!(out.stdout.contains(&said), "{tool}:\n{}", out.stdout);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn retry_file_beside_the_playbook() {
    check(
        "beside",
        "[defaults]\nretry_files_enabled = True\n",
        "plays/site.retry",
    );
}

#[test]
fn retry_file_in_the_save_path() {
    let save = std::env::temp_dir().join(format!("oxible-retry-save-{}", std::process::id()));
    check(
        "save",
        &format!(
            "[defaults]\nretry_files_enabled = yes\nretry_files_save_path = {}\n",
            save.display()
        ),
        &save.join("site.retry").display().to_string(),
    );
    let _ = std::fs::remove_dir_all(&save);
}
