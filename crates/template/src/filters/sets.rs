//! Set theory filters (`union`, `intersect`, `difference`, `symmetric_difference`) with
//! Ansible's mathstuff semantics, including the order of the result.
//!
//! Ansible computes `list(set(a) | set(b))`, so the order is CPython's set iteration order.
//! For numbers (whose hashes are fixed) this module replays CPython 3.11's set table (open
//! addressing, linear probes, perturbation, resizes) to give the very same order. Strings
//! and `None` hash differently in every Python process, so Ansible's order for them is
//! arbitrary; oxible then keeps first-appearance order, which is also what Ansible does for
//! unhashable items (lists, dicts), where it falls back to `unique(a + b)`-style lists.

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Environment, Error};

use crate::python::{contains, eq, fail, is_list, items, type_name};

/// Registers the set theory filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("union", union);
    env.add_filter("intersect", intersect);
    env.add_filter("difference", difference);
    env.add_filter("symmetric_difference", symmetric_difference);
}

/// `a | union(b)`: the items of both, each once.
fn union(a: Jinja, b: Jinja) -> Result<Jinja, Error> {
    apply(&a, &b, true, |x, y| x.or(y), |x, y| unique([x, y].concat()))
}

/// `a | intersect(b)`: the items of `a` also in `b`.
fn intersect(a: Jinja, b: Jinja) -> Result<Jinja, Error> {
    apply(
        &a,
        &b,
        false,
        |x, y| x.and(y),
        |x, y| unique(x.iter().filter(|v| contains(&y, v)).cloned().collect()),
    )
}

/// `a | difference(b)`: the items of `a` not in `b`.
fn difference(a: Jinja, b: Jinja) -> Result<Jinja, Error> {
    apply(
        &a,
        &b,
        false,
        |x, y| x.sub(y),
        |x, y| unique(x.iter().filter(|v| !contains(&y, v)).cloned().collect()),
    )
}

/// `a | symmetric_difference(b)`: the items in exactly one of `a` and `b`.
fn symmetric_difference(a: Jinja, b: Jinja) -> Result<Jinja, Error> {
    apply(
        &a,
        &b,
        true,
        |x, y| x.xor(y),
        |x, y| {
            let both: Vec<Jinja> = unique(x.iter().filter(|v| contains(&y, v)).cloned().collect());
            unique([x, y].concat())
                .into_iter()
                .filter(|v| !contains(&both, v))
                .collect()
        },
    )
}

/// Runs a set operation: on CPython-like sets when every item is a number, else on lists
/// (`fallback`); with unhashable items (lists, dicts) an operation that `concatenates`
/// (Ansible's `a + b`) needs both sides to be lists.
fn apply(
    a: &Jinja,
    b: &Jinja,
    concatenates: bool,
    on_sets: impl Fn(PySet, PySet) -> PySet,
    fallback: impl Fn(Vec<Jinja>, Vec<Jinja>) -> Vec<Jinja>,
) -> Result<Jinja, Error> {
    let not_list = |v: &Jinja| {
        fail(format!(
            "can only concatenate list (not \"{}\") to list",
            type_name(v)
        ))
    };
    let x = items(a).map_err(|_| not_list(a))?;
    let y = items(b).map_err(|_| not_list(b))?;
    if let (Some(sx), Some(sy)) = (PySet::from_items(&x), PySet::from_items(&y)) {
        return Ok(Jinja::from(on_sets(sx, sy).into_items()));
    }
    let unhashable = x
        .iter()
        .chain(&y)
        .any(|v| is_list(v) || v.kind() == JinjaKind::Map);
    if concatenates && unhashable && !(is_list(a) && is_list(b)) {
        return Err(not_list(if is_list(a) { b } else { a }));
    }
    Ok(Jinja::from(fallback(x, y)))
}

/// Items once each, first appearance kept (Ansible's fallback `unique`).
fn unique(values: Vec<Jinja>) -> Vec<Jinja> {
    let mut out: Vec<Jinja> = Vec::with_capacity(values.len());
    for v in values {
        if !contains(&out, &v) {
            out.push(v);
        }
    }
    out
}

