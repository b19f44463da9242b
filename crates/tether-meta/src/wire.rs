//! Graph API response shapes, read tolerantly: unknown fields are ignored, ids may be strings or
//! numbers (legacy `debug_token` bodies use numbers), missing lists are empty.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tether_core::{PermissionStatus, PlatformError};

/// A response body that could not be read as what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("response body is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("response body has an unexpected shape: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("response body is not a JSON {expected}")]
    NotA { expected: &'static str },
}

/// Either what was asked for or the platform's error envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphResponse<T> {
    Ok(T),
    Error(GraphError),
}

/// The Graph error object (`{"error":{…}}`), also the `data.error` of `debug_token`, whose
/// subcode key is `subcode` instead of `error_subcode`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "flex_i64")]
    pub code: i64,
    #[serde(default, alias = "subcode", deserialize_with = "flex_opt_i64")]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    pub fn to_platform_error(&self) -> PlatformError {
        PlatformError::new(self.code, self.error_subcode, self.message.clone())
    }
}

/// The `data` object of `GET /debug_token`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct DebugTokenData {
    #[serde(default, deserialize_with = "flex_opt_id")]
    pub app_id: Option<String>,
    #[serde(default, rename = "type")]
    pub token_type: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default, deserialize_with = "flex_opt_i64")]
    pub data_access_expires_at: Option<i64>,
    #[serde(default, deserialize_with = "flex_opt_i64")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "flex_opt_i64")]
    pub issued_at: Option<i64>,
    #[serde(default)]
    pub is_valid: bool,
    #[serde(default, deserialize_with = "flex_opt_id")]
    pub profile_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub scopes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub granular_scopes: Vec<GranularScopeWire>,
    #[serde(default, deserialize_with = "flex_opt_id")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub error: Option<GraphError>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GranularScopeWire {
    pub scope: String,
    #[serde(default, deserialize_with = "flex_opt_ids")]
    pub target_ids: Option<Vec<String>>,
}

/// `me?fields=id,name,permissions…,accounts…`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct MeResponse {
    #[serde(default, deserialize_with = "flex_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub permissions: Option<Edge<PermissionEntry>>,
    #[serde(default)]
    pub accounts: Option<Edge<PageEntry>>,
}

/// A Graph edge page: `{"data":[…],"paging":{…}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub struct Edge<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub previous: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Cursors {
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

impl Paging {
    /// The cursor for the next page, or `None` when the platform says there is none (`next` is
    /// present only when there is another page). Prefers the `after` parameter of the `next` URL,
    /// which is what the platform would fetch, over `cursors.after`.
    pub fn next_cursor(&self) -> Option<String> {
        let next = self.next.as_deref()?;
        let from_url = url::Url::parse(next).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.into_owned())
        });
        from_url
            .or_else(|| self.cursors.as_ref().and_then(|c| c.after.clone()))
            .filter(|c| !c.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PermissionEntry {
    pub permission: String,
    pub status: String,
}

impl PermissionEntry {
    /// `None` for a status outside the documented enum (kept out rather than guessed).
    pub fn status(&self) -> Option<PermissionStatus> {
        match self.status.as_str() {
            "granted" => Some(PermissionStatus::Granted),
            "declined" => Some(PermissionStatus::Declined),
            "expired" => Some(PermissionStatus::Expired),
            _ => None,
        }
    }
}

/// One Page of `accounts`. The Page `access_token` is deliberately not read: Tether never holds
/// tokens it did not need.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PageEntry {
    #[serde(deserialize_with = "flex_id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tasks: Vec<String>,
    #[serde(default)]
    pub instagram_business_account: Option<InstagramRef>,
    #[serde(default)]
    pub connected_instagram_account: Option<InstagramRef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstagramRef {
    #[serde(deserialize_with = "flex_id")]
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub shopping_product_tag_eligibility: Option<bool>,
}

/// One item of a batch response. `body` is a JSON document encoded as a string.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchItem {
    pub code: u16,
    #[serde(default)]
    pub headers: Option<Vec<HeaderPair>>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HeaderPair {
    pub name: String,
    pub value: String,
}

impl BatchItem {
    pub fn header_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .flatten()
            .map(|h| (h.name.as_str(), h.value.as_str()))
    }
}

fn parse_value(body: &str) -> Result<Value, ParseError> {
    serde_json::from_str(body).map_err(ParseError::Json)
}

fn error_envelope(v: &Value) -> Option<Result<GraphError, ParseError>> {
    let err = v.get("error").filter(|e| e.is_object())?;
    Some(GraphError::deserialize(err).map_err(ParseError::Shape))
}

