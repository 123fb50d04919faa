//! The environment blocks that point a local Docs or Drive at an emulator (`lasuite-emu env
//! docs|drive`): OIDC login, resource-server settings and S3, for one public URL.

use crate::cli::{App, EnvArgs};

const SECRET: &str = "ThisIsAnExampleKeyForDevPurposeOnly";
/// When Docs renews the user's tokens: a minute before the default access-token lifetime.
const RENEW_SECONDS: i64 = crate::fixtures::DEFAULT_ACCESS_TOKEN_TTL - 60;
/// A fixed, public Fernet key: fine for a local emulator, never for anything shared.
const DEV_FERNET_KEY: &str = "BI89SYxWLkgZ6FApEF7soEeTBqDaACwKk9zVVGkr9gY=";

/// The block for `args.app`, with every emulator URL on `args.url` (the emulator's public URL),
/// the login/logout redirects on `args.app_url` (upstream's dev front end when `None`) and the
/// issuer of `args.realm`.
pub fn env_block(args: &EnvArgs) -> String {
    if args.fixture {
        return app_fixture(args).to_toml();
    }
    let (app, app_url) = (args.app, args.app_url.as_deref());
    let url = &emulator_url(args);
    let tls = url.starts_with("https://");
    let iss = format!("{url}/realms/{}", args.realm);
    let oidc = format!("{iss}/protocol/openid-connect");
    let (client, backend, default_front, bucket) = match app {
        App::Docs => (
            "docs",
            "localhost:8071",
            "http://localhost:3000",
            "docs-media-storage",
        ),
        App::Drive => (
            "drive",
            "localhost:8072",
            "http://localhost:3001",
            "drive-media-storage",
        ),
    };
    let front = app_url.unwrap_or(default_front).trim_end_matches('/');
    // mozilla-django-oidc compares `next` URLs with host:port, without the scheme.
    let front_host = front.split_once("://").map_or(front, |(_, rest)| rest);
    let front_host = front_host.split('/').next().unwrap_or(front_host);
    let mut out = format!(
        "# --- OIDC login ({client} as relying party), lasuite-emu at {url} ---
OIDC_OP_AUTHORIZATION_ENDPOINT={oidc}/auth
OIDC_OP_TOKEN_ENDPOINT={oidc}/token
OIDC_OP_USER_ENDPOINT={oidc}/userinfo
OIDC_OP_JWKS_ENDPOINT={oidc}/certs
OIDC_OP_LOGOUT_ENDPOINT={oidc}/logout
OIDC_RP_CLIENT_ID={client}
OIDC_RP_CLIENT_SECRET={SECRET}
OIDC_RP_SIGN_ALGO=RS256
OIDC_RP_SCOPES=\"openid email\"
OIDC_AUTH_REQUEST_EXTRA_PARAMS={{\"acr_values\": \"eidas1\"}}
OIDC_REDIRECT_ALLOWED_HOSTS=\"{front_host},{backend}\"
OIDC_USERINFO_FULLNAME_FIELDS=\"first_name,last_name\"
OIDC_USERINFO_SHORTNAME_FIELD=first_name
# Note the DJANGO_ prefix (these settings are declared without environ_prefix=None)
DJANGO_OIDC_CREATE_USER=True
DJANGO_OIDC_OP_USER_ENDPOINT_FORMAT=AUTO
LOGIN_REDIRECT_URL={front}
LOGIN_REDIRECT_URL_FAILURE={front}
LOGOUT_REDIRECT_URL={front}
# Django refuses a POST whose Origin it does not trust (403 \"CSRF Failed: Origin checking
# failed\"): trust the front end and the backend this block names. Docs and Drive read this
# name (in Docs' Development configuration it replaces the built-in localhost list).
DJANGO_CSRF_TRUSTED_ORIGINS={front},http://{backend}
OIDC_TIMEOUT=3
OIDC_VERIFY_SSL={verify}
",
        verify = if tls { "True" } else { "False" },
    );
    match app {
        App::Docs => out.push_str(&format!(
            "
# --- Keep the user's tokens so Docs can call resource servers (Drive) ---
# Renew them this long after login, safely below the access tokens' lifetime (300 s, as in the
# upstream dev realms); mozilla-django-oidc's default, 900 s, would leave a dead token in the
# session from 300 s to 900 s. Docs 5.4.1 does not declare this setting yet: with it, give the
# docs client longer tokens in a fixture (access_token_lifespan = 1200, docs/integrate-docs.md).
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS={renew}
OIDC_STORE_ACCESS_TOKEN=True
OIDC_STORE_REFRESH_TOKEN=True
OIDC_STORE_REFRESH_TOKEN_KEY={DEV_FERNET_KEY}
# Docs does not read these yet (neither 5.4.1 nor main): the integration's names, for the
# Drive client Docs is building. lasuite-emu serves Drive's external API itself.
DRIVE_API_ENABLED=True
DRIVE_API_URL={url}/external_api/v1.0
OIDC_RESOURCE_CLIENT_ID=drive
OIDC_RESOURCE_CLIENT_SECRET={SECRET}

# --- Docs as a resource server (optional; same issuer) ---
OIDC_OP_URL={iss}
OIDC_OP_INTROSPECTION_ENDPOINT={oidc}/token/introspect
OIDC_RESOURCE_SERVER_ENABLED=False
OIDC_RS_CLIENT_ID=docs
OIDC_RS_CLIENT_SECRET={SECRET}
OIDC_RS_AUDIENCE_CLAIM=client_id
OIDC_RS_ALLOWED_AUDIENCES=drive
OIDC_RS_SCOPES=openid
",
            renew = RENEW_SECONDS,
        )),
        App::Drive => out.push_str(&format!(
            "
# --- Drive as resource server accepting tokens obtained by Docs ---
OIDC_RESOURCE_SERVER_ENABLED=True
OIDC_OP_URL={iss}
OIDC_OP_INTROSPECTION_ENDPOINT={oidc}/token/introspect
OIDC_RS_CLIENT_ID=drive
OIDC_RS_CLIENT_SECRET={SECRET}
OIDC_RS_AUDIENCE_CLAIM=client_id
# the *calling* client's id, i.e. Docs' OIDC_RP_CLIENT_ID
OIDC_RS_ALLOWED_AUDIENCES=docs
OIDC_RS_SCOPES=openid
"
        )),
    }
    out.push_str(&format!(
        "
# --- S3 (lasuite-emu's store, same port) ---
AWS_S3_ENDPOINT_URL={url}
AWS_S3_ACCESS_KEY_ID={client}
AWS_S3_SECRET_ACCESS_KEY=password
AWS_S3_REGION_NAME=us-east-1
AWS_S3_SIGNATURE_VERSION=s3v4
AWS_STORAGE_BUCKET_NAME={bucket}
# The browser fetches media links with the app's session cookie, which is set for the front
# end's host name (cookies ignore ports): so the links name that host, on the emulator's port.
MEDIA_BASE_URL={media}
",
        media = media_base_url(url, front),
    ));
    if matches!(app, App::Drive) {
        out.push_str(&format!("AWS_S3_DOMAIN_REPLACE={url}\n"));
    }
    if tls {
        let ca = ca_file(args);
        out.push_str(&format!(
            "
# --- HTTPS: trust lasuite-emu's local CA (`lasuite-emu ca` shows it; in a container, mount
# it and pass --ca-file with the path there). Each variable replaces that client's default
# roots (NODE_EXTRA_CA_CERTS adds to them).
# requests: mozilla-django-oidc's calls (OIDC_VERIFY_SSL=True), django-lasuite's introspection
REQUESTS_CA_BUNDLE={ca}
# Python's ssl module and OpenSSL-based tools
SSL_CERT_FILE={ca}
# boto3 / django-storages
AWS_CA_BUNDLE={ca}
# Node.js (the Next.js front end, server side)
NODE_EXTRA_CA_CERTS={ca}
"
        ));
    }
    out.push_str(&docs_poc_block(app, url));
    let declaration: String = app_fixture(args)
        .to_toml()
        .lines()
        .map(|line| format!("#   {line}\n"))
        .collect();
    let flags = format!(
        " --url {url}{}",
        args.api_url
            .as_deref()
            .map(|a| format!(" --api-url {a}"))
            .unwrap_or_default()
    );
    out.push_str(&format!(
        "
# --- Media links (MEDIA_BASE_URL/media/...): lasuite-emu plays the app's nginx, asking the
# app's media-auth before it serves an object. Declare the app to the emulator:
#   lasuite-emu env {name} --fixture{flags} > {name}-app.toml
#   lasuite-emu serve --fixtures {name}-app.toml
# which holds:
{declaration}",
        name = app.name(),
    ));
    out
}

/// The emulator's URL, `https://` with `--tls`, no trailing slash.
fn emulator_url(args: &EnvArgs) -> String {
    let url = args.url.trim_end_matches('/');
    match url.strip_prefix("http://") {
        Some(rest) if args.tls => format!("https://{rest}"),
        _ => url.to_owned(),
    }
}

/// The CA file the block names: `--ca-file`, else the data directory's, as an absolute path.
fn ca_file(args: &EnvArgs) -> String {
    let path = args
        .ca_file
        .clone()
        .unwrap_or_else(|| crate::tls::Paths::in_data_dir(&args.data).ca);
    std::path::absolute(&path).unwrap_or(path).display().to_string()
}

/// Where the browser reaches the emulator's `/media/`: on the front end's host name when both
/// are on this machine (so the app's session cookie goes along), else the emulator's URL.
/// The Docs x Drive proof of concept (Docs PR #2548, Drive PR #790): Docs' two variables,
/// and the emulator's `[drive]` lines that match them (fixtures/docs-poc.toml).
fn docs_poc_block(app: App, url: &str) -> String {
    match app {
        App::Docs => format!(
            "
# --- Docs x Drive POC only (Docs branch poc/docsxdrive, PR #2548): Docs calls Drive's
# internal API server-to-server as the user. Start the emulator with
# --fixtures fixtures/docs-poc.toml; released Docs ignores these.
DRIVE_API_BASE_URL={url}/api/v1.0
DRIVE_SERVER_TO_SERVER_TOKEN=docs-drive-poc-secret
# and add the token to Docs' own: DJANGO_SERVER_TO_SERVER_API_TOKENS=server-api-token,docs-drive-poc-secret
"
        ),
        App::Drive => "
# --- Docs x Drive POC only (Drive PR #790): the emulator's Drive takes these as fixture lines
# (fixtures/docs-poc.toml), not env variables:
#   [drive]
#   docs_poc = true
#   server_to_server_api_tokens = [\"docs-drive-poc-secret\"]   # SERVER_TO_SERVER_API_TOKENS
#   [drive.external_apps.docs]
#   api_base_url = \"http://localhost:8072/api/v1.0\"           # DOCS_API_BASE_URL
#   token = \"docs-drive-poc-secret\"                           # DOCS_SERVER_TO_SERVER_TOKEN
#   frontend_url = \"http://localhost:3001\"                    # FRONTEND_DOCS_URL
"
        .to_owned(),
    }
}

fn media_base_url(url: &str, front: &str) -> String {
    let (Ok(emulator), Ok(front)) = (url::Url::parse(url), url::Url::parse(front)) else {
        return url.to_owned();
    };
    let local = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    // A container's name for the host (host.docker.internal) is this machine too.
    let emulator_here = local(&emulator) || emulator.host_str().is_some_and(|h| h == "host.docker.internal");
    match (
        emulator_here && local(&front),
        front.host_str(),
        emulator.port_or_known_default(),
    ) {
        (true, Some(host), Some(port)) => format!("{}://{host}:{port}", emulator.scheme()),
        _ => url.to_owned(),
    }
}

/// The `[[apps]]` declaration matching the block: media-auth on the backend `--api-url` names,
/// else on upstream's dev backend (never on `--app-url`: a front end serves no `/api/`).
fn app_fixture(args: &EnvArgs) -> crate::media_proxy::AppFixture {
    let (kind, backend) = match args.app {
        App::Docs => (crate::media_proxy::AppKind::Docs, "http://localhost:8071"),
        App::Drive => (crate::media_proxy::AppKind::Drive, "http://localhost:8072"),
    };
    crate::media_proxy::AppFixture {
        kind,
        api_url: args.api_url.as_deref().unwrap_or(backend).to_owned(),
        media_auth_url: None,
        bucket: None,
        // The app signs media requests for its AWS_S3_ENDPOINT_URL, this block's URL.
        s3_endpoint_url: Some(emulator_url(args)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(app: App, url: &str, app_url: Option<&str>) -> EnvArgs {
        EnvArgs {
            app,
            url: url.to_owned(),
            app_url: app_url.map(str::to_owned),
            realm: "lasuite".into(),
            api_url: None,
            fixture: false,
            tls: false,
            ca_file: None,
            data: ".lasuite-emu".into(),
        }
    }

    fn env_block(app: App, url: &str, app_url: Option<&str>) -> String {
        super::env_block(&args(app, url, app_url))
    }

    #[test]
    fn the_fixture_declares_the_app_on_its_backend() {
        let mut docs = args(App::Docs, "http://127.0.0.1:8990", None);
        docs.fixture = true;
        assert_eq!(
            super::env_block(&docs),
            "[[apps]]\nkind = \"docs\"\napi_url = \"http://localhost:8071\"\n\
             s3_endpoint_url = \"http://127.0.0.1:8990\"\n"
        );
        let mut drive = args(App::Drive, "http://127.0.0.1:8990", Some("http://localhost:3001"));
        drive.api_url = Some("http://localhost:9000".into());
        drive.fixture = true;
        assert_eq!(
            super::env_block(&drive),
            "[[apps]]\nkind = \"drive\"\napi_url = \"http://localhost:9000\"\n\
             s3_endpoint_url = \"http://127.0.0.1:8990\"\n"
        );
        drive.fixture = false;
        let block = super::env_block(&drive);
        assert!(block.contains(
            "#   lasuite-emu env drive --fixture --url http://127.0.0.1:8990 --api-url http://localhost:9000 > drive-app.toml\n"
        ));
        assert!(block.contains("#   api_url = \"http://localhost:9000\"\n"));
        // The front end's URL never becomes media-auth's.
        let front_only = env_block(App::Docs, "http://127.0.0.1:8990", Some("http://localhost:3000"));
        assert!(front_only.contains("#   api_url = \"http://localhost:8071\"\n"));
    }

    #[test]
    fn media_links_name_the_front_ends_host() {
        let docs = env_block(App::Docs, "http://127.0.0.1:8990", None);
        assert!(docs.contains("MEDIA_BASE_URL=http://localhost:8990\n"), "{docs}");
        let containers = env_block(App::Drive, "http://host.docker.internal:8990", None);
        assert!(containers.contains("MEDIA_BASE_URL=http://localhost:8990\n"));
        let remote = env_block(
            App::Docs,
            "https://emu.example.com",
            Some("https://docs.example.com"),
        );
        assert!(remote.contains("MEDIA_BASE_URL=https://emu.example.com\n"));
    }

    #[test]
    fn realm_names_the_issuer() {
        let block = super::env_block(&EnvArgs {
            app: App::Docs,
            url: "http://127.0.0.1:8990".into(),
            app_url: None,
            realm: "impress".into(),
            api_url: None,
            fixture: false,
            tls: false,
            ca_file: None,
            data: ".lasuite-emu".into(),
        });
        assert!(block.contains("OIDC_OP_AUTHORIZATION_ENDPOINT=http://127.0.0.1:8990/realms/impress/protocol/openid-connect/auth\n"));
        assert!(block.contains("OIDC_OP_URL=http://127.0.0.1:8990/realms/impress\n"));
    }

    #[test]
    fn drive_block_points_everything_at_the_url() {
        let block = env_block(App::Drive, "http://localhost:8990/", None);
        assert!(block.contains("OIDC_OP_URL=http://localhost:8990/realms/lasuite\n"));
        assert!(block.contains("OIDC_RS_ALLOWED_AUDIENCES=docs\n"));
        assert!(block.contains("AWS_S3_ENDPOINT_URL=http://localhost:8990\n"));
        assert!(block.contains("AWS_STORAGE_BUCKET_NAME=drive-media-storage\n"));
    }

    #[test]
    fn docs_block_stores_tokens() {
        let block = env_block(App::Docs, "http://127.0.0.1:8990", None);
        assert!(block.contains("OIDC_RP_CLIENT_ID=docs\n"));
        assert!(block.contains("OIDC_STORE_REFRESH_TOKEN=True\n"));
        assert!(block.contains("LOGIN_REDIRECT_URL=http://localhost:3000\n"));
    }

    #[test]
    fn app_url_moves_the_redirects_and_the_allowed_host() {
        let block = env_block(App::Docs, "http://127.0.0.1:8990", Some("http://localhost:4711/"));
        assert!(block.contains("OIDC_REDIRECT_ALLOWED_HOSTS=\"localhost:4711,localhost:8071\"\n"));
        assert!(block.contains("LOGIN_REDIRECT_URL=http://localhost:4711\n"));
        assert!(block.contains("LOGOUT_REDIRECT_URL=http://localhost:4711\n"));
        assert!(block.contains("DJANGO_CSRF_TRUSTED_ORIGINS=http://localhost:4711,http://localhost:8071\n"));
    }

    #[test]
    fn both_blocks_trust_their_front_end_for_csrf() {
        let drive = env_block(App::Drive, "http://127.0.0.1:8990", None);
        assert!(drive.contains("DJANGO_CSRF_TRUSTED_ORIGINS=http://localhost:3001,http://localhost:8072\n"));
        let docs = env_block(App::Docs, "http://127.0.0.1:8990", None);
        assert!(docs.contains("DJANGO_CSRF_TRUSTED_ORIGINS=http://localhost:3000,http://localhost:8071\n"));
        assert!(docs.contains("DRIVE_API_URL=http://127.0.0.1:8990/external_api/v1.0\n"));
        assert!(!docs.contains("DRIVE_API="));
    }

    #[test]
    fn tls_blocks_name_https_verify_and_trust_the_ca() {
        let mut drive = args(App::Drive, "http://localhost:8990", None);
        drive.tls = true;
        drive.ca_file = Some("/ca/ca.pem".into());
        let block = super::env_block(&drive);
        assert!(
            block.contains("OIDC_OP_URL=https://localhost:8990/realms/lasuite\n"),
            "{block}"
        );
        assert!(block.contains("AWS_S3_ENDPOINT_URL=https://localhost:8990\n"));
        assert!(block.contains("OIDC_VERIFY_SSL=True\n"));
        for name in [
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "AWS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        ] {
            assert!(block.contains(&format!("{name}=/ca/ca.pem\n")), "{name}");
        }
        assert!(block.contains("#   s3_endpoint_url = \"https://localhost:8990\"\n"));
        // An https --url implies it; the default CA file is the data directory's.
        let docs = env_block(App::Docs, "https://127.0.0.1:8990", None);
        assert!(docs.contains("OIDC_VERIFY_SSL=True\n"));
        assert!(docs.contains("/.lasuite-emu/tls/ca.pem\n"));
        let plain = env_block(App::Docs, "http://127.0.0.1:8990", None);
        assert!(plain.contains("OIDC_VERIFY_SSL=False\n"));
        assert!(!plain.contains("CA_BUNDLE"));
    }
}
