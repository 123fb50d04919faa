//! What S3 refuses before it runs any operation, and s3s 0.14 lets through: each rule is a
//! plain function of the request, answered with S3's own code and message.
//!
//! - every `x-amz-*` header must be covered by the signature (`SignedHeaders`), for header
//!   auth and presigned URLs alike: otherwise a presigned PUT could carry an unsigned
//!   `x-amz-copy-source` and copy another user's object (403 `AccessDenied`, with
//!   `<HeadersNotSigned>`);
//! - the credential scope names the `s3` service, and a presigned URL the one algorithm S3
//!   signs with (400, where s3s answers 501);
//! - a SigV2 request carries a valid date within 15 minutes, a presigned URL expires within a
//!   week and by the emulator's clock;
//! - an anonymous `POST /bucket` is a form upload or nothing (412).
//!
//! SigV2 needs no unsigned-header rule: its string to sign holds every `x-amz-*` header.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;

use super::xml_error_with;

/// The header S3 lets a request carry unsigned: its value is checked against the body anyway.
const UNSIGNED_ALLOWED: &str = "x-amz-content-sha256";

/// The only SigV4 algorithms S3 names in its error (we verify the first; SigV4a is s3s's 501).
const ALGORITHMS: [&str; 2] = ["AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"];

/// How a request authenticates, read from its `Authorization` header or query.
#[derive(Debug, PartialEq, Eq)]
enum Auth {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    HeaderV4 {
        credential: String,
        signed: String,
    },
    /// `?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-SignedHeaders=...&X-Amz-Signature=...`.
    PresignedV4 {
        algorithm: String,
        credential: String,
        signed: String,
    },
    /// `Authorization: AWS key:sig` or `?AWSAccessKeyId=...&Signature=...`.
    V2,
    /// An `Authorization` header of a scheme S3 does not know (`Bearer`, `AWS4-HMAC-SHA1`...).
    Unsupported(String),
    Anonymous,
}

fn auth_of(req: &Request) -> Auth {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or("");
        if value.starts_with("AWS ") {
            return Auth::V2;
        }
        // SigV4a (ECDSA) is parsed like SigV4; s3s refuses it as not implemented (501, true).
        let v4 = ALGORITHMS
            .iter()
            .find_map(|algorithm| value.strip_prefix(algorithm)?.strip_prefix(' '));
        if let Some(rest) = v4 {
            let field = |name: &str| {
                rest.split(',')
                    .map(str::trim)
                    .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
                    .unwrap_or("")
                    .to_owned()
            };
            return Auth::HeaderV4 {
                credential: field("Credential"),
                signed: field("SignedHeaders"),
            };
        }
        return Auth::Unsupported(value.to_owned());
    }
    let query = req.uri().query().unwrap_or("");
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(algorithm) = param("X-Amz-Algorithm")
        && param("X-Amz-Signature").is_some()
    {
        return Auth::PresignedV4 {
            algorithm,
            credential: param("X-Amz-Credential").unwrap_or_default(),
            signed: param("X-Amz-SignedHeaders").unwrap_or_default(),
        };
    }
    if param("Signature").is_some() && param("AWSAccessKeyId").is_some() {
        return Auth::V2;
    }
    Auth::Anonymous
}

