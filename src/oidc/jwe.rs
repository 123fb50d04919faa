//! Compact JWE (RFC 7516) with `RSA-OAEP` key wrapping and `A256GCM` content encryption:
//! what django-lasuite's `JWTResourceServerBackend` decrypts (RFC 9701 introspection).

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore as _;
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Oaep, RsaPublicKey};

use crate::error::{Error, Result};

/// Reads an RSA public key from PEM: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|e| format!("not an RSA public key in PEM form: {e}"))
}

/// Encrypts `plaintext` (a JWS) to `public_key_pem`; `cty: JWT` marks a nested token.
pub fn encrypt(plaintext: &[u8], public_key_pem: &str) -> Result<String> {
    let key = parse_public_key(public_key_pem).map_err(Error::Key)?;
    let header = B64.encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM","cty":"JWT"}"#);
    let mut rng = rand::rngs::OsRng;
    let mut cek = [0u8; 32];
    rng.fill_bytes(&mut cek);
    let mut iv = [0u8; 12];
    rng.fill_bytes(&mut iv);
    // JWA "RSA-OAEP" is OAEP with SHA-1 and MGF1-SHA-1 (RFC 7518 §4.3).
    let encrypted_key = key
        .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), &cek)
        .map_err(|e| Error::Key(format!("RSA-OAEP: {e}")))?;
    let cipher = Aes256Gcm::new_from_slice(&cek).map_err(|e| Error::Key(e.to_string()))?;
    let sealed = cipher
        .encrypt(
            &Nonce::from(iv),
            Payload {
                msg: plaintext,
                aad: header.as_bytes(),
            },
        )
        .map_err(|e| Error::Key(format!("A256GCM: {e}")))?;
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    Ok(format!(
        "{header}.{}.{}.{}.{}",
        B64.encode(encrypted_key),
        B64.encode(iv),
        B64.encode(ciphertext),
        B64.encode(tag)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};

    #[test]
    fn round_trips_with_the_private_key() {
        let private =
            RsaPrivateKey::from_pkcs8_pem(include_str!("../../fixtures/insecure-test-keys/rsa-sig.pem"))
                .unwrap();
        let pem = private
            .to_public_key()
            .to_public_key_pem(Default::default())
            .unwrap();
        let jwe = encrypt(b"hello.jws.token", &pem).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts.len(), 5);
        let cek = private
            .decrypt(Oaep::new::<sha1::Sha1>(), &B64.decode(parts[1]).unwrap())
            .unwrap();
        let cipher = Aes256Gcm::new_from_slice(&cek).unwrap();
        let mut sealed = B64.decode(parts[3]).unwrap();
        sealed.extend(B64.decode(parts[4]).unwrap());
        let iv: [u8; 12] = B64.decode(parts[2]).unwrap().try_into().unwrap();
        let plain = cipher
            .decrypt(
                &Nonce::from(iv),
                Payload {
                    msg: &sealed,
                    aad: parts[0].as_bytes(),
                },
            )
            .unwrap();
        assert_eq!(plain, b"hello.jws.token");
    }

    #[test]
    fn garbage_keys_are_refused() {
        assert!(parse_public_key("not a key").is_err());
    }
}
