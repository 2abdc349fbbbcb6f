//! Calendar facts known to a day, a month or a year: `"2024-03-21"`, `"2024-03"`, `"2024"`.

use std::fmt;

use chrono::{Datelike, NaiveDate};

super::text_enum! {
    /// How much of a date is known: `2024-03` is month precision and stored as 2024-03-01.
    Precision { Day => "day", Month => "month", Year => "year" }
}

/// A date with the precision it is known to. `start` is the first day of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub start: NaiveDate,
    pub precision: Precision,
}

/// Years outside this range are almost certainly typos in a record about AI talent, and
/// keeping them out means every stored date formats back as four digits.
const YEARS: std::ops::RangeInclusive<i32> = 1800..=2200;

impl PartialDate {
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || format!("`{text}` is not a date: expected YYYY, YYYY-MM or YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        let shape_ok = matches!(lengths.as_slice(), [4] | [4, 2] | [4, 2, 2])
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if !shape_ok {
            return Err(expected());
        }
        let number = |i: usize| parts[i].parse::<u32>().map_err(|_| expected());
        let year = number(0)? as i32;
        if !YEARS.contains(&year) {
            return Err(format!(
                "year {year} is out of range ({}–{})",
                YEARS.start(),
                YEARS.end()
            ));
        }
        let (month, day, precision) = match parts.len() {
            1 => (1, 1, Precision::Year),
            2 => (number(1)?, 1, Precision::Month),
            _ => (number(1)?, number(2)?, Precision::Day),
        };
        if !(1..=12).contains(&month) {
            return Err(format!("`{text}` has no month {month}"));
        }
        let start = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| format!("`{text}` is not a day of the calendar"))?;
        Ok(Self { start, precision })
    }

    /// Rebuilds a stored value (a date column and its precision column).
    pub fn from_stored(start: Option<NaiveDate>, precision: Option<Precision>) -> Option<Self> {
        Some(Self {
            start: start?,
            precision: precision?,
        })
    }

    /// The last day of the period: `2024-03` ends on 2024-03-31, `2024` on 2024-12-31.
    pub fn end(&self) -> NaiveDate {
        let next = match self.precision {
            Precision::Day => return self.start,
            Precision::Month => self.start.checked_add_months(chrono::Months::new(1)),
            Precision::Year => self.start.with_year(self.start.year() + 1),
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }
}

/// How two partial dates stand to each other. A partial date is the interval of days it covers
/// (`2023` is 2023-01-01..=2023-12-31), so two of them are in a certain order only when their
/// intervals do not overlap: a move known to "2023" is neither before nor after a release in
/// "2023-02". Every analytic compares dates through this rule, never through first days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Every day of the first is before every day of the second.
    Before,
    /// Every day of the first is after every day of the second.
    After,
    /// The intervals overlap: either could have come first.
    Uncertain,
}

/// Where a partial date stands against a period of whole days (`since`..=`until`, each bound
/// optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Its whole interval lies in the period.
    Inside,
    /// It overlaps the period without lying in it: it may or may not have been in it.
    Maybe,
    /// No day of it is in the period.
    Outside,
}

impl PartialDate {
    /// A date known to the day.
    pub fn day(day: NaiveDate) -> Self {
        Self {
            start: day,
            precision: Precision::Day,
        }
    }

    pub fn order(&self, other: &PartialDate) -> Order {
        if self.end() < other.start {
            Order::Before
        } else if self.start > other.end() {
            Order::After
        } else {
            Order::Uncertain
        }
    }

    pub fn placement(&self, since: Option<NaiveDate>, until: Option<NaiveDate>) -> Placement {
        let starts_after_since = since.is_none_or(|since| self.start >= since);
        let ends_before_until = until.is_none_or(|until| self.end() <= until);
        if starts_after_since && ends_before_until {
            Placement::Inside
        } else if since.is_some_and(|since| self.end() < since)
            || until.is_some_and(|until| self.start > until)
        {
            Placement::Outside
        } else {
            Placement::Maybe
        }
    }
}

