//! What an action changed for one account. Before Refresh or Reconnect the handler notes the
//! account's status and feature verdicts in the URL it returns to; the account's tab compares them
//! with the verdict now, feature by feature ("Publishing posts: works again"), so a Page that went
//! from 2 of 4 features to 0 of 4 never reads "nothing changed".

use super::words;
use std::collections::BTreeMap;
use tether_core::{AssetReport, Feature, FeatureVerdict, Network, Status};

/// An account's verdict at one moment, as carried in a URL: `status.feature-v.feature-v` with `v`
/// one of `a` (available), `r` (at risk), `u` (unavailable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Before {
    pub status: Status,
    pub features: BTreeMap<Feature, FeatureVerdict>,
}

fn letter(v: FeatureVerdict) -> char {
    match v {
        FeatureVerdict::Available => 'a',
        FeatureVerdict::AtRisk => 'r',
        FeatureVerdict::Unavailable => 'u',
    }
}

impl Before {
    pub fn of(report: &AssetReport) -> Before {
        Before {
            status: report.status,
            features: report.features.clone(),
        }
    }

    pub fn encode(&self) -> String {
        let mut out = self.status.as_str().to_owned();
        for (f, v) in &self.features {
            out.push('.');
            out.push_str(f.as_str());
            out.push('-');
            out.push(letter(*v));
        }
        out
    }

    /// `None` for anything malformed: the page then shows status changes only.
    pub fn parse(text: &str) -> Option<Before> {
        let mut parts = text.split('.');
        let status = parts.next()?.parse().ok()?;
        let mut features = BTreeMap::new();
        for part in parts {
            let (f, v) = part.split_once('-')?;
            let v = match v {
                "a" => FeatureVerdict::Available,
                "r" => FeatureVerdict::AtRisk,
                "u" => FeatureVerdict::Unavailable,
                _ => return None,
            };
            features.insert(f.parse().ok()?, v);
        }
        Some(Before { status, features })
    }
}

/// One feature whose verdict moved, in words.
pub struct FeatureChange {
    pub feature: String,
    pub what: &'static str,
    /// `better`, `worse` or `same`, for the colour.
    pub class: &'static str,
}

/// What the page says changed.
pub struct Outcome {
    pub status_before: (&'static str, &'static str),
    pub status_now: (&'static str, &'static str),
    pub features: Vec<FeatureChange>,
    /// Features that still do not work.
    pub still_broken: Vec<String>,
    pub nothing: bool,
}

pub fn compare(before: &Before, now: &AssetReport, network: Network) -> Outcome {
    let mut features = Vec::new();
    for (f, v) in &now.features {
        let was = before.features.get(f).copied();
        if was == Some(*v) {
            continue;
        }
        let (what, class) = match (was, v) {
            (_, FeatureVerdict::Available) => ("works again", "better"),
            (Some(FeatureVerdict::Unavailable), FeatureVerdict::AtRisk) => {
                ("works again, but is at risk", "better")
            }
            (_, FeatureVerdict::AtRisk) => ("works, but is now at risk", "worse"),
            (_, FeatureVerdict::Unavailable) => ("stopped working", "worse"),
        };
        features.push(FeatureChange {
            feature: words::feature_on(*f, network),
            what,
            class,
        });
    }
    let still_broken: Vec<String> = now
        .features
        .iter()
        .filter(|(_, v)| **v == FeatureVerdict::Unavailable)
        .map(|(f, _)| words::feature_on(*f, network))
        .collect();
    Outcome {
        status_before: (before.status.as_str(), words::status(before.status)),
        status_now: (now.status.as_str(), words::status(now.status)),
        nothing: features.is_empty() && before.status == now.status,
        features,
        still_broken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_core::{AssetKind, Feature::*};

    fn report(status: Status, features: &[(Feature, FeatureVerdict)]) -> AssetReport {
        AssetReport {
            kind: AssetKind::FacebookPage,
            id: "1".into(),
            name: Some("Riverside Gym".into()),
            status,
            features: features.iter().copied().collect(),
            findings: vec![],
        }
    }

    #[test]
    fn a_verdict_survives_its_url_form() {
        use FeatureVerdict::*;
        let r = report(
            Status::ActionRequired,
            &[
                (Publish, Unavailable),
                (Analytics, Available),
                (Webhooks, AtRisk),
            ],
        );
        let b = Before::of(&r);
        assert_eq!(Before::parse(&b.encode()), Some(b));
        assert_eq!(Before::parse("nonsense.publish-x"), None);
        assert_eq!(Before::parse("connected.publish"), None);
    }

    #[test]
    fn fewer_working_features_is_a_change_even_with_the_same_status() {
        use FeatureVerdict::*;
        let before = Before::of(&report(
            Status::ActionRequired,
            &[
                (Publish, Available),
                (Analytics, Available),
                (Webhooks, Unavailable),
            ],
        ));
        let now = report(
            Status::ActionRequired,
            &[
                (Publish, Unavailable),
                (Analytics, Unavailable),
                (Webhooks, Unavailable),
            ],
        );
        let o = compare(&before, &now, Network::Meta);
        assert!(!o.nothing);
        let said: Vec<(String, &str)> = o
            .features
            .iter()
            .map(|c| (c.feature.clone(), c.what))
            .collect();
        assert_eq!(
            said,
            [
                ("Publishing posts".to_owned(), "stopped working"),
                ("Analytics".to_owned(), "stopped working")
            ]
        );
        assert_eq!(o.still_broken.len(), 3);
        let same = compare(&Before::of(&now), &now, Network::Meta);
        assert!(same.nothing);
    }
}
