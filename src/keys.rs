//! The issuer's signing keys.
//!
//! Two keys, both published in the JWKS with a `kid` (clients crash on a key without one):
//! RS256 signs ID tokens, access tokens and signed userinfo; ES256 signs JWT introspection
//! answers (django-lasuite's default `OIDC_RS_SIGNING_ALGO`). A persistent data directory
//! gets its own keys on first start (`keys/*.pem`, mode 0600); `--ephemeral` uses the fixed,
//! public keys in `fixtures/insecure-test-keys/` so that start-up takes milliseconds.
//! The `kid` is the RFC 7638 thumbprint of the public key, so it is stable for a given key.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

const INSECURE_RSA_PEM: &str = include_str!("../fixtures/insecure-test-keys/rsa-sig.pem");
const INSECURE_EC_PEM: &str = include_str!("../fixtures/insecure-test-keys/ec-sig.pem");

pub struct Keys {
    pub rs256: SigningKey,
    /// The RS256 key again, for aws-lc-rs, which signs it several times faster than `rsa`.
    rs256_pair: aws_lc_rs::signature::RsaKeyPair,
    /// `base64url({"alg":"RS256","typ":"JWT","kid":...})`, the same for every token.
    rs256_header: String,
    pub es256: SigningKey,
    /// Signs refresh tokens (HS512), as Keycloak signs them with a realm HMAC key. Refresh
    /// tokens are opaque to clients and looked up by hash, so this key never leaves the process.
    refresh_hmac: aws_lc_rs::hmac::Key,
    /// Where the keys came from, for the health endpoint.
    pub source: KeySource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    InsecureTestKeys,
    Generated,
    Loaded,
}

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The public JWK as published in the JWKS.
    pub jwk: Value,
}

impl Keys {
    /// The fixed keys shipped in the repository. Insecure: for tests and `--ephemeral` only.
    pub fn insecure_test_keys() -> Result<Self> {
        Self::from_pems(INSECURE_RSA_PEM, INSECURE_EC_PEM, KeySource::InsecureTestKeys)
    }

    /// Loads `dir/rsa-sig.pem` and `dir/ec-sig.pem`, generating (and saving) any that is missing.
    pub fn load_or_generate(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let rsa_path = dir.join("rsa-sig.pem");
        let ec_path = dir.join("ec-sig.pem");
        let mut source = KeySource::Loaded;
        if !rsa_path.exists() {
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
                .map_err(|e| Error::Key(e.to_string()))?;
            let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, Default::default())
                .map_err(|e| Error::Key(e.to_string()))?;
            write_private(&rsa_path, pem.as_bytes())?;
            source = KeySource::Generated;
        }
        if !ec_path.exists() {
            let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(Default::default())
                .map_err(|e| Error::Key(e.to_string()))?;
            write_private(&ec_path, pem.as_bytes())?;
            source = KeySource::Generated;
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
        };
        Self::from_pems(&read(&rsa_path)?, &read(&ec_path)?, source)
    }

    fn from_pems(rsa_pem: &str, ec_pem: &str, source: KeySource) -> Result<Self> {
        let rsa_key =
            rsa::RsaPrivateKey::from_pkcs8_pem(rsa_pem).map_err(|e| Error::Key(format!("RSA key: {e}")))?;
        let rs256 = rsa_signing_key(&rsa_key)?;
        let pkcs1 = rsa_key.to_pkcs1_der().map_err(|e| Error::Key(e.to_string()))?;
        let rs256_pair = aws_lc_rs::signature::RsaKeyPair::from_der(pkcs1.as_bytes())
            .map_err(|e| Error::Key(format!("RSA key: {e}")))?;
        let rs256_header = B64.encode(
            serde_json::to_vec(&json!({"alg": "RS256", "typ": "JWT", "kid": rs256.kid}))
                .map_err(|e| Error::Key(e.to_string()))?,
        );
        let ec_key =
            p256::SecretKey::from_pkcs8_pem(ec_pem).map_err(|e| Error::Key(format!("EC key: {e}")))?;
        let es256 = ec_signing_key(&ec_key)?;
        let hmac_secret = refresh_secret(&pkcs1);
        Ok(Self {
            rs256,
            rs256_pair,
            rs256_header,
            es256,
            refresh_hmac: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA512, &hmac_secret),
            source,
        })
    }

    /// A JWS (compact) of `claims` signed RS256 with the realm key, `kid` in the header.
    pub fn sign_rs256(&self, claims: &serde_json::Map<String, Value>) -> Result<String> {
        // Sized for a typical token: growing past 1 KiB by doubling costs glibc a consolidation.
        let mut payload = Vec::with_capacity(2048);
        serde_json::to_writer(&mut payload, claims).map_err(|e| Error::Key(e.to_string()))?;
        self.sign_rs256_json(&payload)
    }

    /// A JWS (compact) of `payload`, a JSON object, signed RS256 with the realm key, `kid`
    /// in the header: for a caller that keeps the JSON it signed.
    pub fn sign_rs256_json(&self, payload: &[u8]) -> Result<String> {
        let mut jws = signing_input(&self.rs256_header, payload, self.rs256_pair.public_modulus_len());
        let mut signature = vec![0u8; self.rs256_pair.public_modulus_len()];
        self.rs256_pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                jws.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::Key("RS256 signing failed".into()))?;
        jws.push('.');
        B64.encode_string(&signature, &mut jws);
        Ok(jws)
    }

    /// A refresh token: a JWS (compact) of `payload`, a JSON object, signed HS512 with the
    /// realm's HMAC key, as Keycloak signs its refresh tokens.
    pub fn sign_refresh_json(&self, payload: &[u8]) -> String {
        let mut jws = signing_input(REFRESH_HEADER, payload, aws_lc_rs::digest::SHA512_OUTPUT_LEN);
        let tag = aws_lc_rs::hmac::sign(&self.refresh_hmac, jws.as_bytes());
        jws.push('.');
        B64.encode_string(tag.as_ref(), &mut jws);
        jws
    }

    /// The JWKS document: every public key, each with its `kid`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.rs256.jwk, self.es256.jwk] })
    }
}

