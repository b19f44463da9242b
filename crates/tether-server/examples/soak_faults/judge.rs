//! The end of a cycle read from the store and the pre-flight index against what was broken.

use super::*;
use crate::breaks::Break;

/// The end of a cycle measured against what was broken.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Verdicts {
    /// Assets of logins never broken that turned non-green during the cycle.
    pub(crate) false_reds: usize,
    /// Logins never broken whose own status turned non-green during the cycle.
    pub(crate) false_red_logins: usize,
    /// Assets of logins never broken for which pre-flight refuses publishing at the end of the
    /// cycle.
    pub(crate) preflight_refused_unbroken: usize,
    /// This cycle's break assets that, at its end, are still green or for which pre-flight still
    /// allows the feature the break stopped.
    pub(crate) missed: usize,
    /// Break assets that went green again, or that pre-flight allowed again.
    pub(crate) relapsed: usize,
    /// This cycle's break assets shown broken at its end: not green, the feature refused.
    pub(crate) detected: usize,
    /// Assets of broken logins outside what the break must turn that turned non-green anyway
    /// (reported, not a failure: a real change happened on that login).
    pub(crate) collateral: usize,
    /// Assets of logins never broken that are not green at the end of the cycle.
    pub(crate) non_green_unbroken: usize,
    /// Logins whose last check failed: their verdicts are shown stale.
    pub(crate) stale_logins: usize,
    /// Up to 10 examples of each failure, for the report.
    pub(crate) examples: Vec<Value>,
}

/// Reads the store and the pre-flight index at the end of a cycle against what was broken.
pub(crate) async fn judge(
    soak: &Soak,
    broken: &HashMap<String, Break>,
    day: u32,
    since: Timestamp,
) -> anyhow::Result<Verdicts> {
    let s = &soak.app.state;
    let logins = s.store.list_logins(soak.ws).await?;
    let by_id: HashMap<LoginId, &tether_store::Login> = logins.iter().map(|l| (l.id, l)).collect();
    let assets = soak.assets().await?;
    let mut v = Verdicts {
        stale_logins: logins.iter().filter(|l| service::stale(l)).count(),
        ..Verdicts::default()
    };
    let mut examples: Vec<Value> = Vec::new();
    let mut note = |what: &str, detail: Value| {
        if examples.iter().filter(|e| e["what"] == what).count() < 10 {
            examples.push(json!({"what": what, "detail": detail}));
        }
    };
    let login_detail = |l: &tether_store::Login| {
        json!({
            "user": l.platform_user_id,
            "status": l.status.as_str(),
            "last_error": l.last_error,
            "consecutive_failures": l.consecutive_failures,
            "last_verified_at": l.last_verified_at.map(|t| t.to_string()),
            "next_check_at": l.next_check_at.to_string(),
        })
    };
    let red_or_orange = |st: Status| {
        matches!(
            st,
            Status::AtRisk | Status::ActionRequired | Status::Disconnected
        )
    };

    // What happened during the cycle, from the status history: a false red that came back
    // still counts.
    let mut relapsed: HashSet<String> = HashSet::new();
    for t in s.store.list_transitions_since(soak.ws, since).await? {
        let Some(login) = by_id.get(&t.login_id) else {
            continue;
        };
        let brk = broken.get(&login.platform_user_id);
        let change = |asset: Option<&str>| {
            json!({
                "asset": asset,
                "old": t.old_status.map(Status::as_str),
                "new": t.new_status.as_str(),
                "at": t.at.to_string(),
                "findings": t.findings,
                "login": login_detail(login),
                "break": brk.map(|b| json!({"day": b.day, "kind": b.kind, "must": b.must})),
            })
        };
        let Some(asset) = t.asset_id else {
            if brk.is_none() && red_or_orange(t.new_status) {
                v.false_red_logins += 1;
                note("false_red_login", change(None));
            }
            continue;
        };
        let Some((_, pid, _)) = assets.get(&asset) else {
            continue;
        };
        match brk {
            None if red_or_orange(t.new_status) => {
                v.false_reds += 1;
                note("false_red", change(Some(pid)));
            }
            Some(b)
                if b.must.contains(pid)
                    && !red_or_orange(t.new_status)
                    && relapsed.insert(pid.clone()) =>
            {
                note("relapsed", change(Some(pid)));
            }
            Some(b) if !b.must.contains(pid) && red_or_orange(t.new_status) => {
                v.collateral += 1;
                note("collateral", change(Some(pid)));
            }
            _ => {}
        }
    }

    // Where the cycle ended: each asset's status and what pre-flight answers for it.
    let mut must: HashMap<&str, &Break> = HashMap::new();
    for b in broken.values() {
        for pid in &b.must {
            must.insert(pid.as_str(), b);
        }
    }
    for (id, (login, pid, status)) in &assets {
        let Some(login) = by_id.get(login) else {
            continue;
        };
        let b = broken.get(&login.platform_user_id);
        let b_must = must.get(pid.as_str()).copied();
        let feature = b_must.map_or(Feature::Publish, |b| b.feature);
        let answer = s.index.ask(soak.ws, *id, feature);
        let allowed = answer.as_ref().is_some_and(|a| a.allowed);
        let detail = || {
            json!({
                "asset": pid,
                "status": status.as_str(),
                "preflight": answer,
                "login": login_detail(login),
                "break": b.map(|b| json!({"day": b.day, "kind": b.kind, "must": b.must})),
            })
        };
        match (b, b_must) {
            (None, _) => {
                if *status != Status::Connected {
                    v.non_green_unbroken += 1;
                }
                if !allowed {
                    v.preflight_refused_unbroken += 1;
                    note("preflight_refused_unbroken", detail());
                }
            }
            (Some(_), Some(b)) => {
                let shown_broken = red_or_orange(*status) && !allowed;
                match (shown_broken, b.day == day) {
                    (true, true) => v.detected += 1,
                    (true, false) => {}
                    (false, true) => {
                        v.missed += 1;
                        note("missed", detail());
                    }
                    (false, false) => {
                        if relapsed.insert(pid.clone()) {
                            note("relapsed", detail());
                        }
                    }
                }
            }
            (Some(_), None) => {}
        }
    }
    // A break asset with no row at all was never seen broken either.
    let known: HashSet<&str> = assets.values().map(|(_, pid, _)| pid.as_str()).collect();
    for (pid, b) in &must {
        if b.day == day && !known.contains(pid) {
            v.missed += 1;
            note(
                "missed",
                json!({"asset": pid, "kind": b.kind, "no_asset_row": true}),
            );
        }
    }
    v.relapsed = relapsed.len();
    v.examples = examples;
    Ok(v)
}

