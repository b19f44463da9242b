//! Injected faults: Graph errors, bare HTTP failures, truncated JSON and latency.
//!
//! Matching: `endpoint` names a kind of platform call (`debug_token`, `me`, `accounts`,
//! `permissions`, `node`), `batch` names the whole batch HTTP request, and `any` matches every
//! platform call (plain requests and batch items, not the batch envelope). Latency is applied per
//! HTTP request: an `any` latency delays every request, a `batch` latency every batch request.
//!
//! Rate: a fault fires on every matching call until its `count` runs out, unless the request
//! that adds it also carries `"sample": {"probability": p, "seed": s}` ([`Sample`]): then it fires
//! on a share `p` of the matching calls, drawn from a generator of its own seeded with `s`, so a
//! run that makes the same calls in the same order gets the same firings. A call a sampled fault
//! passes over goes on to the next matching fault: several sampled faults on one endpoint share
//! its traffic out (a soak's mix of errors), and `count` still caps the firings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    DebugToken,
    Me,
    Accounts,
    Permissions,
    Node,
    Batch,
    #[default]
    Any,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::DebugToken => "debug_token",
            Endpoint::Me => "me",
            Endpoint::Accounts => "accounts",
            Endpoint::Permissions => "permissions",
            Endpoint::Node => "node",
            Endpoint::Batch => "batch",
            Endpoint::Any => "any",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub endpoint: Endpoint,
    /// Only calls made with this access token (or inspecting it, for `debug_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphErrorSpec {
    pub code: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<u32>,
    /// Defaults to the real wording for well-known codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The envelope's `type`; default `OAuthException`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    /// Minutes; puts an `X-Business-Use-Case-Usage` header on the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_time_to_regain_access: Option<u32>,
    /// The business object the BUC header is keyed by; default the app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buc_object_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStatusSpec {
    pub status: u16,
    /// A non-JSON body, like the HTML pages of a failing edge proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MalformedSpec {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    GraphError(GraphErrorSpec),
    HttpStatus(HttpStatusSpec),
    /// The real body cut in half, served with HTTP 200.
    MalformedJson(MalformedSpec),
    Latency(LatencySpec),
}

/// `POST /_admin/faults` body: `{"match":{…},"count":n,"graph_error":{…}}` (or `http_status`,
/// `malformed_json`, `latency`), and optionally `"sample":{…}` ([`SampledFault`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(rename = "match", default)]
    pub matcher: Match,
    /// How many times it fires; absent = until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(flatten)]
    pub effect: Effect,
}

/// Fires on a share of the matching calls instead of on each (see the module's "Rate").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The share of matching calls the fault fires on, in (0, 1].
    pub probability: f64,
    #[serde(default)]
    pub seed: u64,
}

impl Sample {
    pub fn validate(&self) -> Result<(), String> {
        if self.probability.is_finite() && self.probability > 0.0 && self.probability <= 1.0 {
            Ok(())
        } else {
            Err(format!(
                "sample.probability must be in (0, 1], not {}",
                self.probability
            ))
        }
    }
}

/// What `POST /_admin/faults` reads: a [`FaultSpec`] and, beside it in the same object, an
/// optional [`Sample`]. Kept out of `FaultSpec` so the callers that build one field by field
/// need not change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampledFault {
    #[serde(flatten)]
    pub spec: FaultSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Firings left; `None` = unlimited.
    pub remaining: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// Firings so far (a soak reads its mix of faults back from these).
    pub fired: u64,
    /// The sampled fault's generator state.
    #[serde(skip)]
    draws: u64,
}

