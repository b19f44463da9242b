//! The test harness: a simulator in this process, the real `tether` binary in a child process,
//! and readers for the JSON report it prints.
//!
//! Every run checks, whatever the scenario, that neither stdout nor stderr carries a token, the
//! app secret or an `appsecret_proof`: docs/REPORT.md promises that of every output.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use tether_sim::{
    AdminClient, Effect, Endpoint, FaultSpec, GraphErrorSpec, HttpStatusSpec, Match, SimHandle,
    Stats, World,
};

pub const BASE_WORLD: &str = include_str!("worlds/agency.toml");

pub const ADA: &str = "100000000000001";
pub const ADA_TOKEN: &str = "EAATe2eAdaHealthyToken0001";
pub const BEN: &str = "100000000000002";
pub const BEN_TOKEN: &str = "EAATe2eBenHealthyToken0002";
/// A Page token for Harbor Bakery derived from Ada's login.
pub const PAGE_TOKEN: &str = "EAATe2ePageTokenHarbor0003";
/// Harbor Bakery, linked to the Instagram account `IG_HARBOR`.
pub const PAGE_HARBOR: &str = "300000000000001";
/// Summit Outdoor Co, linked to the Instagram account `IG_SUMMIT`.
pub const PAGE_SUMMIT: &str = "300000000000002";
/// Maple Cafe: no Instagram account; Ada and Ben are both admins.
pub const PAGE_MAPLE: &str = "300000000000003";
pub const IG_HARBOR: &str = "17841400000000001";
pub const IG_SUMMIT: &str = "17841400000000002";
pub const GROUP: &str = "500000000000001";

/// Every feature of the default profile that applies to a Facebook Page.
pub const PAGE_FEATURES: &[&str] = &[
    "ads",
    "analytics",
    "backfill",
    "comments",
    "inbox",
    "leads",
    "publish",
    "publish_video",
    "webhooks",
];
/// Every feature of the default profile that applies to an Instagram account.
pub const IG_FEATURES: &[&str] = &[
    "analytics",
    "backfill",
    "comments",
    "inbox",
    "product_tagging",
    "publish",
    "publish_video",
    "webhooks",
];
/// Every feature of the default profile: what a broken login blocks.
pub const ALL_FEATURES: &[&str] = &[
    "publish",
    "publish_video",
    "analytics",
    "inbox",
    "comments",
    "ads",
    "leads",
    "webhooks",
    "backfill",
    "product_tagging",
];

/// A simulator serving one world, and the strings no output may ever contain.
pub struct TestSim {
    sim: SimHandle,
    app_id: String,
    app_secret: String,
    world_tokens: Vec<String>,
}

impl TestSim {
    /// The shared base world (worlds/agency.toml): every login healthy.
    pub fn agency() -> TestSim {
        TestSim::from_toml(BASE_WORLD, "worlds/agency.toml")
    }

    /// A world written in the test itself. Must be called inside a tokio runtime.
    pub fn from_toml(text: &str, origin: &str) -> TestSim {
        let world = World::from_toml_str(text, origin).unwrap_or_else(|e| panic!("{e}"));
        TestSim::from_world(world)
    }

    pub fn from_world(world: World) -> TestSim {
        let app_id = world.app.id.clone();
        let app_secret = world.app.secret.clone();
        let world_tokens = world.tokens.keys().cloned().collect();
        let sim = tether_sim::spawn(world).expect("the simulator starts on 127.0.0.1");
        TestSim {
            sim,
            app_id,
            app_secret,
            world_tokens,
        }
    }

