//! Conditional requests (RFC 9110 §13, as S3 applies them): `If-Match` / `If-Unmodified-Since`
//! fail with 412, `If-None-Match` / `If-Modified-Since` answer 304 on GET and HEAD.

use s3s::dto::{ETagCondition, Timestamp};
use s3s::{S3Error, S3Result, s3_error};

/// The conditions a request carries, in the form s3s parsed them.
#[derive(Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

impl<'a> Conditions<'a> {
    /// From the four fields every s3s input with conditions has.
    pub fn new(
        if_match: &'a Option<ETagCondition>,
        if_none_match: &'a Option<ETagCondition>,
        if_modified_since: &'a Option<Timestamp>,
        if_unmodified_since: &'a Option<Timestamp>,
    ) -> Self {
        Self {
            if_match: if_match.as_ref(),
            if_none_match: if_none_match.as_ref(),
            if_modified_since: if_modified_since.as_ref(),
            if_unmodified_since: if_unmodified_since.as_ref(),
        }
    }
}

pub fn unix(timestamp: &Timestamp) -> i64 {
    time::OffsetDateTime::from(timestamp.clone()).unix_timestamp()
}

fn matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition.as_etag() {
        None => true,
        Some(tag) => tag.value().trim_matches('"') == etag,
    }
}

/// Checks the conditions of a read (GET or HEAD) against an object's ETag (unquoted) and
/// Last-Modified. As S3 does: a passing `If-Match` overrides a failing `If-Unmodified-Since`,
/// and a failing `If-None-Match` overrides a passing `If-Modified-Since`.
pub fn check_read(c: &Conditions<'_>, etag: &str, last_modified: i64) -> S3Result<()> {
    match (c.if_match, c.if_unmodified_since) {
        (Some(condition), _) if !matches(condition, etag) => return Err(precondition_failed()),
        (None, Some(since)) if last_modified > unix(since) => return Err(precondition_failed()),
        _ => {}
    }
    match (c.if_none_match, c.if_modified_since) {
        (Some(condition), _) if matches(condition, etag) => Err(not_modified(etag, last_modified)),
        (None, Some(since)) if last_modified <= unix(since) => Err(not_modified(etag, last_modified)),
        _ => Ok(()),
    }
}

/// The conditions of a PUT over an existing object (ETag unquoted): a failing `If-Match` or a
/// matching `If-None-Match` is 412. AWS takes only `If-None-Match: *` on writes (501
/// otherwise); MinIO, which the apps' dev stack runs, also evaluates an ETag there, and so does
/// the emulator.
pub fn check_write(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    etag: &str,
) -> S3Result<()> {
    let failed =
        if_match.is_some_and(|c| !matches(c, etag)) || if_none_match.is_some_and(|c| matches(c, etag));
    if failed {
        Err(precondition_failed())
    } else {
        Ok(())
    }
}

/// The `x-amz-copy-source-if-*` conditions of a copy: every failure is 412.
pub fn check_copy_source(c: &Conditions<'_>, etag: &str, last_modified: i64) -> S3Result<()> {
    check_read(c, etag, last_modified).map_err(|error| {
        if *error.code() == s3s::S3ErrorCode::NotModified {
            precondition_failed()
        } else {
            error
        }
    })
}

pub fn precondition_failed() -> S3Error {
    s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}

/// 304, naming the object as S3 does (`ETag`, `Last-Modified`); the server strips the body.
fn not_modified(etag: &str, last_modified: i64) -> S3Error {
    let mut error = s3_error!(NotModified);
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(http::header::ETAG, value);
    }
    let date = super::objects::timestamp(last_modified);
    let mut text = Vec::new();
    if date
        .format(s3s::dto::TimestampFormat::HttpDate, &mut text)
        .is_ok()
        && let Ok(value) = http::HeaderValue::from_bytes(&text)
    {
        headers.insert(http::header::LAST_MODIFIED, value);
    }
    error.set_headers(headers);
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::{ETag, TimestampFormat};

    fn tag(value: &str) -> ETagCondition {
        ETagCondition::ETag(ETag::Strong(value.into()))
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(secs).unwrap())
    }

    #[test]
    fn write_conditions_fail_with_412() {
        let code = |r: S3Result<()>| r.map_err(|e| e.code().as_str().to_owned());
        assert_eq!(
            code(check_write(None, Some(&ETagCondition::Any), "abc")),
            Err("PreconditionFailed".into())
        );
        assert_eq!(
            code(check_write(None, Some(&tag("abc")), "abc")),
            Err("PreconditionFailed".into())
        );
        assert_eq!(code(check_write(None, Some(&tag("other")), "abc")), Ok(()));
        assert_eq!(code(check_write(Some(&tag("abc")), None, "abc")), Ok(()));
        assert_eq!(
            code(check_write(Some(&tag("other")), None, "abc")),
            Err("PreconditionFailed".into())
        );
    }

    #[test]
    fn read_conditions_follow_s3_precedence() {
        let ok = |c: Conditions<'_>| check_read(&c, "abc", 1000);
        let code = |r: S3Result<()>| r.unwrap_err().code().as_str().to_owned();
        assert!(ok(Conditions::default()).is_ok());
        assert!(
            ok(Conditions {
                if_match: Some(&tag("abc")),
                ..Default::default()
            })
            .is_ok()
        );
        assert!(
            ok(Conditions {
                if_match: Some(&ETagCondition::Any),
                ..Default::default()
            })
            .is_ok()
        );
        assert_eq!(
            code(ok(Conditions {
                if_match: Some(&tag("x")),
                ..Default::default()
            })),
            "PreconditionFailed"
        );
        assert_eq!(
            code(ok(Conditions {
                if_none_match: Some(&tag("abc")),
                ..Default::default()
            })),
            "NotModified"
        );
        assert_eq!(
            code(ok(Conditions {
                if_modified_since: Some(&at(1000)),
                ..Default::default()
            })),
            "NotModified"
        );
        assert!(
            ok(Conditions {
                if_modified_since: Some(&at(999)),
                ..Default::default()
            })
            .is_ok()
        );
        assert_eq!(
            code(ok(Conditions {
                if_unmodified_since: Some(&at(999)),
                ..Default::default()
            })),
            "PreconditionFailed"
        );
        // If-Match true wins over If-Unmodified-Since false.
        let both = Conditions {
            if_match: Some(&tag("abc")),
            if_unmodified_since: Some(&at(1)),
            ..Default::default()
        };
        assert!(ok(both).is_ok());
        // If-None-Match false wins over If-Modified-Since true.
        let both = Conditions {
            if_none_match: Some(&tag("x")),
            if_modified_since: Some(&at(5000)),
            ..Default::default()
        };
        assert!(ok(both).is_ok());
        let _ = TimestampFormat::HttpDate;
    }

    #[test]
    fn copy_source_conditions_fail_with_412() {
        let c = Conditions {
            if_none_match: Some(&tag("abc")),
            ..Default::default()
        };
        assert_eq!(
            check_copy_source(&c, "abc", 1).unwrap_err().code().as_str(),
            "PreconditionFailed"
        );
    }
}
