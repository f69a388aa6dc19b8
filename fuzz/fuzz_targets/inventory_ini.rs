//! Fuzzes the INI inventory parser and pattern evaluation: any text must give an inventory or
//! a diagnostic, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxible_inventory::Inventory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first line doubles as a host pattern, so patterns are fuzzed against the inventory.
    let pattern = text.lines().next().unwrap_or("all");
    if let Ok(loaded) = Inventory::from_ini_text("fuzz.ini", text) {
        let inv = loaded.inventory;
        let _ = inv.select(pattern, Some(pattern));
        for host in inv.hosts() {
            let _ = inv.host_vars(&host.name);
        }
    }
});
