//! HTTPS: a local certificate authority made with rcgen, kept in the data directory, and the
//! certificate it issues for the names the emulator answers to (`serve --tls`).
//!
//! `<data>/tls/` holds `ca.pem` (the CA certificate: what clients and browsers trust, once),
//! `ca-key.pem` (its key, mode 0600, never sent anywhere), `cert.pem` and `cert-key.pem` (the
//! server's certificate and key). All keys are ECDSA P-256. Each start checks what is on disk:
//! the certificate is reissued when it lacks one of the names, is not signed by the CA, or
//! expires within [`RENEW_BEFORE_SECS`]; a CA (or any key) that cannot be read or does not
//! match is replaced with a warning naming the file, never trusted as it is. `--ephemeral`
//! makes a fresh CA per run in its temporary directory (ECDSA: well under a millisecond).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// The CA certificate's lifetime: ten years, so a browser that trusts it keeps doing so.
const CA_LIFETIME_SECS: i64 = 10 * 365 * 86_400;
/// The server certificate's lifetime.
const CERT_LIFETIME_SECS: i64 = 365 * 86_400;
/// A server certificate that expires within this is reissued at start.
pub const RENEW_BEFORE_SECS: i64 = 30 * 86_400;

/// The names every certificate holds, besides the public URL's host and `--tls-name`s.
pub const DEFAULT_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The TLS material of one emulator: what the listeners serve and what clients must trust.
pub struct Tls {
    pub server_config: Arc<rustls::ServerConfig>,
    /// `<data>/tls/ca.pem`.
    pub ca_path: PathBuf,
    /// The names the server certificate holds.
    pub names: Vec<String>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_path", &self.ca_path)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// The files of one data directory's TLS material.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub ca_key: PathBuf,
    pub cert: PathBuf,
    pub cert_key: PathBuf,
}

impl Paths {
    pub fn in_data_dir(data_dir: &Path) -> Self {
        let dir = data_dir.join("tls");
        Self {
            ca: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            cert: dir.join("cert.pem"),
            cert_key: dir.join("cert-key.pem"),
            dir,
        }
    }
}

/// The names a certificate for `public_url` and `extra` holds: the defaults, the URL's host,
/// then `extra`, each once, in that order.
pub fn names_for(public_url: &str, extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|n| (*n).to_owned()).collect();
    let host = url::Url::parse(public_url).ok().and_then(|u| match u.host() {
        Some(url::Host::Domain(d)) => Some(d.to_ascii_lowercase()),
        Some(url::Host::Ipv4(ip)) => Some(ip.to_string()),
        Some(url::Host::Ipv6(ip)) => Some(ip.to_string()),
        None => None,
    });
    for name in host
        .into_iter()
        .chain(extra.iter().map(|n| n.to_ascii_lowercase()))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Checks a `--tls-name`: a DNS name or an IP address a certificate can hold.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    match ServerName::try_from(name) {
        Ok(ServerName::DnsName(_)) => Ok(()),
        _ => Err(format!(
            "--tls-name {name:?} is neither a DNS name nor an IP address (e.g. host.docker.internal)"
        )),
    }
}

