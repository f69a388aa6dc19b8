//! Python's `datetime.datetime` and `datetime.timedelta` as template values, as
//! ansible.builtin.to_datetime returns them: attributes (`.year` … `.microsecond`, `.days`,
//! `.seconds`, `.microseconds`), methods (`strftime`, `isoformat`, `timestamp`, `weekday`,
//! `isoweekday`, `total_seconds`), comparison, `-` and `+` between them, and Python's `str()`.
//!
//! Datetimes are naive (no time zone), held as microseconds since 1970-01-01 00:00:00;
//! `timestamp()` reads them as UTC, the controller's zone (see filters/time.rs).

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{DynObject, Object, ObjectRepr, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use crate::filters::time::{Tm, format_tm};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A naive `datetime.datetime` (years 1 to 9999, as Python's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    micros: i64,
}

/// A `datetime.timedelta`: a signed span in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeDelta {
    micros: i64,
}

/// A `datetime` broken into its fields.
struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    microsecond: i64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date of day `yday` (1 is January 1st) counted from the start of `year`.
pub(crate) fn year_day(year: i64, yday: u32) -> (i64, u32, u32) {
    oxible_yaml::civil_from_days(days_from_civil(year, 1, 1) + i64::from(yday) - 1)
}

impl DateTime {
    /// The datetime of these fields, or Python's `ValueError` text for one out of range.
    pub(crate) fn new(
        (year, month, day): (i64, u32, u32),
        (hour, minute, second, microsecond): (u32, u32, u32, u32),
    ) -> Result<DateTime, String> {
        if !(1..=9999).contains(&year) {
            return Err(format!("year {year} is out of range"));
        }
        if !(1..=12).contains(&month) {
            return Err("month must be in 1..12".into());
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err("day is out of range for month".into());
        }
        for (value, max, name) in [
            (hour, 23, "hour"),
            (minute, 59, "minute"),
            (second, 59, "second"),
            (microsecond, 999_999, "microsecond"),
        ] {
            if value > max {
                return Err(format!("{name} must be in 0..{max}"));
            }
        }
        let seconds = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Ok(DateTime {
            micros: days_from_civil(year, month, day) * MICROS_PER_DAY
                + seconds * MICROS_PER_SECOND
                + i64::from(microsecond),
        })
    }

    /// The datetime `micros` after the epoch, if its year is one Python allows.
    fn from_micros(micros: i64) -> Result<DateTime, Error> {
        let first = days_from_civil(1, 1, 1) * MICROS_PER_DAY;
        let end = days_from_civil(10_000, 1, 1) * MICROS_PER_DAY;
        if (first..end).contains(&micros) {
            Ok(DateTime { micros })
        } else {
            Err(Error::new(
                ErrorKind::InvalidOperation,
                "date value out of range",
            ))
        }
    }

    fn parts(&self) -> Parts {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let in_day = self.micros.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = oxible_yaml::civil_from_days(days);
        let seconds = in_day / MICROS_PER_SECOND;
        Parts {
            year,
            month,
            day,
            hour: seconds / 3600,
            minute: seconds / 60 % 60,
            second: seconds % 60,
            microsecond: in_day % MICROS_PER_SECOND,
        }
    }

    /// Python's `isoformat(sep)`: the date, `sep`, the time, and microseconds when not zero.
    fn isoformat(&self, sep: &str) -> String {
        let p = self.parts();
        let mut text = format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            p.year, p.month, p.day, p.hour, p.minute, p.second
        );
        if p.microsecond != 0 {
            text.push_str(&format!(".{:06}", p.microsecond));
        }
        text
    }

    /// Python's `datetime.strftime`: `%f` (microseconds) and the empty `%z`/`%Z` of a naive
    /// datetime are filled in here, the rest is `time.strftime` of the time tuple.
    fn strftime(&self, format: &str) -> String {
        let mut expanded = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                expanded.push(c);
                continue;
            }
            match chars.next() {
                Some('f') => expanded.push_str(&format!("{:06}", self.parts().microsecond)),
                Some('z' | 'Z') => {}
                Some(other) => {
                    expanded.push('%');
                    expanded.push(other);
                }
                None => expanded.push('%'),
            }
        }
        let tm = Tm::from_epoch(self.micros.div_euclid(MICROS_PER_SECOND));
        format_tm(&tm, &expanded)
    }

    /// Days since Monday (Python's `weekday()`).
    fn weekday(&self) -> i64 {
        (self.micros.div_euclid(MICROS_PER_DAY) + 3).rem_euclid(7)
    }
}

/// `str(datetime)`: `YYYY-MM-DD HH:MM:SS[.ffffff]`.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.isoformat(" "))
    }
}

impl TimeDelta {
    /// Python's normalised fields: days (any sign), seconds in 0..86400, microseconds in
    /// 0..1000000.
    fn fields(&self) -> (i64, i64, i64) {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let rest = self.micros.rem_euclid(MICROS_PER_DAY);
        (days, rest / MICROS_PER_SECOND, rest % MICROS_PER_SECOND)
    }
}

/// `str(timedelta)`: `[D day[s], ]H:MM:SS[.ffffff]`.
impl fmt::Display for TimeDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, seconds, micros) = self.fields();
        if days != 0 {
            let plural = if days.abs() == 1 { "" } else { "s" };
            write!(f, "{days} day{plural}, ")?;
        }
        write!(
            f,
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        Ok(())
    }
}

