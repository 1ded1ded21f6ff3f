//! Civil dates (no time zone: the portarias count days) and UTC timestamps.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2199;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("data inválida \"{input}\": esperado AAAA-MM-DD (anos {MIN_YEAR} a {MAX_YEAR})")]
pub struct DateError {
    pub input: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// A valid civil date between 1900 and 2199.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i16,
    month: u8,
    day: u8,
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn last_day_of_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        let valid = (MIN_YEAR..=MAX_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= last_day_of_month(year, month);
        if !valid {
            return Err(DateError {
                input: format!("{year:04}-{month:02}-{day:02}"),
            });
        }
        Ok(Date {
            year: year as i16,
            month,
            day,
        })
    }
    pub fn year(self) -> i32 {
        i32::from(self.year)
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn days_since_epoch(self) -> i32 {
        let (m, d) = (i32::from(self.month), i32::from(self.day));
        let y = self.year() - i32::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days_since_epoch`]; panics outside 1900..=2199 (a programming error).
    pub fn from_days_since_epoch(days: i32) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i32::from(month <= 2);
        Date::new(year, month, day).expect("date arithmetic stays within the supported years")
    }

    pub fn add_days(self, days: i32) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Adds calendar months, clamping the day to the target month's length.
    /// The month this date falls in (a date's year is always within the periods' range).
    pub fn year_month(self) -> crate::period::YearMonth {
        let year = u16::try_from(self.year()).expect("a date's year fits a period");
        crate::period::YearMonth::new(year, self.month()).expect("a date's month is a valid period")
    }

    pub fn add_months(self, months: i32) -> Date {
        let index = self.year() * 12 + i32::from(self.month) - 1 + months;
        let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
        Date::new(year, month, self.day.min(last_day_of_month(year, month)))
            .expect("month arithmetic in range")
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        const DAYS: [Weekday; 7] = [
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
        ];
        DAYS[self.days_since_epoch().rem_euclid(7) as usize]
    }

    /// `31/12/2025`, as people read dates.
    pub fn format_br(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(input: &str) -> Result<Date, DateError> {
        let error = || DateError {
            input: input.to_owned(),
        };
        let b = input.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(error());
        }
        let num = |s: &str| {
            s.parse::<u16>()
                .ok()
                .filter(|_| s.bytes().all(|c| c.is_ascii_digit()))
        };
        let (Some(y), Some(m), Some(d)) = (num(&input[..4]), num(&input[5..7]), num(&input[8..]))
        else {
            return Err(error());
        };
        Date::new(i32::from(y), m as u8, d as u8).map_err(|_| error())
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i32(self.days_since_epoch())
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            let days = i32::deserialize(d)?;
            let min = Date {
                year: MIN_YEAR as i16,
                month: 1,
                day: 1,
            }
            .days_since_epoch();
            let max = Date {
                year: MAX_YEAR as i16,
                month: 12,
                day: 31,
            }
            .days_since_epoch();
            if !(min..=max).contains(&days) {
                return Err(serde::de::Error::custom(format!(
                    "data fora do intervalo: {days} dias"
                )));
            }
            Ok(Date::from_days_since_epoch(days))
        }
    }
}

/// Milliseconds since the Unix epoch, UTC: when a log or an ingest recorded something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MILLIS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// Midnight UTC of a date.
    pub fn at_midnight(date: Date) -> Timestamp {
        Timestamp(i64::from(date.days_since_epoch()) * MILLIS_PER_DAY)
    }
    /// The UTC date of the instant.
    pub fn date(self) -> Date {
        Date::from_days_since_epoch(self.0.div_euclid(MILLIS_PER_DAY) as i32)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(MILLIS_PER_DAY);
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(f, "{}T{h:02}:{m:02}:{s:02}.{milli:03}Z", self.date())
    }
}

/// Why a text is not an instant, in Portuguese, with the text itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "instante inválido \"{input}\": {reason}; esperado AAAA-MM-DD ou AAAA-MM-DDTHH:MM:SS[.fração] seguido de Z ou ±HH:MM (RFC 3339)"
)]
pub struct TimestampError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    /// A date alone (`AAAA-MM-DD`, midnight UTC) or an RFC 3339 date-time: `T` (or `t`, or one space)
    /// between date and time, two-digit fields, an optional fraction of any length (kept to the
    /// millisecond, the rest dropped), and `Z` or a numeric offset `±HH:MM`, converted to UTC. A leap
    /// second (`:60`) is refused: the log's clock never writes one.
    fn from_str(input: &str) -> Result<Timestamp, TimestampError> {
        let error = |reason| TimestampError {
            input: input.to_owned(),
            reason,
        };
        if !input.is_ascii() {
            return Err(error("caractere fora do ASCII"));
        }
        let bytes = input.as_bytes();
        if bytes.len() == 10 {
            let date: Date = input.parse().map_err(|_| error("data inexistente"))?;
            return Ok(Timestamp::at_midnight(date));
        }
        if bytes.len() < 20 {
            return Err(error("curto demais"));
        }
        let date: Date = input[..10].parse().map_err(|_| error("data inexistente"))?;
        if !matches!(bytes[10], b'T' | b't' | b' ') {
            return Err(error("falta o T entre data e hora"));
        }
        let two = |at: usize| -> Option<i64> {
            let (h, l) = (bytes.get(at)?, bytes.get(at + 1)?);
            (h.is_ascii_digit() && l.is_ascii_digit())
                .then(|| i64::from((h - b'0') * 10 + (l - b'0')))
        };
        let (Some(h), Some(m), Some(sec)) = (two(11), two(14), two(17)) else {
            return Err(error("hora, minuto e segundo têm dois dígitos cada"));
        };
        if bytes[13] != b':' || bytes[16] != b':' {
            return Err(error("hora, minuto e segundo separados por :"));
        }
        if h > 23 || m > 59 || sec > 59 {
            return Err(error("hora até 23, minuto e segundo até 59"));
        }
        let mut at = 19;
        let mut millis = 0;
        if bytes[at] == b'.' {
            let digits = bytes[at + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                return Err(error("fração sem dígitos"));
            }
            for (k, d) in bytes[at + 1..at + 1 + digits.min(3)].iter().enumerate() {
                millis += i64::from(d - b'0') * [100, 10, 1][k];
            }
            at += 1 + digits;
        }
        let offset_minutes = match &bytes[at..] {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (Some(oh), Some(om)) = (two(at + 1), two(at + 4)) else {
                    return Err(error("deslocamento ±HH:MM com dígitos"));
                };
                if oh > 23 || om > 59 {
                    return Err(error("deslocamento até 23:59"));
                }
                let minutes = oh * 60 + om;
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return Err(error("falta o fuso: Z ou ±HH:MM no fim")),
        };
        let local = Timestamp::at_midnight(date).0 + ((h * 60 + m) * 60 + sec) * 1000 + millis;
        Ok(Timestamp(local - offset_minutes * 60_000))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(d).map(Timestamp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_epoch_round_trips_across_the_supported_range() {
        for days in (-25_567..84_000).step_by(37) {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        assert_eq!("1970-01-01".parse::<Date>().unwrap().days_since_epoch(), 0);
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "abcd-01-01",
            "2025-04-31",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn weekdays_and_month_arithmetic() {
        assert_eq!(
            "2025-04-18".parse::<Date>().unwrap().weekday(),
            Weekday::Friday
        );
        assert_eq!(
            "2025-01-31"
                .parse::<Date>()
                .unwrap()
                .add_months(1)
                .to_string(),
            "2025-02-28"
        );
        assert_eq!(
            "2025-06-30"
                .parse::<Date>()
                .unwrap()
                .add_months(-7)
                .to_string(),
            "2024-11-30"
        );
    }

    #[test]
    fn timestamps_with_an_offset_are_taken_to_utc() {
        let brasilia: Timestamp = "2025-06-10T09:34:56-03:00".parse().unwrap();
        assert_eq!(brasilia.to_string(), "2025-06-10T12:34:56.000Z");
        let east: Timestamp = "2025-06-10T00:30:00.5+05:30".parse().unwrap();
        assert_eq!(east.to_string(), "2025-06-09T19:00:00.500Z");
        let lower: Timestamp = "2025-06-10t12:34:56.123456789z".parse().unwrap();
        assert_eq!(lower.to_string(), "2025-06-10T12:34:56.123Z");
    }

    #[test]
    fn malformed_instants_are_refused_naming_the_text_never_panicking() {
        for bad in [
            "2025-06-10T-1:00:00Z",
            "2025-06-10T+1:00:00Z",
            "2025-06-10T1:2:3Z",
            "2025-06-10T12:34:56.12éZ",
            "2025-06-10T12:34:56.1€Z",
            "2025-06-10T12:34:56.-5Z",
            "2025-06-10T12:34:56.Z",
            "2025-06-10T12:34:56",
            "2025-06-10T12:34:56+3:00",
            "2025-06-10T12:34:56-03:60",
            "2025-06-10T24:00:00Z",
            "2025-06-10T12:34:60Z",
            "2025-02-30T12:34:56Z",
            "2025-06-10X12:34:56Z",
            "2025-06-10T12:34:56ZZ",
            "é",
            "",
        ] {
            let error = bad.parse::<Timestamp>().expect_err(bad);
            assert_eq!(error.input, bad);
            assert!(error.to_string().contains("RFC 3339"), "{error}");
        }
    }

    #[test]
    fn timestamps_print_and_parse_rfc3339_utc() {
        let t: Timestamp = "2025-06-10T12:34:56.789Z".parse().unwrap();
        assert_eq!(t.to_string(), "2025-06-10T12:34:56.789Z");
        assert_eq!(t.date().to_string(), "2025-06-10");
        assert_eq!(
            "2025-06-10".parse::<Timestamp>().unwrap().to_string(),
            "2025-06-10T00:00:00.000Z"
        );
    }
}
