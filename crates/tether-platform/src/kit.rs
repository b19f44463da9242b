//! Small pieces every network client needs alike, so each network's crate holds only what is
//! its own. No IO: a combinator over the network's own check, and date and address arithmetic.

use crate::{CheckError, LoginToCheck, Needs, Progress, Snapshot};
use jiff::{SignedDuration, Timestamp};
use std::future::Future;
use url::Url;

/// `Network::inspect` for a network that checks one login at a time: `needs.concurrency` in
/// flight, results in the logins' order, progress reported after each round.
pub async fn inspect_each<'a, F, Fut>(
    logins: &'a [LoginToCheck],
    needs: &Needs,
    check: F,
) -> Vec<Result<Snapshot, CheckError>>
where
    F: Fn(&'a LoginToCheck) -> Fut,
    Fut: Future<Output = Result<Snapshot, CheckError>>,
{
    let total = logins.len();
    let mut out = Vec::with_capacity(total);
    for chunk in logins.chunks(needs.concurrency.max(1)) {
        out.extend(futures::future::join_all(chunk.iter().map(&check)).await);
        if let Some(p) = &needs.on_progress {
            p(Progress {
                done: out.len(),
                total,
            });
        }
    }
    out
}

/// `url` as a directory, so relative paths join below it rather than beside its last segment.
pub fn directory(url: &Url) -> Url {
    let mut u = url.clone();
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u
}

/// `secs` after `now` (a token reply's `expires_in`), if given and representable.
pub fn after(now: Timestamp, secs: Option<i64>) -> Option<Timestamp> {
    secs.and_then(|s| now.checked_add(SignedDuration::from_secs(s)).ok())
}
