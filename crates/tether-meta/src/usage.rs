//! Rate-limit usage headers (docs/PLATFORMS.md 1.8): `X-App-Usage`, `X-Business-Use-Case-Usage`,
//! `X-Ad-Account-Usage`. Figures are percent of budget; `estimated_time_to_regain_access` is in
//! minutes and `reset_time_duration` in seconds.

use crate::lenient::parse_lenient;
use serde_json::Value;
use std::time::Duration;

pub const APP_USAGE: &str = "x-app-usage";
pub const BUSINESS_USE_CASE_USAGE: &str = "x-business-use-case-usage";
pub const AD_ACCOUNT_USAGE: &str = "x-ad-account-usage";

/// `X-App-Usage` (platform limits, codes 4 and 17).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppUsage {
    pub call_count: Option<f64>,
    pub total_time: Option<f64>,
    pub total_cputime: Option<f64>,
}

/// One entry of `X-Business-Use-Case-Usage` (one business object, one usage type).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BusinessUseCaseUsage {
    pub object_id: String,
    /// `pages`, `instagram`, `ads_insights`, `messenger`, …
    pub kind: Option<String>,
    pub call_count: Option<f64>,
    pub total_time: Option<f64>,
    pub total_cputime: Option<f64>,
    pub estimated_time_to_regain_access: Option<Duration>,
    pub ads_api_access_tier: Option<String>,
}

/// `X-Ad-Account-Usage`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdAccountUsage {
    pub acc_id_util_pct: Option<f64>,
    pub reset_time_duration: Option<Duration>,
    pub ads_api_access_tier: Option<String>,
}

/// Everything the usage headers of one response said. Absent headers are not zero usage: Meta
/// sends them only once enough calls were made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub app: Option<AppUsage>,
    pub business: Vec<BusinessUseCaseUsage>,
    pub ad_account: Option<AdAccountUsage>,
}

impl Usage {
    /// Reads the usage headers among `(name, value)` pairs; names are case-insensitive and
    /// unreadable values are skipped (a usage header never fails a check).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Usage {
        let mut usage = Usage::default();
        for (name, value) in pairs {
            let name = name.trim().to_ascii_lowercase();
            match name.as_str() {
                APP_USAGE => usage.app = parse_app_usage(value).or(usage.app),
                BUSINESS_USE_CASE_USAGE => {
                    usage.business.extend(parse_business_use_case_usage(value))
                }
                AD_ACCOUNT_USAGE => {
                    usage.ad_account = parse_ad_account_usage(value).or(usage.ad_account)
                }
                _ => {}
            }
        }
        usage
    }

    pub fn is_empty(&self) -> bool {
        self.app.is_none() && self.business.is_empty() && self.ad_account.is_none()
    }

    /// How long until the throttled budget is back, by the platform's own estimate: the longest
    /// `estimated_time_to_regain_access`, or an exhausted ad account's `reset_time_duration`.
    /// `None` when no header gives a positive wait.
    pub fn regain_access_after(&self) -> Option<Duration> {
        let buc = self
            .business
            .iter()
            .filter_map(|b| b.estimated_time_to_regain_access);
        let ads = self
            .ad_account
            .iter()
            .filter(|a| a.acc_id_util_pct.is_some_and(|p| p >= 100.0))
            .filter_map(|a| a.reset_time_duration);
        buc.chain(ads).filter(|d| !d.is_zero()).max()
    }

    /// The app-wide figure (`X-App-Usage`): the highest of its calls, CPU time and total time.
    /// Business-use-case figures are per Page or ad account and say nothing of the others.
    pub fn app_percent(&self) -> Option<f64> {
        let app = self.app.as_ref()?;
        [app.call_count, app.total_time, app.total_cputime]
            .into_iter()
            .flatten()
            .reduce(f64::max)
    }

    /// The highest percent figure any header reports.
    pub fn max_percent(&self) -> Option<f64> {
        let app = self
            .app
            .iter()
            .flat_map(|a| [a.call_count, a.total_time, a.total_cputime]);
        let buc = self
            .business
            .iter()
            .flat_map(|b| [b.call_count, b.total_time, b.total_cputime]);
        let ads = self.ad_account.iter().map(|a| a.acc_id_util_pct);
        app.chain(buc).chain(ads).flatten().reduce(f64::max)
    }
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn duration(v: &Value, key: &str, unit_secs: f64) -> Option<Duration> {
    number(v, key)
        .filter(|f| *f >= 0.0)
        .and_then(|f| Duration::try_from_secs_f64(f * unit_secs).ok())
}

