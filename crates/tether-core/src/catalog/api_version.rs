//! `[api_version]`: the platform API version a network's client sends, and the day the platform
//! stops serving it. A platform that retires versions on a calendar (LinkedIn's monthly
//! `LinkedIn-Version`, each served "for a minimum of one year before sunset") breaks every account
//! of an app that does not move on; the date is known a year ahead, so the app's team is told
//! before, not on the day. Moving to a newer version is a data change: this table and its source.

use super::CatalogError;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Deserialize;

/// The longest notice the data may ask for: a year, as long as a version lives at all.
const MAX_NOTICE_DAYS: u32 = 366;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    /// What the client sends, as the platform spells it (`202603`).
    pub version: String,
    /// The start of the sunset day in UTC. Platforms name a day, not an hour or a time zone; the
    /// earliest reading of that day is the safe one (a warning a few hours early, never a break
    /// shown as still working).
    pub sunset: Timestamp,
    /// How long before `sunset` the accounts turn at risk: long enough for the app's team to
    /// ship a release that moves on.
    pub notice: SignedDuration,
    pub source: String,
}

impl ApiVersion {
    /// The sunset, when `now` is within its notice or past it; `None` while it is far off.
    /// Past the day the accounts stay at risk until the platform actually refuses the version
    /// (then the refusal is the finding): a platform may keep a version a little longer, and a
    /// check that still succeeds is not a break.
    pub fn ending(&self, now: Timestamp) -> Option<Timestamp> {
        (now >= self.sunset - self.notice).then_some(self.sunset)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApiVersion {
    version: String,
    /// `YYYY-MM-DD`, as the platform announces it.
    sunset: String,
    notice_days: u32,
    source: String,
}

impl RawApiVersion {
    pub(super) fn load(self, origin: &str) -> Result<ApiVersion, CatalogError> {
        let bad = |message: String| CatalogError::Parse {
            origin: origin.to_owned(),
            message: format!("[api_version] {message}"),
        };
        if self.version.trim().is_empty() || self.version.trim() != self.version {
            return Err(bad(format!(
                "version `{}` must be the version as the platform spells it, without blanks",
                self.version
            )));
        }
        let sunset = self
            .sunset
            .parse::<Date>()
            .ok()
            .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
            .map(|z| z.timestamp())
            .ok_or_else(|| {
                bad(format!(
                    "sunset `{}` is not a date (YYYY-MM-DD, the day the platform stops serving version {})",
                    self.sunset, self.version
                ))
            })?;
        if self.notice_days == 0 || self.notice_days > MAX_NOTICE_DAYS {
            return Err(bad(format!(
                "notice_days {} must be between 1 and {MAX_NOTICE_DAYS}",
                self.notice_days
            )));
        }
        if self.source.trim().is_empty() {
            return Err(bad(
                "needs a `source`: where the platform announces the version's sunset".into(),
            ));
        }
        Ok(ApiVersion {
            version: self.version,
            sunset,
            notice: SignedDuration::from_hours(24 * i64::from(self.notice_days)),
            source: self.source,
        })
    }
}
