//! Filters: time (`strftime`).
//!
//! Times are broken down in UTC: oxible's controller runs with `TZ` unset (UTC), and the
//! template crate has no time zone database; `utc=True` is UTC by definition.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use crate::args::{Bound, add_filter, sig};
use crate::python::{float, py_str};

use super::text::parse_py_float;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &STRFTIME, strftime);
}

sig!(STRFTIME, "strftime", ["second=None", "utc=False"]);

/// A moment broken down as C's `struct tm`.
struct Tm {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Days since Sunday.
    weekday: u32,
    /// Days since January 1st.
    yearday: u32,
    epoch: i64,
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

impl Tm {
    fn from_epoch(epoch: i64) -> Tm {
        let days = epoch.div_euclid(86_400);
        let secs = epoch.rem_euclid(86_400);
        let (year, month, day) = oxible_yaml::civil_from_days(days);
        const CUMULATIVE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let yearday =
            CUMULATIVE[month as usize - 1] + day - 1 + u32::from(month > 2 && is_leap(year));
        Tm {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
            yearday,
            epoch,
        }
    }

    /// The ISO 8601 week-based year and week number: those of this week's Thursday.
    fn iso_week(&self) -> (i64, u32) {
        let days = self.epoch.div_euclid(86_400);
        let thursday = days - i64::from((self.weekday + 6) % 7) + 3;
        let tm = Tm::from_epoch(thursday * 86_400);
        (tm.year, tm.yearday / 7 + 1)
    }
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// glibc's `strftime` in the C locale, for the directives it documents.
fn format_tm(tm: &Tm, format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let flag = chars.next_if(|f| matches!(f, '-' | '_' | '0'));
        let Some(d) = chars.next() else {
            out.push('%');
            if let Some(f) = flag {
                out.push(f);
            }
            break;
        };
        let num = |n: i64, width: usize, pad: char| -> String {
            match flag.unwrap_or(pad) {
                '-' => n.to_string(),
                '_' => format!("{n:>width$}"),
                _ => format!("{n:0width$}"),
            }
        };
        let hour12 = if tm.hour.is_multiple_of(12) {
            12
        } else {
            tm.hour % 12
        };
        let text = match d {
            'a' => DAYS[tm.weekday as usize][..3].to_string(),
            'A' => DAYS[tm.weekday as usize].to_string(),
            'b' | 'h' => MONTHS[tm.month as usize - 1][..3].to_string(),
            'B' => MONTHS[tm.month as usize - 1].to_string(),
            'c' => format_tm(tm, "%a %b %e %H:%M:%S %Y"),
            'C' => num(tm.year.div_euclid(100), 2, '0'),
            'd' => num(tm.day.into(), 2, '0'),
            'D' | 'x' => format_tm(tm, "%m/%d/%y"),
            'e' => num(tm.day.into(), 2, '_'),
            'F' => format_tm(tm, "%Y-%m-%d"),
            'g' => num(tm.iso_week().0.rem_euclid(100), 2, '0'),
            'G' => tm.iso_week().0.to_string(),
            'H' => num(tm.hour.into(), 2, '0'),
            'I' => num(hour12.into(), 2, '0'),
            'j' => num(i64::from(tm.yearday) + 1, 3, '0'),
            'k' => num(tm.hour.into(), 2, '_'),
            'l' => num(hour12.into(), 2, '_'),
            'm' => num(tm.month.into(), 2, '0'),
            'M' => num(tm.minute.into(), 2, '0'),
            'n' => "\n".to_string(),
            'p' => if tm.hour < 12 { "AM" } else { "PM" }.to_string(),
            'P' => if tm.hour < 12 { "am" } else { "pm" }.to_string(),
            'r' => format_tm(tm, "%I:%M:%S %p"),
            'R' => format_tm(tm, "%H:%M"),
            's' => tm.epoch.to_string(),
            'S' => num(tm.second.into(), 2, '0'),
            't' => "\t".to_string(),
            'T' | 'X' => format_tm(tm, "%H:%M:%S"),
            'u' => (if tm.weekday == 0 { 7 } else { tm.weekday }).to_string(),
            'U' => num(((tm.yearday + 7 - tm.weekday) / 7).into(), 2, '0'),
            'V' => num(tm.iso_week().1.into(), 2, '0'),
            'w' => tm.weekday.to_string(),
            'W' => num(((tm.yearday + 7 - (tm.weekday + 6) % 7) / 7).into(), 2, '0'),
            'y' => num(tm.year.rem_euclid(100), 2, '0'),
            'Y' => tm.year.to_string(),
            'z' => "+0000".to_string(),
            'Z' => "UTC".to_string(),
            '%' => "%".to_string(),
            other => {
                let mut s = String::from('%');
                if let Some(f) = flag {
                    s.push(f);
                }
                s.push(other);
                s
            }
        };
        out.push_str(&text);
    }
    out
}

/// `strftime(second=None, utc=False)`: the format (the filter's input) applied with
/// Python's `time.strftime` to `second` (epoch seconds, a number or numeric string), or now.
fn strftime(v: &Value, args: &Bound) -> Result<Value, Error> {
    let format = v
        .as_str()
        .ok_or_else(|| args.error("strftime() argument 1 must be str"))?;
    let epoch = match args.opt(0) {
        Some(s) => {
            let invalid = || {
                args.error(format!(
                    "Invalid value for epoch value ({})",
                    py_str(s).unwrap_or_default()
                ))
            };
            let f = match s.as_str() {
                Some(text) => parse_py_float(text).ok_or_else(invalid)?,
                None => float(s).ok_or_else(invalid)?,
            };
            if !f.is_finite() || f.abs() > 6.7e16 {
                return Err(args.error("timestamp out of range for platform time_t"));
            }
            f.trunc() as i64
        }
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    Ok(Value::from(format_tm(&Tm::from_epoch(epoch), format)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_glibc() {
        let tm = Tm::from_epoch(1_700_000_000);
        assert_eq!(
            format_tm(&tm, "%Y-%m-%d %H:%M:%S %a %j"),
            "2023-11-14 22:13:20 Tue 318"
        );
        assert_eq!(
            format_tm(&Tm::from_epoch(0), "%G-W%V-%u %U %W"),
            "1970-W01-4 00 00"
        );
    }
}
