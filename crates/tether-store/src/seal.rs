//! Token sealing: AES-256-GCM with a key ring, so keys can rotate without a flag day.
//!
//! Sealed layout: `version(1) | key_id(1) | nonce(12) | ciphertext+tag`. The key id travels inside
//! the blob so a row sealed under an older key still opens while a rotation is half done. The AAD
//! binds a ciphertext to its row (login id, network, token kind; or endpoint and workspace for a
//! webhook signing secret): a blob copied into another row, or relabelled as another kind of
//! secret, fails to open instead of handing out someone else's.

use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::collections::BTreeMap;
use std::fmt;
use tether_core::vocab::Network;
use uuid::Uuid;

const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 2 + NONCE_LEN;
const KEY_LEN: usize = 32;

/// What a sealed token is; part of the AAD so a user token cannot be replayed as another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The login's own (user) access token.
    User,
    /// The refresh token beside it, for networks that issue one.
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// Why a key ring could not be built. Never includes key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    #[error("the key ring is empty; expected `ID:BASE64KEY[,ID:BASE64KEY...]`")]
    Empty,
    #[error("key ring entry {position} is not `ID:BASE64KEY`")]
    Malformed { position: usize },
    #[error("key ring entry {position}: key id `{id}` is not a number from 1 to 255")]
    BadId { position: usize, id: String },
    #[error("key ring entry {position} (key id {id}): the key is not valid base64")]
    BadBase64 { position: usize, id: u8 },
    #[error("key ring entry {position} (key id {id}): the key is {len} bytes, AES-256 needs 32")]
    BadLength { position: usize, id: u8, len: usize },
    #[error("key id {id} appears twice in the key ring")]
    Duplicate { id: u8 },
    #[error("active key id {id} is not in the key ring")]
    UnknownActive { id: u8 },
    #[error("cannot read key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("environment variable {var} is not set (expected `ID:BASE64KEY[,ID:BASE64KEY...]`)")]
    MissingEnv { var: String },
}

/// Why a sealed token could not be opened. Deliberately vague about which check failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed token is too short or has an unknown format version")]
    Format,
    #[error("sealed token uses key id {0}, which is not in the key ring")]
    UnknownKey(u8),
    #[error("sealed token does not open: wrong key, tampered, or it belongs to another row")]
    Open,
    #[error("opened token is not valid UTF-8")]
    NotUtf8,
}

