//! 1,000 logins × 5 Pages checked in 40 concurrent batch requests (25 logins = 50 items each),
//! with 30 ms of injected latency per HTTP request: the shape of the client benchmark.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tether_sim::{FaultSpec, World};

const SECRET: &str = "synthetic-app-secret";
const APP: &str = "1000000000000001|synthetic-app-secret";
const FIELDS: &str = "id,name,permissions.limit(500){permission,status},accounts.limit(100){id,name,tasks,instagram_business_account{id,username},connected_instagram_account{id,username}}";

fn batches(logins: usize) -> Vec<String> {
    (0..logins)
        .collect::<Vec<_>>()
        .chunks(25)
        .map(|chunk| {
            let items: Vec<Value> = chunk
                .iter()
                .flat_map(|i| {
                    let token = format!("tok-user-{i}");
                    let proof = tether_sim::appsecret_proof(SECRET, &token);
                    [
                        json!({"method": "GET", "relative_url": format!("debug_token?input_token={token}")}),
                        json!({"method": "GET", "relative_url": format!("me?fields={FIELDS}&access_token={token}&appsecret_proof={proof}")}),
                    ]
                })
                .collect();
            Value::Array(items).to_string()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = rt.block_on(async {
        let sim = tether_sim::spawn(World::synthetic(1_000, 5)).expect("simulator");
        let latency: FaultSpec =
            serde_json::from_value(json!({"match": {"endpoint": "batch"}, "latency": {"ms": 30}}))
                .unwrap();
        sim.admin().add_fault(&latency).await.expect("fault");
        sim
    });
    let http = tether_sim::http_client();
    let url = format!("{}/v24.0/", sim.base_url());
    let app_proof = tether_sim::appsecret_proof(SECRET, APP);
    let bodies = batches(1_000);
    c.bench_function(
        "1000 logins x 5 pages, 40 concurrent batches, 30 ms latency",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let calls = bodies.iter().map(|batch| {
                        http.post(&url)
                            .form(&[
                                ("access_token", APP),
                                ("appsecret_proof", app_proof.as_str()),
                                ("include_headers", "false"),
                                ("batch", batch.as_str()),
                            ])
                            .send()
                    });
                    for resp in futures::future::join_all(calls).await {
                        assert_eq!(resp.expect("response").status().as_u16(), 200);
                    }
                })
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