/// Reads a Graph body: the error envelope when there is one, otherwise `T`.
pub fn parse_graph<T: DeserializeOwned>(body: &str) -> Result<GraphResponse<T>, ParseError> {
    let v = parse_value(body)?;
    if let Some(err) = error_envelope(&v) {
        return err.map(GraphResponse::Error);
    }
    T::deserialize(v)
        .map(GraphResponse::Ok)
        .map_err(ParseError::Shape)
}

/// Reads a `debug_token` body, wrapped in `data` (the live API) or bare (SDK fixtures keep only
/// the inner object).
pub fn parse_debug_token(body: &str) -> Result<GraphResponse<DebugTokenData>, ParseError> {
    let v = parse_value(body)?;
    if let Some(err) = error_envelope(&v) {
        return err.map(GraphResponse::Error);
    }
    let inner = match v.get("data") {
        Some(d) if d.is_object() => d.clone(),
        _ if v.is_object() => v,
        _ => return Err(ParseError::NotA { expected: "object" }),
    };
    DebugTokenData::deserialize(inner)
        .map(GraphResponse::Ok)
        .map_err(ParseError::Shape)
}

/// Reads a batch response: one entry per request item, in request order; an entry may be `null`.
pub fn parse_batch(body: &str) -> Result<Vec<Option<BatchItem>>, ParseError> {
    let v = parse_value(body)?;
    if !v.is_array() {
        return Err(ParseError::NotA { expected: "array" });
    }
    Vec::<Option<BatchItem>>::deserialize(v).map_err(ParseError::Shape)
}

fn id_from_value<E: serde::de::Error>(v: Value) -> Result<Option<String>, E> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(E::custom(format!(
            "expected an id (string or number), got {other}"
        ))),
    }
}

fn flex_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    id_from_value(Value::deserialize(d)?)?.ok_or_else(|| D::Error::custom("id is null"))
}

fn flex_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    id_from_value(Value::deserialize(d)?)
}

fn flex_opt_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| id_from_value(v).transpose())
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(D::Error::custom(format!(
            "expected a list of ids, got {other}"
        ))),
    }
}

fn flex_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| D::Error::custom("number out of range")),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected an integer, got {s:?}"))),
        other => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

fn flex_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    flex_opt_i64(d)?.ok_or_else(|| D::Error::custom("integer is null"))
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_and_bare_debug_data() {
        let body =
            r#"{"app_id":100,"is_valid":true,"user_id":1207059,"expires_at":"0","scopes":null}"#;
        let GraphResponse::Ok(d) = parse_debug_token(body).unwrap() else {
            panic!("expected data")
        };
        assert_eq!(d.app_id.as_deref(), Some("100"));
        assert_eq!(d.user_id.as_deref(), Some("1207059"));
        assert_eq!(d.expires_at, Some(0));
        assert!(d.scopes.is_empty());
    }

    #[test]
    fn debug_error_subcode_key() {
        let body =
            r#"{"data":{"is_valid":false,"error":{"code":190,"message":"m","subcode":463}}}"#;
        let GraphResponse::Ok(d) = parse_debug_token(body).unwrap() else {
            panic!("expected data")
        };
        assert_eq!(d.error.unwrap().error_subcode, Some(463));
    }

    #[test]
    fn envelope_wins_over_payload() {
        let body = r#"{"error":{"code":"4","message":"x","is_transient":true}}"#;
        let r: GraphResponse<MeResponse> = parse_graph(body).unwrap();
        let GraphResponse::Error(e) = r else {
            panic!("expected error")
        };
        assert_eq!(e.code, 4);
        assert_eq!(e.is_transient, Some(true));
    }

    #[test]
    fn batch_items_may_be_null_and_headerless() {
        let items = parse_batch(r#"[null,{"code":200,"body":"{}"}]"#).unwrap();
        assert!(items[0].is_none());
        assert_eq!(items[1].as_ref().unwrap().header_pairs().count(), 0);
        assert!(matches!(
            parse_batch("{}"),
            Err(ParseError::NotA { expected: "array" })
        ));
        assert!(matches!(parse_batch("<html>"), Err(ParseError::Json(_))));
    }

    #[test]
    fn next_cursor_prefers_the_next_url() {
        let p = Paging {
            cursors: Some(Cursors {
                before: None,
                after: Some("c1".into()),
            }),
            next: Some("https://graph.facebook.com/v24.0/1/accounts?limit=4&after=c%3D2".into()),
            previous: None,
        };
        assert_eq!(p.next_cursor().as_deref(), Some("c=2"));
        let no_next = Paging {
            next: None,
            ..p.clone()
        };
        assert_eq!(no_next.next_cursor(), None);
        let bad_url = Paging {
            next: Some("not a url".into()),
            ..p
        };
        assert_eq!(bad_url.next_cursor().as_deref(), Some("c1"));
    }
}
