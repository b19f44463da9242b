//! The REST API under `/api/v1`: API-key authenticated, JSON in and out, errors in one shape, and
//! an OpenAPI document generated from these handlers (`/api/v1/openapi.json`).

mod assets;
mod connect;
pub mod contract;
pub mod endpoints;
pub mod logins;
mod platform_errors;
pub mod views;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tether API",
        description = "Connection health for social media accounts: what each connected account can still do, who must fix what, and whether a feature works right now. Reports follow docs/REPORT.md, report_version 2: a finding's platform_error carries code and subcode as text (Meta's 190, LinkedIn's REVOKED_ACCESS_TOKEN) and the HTTP status when known.",
        version = "2"
    ),
    modifiers(&ApiKeyAuth),
    security(("api_key" = [])),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A workspace API key (`tether workspace create` prints the first).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API's routes and their OpenAPI document, paths relative to `/api/v1`.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(logins::list_logins))
        .routes(routes!(logins::get_login))
        .routes(routes!(logins::login_history))
        .routes(routes!(logins::check_login))
        .routes(routes!(logins::reconnect_link))
        .routes(routes!(assets::list_assets))
        .routes(routes!(assets::get_asset))
        .routes(routes!(assets::asset_history))
        .routes(routes!(assets::preflight))
        .routes(routes!(assets::check_asset))
        .routes(routes!(connect::connect))
        .routes(routes!(platform_errors::report_platform_error))
        .routes(routes!(
            endpoints::create_endpoint,
            endpoints::list_endpoints
        ))
        .routes(routes!(endpoints::delete_endpoint))
        .routes(routes!(endpoints::list_deliveries))
        .split_for_parts()
}

/// `Query` whose rejection speaks the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(e) => Err(query_error(e)),
        }
    }
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::bad_request("invalid_query", e.body_text())
}

/// `Json` whose rejection speaks the API's error shape (and says 413 for an oversized body).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(j) => Ok(ApiJson(j.0)),
            Err(e) => Err(json_error(e, state.config.body_limit)),
        }
    }
}

pub fn json_error(e: JsonRejection, limit: usize) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge { limit };
    }
    // The router's body deadline (`listen::Timeouts::body`).
    if crate::error::cause::<tower_http::timeout::TimeoutError>(&e).is_some() {
        return ApiError::RequestTimeout;
    }
    let code = match e {
        JsonRejection::MissingJsonContentType(_) => "expected_json",
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        _ => "invalid_body",
    };
    ApiError::bad_request(code, e.body_text())
}

/// Parses one of the fixed vocabularies, naming the allowed words when it fails.
pub fn word<T: std::str::FromStr<Err = tether_core::UnknownWord>>(
    field: &str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| ApiError::bad_request("invalid_filter", format!("{field}: {e}")))
        })
        .transpose()
}