/// CPython's `hash()` of a number; `None` for values whose hash is not reproducible.
fn py_hash(value: &Jinja) -> Option<i64> {
    match value.kind() {
        JinjaKind::Bool => Some(i64::from(value.is_true())),
        JinjaKind::Number if value.is_integer() => i128::try_from(value.clone()).ok().map(hash_int),
        JinjaKind::Number => f64::try_from(value.clone()).ok().and_then(hash_float),
        _ => None,
    }
}

const MODULUS: u64 = (1 << 61) - 1;
const HASH_BITS: u32 = 61;

/// `hash(int)`: the value modulo 2**61 - 1 with its sign, -1 becoming -2.
fn hash_int(i: i128) -> i64 {
    let reduced = (i.unsigned_abs() % u128::from(MODULUS)) as i64;
    let h = if i < 0 { -reduced } else { reduced };
    if h == -1 { -2 } else { h }
}

/// `hash(float)` (CPython's `_Py_HashDouble`); NaN hashes by identity, so has no fixed hash.
fn hash_float(v: f64) -> Option<i64> {
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        return Some(if v > 0.0 { 314_159 } else { -314_159 });
    }
    let (mut m, mut e) = frexp(v.abs());
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (HASH_BITS - 28));
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        e as u32 % HASH_BITS
    } else {
        HASH_BITS - 1 - ((-1 - e) as u32 % HASH_BITS)
    };
    x = ((x << e) & MODULUS) | (x >> (HASH_BITS - e));
    let h = if v < 0.0 {
        (x as i64).wrapping_neg()
    } else {
        x as i64
    };
    Some(if h == -1 { -2 } else { h })
}

/// C's `frexp` for a non-negative finite `v`: `(m, e)` with `v = m * 2**e`, `0.5 <= m < 1`.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (0.0, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::powi(2.0, 64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const MIN_SIZE: usize = 8;

/// One slot of a CPython set table.
#[derive(Clone)]
enum Slot {
    Empty,
    Dummy,
    Active(i64, Jinja),
}

/// A CPython 3.11 `set` of hashable numbers, replaying its table layout exactly.
#[derive(Clone)]
struct PySet {
    table: Vec<Slot>,
    fill: usize,
    used: usize,
}

impl PySet {
    fn new() -> Self {
        Self {
            table: vec![Slot::Empty; MIN_SIZE],
            fill: 0,
            used: 0,
        }
    }

    /// `set(items)`, or `None` when some item has no reproducible hash.
    fn from_items(values: &[Jinja]) -> Option<Self> {
        let mut set = Self::new();
        for v in values {
            set.add(py_hash(v)?, v.clone());
        }
        Some(set)
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// The slot indexes CPython visits for `hash`, in order (an endless probe sequence).
    fn probes(mask: usize, hash: i64) -> impl Iterator<Item = usize> {
        let mut perturb = hash as u64;
        let mut i = (hash as u64 as usize) & mask;
        std::iter::from_fn(move || {
            let start = i;
            let run = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
            Some(start..=start + run)
        })
        .flatten()
    }

    /// The slot holding an item equal to `key`, if any (`set_lookkey`).
    fn find(&self, hash: i64, key: &Jinja) -> Option<usize> {
        for i in Self::probes(self.mask(), hash) {
            match &self.table[i] {
                Slot::Empty => return None,
                Slot::Active(h, k) if *h == hash && eq(k, key) => return Some(i),
                _ => {}
            }
        }
        None
    }

    /// `set_add_entry`: keeps an existing equal item, reuses the first dummy on the way.
    fn add(&mut self, hash: i64, key: Jinja) {
        let mut freeslot = None;
        let mut unused = 0;
        for i in Self::probes(self.mask(), hash) {
            match &self.table[i] {
                Slot::Empty => {
                    unused = i;
                    break;
                }
                Slot::Active(h, k) if *h == hash && eq(k, &key) => return,
                Slot::Dummy => {
                    freeslot.get_or_insert(i);
                }
                Slot::Active(..) => {}
            }
        }
        self.used += 1;
        if let Some(slot) = freeslot {
            self.table[slot] = Slot::Active(hash, key);
            return;
        }
        self.fill += 1;
        self.table[unused] = Slot::Active(hash, key);
        if self.fill * 5 >= self.mask() * 3 {
            let minused = if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            };
            self.resize(minused);
        }
    }

    /// `set_discard_entry`: leaves a dummy where the item was.
    fn discard(&mut self, hash: i64, key: &Jinja) -> bool {
        match self.find(hash, key) {
            Some(i) => {
                self.table[i] = Slot::Dummy;
                self.used -= 1;
                true
            }
            None => false,
        }
    }