impl ActiveFault {
    /// Whether the fault fires on this matching call: always, unless it is sampled.
    fn draw(&mut self) -> bool {
        let Some(sample) = self.sample else {
            return true;
        };
        // SplitMix64: a few lines that give the same sequence on every platform and with every
        // version of `rand`, so a seed reproduces a run's faults.
        self.draws = self.draws.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.draws;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits as a number in [0, 1).
        ((z >> 11) as f64 / (1u64 << 53) as f64) < sample.probability
    }
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    active: Vec<ActiveFault>,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) -> ActiveFault {
        self.add_sampled(SampledFault { spec, sample: None })
    }

    pub fn add_sampled(&mut self, fault: SampledFault) -> ActiveFault {
        self.next_id += 1;
        let fault = ActiveFault {
            id: self.next_id,
            remaining: fault.spec.count,
            spec: fault.spec,
            sample: fault.sample,
            fired: 0,
            draws: fault.sample.map_or(0, |s| s.seed),
        };
        self.active.push(fault.clone());
        fault
    }

    pub fn clear(&mut self) -> usize {
        let n = self.active.len();
        self.active.clear();
        n
    }

    pub fn list(&self) -> &[ActiveFault] {
        &self.active
    }

    fn token_matches(m: &Match, tokens: &[&str]) -> bool {
        m.token.as_deref().is_none_or(|t| tokens.contains(&t))
    }

    /// Uses up one firing of fault `i`.
    fn fire(&mut self, i: usize) -> Effect {
        let effect = self.active[i].spec.effect.clone();
        self.active[i].fired += 1;
        if let Some(left) = &mut self.active[i].remaining {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.active.remove(i);
            }
        }
        effect
    }

    /// The first non-latency fault for a platform call (`batch` = the batch envelope itself).
    pub fn take_call_fault(&mut self, endpoint: Endpoint, tokens: &[&str]) -> Option<Effect> {
        let i = self.active.iter_mut().position(|f| {
            let m = &f.spec.matcher;
            let endpoint_ok = if endpoint == Endpoint::Batch {
                m.endpoint == Endpoint::Batch
            } else {
                m.endpoint == Endpoint::Any || m.endpoint == endpoint
            };
            // The draw comes last: a sampled fault draws only for the calls it matches.
            !matches!(f.spec.effect, Effect::Latency(_))
                && endpoint_ok
                && Self::token_matches(m, tokens)
                && f.draw()
        })?;
        Some(self.fire(i))
    }

    /// Total latency to add to one HTTP request (every matching latency fault fires once).
    pub fn take_latency_ms(&mut self, endpoint: Endpoint, tokens: &[&str]) -> u64 {
        let mut total = 0;
        let mut i = 0;
        while i < self.active.len() {
            let f = &mut self.active[i];
            let hit = matches!(f.spec.effect, Effect::Latency(_))
                && (f.spec.matcher.endpoint == Endpoint::Any
                    || f.spec.matcher.endpoint == endpoint)
                && Self::token_matches(&f.spec.matcher, tokens)
                && f.draw();
            if hit {
                let before = self.active.len();
                if let Effect::Latency(l) = self.fire(i) {
                    total += l.ms;
                }
                if self.active.len() < before {
                    continue;
                }
            }
            i += 1;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_error(code: u32) -> Effect {
        Effect::GraphError(GraphErrorSpec {
            code,
            subcode: None,
            message: None,
            kind: None,
            http_status: None,
            is_transient: None,
            estimated_time_to_regain_access: None,
            buc_object_id: None,
        })
    }

    fn sampled(effect: Effect, count: Option<u32>, probability: f64, seed: u64) -> SampledFault {
        SampledFault {
            spec: FaultSpec {
                matcher: Match {
                    endpoint: Endpoint::Me,
                    token: None,
                },
                count,
                effect,
            },
            sample: Some(Sample { probability, seed }),
        }
    }

    /// The code each of `calls` `me` calls failed with (0: none).
    fn codes(faults: &mut Faults, calls: usize) -> Vec<u32> {
        (0..calls)
            .map(|_| match faults.take_call_fault(Endpoint::Me, &["tok"]) {
                Some(Effect::GraphError(e)) => e.code,
                Some(other) => panic!("unexpected {other:?}"),
                None => 0,
            })
            .collect()
    }

    fn one(fault: SampledFault) -> Faults {
        let mut faults = Faults::default();
        faults.add_sampled(fault);
        faults
    }

    #[test]
    fn a_sampled_fault_fires_on_its_share_of_calls_and_a_seed_repeats_them() {
        let run = |seed| codes(&mut one(sampled(graph_error(2), None, 0.2, seed)), 10_000);
        let first = run(7);
        let fired = first.iter().filter(|&&c| c != 0).count();
        // 2000 expected, sd 40.
        assert!((1850..=2150).contains(&fired), "{fired}");
        assert_eq!(run(7), first, "the same seed gives the same firings");
        assert_ne!(run(8), first, "another seed, other firings");

        // Calls it does not match draw nothing: its firings among `me` calls stay the same.
        let mut faults = one(sampled(graph_error(2), None, 0.2, 7));
        let mut interleaved = Vec::new();
        for _ in 0..10_000 {
            assert!(faults.take_call_fault(Endpoint::Accounts, &[]).is_none());
            assert_eq!(faults.take_latency_ms(Endpoint::Me, &[]), 0);
            interleaved.extend(codes(&mut faults, 1));
        }
        assert_eq!(interleaved, first);
        assert_eq!(faults.list()[0].fired, fired as u64);
    }

    #[test]
    fn a_call_passed_over_goes_to_the_next_fault_and_count_still_caps() {
        let mut faults = one(sampled(graph_error(1), None, 0.5, 1));
        faults.add_sampled(sampled(graph_error(4), Some(100), 1.0, 0));
        let got = codes(&mut faults, 1000);
        // Until its 100 firings are spent, the second takes every call the first passes over.
        let hundredth = got
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == 4)
            .nth(99)
            .map(|(i, _)| i)
            .expect("the second fault fired 100 times");
        assert!(got[..=hundredth].iter().all(|&c| c != 0), "{got:?}");
        assert_eq!(got.iter().filter(|&&c| c == 4).count(), 100);
        let after = &got[hundredth + 1..];
        let ones = after.iter().filter(|&&c| c == 1).count();
        assert!(
            ones > after.len() / 3 && ones < after.len() * 2 / 3,
            "{ones}"
        );
        assert_eq!(faults.list().len(), 1, "the spent fault is gone");
    }

    #[test]
    fn a_sampled_latency_delays_its_share_of_requests() {
        let mut spec = sampled(Effect::Latency(LatencySpec { ms: 10 }), None, 0.25, 3);
        spec.spec.matcher.endpoint = Endpoint::Batch;
        let mut faults = one(spec);
        let total: u64 = (0..4000)
            .map(|_| faults.take_latency_ms(Endpoint::Batch, &[]))
            .sum();
        // 1000 delayed requests expected, sd 27.
        assert!((9000..=11_000).contains(&total), "{total}");
    }

    #[test]
    fn a_probability_outside_zero_to_one_is_refused() {
        for p in [0.0, -0.1, 1.5, f64::NAN] {
            let s = Sample {
                probability: p,
                seed: 0,
            };
            assert!(s.validate().is_err(), "{p}");
        }
        assert!(
            Sample {
                probability: 1.0,
                seed: 0
            }
            .validate()
            .is_ok()
        );
    }
}