/// The refresh tokens' HMAC key, derived from the RSA key (PKCS#1 DER): stable with it.
fn refresh_secret(rsa_pkcs1_der: &rsa::pkcs1::der::SecretDocument) -> [u8; 32] {
    Sha256::new_with_prefix(b"lasuite-emu refresh tokens")
        .chain_update(rsa_pkcs1_der.as_bytes())
        .finalize()
        .into()
}

/// `base64url({"alg":"HS512","typ":"JWT"})`, the header of every refresh token.
const REFRESH_HEADER: &str = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9";

/// `header.payload` (JWS signing input), with room for the signature of `signature_len` bytes.
fn signing_input(header: &str, payload: &[u8], signature_len: usize) -> String {
    let mut jws = String::with_capacity(header.len() + 2 + (payload.len() + signature_len) * 4 / 3 + 4);
    jws.push_str(header);
    jws.push('.');
    B64.encode_string(payload, &mut jws);
    jws
}

fn rsa_signing_key(key: &rsa::RsaPrivateKey) -> Result<SigningKey> {
    let n = B64.encode(key.n().to_bytes_be());
    let e = B64.encode(key.e().to_bytes_be());
    // RFC 7638: the thumbprint input has the required members in lexicographic order.
    let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
    let der = key.to_pkcs1_der().map_err(|e| Error::Key(e.to_string()))?;
    Ok(SigningKey {
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        decoding: DecodingKey::from_rsa_components(&n, &e).map_err(Error::from)?,
        jwk: json!({"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": n, "e": e}),
        kid,
        alg: Algorithm::RS256,
    })
}

fn ec_signing_key(key: &p256::SecretKey) -> Result<SigningKey> {
    let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(Error::Key("EC public key is the identity point".into()));
    };
    let (x, y) = (B64.encode(x), B64.encode(y));
    let kid = thumbprint(&format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#));
    let der = key.to_pkcs8_der().map_err(|e| Error::Key(e.to_string()))?;
    Ok(SigningKey {
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        decoding: DecodingKey::from_ec_components(&x, &y).map_err(Error::from)?,
        jwk: json!({"kid": kid, "kty": "EC", "alg": "ES256", "use": "sig", "crv": "P-256", "x": x, "y": y}),
        kid,
        alg: Algorithm::ES256,
    })
}

fn thumbprint(canonical_jwk: &str) -> String {
    B64.encode(Sha256::digest(canonical_jwk.as_bytes()))
}

/// Writes a private key readable by its owner only, via a temp file and a rename so that a
/// crash never leaves half a key behind.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("creating key file", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("setting key file mode", e))?;
    }
    tmp.write_all(bytes)
        .map_err(|e| Error::io("writing key file", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("syncing key file", e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("saving {}", path.display()), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_lc_signs_tokens_jsonwebtoken_verifies() {
        let keys = Keys::insecure_test_keys().unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), "alice".into());
        let jwt = keys.sign_rs256(&claims).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(
            (header.alg, header.kid.as_deref()),
            (Algorithm::RS256, Some(keys.rs256.kid.as_str()))
        );
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let decoded =
            jsonwebtoken::decode::<serde_json::Value>(&jwt, &keys.rs256.decoding, &validation).unwrap();
        assert_eq!(decoded.claims["sub"], "alice");
    }

    #[test]
    fn refresh_tokens_are_hs512_jwts_of_the_json_given() {
        let keys = Keys::insecure_test_keys().unwrap();
        let payload = br#"{"typ":"Refresh","sub":"alice"}"#;
        let jwt = keys.sign_refresh_json(payload);
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(
            (header.alg, header.typ.as_deref()),
            (Algorithm::HS512, Some("JWT"))
        );
        assert_eq!(
            jwt.split('.').nth(1).unwrap(),
            B64.encode(payload),
            "the payload as given"
        );
        let rsa_key = rsa::RsaPrivateKey::from_pkcs8_pem(INSECURE_RSA_PEM).unwrap();
        let secret = refresh_secret(&rsa_key.to_pkcs1_der().unwrap());
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS512);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let decoded =
            jsonwebtoken::decode::<serde_json::Value>(&jwt, &DecodingKey::from_secret(&secret), &validation)
                .unwrap();
        assert_eq!(decoded.claims["sub"], "alice");
        let forged = jsonwebtoken::decode::<serde_json::Value>(
            &jwt,
            &DecodingKey::from_secret(b"another key"),
            &validation,
        );
        assert!(forged.is_err());
    }

    #[test]
    fn every_jwk_has_a_kid_and_an_alg() {
        let keys = Keys::insecure_test_keys().unwrap();
        for key in keys.jwks()["keys"].as_array().unwrap() {
            assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
            assert!(key["alg"].is_string());
        }
        assert_ne!(keys.rs256.kid, keys.es256.kid);
    }

    #[test]
    fn kid_is_stable_for_a_key() {
        let a = Keys::insecure_test_keys().unwrap();
        let b = Keys::insecure_test_keys().unwrap();
        assert_eq!(a.rs256.kid, b.rs256.kid);
        assert_eq!(a.es256.kid, b.es256.kid);
    }
}
