//! `selinux` (in progress).