/// Loads the TLS material of `paths`, creating or replacing what is missing, unreadable,
/// mismatched, lacking one of `names` or near expiry. `now` is the real Unix time.
pub fn load_or_issue(paths: &Paths, names: &[String], now: i64) -> Result<Tls> {
    std::fs::create_dir_all(&paths.dir)
        .map_err(|e| Error::io(format!("creating {}", paths.dir.display()), e))?;
    let mut ca = load_or_make_ca(paths, now)?;
    let (chain, key) = match load_cert(paths, &ca, names, now) {
        Ok(loaded) => loaded,
        Err(reason) => {
            if let Some(reason) = reason {
                tracing::info!(file = %paths.cert.display(), "issuing a new server certificate: {reason}");
            }
            let issued = issue_cert(paths, &ca, names, now)?;
            // A CA whose certificate is not the one its key signs with (a copied `ca.pem`, a
            // subject that does not match) fails here: replace it rather than serve a chain no
            // client can verify.
            if let Err(error) = verify_chain(&ca.cert, &issued.0[0], names, now) {
                tracing::warn!(file = %paths.ca.display(), %error, "the CA does not verify the certificate it issued: making a new CA");
                ca = make_ca(paths, now)?;
                issue_cert(paths, &ca, names, now)?
            } else {
                issued
            }
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Key(format!("TLS versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Key(format!("the server certificate: {e}")))?;
    // HTTP/2 first, as nginx offers it: browsers and curl take it, requests and boto3 keep to
    // HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls {
        server_config: Arc::new(config),
        ca_path: paths.ca.clone(),
        names: names.to_vec(),
    })
}

/// The CA: its certificate (as served to clients) and what signs with it.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// Loads the CA of `paths`, making one if there is none; one that cannot be read or whose key
/// does not match its certificate is replaced, with a warning naming the file.
pub fn load_or_make_ca(paths: &Paths, now: i64) -> Result<Ca> {
    std::fs::create_dir_all(&paths.dir)
        .map_err(|e| Error::io(format!("creating {}", paths.dir.display()), e))?;
    if !paths.ca.exists() && !paths.ca_key.exists() {
        return make_ca(paths, now);
    }
    match load_ca(paths) {
        Ok(ca) => Ok(ca),
        Err((file, reason)) => {
            tracing::warn!(file = %file.display(), "{reason}: making a new CA (clients that trusted the old one must trust the new one: `lasuite-emu ca`)");
            make_ca(paths, now)
        }
    }
}

fn load_ca(paths: &Paths) -> std::result::Result<Ca, (PathBuf, String)> {
    let key_pem = std::fs::read_to_string(&paths.ca_key)
        .map_err(|e| (paths.ca_key.clone(), format!("cannot read the CA key: {e}")))?;
    let key = KeyPair::from_pem(&key_pem)
        .map_err(|e| (paths.ca_key.clone(), format!("not a usable CA key: {e}")))?;
    if key.algorithm() != &rcgen::PKCS_ECDSA_P256_SHA256 {
        return Err((paths.ca_key.clone(), "the CA key is not ECDSA P-256".into()));
    }
    let cert = CertificateDer::from_pem_file(&paths.ca)
        .map_err(|e| (paths.ca.clone(), format!("cannot read the CA certificate: {e}")))?;
    keys_match(&cert, &key_pem).map_err(|e| {
        (
            paths.ca.clone(),
            format!(
                "the CA certificate does not match {}: {e}",
                paths.ca_key.display()
            ),
        )
    })?;
    Ok(Ca {
        cert,
        issuer: Issuer::new(ca_params(&key, 0), key),
    })
}

fn make_ca(paths: &Paths, now: i64) -> Result<Ca> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(key_error)?;
    let params = ca_params(&key, now);
    let cert = params.self_signed(&key).map_err(key_error)?;
    crate::keys::write_private(&paths.ca_key, key.serialize_pem().as_bytes())?;
    write_public(&paths.ca, cert.pem().as_bytes())?;
    // A new CA invalidates the certificate it did not sign.
    let _ = std::fs::remove_file(&paths.cert);
    tracing::info!(file = %paths.ca.display(), "made a new local CA");
    Ok(Ca {
        cert: cert.der().clone(),
        issuer: Issuer::new(params, key),
    })
}

/// The CA's parameters. The subject is derived from the key (so a loaded key rebuilds the same
/// issuer name) and differs between installs (NSS refuses two CAs with one name and serial).
fn ca_params(key: &KeyPair, now: i64) -> CertificateParams {
    let digest = Sha256::digest(key.public_key_raw());
    let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "lasuite-emu");
    dn.push(DnType::CommonName, format!("lasuite-emu local CA {tag}"));
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = at(now - 3600);
    params.not_after = at(now + CA_LIFETIME_SECS);
    params.serial_number = Some(random_serial());
    params
}

/// Loads the server certificate; `Err(Some(reason))` says why it must be reissued, `Err(None)`
/// that there is none yet.
fn load_cert(
    paths: &Paths,
    ca: &Ca,
    names: &[String],
    now: i64,
) -> std::result::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Option<String>> {
    if !paths.cert.exists() {
        return Err(None);
    }
    let unreadable = |file: &Path, e: &dyn std::fmt::Display| {
        tracing::warn!(file = %file.display(), "cannot use it ({e}): replacing it");
        Some(format!("{} was unusable", file.display()))
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&paths.cert)
        .and_then(Iterator::collect)
        .map_err(|e| unreadable(&paths.cert, &e))?;
    let Some(leaf) = chain.first() else {
        return Err(unreadable(&paths.cert, &"no certificate in it"));
    };
    let key_pem = std::fs::read_to_string(&paths.cert_key).map_err(|e| unreadable(&paths.cert_key, &e))?;
    keys_match(leaf, &key_pem).map_err(|e| {
        unreadable(
            &paths.cert_key,
            &format!("it does not match {}: {e}", paths.cert.display()),
        )
    })?;
    // Valid for every name, signed by this CA, and still valid in RENEW_BEFORE_SECS.
    verify_chain(&ca.cert, leaf, names, now + RENEW_BEFORE_SECS).map_err(Some)?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| unreadable(&paths.cert_key, &e))?;
    Ok((vec![leaf.clone()], key))
}