    pub fn admin(&self) -> &AdminClient {
        self.sim.admin()
    }

    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }

    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }

    pub fn reset_stats(&self) {
        self.sim.reset_stats();
    }

    /// The simulator's clock, as passed to `--now` so expiry is judged on the same clock.
    pub async fn now(&self) -> String {
        let clock = self.admin().clock().await.expect("admin clock");
        clock["now"]
            .as_str()
            .expect("clock.now is a string")
            .to_owned()
    }

    pub async fn add_fault(&self, endpoint: Endpoint, count: Option<u32>, effect: Effect) {
        let spec = FaultSpec {
            matcher: Match {
                endpoint,
                token: None,
            },
            count,
            effect,
        };
        self.admin().add_fault(&spec).await.expect("fault accepted");
    }

    /// `tether diagnose meta` against this simulator, as JSON, for `token`.
    pub fn diagnose(&self, token: &str) -> Run<'_> {
        Run {
            sim: self,
            token: Some(token.to_owned()),
            tokens_file: None,
            app_secret: self.app_secret.clone(),
            format: Some("json"),
            extra: Vec::new(),
            env: Vec::new(),
            token_in_env: false,
        }
    }

    /// `tether diagnose meta --tokens-from FILE` with one token per line.
    pub fn diagnose_many(&self, tokens: &[&str]) -> Run<'_> {
        let path = temp_file("tokens", &(tokens.join("\n") + "\n"));
        Run {
            sim: self,
            token: None,
            tokens_file: Some((path, tokens.iter().map(|t| t.to_string()).collect())),
            app_secret: self.app_secret.clone(),
            format: Some("json"),
            extra: Vec::new(),
            env: Vec::new(),
            token_in_env: false,
        }
    }
}

/// A file under the test target's scratch directory, unique per call.
pub fn temp_file(prefix: &str, contents: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "{prefix}-{}-{}.txt",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, contents).expect("write a scratch file");
    path
}

/// One invocation of the binary, built up before it runs.
pub struct Run<'a> {
    sim: &'a TestSim,
    token: Option<String>,
    tokens_file: Option<(PathBuf, Vec<String>)>,
    app_secret: String,
    format: Option<&'static str>,
    extra: Vec<String>,
    env: Vec<(String, String)>,
    token_in_env: bool,
}