/// The encryption keys, by id, with the one that seals new tokens. `Debug` shows ids only.
pub struct KeyRing {
    active: u8,
    keys: BTreeMap<u8, SecretBox<[u8; KEY_LEN]>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Parses `ID:BASE64KEY[,ID:BASE64KEY...]`. The highest id is active, so rotating is "append a
    /// new key, run the re-seal".
    pub fn parse(ring: &SecretString) -> Result<KeyRing, KeyRingError> {
        let mut keys = BTreeMap::new();
        for (i, entry) in ring
            .expose_secret()
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let position = i + 1;
            let (id, key) = entry
                .split_once(':')
                .ok_or(KeyRingError::Malformed { position })?;
            let id_text = id.trim();
            let id = id_text
                .parse::<u8>()
                .ok()
                .filter(|id| *id != 0)
                .ok_or_else(|| KeyRingError::BadId {
                    position,
                    id: id_text.chars().take(8).collect(),
                })?;
            let bytes = STANDARD
                .decode(key.trim())
                .map_err(|_| KeyRingError::BadBase64 { position, id })?;
            let key: [u8; KEY_LEN] =
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyRingError::BadLength {
                        position,
                        id,
                        len: bytes.len(),
                    })?;
            if keys.insert(id, SecretBox::new(Box::new(key))).is_some() {
                return Err(KeyRingError::Duplicate { id });
            }
        }
        let active = *keys.keys().next_back().ok_or(KeyRingError::Empty)?;
        Ok(KeyRing { active, keys })
    }

    /// Reads a key ring from a file (same format; newlines may separate entries).
    pub fn from_file(path: &std::path::Path) -> Result<KeyRing, KeyRingError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyRingError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        KeyRing::parse(&SecretString::from(text))
    }

    /// Reads a key ring from an environment variable (same format).
    pub fn from_env(var: &str) -> Result<KeyRing, KeyRingError> {
        let text = std::env::var(var).map_err(|_| KeyRingError::MissingEnv {
            var: var.to_owned(),
        })?;
        KeyRing::parse(&SecretString::from(text))
    }

    /// Makes a different key the active one (for tests and a staged rollout).
    pub fn with_active(mut self, id: u8) -> Result<KeyRing, KeyRingError> {
        if !self.keys.contains_key(&id) {
            return Err(KeyRingError::UnknownActive { id });
        }
        self.active = id;
        Ok(self)
    }

    /// A fresh random 256-bit key, base64, ready to append to a ring as `ID:KEY`.
    pub fn generate_key() -> SecretString {
        let key = Key::<Aes256Gcm>::generate();
        SecretString::from(STANDARD.encode(key.as_slice()))
    }

    /// The id new tokens are sealed under.
    pub fn active_id(&self) -> u8 {
        self.active
    }

    fn cipher(&self, id: u8) -> Option<Aes256Gcm> {
        let key = self.keys.get(&id)?;
        Aes256Gcm::new_from_slice(key.expose_secret()).ok()
    }

    /// Seals `token` for one row under the active key.
    pub fn seal(&self, token: &SecretString, aad: &impl SealAad) -> Vec<u8> {
        let cipher = self
            .cipher(self.active)
            .expect("the active key is always in the ring and 32 bytes long");
        let nonce = Nonce::generate();
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: &aad.aad_bytes(),
                },
            )
            .expect("AES-GCM encryption only fails for messages beyond 64 GiB");
        let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        out.push(FORMAT_VERSION);
        out.push(self.active);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens a sealed token; fails if any byte or the row it belongs to differs.
    pub fn open(&self, sealed: &[u8], aad: &impl SealAad) -> Result<SecretString, SealError> {
        if sealed.len() < HEADER_LEN + 16 || sealed[0] != FORMAT_VERSION {
            return Err(SealError::Format);
        }
        let key_id = sealed[1];
        let cipher = self.cipher(key_id).ok_or(SealError::UnknownKey(key_id))?;
        let nonce = Nonce::try_from(&sealed[2..HEADER_LEN]).map_err(|_| SealError::Format)?;
        let plain = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad.aad_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SealError::NotUtf8)
    }

    /// The key id a sealed blob was sealed under, if the blob is well formed.
    pub fn key_id_of(sealed: &[u8]) -> Option<u8> {
        (sealed.len() >= HEADER_LEN && sealed[0] == FORMAT_VERSION).then(|| sealed[1])
    }
}

/// The row a sealed secret belongs to, as the bytes authenticated (not encrypted) alongside it.
///
/// Every encoding ends with `|` and a word naming the kind of secret, and no kind word contains
/// `|`, so encodings of different kinds never coincide.
pub trait SealAad {
    fn aad_bytes(&self) -> Vec<u8>;
}

/// The login row a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenAad {
    pub login_id: Uuid,
    pub network: Network,
    pub kind: TokenKind,
}

/// The endpoint row a webhook signing secret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointAad {
    pub endpoint_id: Uuid,
    pub workspace_id: Uuid,
}

impl SealAad for EndpointAad {
    fn aad_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48);
        out.extend_from_slice(self.endpoint_id.as_bytes());
        out.push(b'|');
        out.extend_from_slice(self.workspace_id.as_bytes());
        out.extend_from_slice(b"|endpoint_secret");
        out
    }
}

