//! crypt(3) password hashes as passlib makes and checks them for Ansible: md5_crypt (`$1$`),
//! Apache's apr_md5_crypt (`$apr1$`), sha256_crypt (`$5$`), sha512_crypt (`$6$`), bcrypt
//! (`$2b$`, `$2a$`, `$2y$`, `$2$`), and the htpasswd schemes ldap_sha1 (`{SHA}`) and plaintext. Shared by the `password_hash` filter
//! (oxible-template) and the `htpasswd` module (oxible-modules), which must not depend on each
//! other.
#![deny(missing_docs)]

use std::hash::{BuildHasher, Hasher};

use base64::Engine;
use md5::Digest;

/// crypt's base64 alphabet (salts and encoded digests).
pub const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random salt of `len` crypt64 characters (std's per-process random hash keys).
pub fn random_salt(len: usize) -> String {
    let state = std::collections::hash_map::RandomState::new();
    (0..len)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_usize(i);
            char::from(CRYPT64[(h.finish() % 64) as usize])
        })
        .collect()
}

/// md5_crypt (`$1$<salt>$<digest>`).
pub fn md5_crypt(password: &[u8], salt: &[u8]) -> String {
    md5_family("$1$", password, salt)
}

/// Apache's apr_md5_crypt (`$apr1$<salt>$<digest>`), htpasswd's default scheme.
pub fn apr_md5_crypt(password: &[u8], salt: &[u8]) -> String {
    md5_family("$apr1$", password, salt)
}

/// sha512_crypt (`$6$[rounds=N$]<salt>$<digest>`; the rounds part omitted for 5000).
pub fn sha512_crypt(password: &[u8], salt: &[u8], rounds: u32) -> String {
    let encoded = sha_crypt::<sha2::Sha512>(password, salt, rounds, &SHA512_ORDER);
    sha_hash("6", salt, rounds, &encoded)
}

/// sha256_crypt (`$5$[rounds=N$]<salt>$<digest>`; the rounds part omitted for 5000).
pub fn sha256_crypt(password: &[u8], salt: &[u8], rounds: u32) -> String {
    let encoded = sha_crypt::<sha2::Sha256>(password, salt, rounds, &SHA256_ORDER);
    sha_hash("5", salt, rounds, &encoded)
}

fn sha_hash(id: &str, salt: &[u8], rounds: u32, encoded: &str) -> String {
    let rounds_part = if rounds == 5000 {
        String::new()
    } else {
        format!("rounds={rounds}$")
    };
    format!(
        "${id}${rounds_part}{}${encoded}",
        String::from_utf8_lossy(salt)
    )
}

/// bcrypt's base64 (its own alphabet, no padding; a salt's unused low bits are ignored).
const BCRYPT64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::BCRYPT,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// The bcrypt idents (`$<ident>$`) passlib accepts; `2b` is the one it makes by default.
pub const BCRYPT_IDENTS: [&str; 4] = ["2b", "2a", "2y", "2"];

/// The 16 bytes of a 22-character bcrypt salt (the last character's four unused bits are
/// dropped, as passlib repairs them); `None` unless it is 22 characters of bcrypt's alphabet.
pub fn bcrypt_salt(salt: &str) -> Option<[u8; 16]> {
    if salt.len() != 22 {
        return None;
    }
    BCRYPT64.decode(salt).ok()?.try_into().ok()
}

/// A random bcrypt salt.
pub fn random_bcrypt_salt() -> [u8; 16] {
    // crypt64 and bcrypt64 order the same 64 characters differently.
    bcrypt_salt(&random_salt(22)).unwrap_or_default()
}

/// bcrypt (`$<ident>$<cost>$<salt><digest>`, Provos and Mazières' EksBlowfish with `2^cost`
/// rounds): the password with a NUL appended (not for the original `2` ident), cut at 72
/// bytes, as OpenBSD and passlib hash it.
pub fn bcrypt(password: &[u8], salt: &[u8; 16], cost: u32, ident: &str) -> String {
    let mut key = password.to_vec();
    if ident != "2" || key.is_empty() {
        // The original variant reads past an empty password onto its NUL terminator too.
        key.push(0);
    }
    key.truncate(72);
    let mut state = blowfish::Blowfish::bc_init_state();
    state.salted_expand_key(salt, &key);
    for _ in 0..1u64 << cost {
        state.bc_expand_key(&key);
        state.bc_expand_key(salt);
    }
    let mut words = [0u32; 6];
    for (word, chunk) in words.iter_mut().zip(b"OrpheanBeholderScryDoubt".chunks(4)) {
        *word = chunk.iter().fold(0, |w, &b| (w << 8) | u32::from(b));
    }
    for pair in words.chunks_mut(2) {
        let mut lr = [pair[0], pair[1]];
        for _ in 0..64 {
            lr = state.bc_encrypt(lr);
        }
        pair.copy_from_slice(&lr);
    }
    let digest: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    format!(
        "${ident}${cost:02}${}{}",
        BCRYPT64.encode(salt),
        BCRYPT64.encode(&digest[..23])
    )
}

