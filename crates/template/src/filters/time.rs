//! Filters: time (`strftime`, `to_datetime`).
//!
//! Times are broken down in UTC: oxible's controller runs with `TZ` unset (UTC), and the
//! template crate has no time zone database; `utc=True` is UTC by definition.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use crate::args::{Bound, add_filter, sig};
use crate::datetime::{DateTime, year_day};
use crate::python::{float, py_str};

use super::text::parse_py_float;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &STRFTIME, strftime);
    add_filter(env, &TO_DATETIME, to_datetime);
}

sig!(STRFTIME, "strftime", ["second=None", "utc=False"]);
sig!(TO_DATETIME, "to_datetime", ["format='%Y-%m-%d %H:%M:%S'"]);

/// A moment broken down as C's `struct tm` (what `time.strftime` formats).
pub(crate) struct Tm {
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
    /// The UTC breakdown of `epoch` seconds.
    pub(crate) fn from_epoch(epoch: i64) -> Tm {
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
pub(crate) fn format_tm(tm: &Tm, format: &str) -> String {
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

/// `to_datetime(format='%Y-%m-%d %H:%M:%S')`: Python's `datetime.strptime` of the value.
fn to_datetime(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = v.as_str().ok_or_else(|| {
        args.error(format!(
            "strptime() argument 1 must be str, not {}",
            crate::python::type_name(v)
        ))
    })?;
    let format = args.str(0, "%Y-%m-%d %H:%M:%S")?;
    strptime(text, format)
        .map(Value::from_object)
        .map_err(|why| args.error(why))
}

/// The regular expression Python's `_strptime` matches a directive with, by its letter.
fn directive_pattern(d: char) -> Option<&'static str> {
    Some(match d {
        'd' => r"3[01]|[12]\d|0[1-9]|[1-9]| [1-9]",
        'f' => r"[0-9]{1,6}",
        'H' => r"2[0-3]|[0-1]\d|\d",
        'I' => r"1[0-2]|0[1-9]|[1-9]",
        'j' => r"36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9]",
        'm' => r"1[0-2]|0[1-9]|[1-9]",
        'M' => r"[0-5]\d|\d",
        'S' => r"6[0-1]|[0-5]\d|\d",
        'y' => r"\d\d",
        'Y' => r"\d\d\d\d",
        'p' => "am|pm",
        'b' | 'h' => "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec",
        'B' => {
            "september|february|november|december|january|october|august|april|march|june|july|may"
        }
        'a' => "mon|tue|wed|thu|fri|sat|sun",
        'A' => "wednesday|thursday|saturday|tuesday|monday|friday|sunday",
        _ => return None,
    })
}

/// Python's `datetime.strptime(text, format)` for the directives `%d %f %H %I %j %m %M %S
/// %y %Y %p %b %h %B %a %A %%`: the format becomes one case-insensitive regular expression
/// (a run of whitespace matches any whitespace), as `_strptime` builds it; the errors are
/// Python's `ValueError` texts.
fn strptime(text: &str, format: &str) -> Result<DateTime, String> {
    let mut pattern = String::from("(?i)^(?:");
    let mut order = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            let Some(d) = chars.next() else {
                return Err(format!("stray % in format '{format}'"));
            };
            if d == '%' {
                pattern.push('%');
                continue;
            }
            let Some(re) = directive_pattern(d) else {
                return Err(format!(
                    "'{d}' is a bad directive in format '{format}' (oxible knows %d %f %H %I \
                     %j %m %M %S %y %Y %p %b %h %B %a %A)"
                ));
            };
            let group = if d == 'h' { 'b' } else { d };
            if order.contains(&group) {
                return Err(format!("redefinition of group name '{group}'"));
            }
            order.push(group);
            pattern.push_str(&format!("(?P<{group}>{re})"));
        } else if c.is_whitespace() {
            while chars.next_if(|n| n.is_whitespace()).is_some() {}
            pattern.push_str(r"\s+");
        } else {
            pattern.push_str(&::regex::escape(&c.to_string()));
        }
    }
    pattern.push(')');
    let re = ::regex::Regex::new(&pattern).map_err(|e| e.to_string())?;
    let found = re
        .captures(text)
        .ok_or_else(|| format!("time data '{text}' does not match format '{format}'"))?;
    let end = found.get(0).map_or(0, |m| m.end());
    if end != text.len() {
        return Err(format!("unconverted data remains: {}", &text[end..]));
    }
    let (mut year, mut month, mut day) = (1900i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut micro) = (0u32, 0u32, 0u32, 0u32);
    let mut julian = None;
    let num = |g: char| -> u32 {
        found
            .name(&g.to_string())
            .and_then(|m| m.as_str().trim().parse().ok())
            .unwrap_or(0)
    };
    let pm = found
        .name("p")
        .is_some_and(|m| m.as_str().eq_ignore_ascii_case("pm"));
    for group in order {
        match group {
            'Y' => year = num('Y').into(),
            'y' => {
                let y = i64::from(num('y'));
                year = if y <= 68 { 2000 + y } else { 1900 + y };
            }
            'm' => month = num('m'),
            'b' | 'B' => {
                let name = found.name(&group.to_string()).map_or("", |m| m.as_str());
                let wanted = name.to_ascii_lowercase();
                let index = MONTHS.iter().position(|m| {
                    let m = m.to_ascii_lowercase();
                    if group == 'B' {
                        m == wanted
                    } else {
                        m[..3] == wanted
                    }
                });
                month = index.map_or(1, |i| i as u32 + 1);
            }
            'd' => day = num('d'),
            'H' => hour = num('H'),
            'I' => {
                let h = num('I');
                hour = match (pm, h) {
                    (false, 12) => 0,
                    (true, 12) => 12,
                    (true, h) => h + 12,
                    (false, h) => h,
                };
            }
            'M' => minute = num('M'),
            'S' => second = num('S'),
            'f' => {
                let digits = found.name("f").map_or("", |m| m.as_str());
                micro = format!("{digits:0<6}").parse().unwrap_or(0);
            }
            'j' => julian = Some(num('j')),
            _ => {}
        }
    }
    let date = match julian {
        // Python counts the day of the year from January 1st, whatever month and day say
        // (a day 366 of a common year is January 1st of the next).
        Some(j) => year_day(year, j),
        None => (year, month, day),
    };
    DateTime::new(date, (hour, minute, second, micro))
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
