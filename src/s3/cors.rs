//! CORS in front of the S3 store (s3s answers no preflight): `OPTIONS` is answered from the
//! bucket's CORS rules, and cross-origin responses carry `Access-Control-*` headers. A bucket
//! without rules allows origins on this machine (localhost, *.localhost, loopback IPs), so a
//! browser upload from a front end on another port works out of the box, as with MinIO's
//! default; other origins need a rule.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::model::CorsRule;

/// What a matching rule allows for one request.
#[derive(Debug, PartialEq, Eq)]
pub struct Allowed {
    origin: String,
    methods: String,
    headers: Option<String>,
    expose: String,
    max_age: Option<i32>,
}

const LOCAL_METHODS: &str = "GET, HEAD, PUT, POST, DELETE";
const LOCAL_EXPOSE: &str =
    "ETag, x-amz-version-id, x-amz-delete-marker, x-amz-request-id, Content-Range, Content-Length";

pub fn is_local_origin(origin: &str) -> bool {
    match url::Url::parse(origin).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(host)) => host == "localhost" || host.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Evaluates a request from `origin` for `method` with `request_headers` against a bucket's
/// rules (S3: the first rule matching origin, method and every header wins).
pub fn evaluate(
    rules: Option<&[CorsRule]>,
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Option<Allowed> {
    let requested = (!request_headers.is_empty()).then(|| request_headers.join(", "));
    let Some(rules) = rules else {
        return is_local_origin(origin).then(|| Allowed {
            origin: origin.to_owned(),
            methods: LOCAL_METHODS.to_owned(),
            headers: requested,
            expose: LOCAL_EXPOSE.to_owned(),
            max_age: Some(3000),
        });
    };
    let rule = rules.iter().find(|rule| {
        rule.allowed_origins
            .iter()
            .any(|o| crate::glob::matches(o, origin))
            && rule
                .allowed_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
            && request_headers.iter().all(|h| {
                rule.allowed_headers
                    .iter()
                    .any(|a| crate::glob::matches(&a.to_ascii_lowercase(), &h.to_ascii_lowercase()))
            })
    })?;
    Some(Allowed {
        origin: if rule.allowed_origins.iter().any(|o| o == "*") {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
        methods: rule.allowed_methods.join(", "),
        headers: requested,
        expose: rule.expose_headers.join(", "),
        max_age: rule.max_age_seconds,
    })
}

/// The answer to an `OPTIONS` preflight.
pub fn preflight(rules: Option<&[CorsRule]>, headers: &HeaderMap, resource: &str) -> Response {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(origin) = text(header::ORIGIN) else {
        return super::xml_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
            resource,
        );
    };
    let Some(method) = text(header::ACCESS_CONTROL_REQUEST_METHOD) else {
        return super::xml_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid Access-Control-Request-Method: null",
            resource,
        );
    };
    let requested: Vec<String> = text(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .map(|h| {
            h.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    match evaluate(rules, &origin, &method, &requested) {
        Some(allowed) => {
            let mut response = Response::new(axum::body::Body::empty());
            decorate(response.headers_mut(), &allowed, true);
            response
        }
        None => super::xml_error(
            StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, \
             request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted \
             by the resource's CORS spec.",
            resource,
        ),
    }
}

/// Adds the `Access-Control-*` headers of `allowed`; the method, header and age ones only on a
/// preflight.
pub fn decorate(headers: &mut HeaderMap, allowed: &Allowed, preflight: bool) {
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::ACCESS_CONTROL_ALLOW_ORIGIN, &allowed.origin);
    if !allowed.expose.is_empty() {
        set(header::ACCESS_CONTROL_EXPOSE_HEADERS, &allowed.expose);
    }
    if preflight {
        set(header::ACCESS_CONTROL_ALLOW_METHODS, &allowed.methods);
        if let Some(requested) = &allowed.headers {
            set(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
        if let Some(age) = allowed.max_age {
            set(header::ACCESS_CONTROL_MAX_AGE, &age.to_string());
        }
    }
    if allowed.origin != "*" {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule {
            id: None,
            allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            allowed_methods: methods.iter().map(|s| (*s).to_owned()).collect(),
            allowed_headers: headers.iter().map(|s| (*s).to_owned()).collect(),
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
        }
    }

    #[test]
    fn without_rules_only_local_origins_are_allowed() {
        let put = |origin| evaluate(None, origin, "PUT", &["content-type".into(), "x-amz-acl".into()]);
        assert!(put("http://localhost:3000").is_some());
        assert!(put("http://127.0.0.1:8071").is_some());
        assert!(put("http://drive.localhost").is_some());
        assert!(put("https://evil.example").is_none());
    }

    #[test]
    fn rules_match_origin_method_and_headers() {
        let rules = [rule(
            &["https://*.example.org"],
            &["GET", "PUT"],
            &["content-type", "x-amz-*"],
        )];
        let ok = evaluate(
            Some(&rules),
            "https://app.example.org",
            "PUT",
            &["X-Amz-Acl".into()],
        )
        .unwrap();
        assert_eq!(ok.origin, "https://app.example.org");
        assert!(evaluate(Some(&rules), "https://app.example.org", "DELETE", &[]).is_none());
        assert!(
            evaluate(
                Some(&rules),
                "https://app.example.org",
                "PUT",
                &["authorization".into()]
            )
            .is_none()
        );
        assert!(
            evaluate(Some(&rules), "http://localhost:3000", "GET", &[]).is_none(),
            "rules replace the default"
        );
        let any = [rule(&["*"], &["GET"], &[])];
        assert_eq!(
            evaluate(Some(&any), "https://x.test", "GET", &[]).unwrap().origin,
            "*"
        );
    }
}
