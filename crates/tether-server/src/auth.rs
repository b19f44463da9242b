//! API keys: `Authorization: Bearer <key>` names the workspace. Verified keys are cached briefly
//! (by the key's SHA-256, never the key) so the pre-flight path does not hit the database on every
//! call; a revocation made through this process drops the cache at once, one made elsewhere
//! within `TTL`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use tether_store::{Store, WorkspaceId};

const TTL: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub struct KeyCache(RwLock<HashMap<[u8; 32], (WorkspaceId, Instant)>>);

impl KeyCache {
    fn get(&self, hash: &[u8; 32]) -> Option<WorkspaceId> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(ws, _)| *ws)
    }

    fn put(&self, hash: [u8; 32], ws: WorkspaceId) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, at)| at.elapsed() < TTL);
        }
        map.insert(hash, (ws, Instant::now()));
    }

    pub fn clear(&self) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The workspace of the API key the request carries.
#[derive(Debug, Clone, Copy)]
pub struct Workspace(pub WorkspaceId);

impl FromRequestParts<AppState> for Workspace {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let key = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(ws) = state.keys.get(&hash) {
            return Ok(Workspace(ws));
        }
        let secret = SecretString::from(key.to_owned());
        let ws = state
            .store
            .authenticate_api_key(&secret)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        state.keys.put(hash, ws);
        Ok(Workspace(ws))
    }
}
