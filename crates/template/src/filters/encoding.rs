//! Filters: encodings and digests (`b64encode`, `b64decode`, `hash`, `md5`, `sha1`,
//! `checksum`, `password_hash`).

use base64::Engine;
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};
use oxible_crypt::{
    BCRYPT_IDENTS, CRYPT64, bcrypt, bcrypt_salt, md5_crypt, random_salt, sha256_crypt, sha512_crypt,
};
use sha2::Digest;

use crate::args::{Bound, Signature, add_filter, sig};
use crate::python::py_str;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &B64ENCODE, b64encode);
    add_filter(env, &B64DECODE, b64decode);
    add_filter(env, &HASH, |v, args| digest(v, args.str(0, "sha1")?, args));
    add_filter(env, &MD5, |v, args| digest(v, "md5", args));
    add_filter(env, &SHA1, |v, args| digest(v, "sha1", args));
    add_filter(env, &CHECKSUM, |v, args| digest(v, "sha1", args));
    add_filter(env, &PASSWORD_HASH, password_hash);
}

sig!(
    B64ENCODE,
    "b64encode",
    ["encoding='utf-8'", "urlsafe=False"]
);
sig!(
    B64DECODE,
    "b64decode",
    ["encoding='utf-8'", "urlsafe=False"]
);
sig!(HASH, "hash", ["hashtype='sha1'"]);
sig!(MD5, "md5", []);
sig!(SHA1, "sha1", []);
sig!(CHECKSUM, "checksum", []);
sig!(
    PASSWORD_HASH,
    "password_hash",
    [
        "hashtype='sha512'",
        "salt=None",
        "salt_size=None",
        "rounds=None",
        "ident=None"
    ]
);

/// The text codecs the encoding filters know, by Python's names.
#[derive(Clone, Copy)]
enum Codec {
    Utf8,
    Utf16,
    Utf16Le,
    Utf16Be,
    Ascii,
    Latin1,
}

impl Codec {
    /// The codec Python's `codecs.lookup(name)` would find.
    fn lookup(sig: &Signature, name: &str) -> Result<Codec, Error> {
        let norm = name.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match norm.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" => Codec::Utf8,
            "utf-16" | "utf16" | "u16" => Codec::Utf16,
            "utf-16-le" | "utf-16le" => Codec::Utf16Le,
            "utf-16-be" | "utf-16be" => Codec::Utf16Be,
            "ascii" | "us-ascii" | "646" => Codec::Ascii,
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "8859" | "cp819" => {
                Codec::Latin1
            }
            _ => return Err(sig.error(format!("unknown encoding: {name}"))),
        })
    }

    fn encode(self, sig: &Signature, text: &str) -> Result<Vec<u8>, Error> {
        let limited = |max: u32| {
            text.chars()
                .map(|c| {
                    u8::try_from(c as u32)
                        .ok()
                        .filter(|&b| u32::from(b) <= max)
                        .ok_or_else(|| sig.error(format!("cannot encode character {c:?}")))
                })
                .collect::<Result<Vec<u8>, Error>>()
        };
        Ok(match self {
            Codec::Utf8 => text.as_bytes().to_vec(),
            Codec::Utf16 => [0xff, 0xfe]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            Codec::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Codec::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Codec::Ascii => limited(0x7f)?,
            Codec::Latin1 => limited(0xff)?,
        })
    }

    fn decode(self, sig: &Signature, bytes: &[u8]) -> Result<String, Error> {
        let invalid = || sig.error("the decoded bytes are not valid text in this encoding");
        let utf16 = |bytes: &[u8], le: bool| {
            if !bytes.len().is_multiple_of(2) {
                return Err(invalid());
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| {
                    let pair = [p[0], p[1]];
                    if le {
                        u16::from_le_bytes(pair)
                    } else {
                        u16::from_be_bytes(pair)
                    }
                })
                .collect();
            String::from_utf16(&units).map_err(|_| invalid())
        };
        match self {
            Codec::Utf8 => String::from_utf8(bytes.to_vec()).map_err(|_| invalid()),
            Codec::Utf16 => match bytes {
                [0xfe, 0xff, rest @ ..] => utf16(rest, false),
                [0xff, 0xfe, rest @ ..] => utf16(rest, true),
                _ => utf16(bytes, true),
            },
            Codec::Utf16Le => utf16(bytes, true),
            Codec::Utf16Be => utf16(bytes, false),
            Codec::Ascii if !bytes.is_ascii() => Err(invalid()),
            Codec::Ascii | Codec::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        }
    }
}

