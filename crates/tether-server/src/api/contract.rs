//! The document as served: what utoipa generates from the handlers, plus what every operation
//! shares, said once so no handler can forget it. Every response has a description (the
//! OpenAPI 3.1 schema requires one); every operation can answer 401 (all need an API key) and,
//! when it takes a path id, a query or a body, 400 (a value that does not parse or fit: the
//! error's `code` says which).

use serde_json::{Value, json};
use tether_core::{AssetKind, Feature, Network, Owner, Status};

/// The words a parameter or field of this name takes, from the vocabularies the handlers parse
/// with: a client generated from the document knows them, and a fuzzer sends nothing else as
/// "valid".
fn vocabulary(name: &str) -> Option<Vec<&'static str>> {
    fn words<T: Copy>(all: &[T], word: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|w| word(*w)).collect()
    }
    Some(match name {
        "status" => words(Status::ALL, Status::as_str),
        "network" => words(Network::ALL, Network::as_str),
        "kind" => words(AssetKind::ALL, AssetKind::as_str),
        "owner" => words(Owner::ALL, Owner::as_str),
        "feature" => words(Feature::ALL, Feature::as_str),
        "token" => vec!["user", "page"],
        _ => return None,
    })
}

/// Narrows a schema to a vocabulary, keeping `null` where the schema allowed it.
fn restrict(schema: &mut Value, words: &[&'static str]) {
    let nullable = match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    let mut allowed: Vec<Value> = words.iter().map(|w| Value::from(*w)).collect();
    if nullable {
        allowed.push(Value::Null);
    }
    schema["enum"] = Value::Array(allowed);
}

pub fn finish(doc: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    words_and_shapes(&mut doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                let Some(op) = op.as_object_mut() else {
                    continue;
                };
                let takes_input = path.contains('{')
                    || op.get("parameters").is_some()
                    || op.get("requestBody").is_some();
                let responses = op
                    .entry("responses")
                    .or_insert_with(|| json!({}))
                    .as_object_mut();
                let Some(responses) = responses else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    if let Some(r) = response.as_object_mut() {
                        r.entry("description")
                            .or_insert_with(|| Value::from(describe(status)));
                    }
                }
                responses.entry("401").or_insert_with(|| {
                    error("The API key is missing, unknown or revoked (`unauthorized`).")
                });
                if takes_input {
                    responses.entry("400").or_insert_with(|| {
                        error(
                            "A path id, query parameter or body field that does not parse or fit; \
                             `error.code` says which and `error.message` names the value.",
                        )
                    });
                }
            }
        }
    }
    doc
}

/// Parameters and body fields the handlers read as words or addresses say so in their schemas.
fn words_and_shapes(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|i| i.values_mut())
            {
                let params = op.get_mut("parameters").and_then(Value::as_array_mut);
                for p in params.into_iter().flatten() {
                    let name = p["name"].as_str().unwrap_or_default().to_owned();
                    if let (Some(words), Some(schema)) = (vocabulary(&name), p.get_mut("schema")) {
                        restrict(schema, &words);
                    }
                }
            }
        }
    }
    // A connect without a body starts a new connection with the defaults.
    if let Some(body) = doc.pointer_mut("/paths/~1connect~1{network}/post/requestBody") {
        body["required"] = json!(false);
    }
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut);
    for schema in schemas.into_iter().flat_map(|s| s.values_mut()) {
        let props = schema.get_mut("properties").and_then(Value::as_object_mut);
        for (name, prop) in props.into_iter().flatten() {
            if let Some(words) = vocabulary(name) {
                restrict(prop, &words);
            }
        }
    }
    // A reported error names its account, and is the platform's error object: Graph-shaped
    // (`{"error":{"code":…}}` or the inner object) with a numeric code.
    if let Some(s) = doc.pointer_mut("/components/schemas/PlatformErrorReport") {
        let id = json!({"type": "string", "format": "uuid"});
        s["anyOf"] = json!([
            {"required": ["asset_id"], "properties": {"asset_id": id}},
            {"required": ["login_id"], "properties": {"login_id": id}}
        ]);
        let code = json!({"oneOf": [
            {"type": "integer"},
            {"type": "string", "pattern": "^-?[0-9]{1,18}$"}
        ]});
        s["properties"]["error"] = json!({
            "type": "object",
            "description": "The platform's error exactly as received: `{\"error\":{…}}` or the inner object.",
            "anyOf": [
                {"required": ["code"], "properties": {"code": code}},
                {"required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code"], "properties": {"code": code}
                }}}
            ]
        });
    }
    // Addresses the handlers accept only as absolute http(s) URLs.
    for (schema, field) in [("NewEndpoint", "url"), ("ConnectRequest", "return_to")] {
        if let Some(p) =
            doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
        {
            p["format"] = json!("uri");
            p["pattern"] = json!(crate::outbound::HTTP_URL);
            p["maxLength"] = json!(2048);
        }
    }
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn describe(status: &str) -> &'static str {
    match status {
        "200" => "The answer.",
        "201" => "Created.",
        "204" => "Done; nothing to return.",
        "400" => "A value that does not parse or fit; `error.code` says which.",
        "404" => "No such thing in this workspace (another workspace's ids are not found either).",
        "409" => "The request conflicts with the thing's state; `error.message` says how.",
        "429" => "A limit was reached; `error.message` says when it lifts.",
        _ => "See `error.code` and `error.message`.",
    }
}
