//! Asset-feature verdicts per second on the hot path (`Engine::feature_verdicts` over precompiled
//! facts), against a naive evaluation that compares permission and task strings on every call.
//!
//! Run: `cargo bench -p tether-core --bench engine`. Before criterion's own output it prints one
//! line per evaluator with verdicts/second and the hot path's speed-up over the naive one.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tether_core::*;

const LOGINS: usize = 1_000;
const ASSETS_PER_LOGIN: usize = 100;
const TASKS: [&str; 6] = [
    "MANAGE",
    "CREATE_CONTENT",
    "MODERATE",
    "MESSAGING",
    "ADVERTISE",
    "ANALYZE",
];

/// A small deterministic generator: benchmarks must be repeatable run to run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Fixture {
    catalog: Catalog,
    engine: Engine,
    logins: Vec<LoginFacts>,
    /// (login index, asset)
    assets: Vec<(usize, AssetFacts)>,
    compiled_logins: Vec<CompiledLogin>,
    compiled_assets: Vec<(usize, CompiledAsset)>,
    verdicts_per_pass: u64,
}

impl Fixture {
    fn new() -> Fixture {
        let catalog = Catalog::builtin(tether_core::Network::Meta).expect("built-in catalog");
        let profile = Profile::builtin("default").expect("default profile");
        let engine = Engine::new(&catalog, Network::Meta, &profile, EngineOptions::default());
        let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let names: Vec<String> = catalog
            .permissions
            .iter()
            .filter(|p| !p.retired())
            .map(|p| p.name.clone())
            .collect();
        let mut logins = Vec::with_capacity(LOGINS);
        let mut assets = Vec::with_capacity(LOGINS * ASSETS_PER_LOGIN);
        for l in 0..LOGINS {
            let permissions = names
                .iter()
                .filter_map(|n| {
                    let status = match rng.next() % 20 {
                        0 => PermissionStatus::Declined,
                        1 => PermissionStatus::Expired,
                        2 => return None,
                        _ => PermissionStatus::Granted,
                    };
                    Some(PermissionGrant {
                        name: n.clone(),
                        status,
                    })
                })
                .collect();
            let mut granular_scopes = Vec::new();
            if rng.chance(30) {
                let targets = (0..ASSETS_PER_LOGIN)
                    .filter(|_| rng.chance(80))
                    .map(|a| format!("{l}-{a}"))
                    .collect();
                granular_scopes.push(GranularScope {
                    scope: "pages_manage_posts".into(),
                    target_ids: Some(targets),
                });
            }
            logins.push(LoginFacts {
                user_id: Some(l.to_string()),
                user_name: None,
                token: TokenFacts {
                    validity: if rng.chance(3) {
                        TokenValidity::Broken {
                            reason: BrokenReason::PasswordChanged,
                            platform_error: None,
                        }
                    } else {
                        TokenValidity::Valid
                    },
                    expires_at: Some(
                        now + jiff::SignedDuration::from_hours(24 * (rng.next() % 60) as i64 + 1),
                    ),
                    data_access_expires_at: None,
                },
                permissions,
                granular_scopes,
                observed: Vec::new(),
            });
            for a in 0..ASSETS_PER_LOGIN {
                let ig = rng.chance(40);
                let tasks = TASKS
                    .iter()
                    .filter(|_| rng.chance(75))
                    .map(|t| t.to_string())
                    .collect();
                assets.push((
                    l,
                    AssetFacts {
                        kind: if ig {
                            AssetKind::InstagramAccount
                        } else {
                            AssetKind::FacebookPage
                        },
                        id: format!("{l}-{a}"),
                        name: None,
                        listed: rng.chance(98),
                        tasks,
                        instagram: ig.then(|| InstagramFacts {
                            linked_page_id: rng.chance(95).then(|| format!("page-{l}-{a}")),
                            professional: Some(rng.chance(95)),
                            product_tag_eligible: Some(rng.chance(50)),
                        }),
                        observed: Vec::new(),
                    },
                ));
            }
        }
        let compiled_logins: Vec<CompiledLogin> = logins
            .iter()
            .map(|l| engine.compile_login(l, now))
            .collect();
        let compiled_assets: Vec<(usize, CompiledAsset)> = assets
            .iter()
            .map(|(l, a)| (*l, engine.compile_asset(&logins[*l], a)))
            .collect();
        let verdicts_per_pass = compiled_assets
            .iter()
            .map(|(l, a)| {
                engine
                    .feature_verdicts(&compiled_logins[*l], a)
                    .iter()
                    .count() as u64
            })
            .sum();
        Fixture {
            catalog,
            engine,
            logins,
            assets,
            compiled_logins,
            compiled_assets,
            verdicts_per_pass,
        }
    }