/// Whether a bcrypt `hash` (`$2b$…` and the other idents) verifies `password`; `None` when
/// it is not a well-formed bcrypt hash.
fn verify_bcrypt(password: &[u8], hash: &str) -> Option<bool> {
    let rest = hash.strip_prefix('$')?;
    let (ident, rest) = rest.split_once('$')?;
    let (cost, rest) = rest.split_once('$')?;
    if !BCRYPT_IDENTS.contains(&ident) || cost.len() != 2 || rest.len() != 53 {
        return None;
    }
    let cost: u32 = cost.parse().ok().filter(|c| (4..=31).contains(c))?;
    let salt = bcrypt_salt(rest.get(..22)?)?;
    Some(bcrypt(password, &salt, cost, ident) == hash)
}

/// ldap_sha1 (`{SHA}` and the base64 of the SHA-1 digest).
pub fn ldap_sha1(password: &[u8]) -> String {
    let digest = sha1::Sha1::digest(password);
    format!(
        "{{SHA}}{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Whether `password` matches `hash`, for the schemes this crate computes (`$1$`, `$apr1$`,
/// `$5$`, `$6$`, `$2b$` and the other bcrypt idents, `{SHA}`); `None` for a hash of another
/// scheme (des_crypt …).
pub fn verify(password: &str, hash: &str) -> Option<bool> {
    let p = password.as_bytes();
    if hash.starts_with("{SHA}") {
        return Some(ldap_sha1(p) == hash);
    }
    if hash.starts_with("$2") {
        return verify_bcrypt(p, hash);
    }
    let (magic, rest) = ["$1$", "$apr1$", "$5$", "$6$"]
        .iter()
        .find_map(|m| hash.strip_prefix(m).map(|r| (*m, r)))?;
    let (params, _) = rest.rsplit_once('$')?;
    let made = match magic {
        "$1$" => md5_crypt(p, params.as_bytes()),
        "$apr1$" => apr_md5_crypt(p, params.as_bytes()),
        _ => {
            let (rounds, salt) = match params.strip_prefix("rounds=") {
                Some(r) => {
                    let (n, salt) = r.split_once('$')?;
                    (n.parse::<u32>().ok()?, salt)
                }
                None => (5000, params),
            };
            if magic == "$5$" {
                sha256_crypt(p, salt.as_bytes(), rounds)
            } else {
                sha512_crypt(p, salt.as_bytes(), rounds)
            }
        }
    };
    Some(made == hash)
}

/// crypt's base64 of `bytes` taken in `order` (groups of three, the last group shorter).
fn crypt64(digest: &[u8], order: &[&[usize]]) -> String {
    let mut out = String::new();
    for group in order {
        let mut w = group
            .iter()
            .fold(0u32, |w, &i| (w << 8) | u32::from(digest[i]));
        let chars = group.len() + 1;
        for _ in 0..chars {
            out.push(char::from(CRYPT64[(w & 0x3f) as usize]));
            w >>= 6;
        }
    }
    out
}

/// The digest byte order of sha512_crypt's encoding.
const SHA512_ORDER: [&[usize]; 22] = [
    &[0, 21, 42],
    &[22, 43, 1],
    &[44, 2, 23],
    &[3, 24, 45],
    &[25, 46, 4],
    &[47, 5, 26],
    &[6, 27, 48],
    &[28, 49, 7],
    &[50, 8, 29],
    &[9, 30, 51],
    &[31, 52, 10],
    &[53, 11, 32],
    &[12, 33, 54],
    &[34, 55, 13],
    &[56, 14, 35],
    &[15, 36, 57],
    &[37, 58, 16],
    &[59, 17, 38],
    &[18, 39, 60],
    &[40, 61, 19],
    &[62, 20, 41],
    &[63],
];

/// The digest byte order of sha256_crypt's encoding.
const SHA256_ORDER: [&[usize]; 11] = [
    &[0, 10, 20],
    &[21, 1, 11],
    &[12, 22, 2],
    &[3, 13, 23],
    &[24, 4, 14],
    &[15, 25, 5],
    &[6, 16, 26],
    &[27, 7, 17],
    &[18, 28, 8],
    &[9, 19, 29],
    &[31, 30],
];

/// The digest byte order of md5_crypt's encoding.
const MD5_ORDER: [&[usize]; 6] = [
    &[0, 6, 12],
    &[1, 7, 13],
    &[2, 8, 14],
    &[3, 9, 15],
    &[4, 10, 5],
    &[11],
];

/// `bytes` repeated to exactly `len` bytes.
fn cycle(bytes: &[u8], len: usize) -> Vec<u8> {
    bytes.iter().copied().cycle().take(len).collect()
}

/// SHA-crypt (Drepper's specification) with digest `D`: the encoded digest part.
fn sha_crypt<D: Digest>(password: &[u8], salt: &[u8], rounds: u32, order: &[&[usize]]) -> String {
    let size = <D as Digest>::output_size();
    let b = D::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut a = D::new().chain_update(password).chain_update(salt);
    a.update(cycle(&b, password.len()));
    let mut n = password.len();
    while n > 0 {
        if n & 1 == 1 {
            a.update(&b);
        } else {
            a.update(password);
        }
        n >>= 1;
    }
    let a = a.finalize();
    let mut dp = D::new();
    for _ in 0..password.len() {
        dp.update(password);
    }
    let p = cycle(&dp.finalize(), password.len());
    let mut ds = D::new();
    for _ in 0..16 + usize::from(a[0]) {
        ds.update(salt);
    }
    let s = cycle(&ds.finalize(), salt.len());
    let mut c = a.to_vec();
    for i in 0..rounds {
        let mut h = D::new();
        if i % 2 == 1 {
            h.update(&p);
        } else {
            h.update(&c);
        }
        if i % 3 != 0 {
            h.update(&s);
        }
        if i % 7 != 0 {
            h.update(&p);
        }
        if i % 2 == 1 {
            h.update(&c);
        } else {
            h.update(&p);
        }
        c = h.finalize().to_vec();
    }
    debug_assert_eq!(c.len(), size);
    crypt64(&c, order)
}

/// Poul-Henning Kamp's MD5 crypt with `magic` (`$1$`, or Apache's `$apr1$`): the whole hash.
fn md5_family(magic: &str, password: &[u8], salt: &[u8]) -> String {
    let b = md5::Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut a = md5::Md5::new()
        .chain_update(password)
        .chain_update(magic.as_bytes())
        .chain_update(salt);
    a.update(cycle(&b, password.len()));
    let mut n = password.len();
    while n > 0 {
        if n & 1 == 1 {
            a.update([0u8]);
        } else {
            a.update(&password[..1]);
        }
        n >>= 1;
    }
    let mut c = a.finalize().to_vec();
    for i in 0..1000 {
        let mut h = md5::Md5::new();
        if i % 2 == 1 {
            h.update(password);
        } else {
            h.update(&c);
        }
        if i % 3 != 0 {
            h.update(salt);
        }
        if i % 7 != 0 {
            h.update(password);
        }
        if i % 2 == 1 {
            h.update(&c);
        } else {
            h.update(password);
        }
        c = h.finalize().to_vec();
    }
    format!(
        "{magic}{}${}",
        String::from_utf8_lossy(salt),
        crypt64(&c, &MD5_ORDER)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt_reference_vectors() {
        // From Drepper's specification, and passlib's output (ansible-core's oracle).
        assert_eq!(
            sha512_crypt(b"Hello world!", b"saltstring", 5000),
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
        assert_eq!(
            sha256_crypt(b"secret", b"abc", 5000),
            "$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0"
        );
        assert_eq!(md5_crypt(b"abc", b"abc"), "$1$abc$czj10a8hEuHoKfs5PmF8//");
        // Apache's own example (htpasswd -nbm).
        assert_eq!(
            apr_md5_crypt(b"myPassword", b"r31....."),
            "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"
        );
        assert_eq!(ldap_sha1(b"password"), "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    }

    #[test]
    fn verify_reads_every_scheme() {
        for hash in [
            md5_crypt(b"pw", b"salt"),
            apr_md5_crypt(b"pw", b"salt"),
            sha256_crypt(b"pw", b"salt", 1000),
            sha512_crypt(b"pw", b"salt", 5000),
            ldap_sha1(b"pw"),
        ] {
            assert_eq!(verify("pw", &hash), Some(true), "{hash}");
            assert_eq!(verify("other", &hash), Some(false), "{hash}");
        }
        assert_eq!(verify("pw", "$2y$05$abc"), None);
        let salt = random_bcrypt_salt();
        for ident in BCRYPT_IDENTS {
            let hash = bcrypt(b"pw", &salt, 4, ident);
            assert_eq!(verify("pw", &hash), Some(true), "{hash}");
            assert_eq!(verify("other", &hash), Some(false), "{hash}");
        }
    }

    #[test]
    fn bcrypt_matches_passlib() {
        // passlib's output (ansible-core's oracle); the salt's last character repaired.
        let salt = bcrypt_salt("1234567890123456789012").expect("valid salt");
        assert_eq!(
            bcrypt(b"secret", &salt, 12, "2b"),
            "$2b$12$123456789012345678901uO/yptqYYqXPYviqOvezm2C7cYzKwtUq"
        );
        assert_eq!(bcrypt_salt("abcdefghijklmnopqrst$u"), None);
    }
}