/// The soak's figures summed over its cycles.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Totals {
    pub(crate) checks: usize,
    pub(crate) failed_transiently: usize,
    pub(crate) platform_calls: u64,
    pub(crate) http_requests: u64,
    pub(crate) faults_fired: u64,
    pub(crate) faults_fired_by_kind: BTreeMap<String, u64>,
    pub(crate) breaks: usize,
    pub(crate) assets_to_break: usize,
    pub(crate) detected: usize,
    pub(crate) missed: usize,
    pub(crate) relapsed: usize,
    pub(crate) false_reds: usize,
    pub(crate) false_red_logins: usize,
    pub(crate) preflight_refused_unbroken: usize,
    pub(crate) collateral: usize,
    pub(crate) budget_exhausted: bool,
    pub(crate) soak_seconds: f64,
}

impl Totals {
    pub(crate) fn add(
        &mut self,
        work: &Work,
        stats: &tether_sim::Stats,
        fired: &BTreeMap<String, u64>,
        v: &Verdicts,
        seconds: f64,
    ) {
        self.checks += work.checks;
        self.failed_transiently += work.failed_transiently;
        self.budget_exhausted |= work.budget_exhausted;
        self.platform_calls += stats.platform_calls;
        self.http_requests += stats.http_requests;
        for (k, n) in fired {
            self.faults_fired += n;
            *self.faults_fired_by_kind.entry(k.clone()).or_default() += n;
        }
        self.detected += v.detected;
        self.missed += v.missed;
        self.relapsed += v.relapsed;
        self.false_reds += v.false_reds;
        self.false_red_logins += v.false_red_logins;
        self.preflight_refused_unbroken += v.preflight_refused_unbroken;
        self.collateral += v.collateral;
        self.soak_seconds += seconds;
    }

    /// Breaks of the rule: anything red, orange or refused that was never broken, and any break
    /// shown green or allowed.
    pub(crate) fn violations(&self) -> usize {
        self.false_reds
            + self.false_red_logins
            + self.preflight_refused_unbroken
            + self.missed
            + self.relapsed
    }
}
