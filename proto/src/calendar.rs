//! CAL.DIA_UTIL: business days exclude Saturdays, Sundays and national holidays only (Portaria SAPS nº 4/2021
//! art. 2º §1º): 1 Jan, Good Friday, 21 Apr, 1 May, 7 Sep, 12 Oct, 2 Nov, 15 Nov, 20 Nov (from 2024), 25 Dec.
//! Carnival and Corpus Christi are not holidays.

use crate::date::{Date, Weekday};
use crate::period::YearMonth;

/// Fixed-date national holidays (month, day).
const FIXED_HOLIDAYS: [(u8, u8); 8] = [
    (1, 1),
    (4, 21),
    (5, 1),
    (9, 7),
    (10, 12),
    (11, 2),
    (11, 15),
    (12, 25),
];
/// Dia Nacional de Zumbi e da Consciência Negra is a national holiday from 2024 on (Lei 14.759/2023).
const CONSCIENCIA_NEGRA_FROM: i32 = 2024;
/// The most business days any month has.
pub const MAX_BUSINESS_DAYS_IN_MONTH: u8 = 23;

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i32) -> Date {
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as u8, day as u8).expect("Easter is a valid date")
}

/// The national holidays of a year, sorted.
pub fn national_holidays(year: i32) -> Vec<Date> {
    let mut days: Vec<Date> = FIXED_HOLIDAYS
        .iter()
        .map(|&(m, d)| Date::new(year, m, d).expect("fixed holiday"))
        .collect();
    days.push(easter(year).add_days(-2));
    if year >= CONSCIENCIA_NEGRA_FROM {
        days.push(Date::new(year, 11, 20).expect("20 Nov"));
    }
    days.sort();
    days
}

fn is_fixed_holiday(date: Date) -> bool {
    FIXED_HOLIDAYS.contains(&(date.month(), date.day()))
        || (date.year() >= CONSCIENCIA_NEGRA_FROM && (date.month(), date.day()) == (11, 20))
}

pub fn is_business_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !is_fixed_holiday(date)
        && date != easter(date.year()).add_days(-2)
}

/// The `n`-th business day (1-based) of a month.
pub fn nth_business_day(month: YearMonth, n: u8) -> Date {
    assert!(
        (1..=MAX_BUSINESS_DAYS_IN_MONTH).contains(&n),
        "business day {n} outside 1..=23"
    );
    let mut date = month.first_day();
    let mut count = 0;
    loop {
        if is_business_day(date) {
            count += 1;
            if count == n {
                return date;
            }
        }
        date = date.add_days(1);
        assert_eq!(
            date.month(),
            month.month(),
            "{month} has fewer than {n} business days"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn easter_of_known_years() {
        assert_eq!(easter(2024), d("2024-03-31"));
        assert_eq!(easter(2025), d("2025-04-20"));
        assert_eq!(easter(2026), d("2026-04-05"));
    }

    #[test]
    fn good_friday_and_consciencia_negra() {
        assert!(!is_business_day(d("2025-04-18")));
        assert!(
            is_business_day(d("2023-11-20")),
            "a Monday, not yet a national holiday"
        );
        assert!(!is_business_day(d("2024-11-20")));
        assert!(
            is_business_day(d("2025-03-04")),
            "Carnival Tuesday is not a holiday"
        );
    }

    #[test]
    fn tenth_business_day_of_april_2025() {
        // April 2025: Tue 1, Wed 2, Thu 3, Fri 4 (4), Mon 7..Fri 11 (9), Mon 14 (10).
        assert_eq!(
            nth_business_day("2025-04".parse().unwrap(), 10),
            d("2025-04-14")
        );
        // May 2025: Thu 1 is a holiday; Fri 2 (1), Mon 5..Fri 9 (6), Mon 12..Wed 14 (9), Thu 15 (10).
        assert_eq!(
            nth_business_day("2025-05".parse().unwrap(), 10),
            d("2025-05-15")
        );
    }
}