impl SealAad for TokenAad {
    fn aad_bytes(&self) -> Vec<u8> {
        // Fixed-width id first, then '|' separated words: no two distinct rows share an encoding.
        let mut out = Vec::with_capacity(48);
        out.extend_from_slice(self.login_id.as_bytes());
        out.push(b'|');
        out.extend_from_slice(self.network.as_str().as_bytes());
        out.push(b'|');
        out.extend_from_slice(self.kind.as_str().as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(text: &str) -> Result<KeyRing, KeyRingError> {
        KeyRing::parse(&SecretString::from(text.to_owned()))
    }

    fn aad() -> TokenAad {
        TokenAad {
            login_id: Uuid::now_v7(),
            network: Network::Meta,
            kind: TokenKind::User,
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let k = KeyRing::generate_key();
        let ring = ring(&format!("3:{}", k.expose_secret())).unwrap();
        let a = aad();
        let sealed = ring.seal(&SecretString::from("EAAtoken"), &a);
        assert_eq!(sealed[0], FORMAT_VERSION);
        assert_eq!(sealed[1], 3);
        assert_eq!(sealed.len(), HEADER_LEN + "EAAtoken".len() + 16);
        assert_eq!(ring.open(&sealed, &a).unwrap().expose_secret(), "EAAtoken");
    }

    #[test]
    fn another_row_or_a_flipped_bit_does_not_open() {
        let ring = ring(&format!("1:{}", KeyRing::generate_key().expose_secret())).unwrap();
        let a = aad();
        let mut sealed = ring.seal(&SecretString::from("EAAtoken"), &a);
        assert_eq!(ring.open(&sealed, &aad()).unwrap_err(), SealError::Open);
        let other_network = TokenAad {
            network: Network::Instagram,
            ..a
        };
        assert_eq!(
            ring.open(&sealed, &other_network).unwrap_err(),
            SealError::Open
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(ring.open(&sealed, &a).unwrap_err(), SealError::Open);
    }

    #[test]
    fn an_endpoint_secret_opens_only_for_its_endpoint() {
        let ring = ring(&format!("1:{}", KeyRing::generate_key().expose_secret())).unwrap();
        let e = EndpointAad {
            endpoint_id: Uuid::now_v7(),
            workspace_id: Uuid::now_v7(),
        };
        let sealed = ring.seal(&SecretString::from("whsec_abc"), &e);
        assert_eq!(ring.open(&sealed, &e).unwrap().expose_secret(), "whsec_abc");
        let moved = EndpointAad {
            workspace_id: Uuid::now_v7(),
            ..e
        };
        assert_eq!(ring.open(&sealed, &moved).unwrap_err(), SealError::Open);
        let as_token = TokenAad {
            login_id: e.endpoint_id,
            network: Network::Meta,
            kind: TokenKind::User,
        };
        assert_eq!(ring.open(&sealed, &as_token).unwrap_err(), SealError::Open);
    }

    #[test]
    fn corrupt_rings_are_named() {
        assert_eq!(ring("").unwrap_err(), KeyRingError::Empty);
        assert_eq!(
            ring("abc").unwrap_err(),
            KeyRingError::Malformed { position: 1 }
        );
        assert!(matches!(
            ring("0:AAAA").unwrap_err(),
            KeyRingError::BadId { .. }
        ));
        assert_eq!(
            ring("1:!!!").unwrap_err(),
            KeyRingError::BadBase64 { position: 1, id: 1 }
        );
        assert_eq!(
            ring("1:AAAA").unwrap_err(),
            KeyRingError::BadLength {
                position: 1,
                id: 1,
                len: 3
            }
        );
        let k = KeyRing::generate_key();
        let k = k.expose_secret();
        assert_eq!(
            ring(&format!("1:{k},1:{k}")).unwrap_err(),
            KeyRingError::Duplicate { id: 1 }
        );
        let two = ring(&format!("1:{k}\n2:{k}")).unwrap();
        assert_eq!(two.active_id(), 2);
        assert_eq!(
            two.with_active(7).unwrap_err(),
            KeyRingError::UnknownActive { id: 7 }
        );
    }

    #[test]
    fn a_key_file_may_hold_one_key_per_line() {
        let path = std::env::temp_dir().join(format!("tether-keys-{}", Uuid::now_v7().simple()));
        let (a, b) = (KeyRing::generate_key(), KeyRing::generate_key());
        std::fs::write(
            &path,
            format!("1:{}\n2:{}\n", a.expose_secret(), b.expose_secret()),
        )
        .unwrap();
        let ring = KeyRing::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(ring.active_id(), 2);
        assert!(matches!(
            KeyRing::from_file(&path),
            Err(KeyRingError::File { .. })
        ));
        assert_eq!(
            KeyRing::from_env("TETHER_TEST_SURELY_UNSET_KEYS").unwrap_err(),
            KeyRingError::MissingEnv {
                var: "TETHER_TEST_SURELY_UNSET_KEYS".into()
            }
        );
    }

    #[test]
    fn debug_shows_no_key_material() {
        let k = KeyRing::generate_key();
        let ring = ring(&format!("1:{}", k.expose_secret())).unwrap();
        let shown = format!("{ring:?}");
        assert!(!shown.contains(k.expose_secret()), "{shown}");
        assert!(shown.contains("key_ids"));
    }
}
