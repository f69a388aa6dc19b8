//! `random` and `shuffle`, with Python's `random.Random(seed)` reproduced exactly (MT19937,
//! CPython's seeding from ints and strings, `randrange`, `choice` and `shuffle`), so a
//! seeded result is the one Ansible gives.

use minijinja::value::{Kwargs, Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Environment, Error};
use sha2::{Digest, Sha512};

use crate::python::{fail, int, items, type_name};

/// Registers `random` and `shuffle`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("random", random);
    env.add_filter("shuffle", shuffle);
}

/// `end | random(start, step, seed)`: a random int in `range(start, end, step)`, or a random
/// item of a sequence; reproducible with `seed`.
fn random(end: Jinja, args: Kwargs) -> Result<Jinja, Error> {
    let start: Option<Jinja> = args.get("start")?;
    let step: Option<Jinja> = args.get("step")?;
    let seed: Option<Jinja> = args.get("seed")?;
    args.assert_all_used()?;
    let mut rng = match seed.filter(|s| !s.is_none()) {
        Some(seed) => Mt::from_seed(&seed)?,
        None => Mt::from_entropy(),
    };
    let given = |v: &Option<Jinja>| v.as_ref().is_some_and(Jinja::is_true);
    if let Some(stop) = int(&end) {
        let start = if given(&start) {
            arg_int(start.as_ref())?
        } else {
            0
        };
        let step = if given(&step) {
            arg_int(step.as_ref())?
        } else {
            1
        };
        return rng.randrange(start, stop, step).map(Jinja::from);
    }
    if !matches!(
        end.kind(),
        JinjaKind::String | JinjaKind::Seq | JinjaKind::Iterable | JinjaKind::Map
    ) {
        return Err(fail("random can only be used on sequences and integers"));
    }
    if given(&start) || given(&step) {
        return Err(fail("start and step can only be used with integer values"));
    }
    let len = items(&end)?.len();
    if len == 0 {
        return Err(fail("Cannot choose from an empty sequence"));
    }
    let index = rng.below(len as u128) as i64;
    match end.kind() {
        JinjaKind::Map => {
            let found = end.get_item(&Jinja::from(index))?;
            if found.is_undefined() {
                return Err(fail(format!("KeyError: {index}")));
            }
            Ok(found)
        }
        _ => Ok(items(&end)?.swap_remove(index as usize)),
    }
}

/// `list | shuffle(seed)`: the items in random order (a non-iterable value unchanged, as
/// Ansible swallows the error); reproducible with a truthy `seed`.
fn shuffle(value: Jinja, args: Kwargs) -> Result<Jinja, Error> {
    let seed: Option<Jinja> = args.get("seed")?;
    args.assert_all_used()?;
    let Ok(mut list) = items(&value) else {
        return Ok(value);
    };
    let rng = match seed.filter(Jinja::is_true) {
        Some(seed) => Mt::from_seed(&seed),
        None => Ok(Mt::from_entropy()),
    };
    // Ansible ignores every failure here, an unusable seed included.
    if let Ok(mut rng) = rng {
        for i in (1..list.len()).rev() {
            let j = rng.below(i as u128 + 1) as usize;
            list.swap(i, j);
        }
    }
    Ok(Jinja::from(list))
}

/// A `start` or `step` argument, which must be an int.
fn arg_int(value: Option<&Jinja>) -> Result<i128, Error> {
    value.and_then(int).ok_or_else(|| {
        fail(format!(
            "random: start and step must be ints, got {}",
            value.map_or("None", type_name)
        ))
    })
}

const N: usize = 624;
const M: usize = 397;

/// Python's Mersenne Twister (`_random.Random`).
struct Mt {
    state: [u32; N],
    index: usize,
}