/// `b64encode(encoding='utf-8', urlsafe=False)`: the value's text encoded in `encoding`, in
/// base64 (the URL-safe alphabet with `urlsafe`), padded.
fn b64encode(v: &Value, args: &Bound) -> Result<Value, Error> {
    let bytes =
        Codec::lookup(&B64ENCODE, args.str(0, "utf-8")?)?.encode(&B64ENCODE, &py_str(v)?)?;
    Ok(Value::from(if args.flag(1, false) {
        base64::engine::general_purpose::URL_SAFE.encode(bytes)
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }))
}

/// `b64decode(encoding='utf-8', urlsafe=False)`: Python's lenient `base64.b64decode`
/// (characters outside the alphabet skipped, padding required, input ends at complete
/// padding), the bytes decoded as `encoding`.
fn b64decode(v: &Value, args: &Bound) -> Result<Value, Error> {
    let codec = Codec::lookup(&B64DECODE, args.str(0, "utf-8")?)?;
    let urlsafe = args.flag(1, false);
    let text = py_str(v)?;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut quad, mut left, mut pads, mut data) = (0u8, 0u32, 0, 0usize);
    let mut finished = false;
    for b in text.bytes() {
        let b = match (urlsafe, b) {
            (true, b'-') => b'+',
            (true, b'_') => b'/',
            _ => b,
        };
        if b == b'=' {
            pads += 1;
            if quad >= 2 && quad + pads >= 4 {
                finished = true;
                break;
            }
            continue;
        }
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        data += 1;
        left = (left << 6) | u32::from(value);
        quad = (quad + 1) % 4;
        match quad {
            2 => out.push((left >> 4) as u8),
            3 => out.push((left >> 2) as u8),
            0 => out.push(left as u8),
            _ => {}
        }
    }
    if !finished && quad == 1 {
        return Err(B64DECODE.error(format!(
            "Invalid base64-encoded string: number of data characters ({data}) cannot be 1 more than a multiple of 4"
        )));
    }
    if !finished && quad != 0 {
        return Err(B64DECODE.error("Incorrect padding"));
    }
    Ok(Value::from(codec.decode(&B64DECODE, &out)?))
}

/// The hex digest of `bytes` with Python `hashlib`'s algorithm `name`: `Ok(None)` for a name
/// hashlib does not know, an error for the variable-length SHAKE digests (hashlib's
/// `hexdigest()` needs a length the filter does not pass).
fn hex_digest(name: &str, bytes: &[u8]) -> Result<Option<String>, &'static str> {
    fn hex(d: impl AsRef<[u8]>) -> String {
        d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
    let Some(name) = hashlib_name(name) else {
        return Ok(None);
    };
    Ok(Some(match name {
        "md5" => hex(md5::Md5::digest(bytes)),
        "sha1" => hex(sha1::Sha1::digest(bytes)),
        "md5-sha1" => hex(md5::Md5::digest(bytes)) + &hex(sha1::Sha1::digest(bytes)),
        "sha224" => hex(sha2::Sha224::digest(bytes)),
        "sha256" => hex(sha2::Sha256::digest(bytes)),
        "sha384" => hex(sha2::Sha384::digest(bytes)),
        "sha512" => hex(sha2::Sha512::digest(bytes)),
        "sha512_224" => hex(sha2::Sha512_224::digest(bytes)),
        "sha512_256" => hex(sha2::Sha512_256::digest(bytes)),
        "sha3_224" => hex(sha3::Sha3_224::digest(bytes)),
        "sha3_256" => hex(sha3::Sha3_256::digest(bytes)),
        "sha3_384" => hex(sha3::Sha3_384::digest(bytes)),
        "sha3_512" => hex(sha3::Sha3_512::digest(bytes)),
        "blake2b" => hex(blake2::Blake2b512::digest(bytes)),
        "blake2s" => hex(blake2::Blake2s256::digest(bytes)),
        "shake_128" | "shake_256" => {
            return Err("hexdigest() missing required argument 'length' (pos 1)");
        }
        _ => return Ok(None),
    }))
}

