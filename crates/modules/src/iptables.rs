//! `iptables` (in progress).