pub fn parse_app_usage(value: &str) -> Option<AppUsage> {
    let v = parse_lenient(value)?;
    v.is_object().then(|| AppUsage {
        call_count: number(&v, "call_count"),
        total_time: number(&v, "total_time"),
        total_cputime: number(&v, "total_cputime"),
    })
}

pub fn parse_business_use_case_usage(value: &str) -> Vec<BusinessUseCaseUsage> {
    let Some(Value::Object(map)) = parse_lenient(value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (object_id, entries) in &map {
        let entries = match entries {
            Value::Array(list) => list.as_slice(),
            single @ Value::Object(_) => std::slice::from_ref(single),
            _ => continue,
        };
        for e in entries.iter().filter(|e| e.is_object()) {
            out.push(BusinessUseCaseUsage {
                object_id: object_id.clone(),
                kind: text(e, "type"),
                call_count: number(e, "call_count"),
                total_time: number(e, "total_time"),
                total_cputime: number(e, "total_cputime"),
                estimated_time_to_regain_access: duration(
                    e,
                    "estimated_time_to_regain_access",
                    60.0,
                ),
                ads_api_access_tier: text(e, "ads_api_access_tier"),
            });
        }
    }
    out
}

pub fn parse_ad_account_usage(value: &str) -> Option<AdAccountUsage> {
    let v = parse_lenient(value)?;
    v.is_object().then(|| AdAccountUsage {
        acc_id_util_pct: number(&v, "acc_id_util_pct"),
        reset_time_duration: duration(&v, "reset_time_duration", 1.0),
        ads_api_access_tier: text(&v, "ads_api_access_tier"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_usage_plain() {
        let u = parse_app_usage(r#"{"call_count":28,"total_time":25,"total_cputime":25}"#);
        assert_eq!(
            u,
            Some(AppUsage {
                call_count: Some(28.0),
                total_time: Some(25.0),
                total_cputime: Some(25.0)
            })
        );
    }

    #[test]
    fn regain_time_is_minutes_and_the_longest_wins() {
        let usage = Usage::from_pairs([(
            "X-Business-Use-Case-Usage",
            r#"{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":19}],
                "2":[{"type":"instagram","estimated_time_to_regain_access":3}]}"#,
        )]);
        assert_eq!(usage.business.len(), 2);
        assert_eq!(
            usage.regain_access_after(),
            Some(Duration::from_secs(19 * 60))
        );
        assert_eq!(usage.max_percent(), Some(100.0));
    }

    #[test]
    fn zero_regain_is_no_wait() {
        let usage = Usage::from_pairs([(
            "x-business-use-case-usage",
            r#"{"1":[{"type":"pages","estimated_time_to_regain_access":0}]}"#,
        )]);
        assert_eq!(usage.regain_access_after(), None);
    }

    #[test]
    fn exhausted_ad_account_uses_reset_seconds() {
        let usage = Usage::from_pairs([(
            "X-Ad-Account-Usage",
            r#"{"acc_id_util_pct":100,"reset_time_duration":90}"#,
        )]);
        assert_eq!(usage.regain_access_after(), Some(Duration::from_secs(90)));
        let calm = Usage::from_pairs([(
            "X-Ad-Account-Usage",
            r#"{"acc_id_util_pct":9.67,"reset_time_duration":90}"#,
        )]);
        assert_eq!(calm.regain_access_after(), None);
    }

    #[test]
    fn garbage_headers_are_ignored() {
        let usage = Usage::from_pairs([("x-app-usage", "%%%"), ("x-other", "{}")]);
        assert!(usage.is_empty());
    }
}