/// Formats back to the input form, so a record can be re-read as a request body (merge patch).
impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{}", self.start.format("%Y-%m-%d")),
            Precision::Month => write!(f, "{}", self.start.format("%Y-%m")),
            Precision::Year => write!(f, "{}", self.start.format("%Y")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_the_three_precisions_to_the_first_day_of_the_period() {
        assert_eq!(
            PartialDate::parse("2024-03-21").unwrap(),
            PartialDate {
                start: date(2024, 3, 21),
                precision: Precision::Day
            }
        );
        assert_eq!(
            PartialDate::parse("2024-03").unwrap(),
            PartialDate {
                start: date(2024, 3, 1),
                precision: Precision::Month
            }
        );
        assert_eq!(
            PartialDate::parse("2024").unwrap(),
            PartialDate {
                start: date(2024, 1, 1),
                precision: Precision::Year
            }
        );
    }

    #[test]
    fn end_is_the_last_day_of_the_period() {
        assert_eq!(
            PartialDate::parse("2024-02").unwrap().end(),
            date(2024, 2, 29)
        );
        assert_eq!(
            PartialDate::parse("2023-12").unwrap().end(),
            date(2023, 12, 31)
        );
        assert_eq!(
            PartialDate::parse("2024").unwrap().end(),
            date(2024, 12, 31)
        );
        assert_eq!(
            PartialDate::parse("2024-03-21").unwrap().end(),
            date(2024, 3, 21)
        );
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "",
            "24",
            "2024-3",
            "2024-03-1",
            "2024/03",
            "2024-13",
            "2024-00",
            "2023-02-29",
            "2024-04-31",
            "20240",
            "abcd",
            "2024-03-21T00:00:00Z",
            "1799",
            "2201",
            "+2024",
            " 2024",
            "2024-03-21-01",
        ] {
            assert!(
                PartialDate::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn displays_back_to_the_input_form() {
        for text in ["2024", "2024-03", "2024-03-21", "1999-12-31"] {
            assert_eq!(PartialDate::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn leap_days_are_valid_only_in_leap_years() {
        assert!(PartialDate::parse("2024-02-29").is_ok());
        assert!(PartialDate::parse("2100-02-29").is_err());
    }

    fn at(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    #[test]
    fn dates_are_ordered_only_when_their_intervals_do_not_overlap() {
        // The demo's case: Lample and Lacroix left Meta in "2023"; Llama came out in "2023-02".
        assert_eq!(at("2023").order(&at("2023-02")), Order::Uncertain);
        assert_eq!(at("2023-02").order(&at("2023")), Order::Uncertain);
        assert_eq!(at("2023-01").order(&at("2023-02")), Order::Before);
        assert_eq!(at("2023-03-01").order(&at("2023-02")), Order::After);
        assert_eq!(at("2023-02-28").order(&at("2023-02")), Order::Uncertain);
        assert_eq!(at("2022").order(&at("2023-01-01")), Order::Before);
        assert_eq!(at("2024").order(&at("2023-12-31")), Order::After);
        // The same day is not an order either.
        assert_eq!(at("2023-02-01").order(&at("2023-02-01")), Order::Uncertain);
    }

    #[test]
    fn a_date_lies_in_a_period_only_when_all_of_it_does() {
        let (feb, mar) = (date(2023, 2, 1), date(2023, 3, 31));
        assert_eq!(
            at("2023-02").placement(Some(feb), Some(mar)),
            Placement::Inside
        );
        assert_eq!(
            at("2023-03-31").placement(Some(feb), Some(mar)),
            Placement::Inside
        );
        assert_eq!(at("2023").placement(Some(feb), Some(mar)), Placement::Maybe);
        assert_eq!(
            at("2023-01").placement(Some(feb), Some(mar)),
            Placement::Outside
        );
        assert_eq!(
            at("2023-04-01").placement(Some(feb), Some(mar)),
            Placement::Outside
        );
        assert_eq!(at("2023").placement(None, Some(mar)), Placement::Maybe);
        assert_eq!(at("2023").placement(Some(feb), None), Placement::Maybe);
        assert_eq!(at("2023").placement(None, None), Placement::Inside);
        assert_eq!(
            at("2023").placement(Some(date(2023, 1, 1)), None),
            Placement::Inside
        );
    }

    proptest::proptest! {
        /// The order is the one the days themselves have: `Before` when every day of one comes
        /// before every day of the other, and the reverse of the other way round.
        #[test]
        fn order_agrees_with_every_pair_of_days(
            a in (2020i32..=2024, 1u32..=12, 1u32..=28, 0usize..3),
            b in (2020i32..=2024, 1u32..=12, 1u32..=28, 0usize..3),
        ) {
            let make = |(y, m, d, p): (i32, u32, u32, usize)| {
                let text = match p {
                    0 => format!("{y:04}"),
                    1 => format!("{y:04}-{m:02}"),
                    _ => format!("{y:04}-{m:02}-{d:02}"),
                };
                PartialDate::parse(&text).unwrap()
            };
            let (a, b) = (make(a), make(b));
            let expected = if a.end() < b.start {
                Order::Before
            } else if b.end() < a.start {
                Order::After
            } else {
                Order::Uncertain
            };
            proptest::prop_assert_eq!(a.order(&b), expected);
            let reversed = match expected {
                Order::Before => Order::After,
                Order::After => Order::Before,
                Order::Uncertain => Order::Uncertain,
            };
            proptest::prop_assert_eq!(b.order(&a), reversed);
            // A period that is exactly the other date's interval holds it only when it lies within.
            let placement = a.placement(Some(b.start), Some(b.end()));
            let inside = a.start >= b.start && a.end() <= b.end();
            proptest::prop_assert_eq!(placement == Placement::Inside, inside);
            proptest::prop_assert_eq!(placement == Placement::Outside, expected != Order::Uncertain);
        }

        #[test]
        fn parsing_anything_never_panics(text in ".{0,40}") {
            let _ = PartialDate::parse(&text);
        }

        #[test]
        fn parsing_date_shaped_text_never_panics(text in "[0-9]{1,6}(-[0-9]{1,3}){0,3}") {
            if let Ok(date) = PartialDate::parse(&text) {
                proptest::prop_assert!(date.start <= date.end());
            }
        }

        /// Every real day in range formats and parses back to itself, at every precision.
        #[test]
        fn real_dates_round_trip(year in 1800i32..=2200, month in 1u32..=12, day in 1u32..=31) {
            if let Some(start) = NaiveDate::from_ymd_opt(year, month, day) {
                let text = start.format("%Y-%m-%d").to_string();
                let parsed = PartialDate::parse(&text).unwrap();
                proptest::prop_assert_eq!(parsed.start, start);
                proptest::prop_assert_eq!(parsed.end(), start);
                let month_text = format!("{year:04}-{month:02}");
                let month_date = PartialDate::parse(&month_text).unwrap();
                proptest::prop_assert_eq!(month_date.start.day(), 1);
                proptest::prop_assert!(month_date.end() >= start);
                proptest::prop_assert_eq!(PartialDate::parse(&format!("{year:04}")).unwrap().start.ordinal(), 1);
            }
        }
    }
}