/// Python's error for a method called with arguments it does not take.
fn no_arguments(method: &str, args: &[Value]) -> Result<(), Error> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::TooManyArguments,
            format!("{method}() takes no arguments ({} given)", args.len()),
        ))
    }
}

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let p = self.parts();
        Some(Value::from(match key.as_str()? {
            "year" => p.year,
            "month" => p.month.into(),
            "day" => p.day.into(),
            "hour" => p.hour,
            "minute" => p.minute,
            "second" => p.second,
            "microsecond" => p.microsecond,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let (format,): (&str,) = from_args(args)?;
                Ok(Value::from(self.strftime(format)))
            }
            "isoformat" => {
                let (sep,): (Option<&str>,) = from_args(args)?;
                Ok(Value::from(self.isoformat(sep.unwrap_or("T"))))
            }
            "timestamp" => {
                no_arguments(method, args)?;
                Ok(Value::from(self.micros as f64 / MICROS_PER_SECOND as f64))
            }
            "weekday" => {
                no_arguments(method, args)?;
                Ok(Value::from(self.weekday()))
            }
            "isoweekday" => {
                no_arguments(method, args)?;
                Ok(Value::from(self.weekday() + 1))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        Some(self.micros.cmp(&other.downcast_ref::<Self>()?.micros))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl Object for TimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (days, seconds, micros) = self.fields();
        Some(Value::from(match key.as_str()? {
            "days" => days,
            "seconds" => seconds,
            "microseconds" => micros,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "total_seconds" => {
                no_arguments(method, args)?;
                Ok(Value::from(self.micros as f64 / MICROS_PER_SECOND as f64))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.micros != 0
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        Some(self.micros.cmp(&other.downcast_ref::<Self>()?.micros))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A template value as one of the two types, with its microseconds.
enum Operand {
    At(i64),
    Span(i64),
}

fn operand(v: &Value) -> Option<Operand> {
    if let Some(d) = v.downcast_object_ref::<DateTime>() {
        return Some(Operand::At(d.micros));
    }
    v.downcast_object_ref::<TimeDelta>()
        .map(|d| Operand::Span(d.micros))
}

/// Python's type name of a datetime (`datetime`) or timedelta (`timedelta`) value.
pub(crate) fn type_name(v: &Value) -> Option<&'static str> {
    match operand(v)? {
        Operand::At(_) => Some("datetime"),
        Operand::Span(_) => Some("timedelta"),
    }
}

/// Python's qualified name of a value's type, for operator errors.
fn qualified_type_name(v: &Value) -> String {
    match type_name(v) {
        Some(name) => format!("datetime.{name}"),
        None => crate::python::type_name(v).to_string(),
    }
}

/// `+` and `-` between datetimes and timedeltas, as Python defines them (installed with
/// `minijinja::value::set_object_arithmetic`); `None` when neither operand is one of them.
pub(crate) fn arithmetic(op: &str, lhs: &Value, rhs: &Value) -> Option<Result<Value, Error>> {
    let (l, r) = (operand(lhs), operand(rhs));
    if l.is_none() && r.is_none() {
        return None;
    }
    let overflow = || Error::new(ErrorKind::InvalidOperation, "date value out of range");
    let span = |m: Option<i64>| {
        m.map(|micros| Value::from_object(TimeDelta { micros }))
            .ok_or_else(overflow)
    };
    let at = |m: Option<i64>| {
        m.ok_or_else(overflow)
            .and_then(DateTime::from_micros)
            .map(Value::from_object)
    };
    Some(match (op, l, r) {
        ("-", Some(Operand::At(a)), Some(Operand::At(b))) => span(a.checked_sub(b)),
        ("-", Some(Operand::At(a)), Some(Operand::Span(b))) => at(a.checked_sub(b)),
        ("-", Some(Operand::Span(a)), Some(Operand::Span(b))) => span(a.checked_sub(b)),
        ("+", Some(Operand::At(a)), Some(Operand::Span(b)))
        | ("+", Some(Operand::Span(b)), Some(Operand::At(a))) => at(a.checked_add(b)),
        ("+", Some(Operand::Span(a)), Some(Operand::Span(b))) => span(a.checked_add(b)),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "unsupported operand type(s) for {op}: '{}' and '{}'",
                qualified_type_name(lhs),
                qualified_type_name(rhs)
            ),
        )),
    })
}

/// Python's `str()` of a datetime or timedelta value; `None` for any other value.
pub(crate) fn py_str(v: &Value) -> Option<String> {
    match operand(v)? {
        Operand::At(micros) => Some(DateTime { micros }.to_string()),
        Operand::Span(micros) => Some(TimeDelta { micros }.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_and_subtracts_like_python() {
        let a = DateTime::new((2016, 8, 14), (20, 0, 12, 0)).expect("valid");
        let b = DateTime::new((2016, 8, 4), (18, 0, 0, 0)).expect("valid");
        assert_eq!(a.to_string(), "2016-08-14 20:00:12");
        let delta = arithmetic("-", &Value::from_object(a), &Value::from_object(b))
            .expect("handled")
            .expect("subtracts");
        assert_eq!(py_str(&delta).as_deref(), Some("10 days, 2:00:12"));
        let back = arithmetic("-", &Value::from_object(b), &Value::from_object(a))
            .expect("handled")
            .expect("subtracts");
        assert_eq!(py_str(&back).as_deref(), Some("-11 days, 21:59:48"));
        assert!(DateTime::new((2023, 2, 29), (0, 0, 0, 0)).is_err());
        assert_eq!(a.strftime("%d.%m.%Y %f%z"), "14.08.2016 000000");
    }
}