/// hashlib's own name for `name`: its names as they are (blake2 and sha3 only so), else
/// OpenSSL's names and aliases in any case, which `hashlib.new` falls back to.
fn hashlib_name(name: &str) -> Option<&'static str> {
    const EXACT: [&str; 6] = [
        "blake2b", "blake2s", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
    ];
    if let Some(n) = EXACT.iter().find(|n| **n == name) {
        return Some(n);
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "md5" | "ssl3-md5" => "md5",
        "sha1" | "sha-1" | "ssl3-sha1" => "sha1",
        "md5-sha1" => "md5-sha1",
        "sha224" | "sha-224" | "sha2-224" => "sha224",
        "sha256" | "sha-256" | "sha2-256" => "sha256",
        "sha384" | "sha-384" | "sha2-384" => "sha384",
        "sha512" | "sha-512" | "sha2-512" => "sha512",
        "sha512_224" | "sha512-224" | "sha-512/224" | "sha2-512/224" => "sha512_224",
        "sha512_256" | "sha512-256" | "sha-512/256" | "sha2-512/256" => "sha512_256",
        "sha3-224" => "sha3_224",
        "sha3-256" => "sha3_256",
        "sha3-384" => "sha3_384",
        "sha3-512" => "sha3_512",
        "blake2b512" => "blake2b",
        "blake2s256" => "blake2s",
        "shake_128" | "shake128" | "shake-128" => "shake_128",
        "shake_256" | "shake256" | "shake-256" => "shake_256",
        _ => return None,
    })
}

/// `hash(hashtype='sha1')`, `md5`, `sha1`, `checksum`: the hex digest of the value's text
/// (UTF-8) with `hashlib`'s algorithm of that name (the md5, sha1, sha2, sha3 and blake2
/// families, as Debian's Python offers them); an unknown name fails as `hashlib.new` does.
fn digest(v: &Value, name: &str, args: &Bound) -> Result<Value, Error> {
    match hex_digest(name, py_str(v)?.as_bytes()) {
        Ok(Some(hex)) => Ok(Value::from(hex)),
        Ok(None) => Err(args.error(format!("unsupported hash type {name}"))),
        Err(why) => Err(args.error(why)),
    }
}

/// A crypt algorithm `password_hash` implements.
struct Crypt {
    /// passlib's name, for messages.
    name: &'static str,
    /// The `$id$` of the hash.
    id: &'static str,
    /// The rounds used when none are given (crypt's defaults, as Ansible passes them).
    default_rounds: Option<u32>,
    /// The rounds passlib accepts (bcrypt's are the log2 cost).
    rounds: std::ops::RangeInclusive<i64>,
    /// The longest salt kept.
    max_salt: usize,
    /// Whether the salt must have exactly `max_salt` characters (bcrypt).
    exact_salt: bool,
}

const SHA512_CRYPT: Crypt = Crypt {
    name: "sha512_crypt",
    id: "6",
    default_rounds: Some(656_000),
    rounds: 1000..=999_999_999,
    max_salt: 16,
    exact_salt: false,
};
const SHA256_CRYPT: Crypt = Crypt {
    name: "sha256_crypt",
    id: "5",
    default_rounds: Some(535_000),
    rounds: 1000..=999_999_999,
    max_salt: 16,
    exact_salt: false,
};
const MD5_CRYPT: Crypt = Crypt {
    name: "md5_crypt",
    id: "1",
    default_rounds: None,
    rounds: 0..=0,
    max_salt: 8,
    exact_salt: false,
};
const BCRYPT: Crypt = Crypt {
    name: "bcrypt",
    id: "2b",
    default_rounds: Some(12),
    rounds: 4..=31,
    max_salt: 22,
    exact_salt: true,
};

