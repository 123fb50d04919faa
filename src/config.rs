//! The resolved configuration of one emulator: what `serve` flags (or the library builder)
//! become once checked. Errors name the flag that fixes them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::fixtures::FixtureSet;

/// Where state lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A directory kept across runs (`--data`).
    Dir(PathBuf),
    /// A fresh temporary directory, removed on stop (`--ephemeral`).
    Ephemeral,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: Vec<SocketAddr>,
    /// Addresses that serve plain HTTP even with `tls` (`--listen-http`).
    pub listen_http: Vec<SocketAddr>,
    /// Serve HTTPS on `listen` (`--tls`).
    pub tls: bool,
    /// Names the certificate holds besides the defaults and the public URL's host.
    pub tls_names: Vec<String>,
    /// `scheme://host[:port]`, no trailing slash. None: derived from the first bound address.
    pub public_url: Option<String>,
    pub storage: Storage,
    /// The embedded default with every extra fixture already layered over it.
    pub fixtures: FixtureSet,
    /// The fixture files layered over the default (watched while serving).
    pub fixture_files: Vec<PathBuf>,
    /// Bearer key for the control plane; generated when listening beyond loopback.
    pub admin_key: Option<String>,
    pub ready_file: Option<PathBuf>,
    /// Request-head, idle-body and shutdown time limits.
    pub timeouts: crate::conn::Timeouts,
}

impl Default for Config {
    /// An ephemeral emulator on a free loopback port with the default fixture: what tests want.
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            listen_http: Vec::new(),
            tls: false,
            tls_names: Vec::new(),
            public_url: None,
            storage: Storage::Ephemeral,
            fixtures: FixtureSet::default_set(),
            fixture_files: Vec::new(),
            admin_key: None,
            ready_file: None,
            timeouts: crate::conn::Timeouts::default(),
        }
    }
}

impl Config {
    /// Resolves `serve` flags.
    pub fn from_args(args: &crate::cli::ServeArgs) -> Result<Self> {
        let mut fixtures = FixtureSet::default_set();
        for path in &args.fixtures {
            fixtures.merge(FixtureSet::load(path)?);
        }
        let public_url = args.public_url.as_deref().map(normalize_public_url).transpose()?;
        if args.listen.is_empty() {
            return Err(Error::Config("--listen needs at least one address".into()));
        }
        Ok(Self {
            listen: args.listen.clone(),
            listen_http: args.listen_http.clone(),
            tls: args.tls,
            tls_names: args.tls_names.clone(),
            public_url,
            storage: if args.ephemeral {
                Storage::Ephemeral
            } else {
                Storage::Dir(args.data.clone())
            },
            fixtures,
            fixture_files: args.fixtures.clone(),
            admin_key: args.admin_key.clone().filter(|k| !k.is_empty()),
            ready_file: args.ready_file.clone(),
            timeouts: crate::conn::Timeouts {
                header_read: Duration::from_secs(args.header_read_timeout),
                body_idle: Duration::from_secs(args.body_idle_timeout),
                shutdown: Duration::from_secs(args.shutdown_timeout),
            },
        })
    }
}

/// Checks a `--public-url` and strips any trailing slash: it is joined with `/realms/...`.
pub fn normalize_public_url(raw: &str) -> Result<String> {
    let url =
        url::Url::parse(raw).map_err(|e| Error::Config(format!("--public-url {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "--public-url {raw:?} must be an http(s) URL with a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "--public-url {raw:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The public URL used when none is configured: the first bound address, with an unspecified
/// IP (0.0.0.0, ::) replaced by the loopback one a browser on this machine can open.
pub fn default_public_url(bound: SocketAddr) -> String {
    default_public_url_for(bound, false)
}

/// [`default_public_url`], `https://` when the address serves TLS.
pub fn default_public_url_for(bound: SocketAddr, tls: bool) -> String {
    let ip = match bound.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{ip}:{}", bound.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_normalised_and_checked() {
        assert_eq!(
            normalize_public_url("http://localhost:8083/").unwrap(),
            "http://localhost:8083"
        );
        assert_eq!(
            normalize_public_url("https://emu.test/base/").unwrap(),
            "https://emu.test/base"
        );
        assert!(normalize_public_url("ftp://x").is_err());
        assert!(normalize_public_url("localhost:8083").is_err());
        assert!(normalize_public_url("http://x/?a=b").is_err());
    }

    #[test]
    fn default_public_url_replaces_unspecified_addresses() {
        assert_eq!(
            default_public_url("0.0.0.0:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
        assert_eq!(default_public_url("[::]:80".parse().unwrap()), "http://[::1]:80");
        assert_eq!(
            default_public_url("127.0.0.1:9".parse().unwrap()),
            "http://127.0.0.1:9"
        );
    }
}
