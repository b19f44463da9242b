//! The day's mix of transient faults, installed in the simulator as seeded shares.

use super::*;

pub(crate) fn graph_error(code: u32, is_transient: Option<bool>, http_status: u16) -> Effect {
    Effect::GraphError(GraphErrorSpec {
        code,
        subcode: None,
        message: None,
        kind: None,
        http_status: Some(http_status),
        is_transient,
        estimated_time_to_regain_access: None,
        buc_object_id: None,
    })
}

pub(crate) fn html(status: u16) -> Effect {
    Effect::HttpStatus(HttpStatusSpec { status, body: None })
}

/// The faults on single platform calls (batch items), in equal shares of `--fault-rate`.
pub(crate) fn call_faults() -> Vec<(String, Effect)> {
    let mut out = Vec::new();
    for code in [1, 2, 4, 17, 32, 613, 80001] {
        // Outages as HTTP 500, throttling as 400; Tether must read the code, not the status
        // (docs/PLATFORMS.md 1.7).
        let status = if code <= 2 { 500 } else { 400 };
        out.push((
            format!("graph_{code}_transient"),
            graph_error(code, Some(true), status),
        ));
        out.push((format!("graph_{code}"), graph_error(code, None, status)));
    }
    for code in [1, 2] {
        out.push((
            format!("graph_{code}_not_transient"),
            graph_error(code, Some(false), 500),
        ));
    }
    // Not an outage but a refusal of this one request (classify.rs): no verdict, the check fails.
    let mut refused = graph_error(1, Some(false), 500);
    if let Effect::GraphError(e) = &mut refused {
        e.subcode = Some(99);
    }
    out.push(("graph_1_not_transient_subcode_99".into(), refused));
    // A regain time past the client's 60 s wait: the check fails at once and is retried later.
    let mut buc = graph_error(80001, None, 400);
    if let Effect::GraphError(e) = &mut buc {
        e.estimated_time_to_regain_access = Some(5);
    }
    out.push(("graph_80001_regain_5min".into(), buc));
    out.push(("http_500".into(), html(500)));
    out.push(("http_503".into(), html(503)));
    out.push((
        "malformed_json".into(),
        Effect::MalformedJson(MalformedSpec {}),
    ));
    out
}

/// The faults on whole batch requests, in equal shares of `--batch-fault-rate`.
pub(crate) fn batch_faults() -> Vec<(String, Effect)> {
    vec![
        (
            "batch_http_502".into(),
            Effect::HttpStatus(HttpStatusSpec {
                status: 502,
                body: Some("Bad Gateway".into()),
            }),
        ),
        ("batch_http_503".into(), html(503)),
        (
            "batch_malformed_json".into(),
            Effect::MalformedJson(MalformedSpec {}),
        ),
        ("batch_graph_2".into(), graph_error(2, Some(true), 500)),
        ("batch_graph_4".into(), graph_error(4, Some(true), 400)),
    ]
}

/// Adds each fault on `endpoint` so that together they fire on `rate` of its calls, in equal
/// shares: a call one fault passes over goes on to the next, so each must take a larger share of
/// what is left. Each fault's kind goes into `kinds` under its id.
pub(crate) async fn add_shares(
    admin: &AdminClient,
    endpoint: Endpoint,
    faults: Vec<(String, Effect)>,
    rate: f64,
    seed: u64,
    kinds: &mut HashMap<u64, String>,
) -> anyhow::Result<()> {
    if rate <= 0.0 {
        return Ok(());
    }
    let share = rate / faults.len() as f64;
    let mut left = 1.0;
    for (i, (kind, effect)) in faults.into_iter().enumerate() {
        let spec = FaultSpec {
            matcher: Match {
                endpoint,
                token: None,
            },
            count: None,
            effect,
        };
        let sample = Sample {
            probability: (share / left).min(1.0),
            seed: seed.wrapping_mul(1_000).wrapping_add(i as u64),
        };
        left -= share;
        let added = admin.add_sampled_fault(&spec, sample).await?;
        kinds.insert(added["id"].as_u64().context("a fault id")?, kind);
    }
    Ok(())
}

/// Installs the day's faults; returns the kind of each rate fault by id, and how many timeouts
/// were added (count-limited, so they leave the list once fired).
pub(crate) async fn add_faults(
    admin: &AdminClient,
    args: &Args,
    day: u32,
    seed: u64,
) -> anyhow::Result<(HashMap<u64, String>, u64)> {
    let mut kinds = HashMap::new();
    add_shares(
        admin,
        Endpoint::Any,
        call_faults(),
        args.fault_rate,
        seed,
        &mut kinds,
    )
    .await?;
    add_shares(
        admin,
        Endpoint::Batch,
        batch_faults(),
        args.batch_fault_rate,
        seed ^ 0x5eed,
        &mut kinds,
    )
    .await?;
    let on_batches = |count, ms| FaultSpec {
        matcher: Match {
            endpoint: Endpoint::Batch,
            token: None,
        },
        count,
        effect: Effect::Latency(LatencySpec { ms }),
    };
    if args.batch_fault_rate > 0.0 {
        let sample = Sample {
            probability: 0.05,
            seed: seed ^ 0x51,
        };
        let added = admin
            .add_sampled_fault(&on_batches(None, 200), sample)
            .await?;
        kinds.insert(
            added["id"].as_u64().context("a fault id")?,
            "latency_200ms".into(),
        );
    }
    if day <= args.timeouts {
        // One of the day's first batch requests, held past the client's timeout once.
        let sample = Sample {
            probability: 0.02,
            seed: seed ^ 0x71,
        };
        admin
            .add_sampled_fault(&on_batches(Some(1), TIMEOUT_LATENCY_MS), sample)
            .await?;
        return Ok((kinds, 1));
    }
    Ok((kinds, 0))
}

/// The share of `calls` the faults of the kinds `which` picks fired on.
pub(crate) fn share(
    fired: &BTreeMap<String, u64>,
    calls: u64,
    which: impl Fn(&str) -> bool,
) -> f64 {
    let n: u64 = fired
        .iter()
        .filter(|(k, _)| which(k))
        .map(|(_, v)| *v)
        .sum();
    n as f64 / calls.max(1) as f64
}