impl Run<'_> {
    /// Passes the token in TETHER_META_TOKEN instead of `--token` (keeps it out of `ps`).
    pub fn token_in_env(mut self) -> Self {
        self.token_in_env = true;
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn app_secret(mut self, secret: &str) -> Self {
        self.app_secret = secret.to_owned();
        self
    }

    pub fn format(mut self, format: &'static str) -> Self {
        self.format = Some(format);
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.extra.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub async fn run(self) -> Outcome {
        let now = self.sim.now().await;
        let mut args: Vec<String> = vec![
            "diagnose".into(),
            "meta".into(),
            "--graph-url".into(),
            self.sim.sim.base_url(),
            "--app-id".into(),
            self.sim.app_id.clone(),
            "--app-secret".into(),
            self.app_secret.clone(),
            "--now".into(),
            now,
        ];
        let mut secrets = self.sim.world_tokens.clone();
        secrets.push(self.sim.app_secret.clone());
        secrets.push(self.app_secret.clone());
        let mut env = self.env;
        if let Some(t) = &self.token {
            if self.token_in_env {
                env.push(("TETHER_META_TOKEN".into(), t.clone()));
            } else {
                args.extend(["--token".into(), t.clone()]);
            }
            secrets.push(t.clone());
        }
        if let Some((path, tokens)) = &self.tokens_file {
            args.extend(["--tokens-from".into(), path.display().to_string()]);
            secrets.extend(tokens.iter().cloned());
        }
        if let Some(f) = self.format {
            args.extend(["--format".into(), f.into()]);
        }
        args.extend(self.extra);
        let outcome = run_tether_with_env(args, env).await;
        if let Some((path, _)) = &self.tokens_file {
            let _ = std::fs::remove_file(path);
        }
        outcome.assert_leaks_nothing(&secrets, &self.app_secret);
        outcome
    }
}

/// Runs the real binary with `args` (off the async runtime, so the in-process simulator keeps
/// serving while the child talks to it).
pub async fn run_tether(args: Vec<String>) -> Outcome {
    run_tether_with_env(args, Vec::new()).await
}

pub async fn run_tether_with_env(args: Vec<String>, env: Vec<(String, String)>) -> Outcome {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tether"))
            .args(&args)
            // Nothing from the developer's shell may leak into the run.
            .env_remove("TETHER_META_TOKEN")
            .env_remove("TETHER_META_APP_ID")
            .env_remove("TETHER_META_APP_SECRET")
            .env_remove("TETHER_INSTAGRAM_TOKEN")
            .env_remove("TETHER_INSTAGRAM_APP_ID")
            .env_remove("TETHER_INSTAGRAM_APP_SECRET")
            .env_remove("TETHER_LOG")
            .env("NO_COLOR", "1")
            .envs(env)
            .stdin(Stdio::null())
            .output()
            .expect("the tether binary runs")
    })
    .await
    .expect("the runner thread does not panic");
    Outcome {
        status: output
            .status
            .code()
            .expect("tether exits with a status, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    fn assert_leaks_nothing(&self, secrets: &[String], app_secret: &str) {
        let mut forbidden: Vec<String> = secrets.to_vec();
        // A proof is as good as the token for whoever has the secret: it must not leak either.
        forbidden.extend(
            secrets
                .iter()
                .map(|t| tether_sim::appsecret_proof(app_secret, t)),
        );
        for s in forbidden.iter().filter(|s| !s.is_empty()) {
            assert!(
                !self.stdout.contains(s.as_str()) && !self.stderr.contains(s.as_str()),
                "a secret leaked into the output ({} chars starting {:?}):\n{self}",
                s.len(),
                &s[..s.len().min(6)]
            );
        }
    }

    /// The one pretty-printed JSON report of a check that ran (exit 0 or 1).
    pub fn report(&self) -> Value {
        assert!(
            self.status == 0 || self.status == 1,
            "expected a report (exit 0 or 1):\n{self}"
        );
        let report: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON report ({e}):\n{self}"));
        check_contract(&report);
        report
    }

    /// One JSON value per stdout line (`--tokens-from`).
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}\n{self}"))
            })
            .collect()
    }

    /// The check could not run: exit 2, nothing on stdout, and stderr says why.
    pub fn assert_could_not_run(&self, stderr_needles: &[&str]) {
        assert_eq!(self.status, 2, "expected exit 2:\n{self}");
        assert!(self.stdout.is_empty(), "no report may be printed:\n{self}");
        let lower = self.stderr.to_lowercase();
        for needle in stderr_needles {
            assert!(
                lower.contains(&needle.to_lowercase()),
                "stderr should mention {needle:?}:\n{self}"
            );
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// What docs/REPORT.md promises of every report, whatever the scenario.
fn check_contract(r: &Value) {
    assert_eq!(r["report_version"], 2, "{r:#}");
    assert!(
        ["meta", "instagram", "linkedin", "pinterest", "tiktok"]
            .contains(&r["network"].as_str().unwrap_or("")),
        "{r:#}"
    );
    let statuses = [
        "connected",
        "at_risk",
        "action_required",
        "disconnected",
        "pending",
        "unsupported",
    ];
    let owners = [
        "connecting_user",
        "asset_admin",
        "business_admin",
        "account_owner",
        "app_owner",
        "platform",
    ];
    let login = &r["login"];
    assert!(statuses.contains(&str_of(&login["status"])), "{login:#}");
    let mut all_findings: Vec<&Value> = array(&login["findings"]).iter().collect();
    for a in array(&r["assets"]) {
        assert!(statuses.contains(&str_of(&a["status"])), "{a:#}");
        for (_, verdict) in a["features"].as_object().expect("features is a map") {
            assert!(
                ["available", "at_risk", "unavailable"].contains(&str_of(verdict)),
                "{a:#}"
            );
        }
        all_findings.extend(array(&a["findings"]));
    }
    for f in all_findings {
        assert!(owners.contains(&str_of(&f["owner"])), "{f:#}");
        assert!(f["features"].is_array(), "{f:#}");
        assert!(
            !str_of(&f["remedy"]["summary"]).is_empty(),
            "every finding has a remedy: {f:#}"
        );
    }
}

// ---- readers -------------------------------------------------------------------------------

fn str_of(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
}

pub fn login(r: &Value) -> &Value {
    &r["login"]
}

pub fn status(v: &Value) -> &str {
    str_of(&v["status"])
}

pub fn asset<'r>(r: &'r Value, id: &str) -> &'r Value {
    array(&r["assets"])
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| {
            panic!(
                "asset {id} is not in the report: {}",
                asset_ids(r).join(", ")
            )
        })
}