/// S3's refusal of `req`, if any rule above refuses it; None lets it through to s3s.
pub fn refuse(req: &Request, path: &str, now: i64) -> Option<Response> {
    match auth_of(req) {
        Auth::HeaderV4 { credential, signed } => {
            if let Some(service) = foreign_service(&credential) {
                return Some(xml_error_with(
                    StatusCode::BAD_REQUEST,
                    "AuthorizationHeaderMalformed",
                    &format!(
                        "The authorization header is malformed; incorrect service \"{service}\". \
                         This endpoint belongs to \"s3\"."
                    ),
                    path,
                    &[],
                ));
            }
            unsigned_headers_refusal(req, &signed, path)
        }
        Auth::PresignedV4 {
            algorithm,
            credential,
            signed,
        } => {
            if !ALGORITHMS.contains(&algorithm.as_str()) {
                return Some(query_error(
                    &format!("X-Amz-Algorithm only supports \"{}\"", ALGORITHMS.join(" and ")),
                    path,
                ));
            }
            if let Some(service) = foreign_service(&credential) {
                return Some(query_error(
                    &format!(
                        "Error parsing the X-Amz-Credential parameter; incorrect service \
                         \"{service}\". This endpoint belongs to \"s3\"."
                    ),
                    path,
                ));
            }
            presigned_expiry_refusal(req, path, now).or_else(|| unsigned_headers_refusal(req, &signed, path))
        }
        Auth::V2 => sigv2_date_refusal(req, path, now),
        Auth::Unsupported(value) => Some(xml_error_with(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Unsupported Authorization Type",
            path,
            &[("ArgumentName", "Authorization"), ("ArgumentValue", &value)],
        )),
        Auth::Anonymous => anonymous_bucket_post_refusal(req, path),
    }
}

/// The service a credential scope (`AKID/20261201/region/service/aws4_request`) names, when
/// it is not `s3`. s3s also accepts `sts`, which this endpoint is not.
fn foreign_service(credential: &str) -> Option<String> {
    let service = credential.rsplit('/').nth(1)?;
    (service != "s3").then(|| service.to_owned())
}