/// `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None, ident=None)`:
/// a crypt(3) hash as passlib makes it for Ansible: `sha512` (sha512_crypt), `sha256`
/// (sha256_crypt), `md5` (md5_crypt) or `blowfish` (bcrypt, `ident` 2b, 2a, 2y or 2); a
/// random salt unless given (a bcrypt salt's unused bits repaired); crypt's default rounds.
fn password_hash(v: &Value, args: &Bound) -> Result<Value, Error> {
    let secret = v
        .as_str()
        .ok_or_else(|| args.error("secret must be unicode or bytes"))?;
    let crypt = match args.str(0, "sha512")? {
        "sha512" | "sha512_crypt" => SHA512_CRYPT,
        "sha256" | "sha256_crypt" => SHA256_CRYPT,
        "md5" | "md5_crypt" => MD5_CRYPT,
        "blowfish" | "bcrypt" => BCRYPT,
        other => {
            return Err(args.error(format!(
                "{other} is not supported (sha512, sha256, md5 and blowfish are)"
            )));
        }
    };
    let fail = |why: String| args.error(format!("Could not hash the secret: {why}"));
    let salt = match args.opt(1).filter(|s| s.is_true()) {
        Some(s) => py_str(s)?,
        None => {
            let size = match args.opt(2) {
                Some(_) => usize::try_from(args.int(2, 16)?)
                    .map_err(|_| args.error("salt_size must be positive"))?,
                None => crypt.max_salt,
            };
            if crypt.exact_salt && size != crypt.max_salt {
                return Err(fail(format!(
                    "{}: salt_size ({size}) must be exactly {}",
                    crypt.name, crypt.max_salt
                )));
            }
            random_salt(size.min(crypt.max_salt))
        }
    };
    let salt_len = salt.chars().count();
    let requires = if crypt.exact_salt { "exactly" } else { "<=" };
    if salt_len > crypt.max_salt {
        return Err(fail(format!(
            "salt too large ({} requires {requires} {} chars)",
            crypt.name, crypt.max_salt
        )));
    }
    if crypt.exact_salt && salt_len < crypt.max_salt {
        return Err(fail(format!(
            "salt too small ({} requires {requires} {} chars)",
            crypt.name, crypt.max_salt
        )));
    }
    if !salt.bytes().all(|b| CRYPT64.contains(&b)) {
        return Err(fail(format!("invalid characters in {} salt", crypt.name)));
    }
    let rounds = match (args.opt(3).filter(|r| r.is_true()), crypt.default_rounds) {
        (_, None) => None,
        (None, default) => default.map(i64::from),
        (Some(r), _) => Some(match r.kind() {
            ValueKind::String => super::text::parse_py_float(r.as_str().unwrap_or_default())
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
                .ok_or_else(|| fail("rounds must be an integer".into()))?,
            _ => args.int(3, 0)?,
        }),
    };
    let (secret, salt_bytes) = (secret.as_bytes(), salt.as_bytes());
    let hash = match rounds {
        None => md5_crypt(secret, salt_bytes),
        Some(r) if r < *crypt.rounds.start() => {
            return Err(fail(format!(
                "{}: min_desired_rounds ({r}) is too low, must be at least {}",
                crypt.name,
                crypt.rounds.start()
            )));
        }
        Some(r) if r > *crypt.rounds.end() => {
            return Err(fail(format!(
                "{}: min_desired_rounds ({r}) is too large, cannot be more than {}",
                crypt.name,
                crypt.rounds.end()
            )));
        }
        Some(r) => {
            let r = r as u32;
            match crypt.id {
                "6" => sha512_crypt(secret, salt_bytes, r),
                "5" => sha256_crypt(secret, salt_bytes, r),
                _ => {
                    let ident = match args.opt_str(4)?.filter(|i| !i.is_empty()) {
                        None => crypt.id,
                        Some(i) => BCRYPT_IDENTS
                            .into_iter()
                            .find(|known| *known == i)
                            .ok_or_else(|| fail(format!("invalid ident: '{i}'")))?,
                    };
                    let salt = bcrypt_salt(&salt).ok_or_else(|| {
                        fail(format!("invalid characters in {} salt", crypt.name))
                    })?;
                    bcrypt(secret, &salt, r, ident)
                }
            }
        }
    };
    Ok(Value::from(hash))
}