fn issue_cert(
    paths: &Paths,
    ca: &Ca,
    names: &[String],
    now: i64,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(key_error)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "lasuite-emu");
    dn.push(DnType::CommonName, names.first().cloned().unwrap_or_default());
    params.distinguished_name = dn;
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => name.clone().try_into().map(SanType::DnsName),
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(key_error)?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = at(now - 3600);
    params.not_after = at(now + CERT_LIFETIME_SECS);
    params.serial_number = Some(random_serial());
    let cert = params.signed_by(&key, &ca.issuer).map_err(key_error)?;
    crate::keys::write_private(&paths.cert_key, key.serialize_pem().as_bytes())?;
    write_public(&paths.cert, cert.pem().as_bytes())?;
    let der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| Error::Key(e.to_owned()))?;
    Ok((vec![cert.der().clone()], der))
}

/// Verifies `leaf` as a TLS client trusting only `ca` would, for each of `names`, at `at`.
fn verify_chain(
    ca: &CertificateDer<'static>,
    leaf: &CertificateDer<'static>,
    names: &[String],
    at: i64,
) -> std::result::Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca.clone())
        .map_err(|e| format!("the CA certificate: {e}"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let when = UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    for name in names {
        let server_name = ServerName::try_from(name.as_str())
            .map_err(|e| format!("{name}: {e}"))?
            .to_owned();
        rustls::client::danger::ServerCertVerifier::verify_server_cert(
            verifier.as_ref(),
            leaf,
            &[],
            &server_name,
            &[],
            when,
        )
        .map_err(|e| format!("not valid for {name} until {at}: {e}"))?;
    }
    Ok(())
}

/// Whether `cert`'s public key is the one of the private key in `key_pem`.
fn keys_match(cert: &CertificateDer<'static>, key_pem: &str) -> std::result::Result<(), String> {
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| e.to_string())?;
    rustls::sign::CertifiedKey::new(vec![cert.clone()], signing)
        .keys_match()
        .map_err(|e| e.to_string())
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("pem.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

fn at(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    // Positive, and no leading zero byte to strip.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn key_error(error: rcgen::Error) -> Error {
    Error::Key(format!("TLS certificate: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn names(extra: &[&str]) -> Vec<String> {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        names_for("https://localhost:8990", &extra)
    }

    #[test]
    fn names_hold_the_defaults_the_public_host_and_extras_once() {
        assert_eq!(names(&[]), ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(
            names_for(
                "https://Emu.Test:443",
                &["host.docker.internal".into(), "emu.test".into()]
            ),
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "emu.test",
                "host.docker.internal"
            ]
        );
        assert_eq!(
            names_for("https://[::1]:8990", &[]),
            ["localhost", "127.0.0.1", "::1"]
        );
        assert!(check_name("host.docker.internal").is_ok());
        assert!(check_name("10.0.0.1").is_ok());
        assert!(check_name("not a name").is_err());
    }

    #[test]
    fn the_ca_is_kept_and_the_certificate_follows_the_names() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_data_dir(dir.path());
        load_or_issue(&paths, &names(&[]), NOW).unwrap();
        let ca = std::fs::read(&paths.ca).unwrap();
        let cert = std::fs::read(&paths.cert).unwrap();
        // Same names: nothing changes.
        load_or_issue(&paths, &names(&[]), NOW + 86_400).unwrap();
        assert_eq!(std::fs::read(&paths.cert).unwrap(), cert);
        // A new name: a new certificate from the same CA.
        load_or_issue(&paths, &names(&["host.docker.internal"]), NOW).unwrap();
        let reissued = std::fs::read(&paths.cert).unwrap();
        assert_ne!(reissued, cert);
        assert_eq!(std::fs::read(&paths.ca).unwrap(), ca);
        // Near expiry: reissued.
        load_or_issue(
            &paths,
            &names(&["host.docker.internal"]),
            NOW + CERT_LIFETIME_SECS - 86_400,
        )
        .unwrap();
        assert_ne!(std::fs::read(&paths.cert).unwrap(), reissued);
        assert_eq!(std::fs::read(&paths.ca).unwrap(), ca);
    }

    #[test]
    fn an_unreadable_or_mismatched_ca_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_data_dir(dir.path());
        load_or_issue(&paths, &names(&[]), NOW).unwrap();
        let ca = std::fs::read(&paths.ca).unwrap();
        // Another CA's key beside this certificate.
        let other = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        std::fs::write(&paths.ca_key, other.serialize_pem()).unwrap();
        load_or_issue(&paths, &names(&[]), NOW).unwrap();
        let replaced = std::fs::read(&paths.ca).unwrap();
        assert_ne!(replaced, ca);
        // Garbage.
        std::fs::write(&paths.ca, "not a certificate").unwrap();
        load_or_issue(&paths, &names(&[]), NOW).unwrap();
        assert_ne!(std::fs::read(&paths.ca).unwrap(), replaced);
        // A server key that does not match its certificate.
        std::fs::write(&paths.cert_key, other.serialize_pem()).unwrap();
        let cert = std::fs::read(&paths.cert).unwrap();
        load_or_issue(&paths, &names(&[]), NOW).unwrap();
        assert_ne!(std::fs::read(&paths.cert).unwrap(), cert);
    }
}
