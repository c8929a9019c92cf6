//! Time formats of the CI API (spec §7.1).
//!
//! The vendor answers in UTC+8 and SDKs treat times as opaque strings, so bucketflow writes
//! every API time in UTC+8 too ([`CI_UTC_OFFSET_SECS`]).

/// The offset of every time the CI API writes: UTC+8.
pub const CI_UTC_OFFSET_SECS: i32 = 8 * 3600;

/// `YYYY-MM-DDThh:mm:ss+0800`, the format of `CreateTime`/`UpdateTime` in API answers.
pub fn format_ci_time(unix_secs: i64) -> String {
    format_time(unix_secs, CI_UTC_OFFSET_SECS, 'T')
}

/// `YYYY-MM-DD hh:mm:ss+0800`, the format of times in WorkflowFinish callback bodies.
pub fn format_callback_time(unix_secs: i64) -> String {
    format_time(unix_secs, CI_UTC_OFFSET_SECS, ' ')
}

/// Formats `unix_secs` at `offset_secs` east of UTC as `%Y-%m-%d{sep}%H:%M:%S%z`.
pub fn format_time(unix_secs: i64, offset_secs: i32, sep: char) -> String {
    let local = unix_secs.saturating_add(i64::from(offset_secs));
    let (days, secs_of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_date(days);
    let (hour, minute, second) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let offset_minutes = offset_secs.unsigned_abs() / 60;
    format!(
        "{year:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}\
         {sign}{:02}{:02}",
        offset_minutes / 60,
        offset_minutes % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
///
/// Works in 400-year eras (146 097 days each) whose years start on 1 March, so the leap day is
/// the last day of a year and needs no special case.
fn civil_date(days_since_epoch: i64) -> (i64, u32, u32) {
    // 1970-01-01 is day 719 468 counted from 0000-03-01.
    let days = days_since_epoch + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March: 0 = March … 11 = February.
    let march_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u32;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_documented_example() {
        // 2023-12-13T20:29:38+0800 is 12:29:38 UTC.
        assert_eq!(format_ci_time(1_702_470_578), "2023-12-13T20:29:38+0800");
        assert_eq!(
            format_callback_time(1_702_470_578),
            "2023-12-13 20:29:38+0800"
        );
    }

    #[test]
    fn handles_epoch_leap_days_and_negative_offsets() {
        assert_eq!(format_time(0, 0, 'T'), "1970-01-01T00:00:00+0000");
        assert_eq!(format_time(951_782_400, 0, 'T'), "2000-02-29T00:00:00+0000");
        assert_eq!(
            format_time(1_709_164_800, 0, 'T'),
            "2024-02-29T00:00:00+0000"
        );
        assert_eq!(
            format_time(0, -(5 * 3600 + 1800), 'T'),
            "1969-12-31T18:30:00-0530"
        );
        assert_eq!(
            format_time(4_102_444_799, 0, 'T'),
            "2099-12-31T23:59:59+0000"
        );
    }

    #[test]
    fn never_panics_at_the_extremes() {
        let _ = format_ci_time(i64::MAX);
        let _ = format_ci_time(i64::MIN);
    }
}