pub fn asset_ids(r: &Value) -> Vec<String> {
    array(&r["assets"])
        .iter()
        .map(|a| str_of(&a["id"]).to_owned())
        .collect()
}

/// `(code, subject)` of every finding of a login or an asset, sorted, duplicates kept (two
/// findings about one task can block different features); the subject is the permission or the
/// task the finding is about, empty when it is about neither.
pub fn findings(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = array(&v["findings"])
        .iter()
        .map(|f| {
            let subject = f["permission"]
                .as_str()
                .or(f["task"].as_str())
                .unwrap_or("");
            (str_of(&f["code"]).to_owned(), subject.to_owned())
        })
        .collect();
    out.sort();
    out
}

/// Expected `(code, subject)` pairs, in the form [`findings`] returns.
pub fn sorted(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .map(|(c, s)| (c.to_string(), s.to_string()))
        .collect();
    out.sort();
    out
}

/// The one finding with this code and subject.
pub fn finding<'v>(v: &'v Value, code: &str, subject: &str) -> &'v Value {
    finding_where(v, code, subject, |_| true)
}

/// The one finding with this code and subject that blocks `feature`.
pub fn finding_for<'v>(v: &'v Value, code: &str, subject: &str, feature: &str) -> &'v Value {
    finding_where(v, code, subject, |f| {
        f["features"]
            .as_array()
            .is_some_and(|fs| fs.iter().any(|x| x == feature))
    })
}

fn finding_where<'v>(
    v: &'v Value,
    code: &str,
    subject: &str,
    pred: impl Fn(&Value) -> bool,
) -> &'v Value {
    let matches: Vec<&Value> = array(&v["findings"])
        .iter()
        .filter(|f| {
            f["code"] == code
                && (subject.is_empty() || f["permission"] == subject || f["task"] == subject)
                && pred(f)
        })
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "expected one {code} {subject} finding in {:#}",
        v["findings"]
    );
    matches[0]
}

pub fn feature_names(f: &Value) -> Vec<String> {
    let mut names: Vec<String> = array(&f["features"])
        .iter()
        .map(|x| str_of(x).to_owned())
        .collect();
    names.sort();
    names
}

pub fn verdicts(a: &Value) -> BTreeMap<String, String> {
    a["features"]
        .as_object()
        .unwrap_or_else(|| panic!("features is not a map: {a}"))
        .iter()
        .map(|(k, v)| (k.clone(), str_of(v).to_owned()))
        .collect()
}

/// The features with verdict `verdict`, sorted.
pub fn features_with(a: &Value, verdict: &str) -> Vec<String> {
    verdicts(a)
        .into_iter()
        .filter(|(_, v)| v == verdict)
        .map(|(k, _)| k)
        .collect()
}

pub fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Asserts an asset is connected with every feature of `features` available and no finding.
pub fn assert_connected(r: &Value, id: &str, features: &[&str]) {
    let a = asset(r, id);
    assert_eq!(status(a), "connected", "{a:#}");
    assert_eq!(features_with(a, "available"), names(features), "{a:#}");
    assert_eq!(verdicts(a).len(), features.len(), "{a:#}");
    assert!(findings(a).is_empty(), "{a:#}");
}

// ---- faults ---------------------------------------------------------------------------------

pub fn graph_error(code: u32, regain_minutes: Option<u32>) -> Effect {
    Effect::GraphError(GraphErrorSpec {
        code,
        subcode: None,
        message: None,
        kind: None,
        http_status: None,
        is_transient: None,
        estimated_time_to_regain_access: regain_minutes,
        buc_object_id: None,
    })
}

pub fn http_status(status: u16) -> Effect {
    Effect::HttpStatus(HttpStatusSpec {
        status,
        body: Some("<html><body>upstream connect error</body></html>".into()),
    })
}
