//! `htpasswd` (in progress).