    /// `set_table_resize`: a new table of the smallest power of two above `minused`, items
    /// reinserted in old table order.
    fn resize(&mut self, minused: usize) {
        let mut size = MIN_SIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![Slot::Empty; size]);
        self.fill = self.used;
        for (hash, key) in old.into_iter().filter_map(Slot::into_active) {
            self.insert_clean(hash, key);
        }
    }

    /// `set_insert_clean`: places a key known to be absent into the first empty slot.
    fn insert_clean(&mut self, hash: i64, key: Jinja) {
        if let Some(i) =
            Self::probes(self.mask(), hash).find(|&i| matches!(self.table[i], Slot::Empty))
        {
            self.table[i] = Slot::Active(hash, key);
        }
    }

    /// The active items with their hashes, in table order.
    fn entries(&self) -> Vec<(i64, Jinja)> {
        self.table
            .iter()
            .cloned()
            .filter_map(Slot::into_active)
            .collect()
    }

    /// `list(set)`.
    fn into_items(self) -> Vec<Jinja> {
        self.entries().into_iter().map(|(_, k)| k).collect()
    }

    /// `set_merge(self, other)` (used by copies and `|=`).
    fn merge(&mut self, other: &PySet) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.table.clone_from(&other.table);
            self.fill = other.fill;
            self.used = other.used;
            return;
        }
        if self.fill == 0 {
            self.fill = other.used;
            self.used = other.used;
            for (hash, key) in other.entries() {
                self.insert_clean(hash, key);
            }
            return;
        }
        for (hash, key) in other.entries() {
            self.add(hash, key);
        }
    }

    /// `set(self)`: a copy as CPython makes it.
    fn copy(&self) -> PySet {
        let mut out = PySet::new();
        out.merge(self);
        out
    }

    /// `self | other`.
    fn or(self, other: PySet) -> PySet {
        let mut out = self.copy();
        out.merge(&other);
        out
    }

    /// `self & other`: iterates the smaller set, keeping its items.
    fn and(self, other: PySet) -> PySet {
        let (big, small) = if other.used > self.used {
            (other, self)
        } else {
            (self, other)
        };
        let mut out = PySet::new();
        for (hash, key) in small.entries() {
            if big.find(hash, &key).is_some() {
                out.add(hash, key);
            }
        }
        out
    }

    /// `self - other`.
    fn sub(self, other: PySet) -> PySet {
        if (self.used >> 2) > other.used {
            let mut out = self.copy();
            for (hash, key) in other.entries() {
                out.discard(hash, &key);
            }
            return out;
        }
        let mut out = PySet::new();
        for (hash, key) in self.entries() {
            if other.find(hash, &key).is_none() {
                out.add(hash, key);
            }
        }
        out
    }

    /// `self ^ other`: a copy of `other`, toggled by each item of `self`.
    fn xor(self, other: PySet) -> PySet {
        let mut out = other.copy();
        for (hash, key) in self.entries() {
            if !out.discard(hash, &key) {
                out.add(hash, key);
            }
        }
        out
    }
}

impl Slot {
    fn into_active(self) -> Option<(i64, Jinja)> {
        match self {
            Slot::Active(hash, key) => Some((hash, key)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_numbers_like_cpython() {
        assert_eq!(hash_int(-1), -2);
        assert_eq!(hash_int(1 << 61), 1);
        assert_eq!(hash_float(1.5), Some(1_152_921_504_606_846_977));
        assert_eq!(hash_float(-2.5), Some(-1_152_921_504_606_846_978));
        assert_eq!(hash_float(3.0), Some(3));
    }

    #[test]
    fn orders_like_cpython_sets() {
        let ints = |v: &[i64]| v.iter().map(|&i| Jinja::from(i)).collect::<Vec<_>>();
        let set = |v: &[i64]| PySet::from_items(&ints(v)).expect("numbers");
        let out = set(&[10, 2, 33, 1]).or(set(&[8, 100])).into_items();
        assert_eq!(out, ints(&[33, 2, 1, 100, 8, 10]));
        let out = set(&[-1, 5, -3]).xor(set(&[0, -2])).into_items();
        assert_eq!(out, ints(&[0, 5, -1, -3, -2]));
    }
}