impl Mt {
    fn from_words(key: &[u32]) -> Self {
        let mut mt = Self {
            state: [0; N],
            index: N,
        };
        mt.state[0] = 19_650_218;
        for i in 1..N {
            let prev = mt.state[i - 1];
            mt.state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = mt.state[i - 1];
            mt.state[i] = (mt.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt.state[0] = mt.state[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt.state[i - 1];
            mt.state[i] = (mt.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt.state[0] = mt.state[N - 1];
                i = 1;
            }
        }
        mt.state[0] = 0x8000_0000;
        mt
    }

    /// `random.Random(seed)`: ints by absolute value, strings (version 2) as their UTF-8
    /// bytes followed by their SHA-512, read as one big-endian number.
    fn from_seed(seed: &Jinja) -> Result<Self, Error> {
        if let Some(i) = int(seed) {
            return Ok(Self::from_bytes_be(&i.unsigned_abs().to_be_bytes()));
        }
        if let Some(text) = seed.as_str() {
            let mut bytes = text.as_bytes().to_vec();
            bytes.extend_from_slice(&Sha512::digest(text.as_bytes()));
            return Ok(Self::from_bytes_be(&bytes));
        }
        Err(fail(format!(
            "random: seed must be an int or a string, got {}",
            type_name(seed)
        )))
    }

    /// Seeds with a non-negative number given as big-endian bytes: its 32-bit words, least
    /// significant first (at least one).
    fn from_bytes_be(bytes: &[u8]) -> Self {
        let significant = bytes
            .iter()
            .position(|&b| b != 0)
            .map_or(&[][..], |at| &bytes[at..]);
        let mut words: Vec<u32> = significant
            .rchunks(4)
            .map(|chunk| chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
            .collect();
        if words.is_empty() {
            words.push(0);
        }
        Self::from_words(&words)
    }

    /// A generator seeded from the process's hash randomness (Ansible uses SystemRandom).
    fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        Self::from_bytes_be(&hasher.finish().to_be_bytes())
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            for k in 0..N {
                let y = (self.state[k] & 0x8000_0000) | (self.state[(k + 1) % N] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                self.state[k] = self.state[(k + M) % N] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for `1 <= k <= 128`: 32-bit words, least significant first.
    fn bits(&mut self, k: u32) -> u128 {
        let mut out = 0u128;
        let mut left = k;
        let mut shift = 0;
        while left > 0 {
            let mut word = self.next_u32();
            if left < 32 {
                word >>= 32 - left;
            }
            out |= u128::from(word) << shift;
            shift += 32;
            left = left.saturating_sub(32);
        }
        out
    }

    /// `_randbelow(n)` for `n > 0`: rejection sampling on `n.bit_length()` bits.
    fn below(&mut self, n: u128) -> u128 {
        let k = 128 - n.leading_zeros();
        loop {
            let r = self.bits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop, step)`.
    fn randrange(&mut self, start: i128, stop: i128, step: i128) -> Result<i128, Error> {
        let width = stop - start;
        if step == 1 {
            if width > 0 {
                return Ok(start + self.below(width as u128) as i128);
            }
            return Err(fail(format!(
                "empty range for randrange() ({start}, {stop}, {width})"
            )));
        }
        let n = match step {
            0 => return Err(fail("zero step for randrange()")),
            s if s > 0 => floor_div(width + s - 1, s),
            s => floor_div(width + s + 1, s),
        };
        if n <= 0 {
            return Err(fail("empty range for randrange()"));
        }
        Ok(start + step * self.below(n as u128) as i128)
    }
}

/// Python's `a // b` (rounds toward negative infinity); `b` is not zero.
fn floor_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_random() {
        // random.Random(42).randrange(10) == 1; random.Random('oxible').randrange(100) == 62
        let mut rng = Mt::from_seed(&Jinja::from(42)).expect("seed");
        assert_eq!(rng.randrange(0, 10, 1).expect("range"), 1);
        let mut rng = Mt::from_seed(&Jinja::from("oxible")).expect("seed");
        assert_eq!(rng.randrange(0, 100, 1).expect("range"), 62);
    }
}