    /// The hot path: returns how many verdicts were `unavailable`.
    fn hot(&self) -> u64 {
        let mut unavailable = 0u64;
        for (l, a) in &self.compiled_assets {
            let v = self.engine.feature_verdicts(&self.compiled_logins[*l], a);
            unavailable += u64::from(black_box(v).count_unavailable());
        }
        unavailable
    }

    /// The baseline: the same verdicts computed from the facts by string comparison, the way a
    /// straightforward implementation would (look the rule up, search the permission list).
    fn naive(&self) -> u64 {
        let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut unavailable = 0u64;
        for (l, asset) in &self.assets {
            let login = &self.logins[*l];
            let broken = !matches!(login.token.validity, TokenValidity::Valid)
                || login.token.expires_at.is_some_and(|t| t <= now)
                || login.token.data_access_expires_at.is_some_and(|t| t <= now);
            for feature in self.engine.features() {
                let Some(rule) = self
                    .catalog
                    .rules
                    .iter()
                    .find(|r| r.feature == *feature && r.asset_kind == asset.kind)
                else {
                    continue;
                };
                let usable = |p: &String| {
                    login
                        .permissions
                        .iter()
                        .any(|g| &g.name == p && g.status == PermissionStatus::Granted)
                        && !login.granular_scopes.iter().any(|s| {
                            &s.scope == p
                                && s.target_ids.as_ref().is_some_and(|t| {
                                    !asset.grant_ids().any(|id| t.iter().any(|x| x == id))
                                })
                        })
                };
                let has_task = |t: &String| asset.tasks.iter().any(|x| x == t);
                let ig = asset.instagram.as_ref();
                let condition_ok = |c: &Condition| match c {
                    Condition::InstagramLinked => ig.is_some_and(|i| i.linked_page_id.is_some()),
                    Condition::InstagramProfessional => {
                        ig.and_then(|i| i.professional) != Some(false)
                    }
                    Condition::InstagramProductTagEligible => {
                        ig.and_then(|i| i.product_tag_eligible) != Some(false)
                    }
                };
                let ok = !broken
                    && asset.listed
                    && rule.permissions.iter().all(usable)
                    && (rule.permissions_any.is_empty() || rule.permissions_any.iter().any(usable))
                    && rule.tasks.iter().all(has_task)
                    && (rule.tasks_any.is_empty() || rule.tasks_any.iter().any(has_task))
                    && rule.conditions.iter().all(condition_ok);
                if !black_box(ok) {
                    unavailable += 1;
                }
            }
        }
        unavailable
    }
}

/// Verdicts per second over repeated passes for at least `budget`.
fn rate(verdicts_per_pass: u64, budget: Duration, mut pass: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed() < budget || passes == 0 {
        black_box(pass());
        passes += 1;
    }
    (verdicts_per_pass * passes) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let fx = Fixture::new();
    assert_eq!(
        fx.hot(),
        fx.naive(),
        "hot path and naive evaluation disagree"
    );
    let hot = rate(fx.verdicts_per_pass, Duration::from_secs(2), || fx.hot());
    let naive = rate(fx.verdicts_per_pass, Duration::from_secs(2), || fx.naive());
    println!(
        "engine hot path: {:.1} million verdicts/s ({} assets x profile features = {} verdicts per pass, one core)",
        hot / 1e6,
        fx.compiled_assets.len(),
        fx.verdicts_per_pass
    );
    println!(
        "naive string evaluation: {:.2} million verdicts/s",
        naive / 1e6
    );
    println!("hot path / naive: {:.0}x", hot / naive);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("verdicts");
    group.throughput(Throughput::Elements(fx.verdicts_per_pass));
    group.sample_size(20);
    group.bench_function("hot_path_100k_assets", |b| b.iter(|| fx.hot()));
    group.bench_function("naive_strings_100k_assets", |b| b.iter(|| fx.naive()));
    group.finish();
    c.final_summary();
}