/// The `x-amz-*` headers present in `req` and missing from `signed` (`;`-separated), sorted.
fn unsigned_amz_headers(req: &Request, signed: &str) -> Vec<String> {
    let signed: Vec<String> = signed.split(';').map(|h| h.trim().to_ascii_lowercase()).collect();
    let mut missing: Vec<String> = req
        .headers()
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-amz-") && *name != UNSIGNED_ALLOWED)
        .filter(|name| !signed.iter().any(|s| s == name))
        .map(str::to_owned)
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

fn unsigned_headers_refusal(req: &Request, signed: &str, path: &str) -> Option<Response> {
    let missing = unsigned_amz_headers(req, signed);
    if missing.is_empty() {
        return None;
    }
    tracing::debug!(headers = ?missing, "refused: x-amz-* headers outside the signature");
    Some(xml_error_with(
        StatusCode::FORBIDDEN,
        "AccessDenied",
        "There were headers present in the request which were not signed",
        path,
        &[("HeadersNotSigned", &missing.join(", "))],
    ))
}

fn query_error(message: &str, path: &str) -> Response {
    xml_error_with(
        StatusCode::BAD_REQUEST,
        "AuthorizationQueryParametersError",
        message,
        path,
        &[],
    )
}

/// An anonymous POST to a bucket is a browser form upload; anything else S3 answers 412.
fn anonymous_bucket_post_refusal(req: &Request, path: &str) -> Option<Response> {
    let trimmed = path.trim_matches('/');
    let is_bucket_path = !trimmed.is_empty() && !trimmed.contains('/');
    if req.method() != Method::POST || !is_bucket_path || req.uri().query().is_some() {
        return None;
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    (!is_form).then(|| {
        xml_error_with(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            path,
            &[(
                "Condition",
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )],
        )
    })
}

/// SigV2 header auth needs a valid `Date` (or `x-amz-date`) within 15 minutes of now, as S3
/// checks and s3s 0.14 does not.
fn sigv2_date_refusal(req: &Request, path: &str, now: i64) -> Option<Response> {
    let headers = req.headers();
    if !headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS "))
    {
        return None;
    }
    let date = headers
        .get("x-amz-date")
        .or_else(|| headers.get(header::DATE))
        .and_then(|v| v.to_str().ok());
    let parsed = date.and_then(|d| {
        time::OffsetDateTime::parse(d.trim(), &time::format_description::well_known::Rfc2822)
            .ok()
            .or_else(|| {
                s3s::dto::Timestamp::parse(s3s::dto::TimestampFormat::HttpDate, d.trim())
                    .ok()
                    .map(Into::into)
            })
    });
    let (code, message, status) = match parsed.map(time::OffsetDateTime::unix_timestamp) {
        Some(at) if at >= 0 && (at - now).abs() <= 900 => return None,
        Some(at) if at >= 0 => (
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            StatusCode::FORBIDDEN,
        ),
        _ => (
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
            StatusCode::FORBIDDEN,
        ),
    };
    Some(xml_error_with(status, code, message, path, &[]))
}

/// S3 caps presigned URLs at seven days, and expires them by the emulator's clock, which tests
/// move (s3s checks the system's and has no cap).
fn presigned_expiry_refusal(req: &Request, path: &str, now: i64) -> Option<Response> {
    let query = req.uri().query()?;
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    };
    let expires = param("X-Amz-Expires")?;
    let message = match expires.parse::<i64>() {
        Ok(secs) if (0..=604_800).contains(&secs) => {
            let signed_at = param("X-Amz-Date").and_then(|d| parse_amz_date(&d));
            if signed_at.is_some_and(|at| now > at + secs) {
                return Some(xml_error_with(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "Request has expired",
                    path,
                    &[],
                ));
            }
            return None;
        }
        Ok(secs) if secs < 0 => "X-Amz-Expires must be non-negative",
        Ok(_) => "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        Err(_) => "X-Amz-Expires should be a number",
    };
    Some(query_error(message, path))
}

/// `20261126T105039Z` as Unix seconds.
fn parse_amz_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn every_amz_header_outside_the_signature_is_named() {
        let req = request(
            "PUT",
            "/b/k",
            &[
                ("x-amz-acl", "private"),
                ("x-amz-copy-source", "/b/other"),
                ("X-Amz-Meta-Owner", "eve"),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("content-type", "text/plain"),
            ],
        );
        assert_eq!(
            unsigned_amz_headers(&req, "host;x-amz-acl"),
            ["x-amz-copy-source", "x-amz-meta-owner"]
        );
        assert!(unsigned_amz_headers(&req, "host;x-amz-acl;x-amz-copy-source;x-amz-meta-owner").is_empty());
    }

    #[test]
    fn the_scheme_is_read_from_the_header_or_the_query() {
        let header_v4 = request(
            "GET",
            "/b/k",
            &[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/ec2/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=00",
            )],
        );
        assert_eq!(
            auth_of(&header_v4),
            Auth::HeaderV4 {
                credential: "AK/20261201/us-east-1/ec2/aws4_request".into(),
                signed: "host;x-amz-date".into()
            }
        );
        let presigned = request(
            "GET",
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AK%2F20261201%2Fr%2Fs3%2Faws4_request\
             &X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            &[],
        );
        assert!(
            matches!(auth_of(&presigned), Auth::PresignedV4 { algorithm, .. } if algorithm == "AWS4-HMAC-SHA1")
        );
        assert_eq!(
            auth_of(&request("GET", "/b/k", &[("authorization", "AWS AK:sig")])),
            Auth::V2
        );
        assert_eq!(
            auth_of(&request("GET", "/b/k", &[("authorization", "Bearer x")])),
            Auth::Unsupported("Bearer x".into())
        );
        assert_eq!(auth_of(&request("GET", "/b/k", &[])), Auth::Anonymous);
    }

    #[test]
    fn only_the_s3_service_is_served() {
        assert_eq!(foreign_service("AK/20261201/us-east-1/s3/aws4_request"), None);
        assert_eq!(
            foreign_service("AK/20261201/us-east-1/sts/aws4_request").as_deref(),
            Some("sts")
        );
    }

    #[test]
    fn an_anonymous_bucket_post_must_be_a_form() {
        let form = request(
            "POST",
            "/b",
            &[("content-type", "multipart/form-data; boundary=x")],
        );
        assert!(anonymous_bucket_post_refusal(&form, "/b").is_none());
        let json = request("POST", "/b", &[("content-type", "application/json")]);
        assert_eq!(
            anonymous_bucket_post_refusal(&json, "/b").map(|r| r.status()),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        let object_post = request("POST", "/b/key", &[]);
        assert!(anonymous_bucket_post_refusal(&object_post, "/b/key").is_none());
    }
}
