//! The S3 store, on the main port: every request whose first path segment is not reserved
//! reaches it path-style (`/{bucket}/{key}`), with its URI untouched so SigV4 signatures hold.
//!
//! s3s parses the requests and verifies signatures (header, presigned, aws-chunked); the
//! operations live in `objects`, `listing`, `multipart` and `buckets`, over metadata in SQLite
//! (`store.rs` has all the SQL) and bodies in `blobs/` (`blobs.rs`). CORS is answered here,
//! in front of s3s, which has no preflight support.

pub mod acl;
pub mod auth;
pub mod blobs;
pub mod buckets;
pub mod checksums;
pub mod conditions;
pub mod cors;
pub mod errors;
pub mod gate;
pub mod inprocess;
pub mod listing;
pub mod model;
pub mod multipart;
pub mod objects;
pub mod presign;
pub mod service;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use crate::clock::Clock;
use crate::db::Db;
use crate::web;

/// The object store behind the S3 API; the Drive API reads objects through it in-process.
pub struct Store {
    pub db: Db,
    pub blobs: blobs::Blobs,
    pub clock: Arc<Clock>,
    /// Bucket rows, read on every request, held in memory and rebuilt from the db after every
    /// change to a bucket (SQLite stays the source of truth).
    buckets: RwLock<Arc<HashMap<String, model::Bucket>>>,
}

impl Store {
    /// A store over `db` and `blobs`, with the buckets loaded (blocking: for start-up).
    pub fn open(db: Db, blobs: blobs::Blobs, clock: Arc<Clock>) -> crate::Result<Self> {
        let buckets = db.read_blocking(store::list_buckets)?;
        Ok(Self {
            db,
            blobs,
            clock,
            buckets: RwLock::new(Arc::new(
                buckets.into_iter().map(|b| (b.name.clone(), b)).collect(),
            )),
        })
    }

    /// The bucket named `name`, if it exists.
    pub fn find_bucket(&self, name: &str) -> Option<model::Bucket> {
        self.buckets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Every bucket's name, sorted.
    pub fn bucket_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .buckets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// Rebuilds the in-memory buckets: call after changing one.
    pub async fn refresh_buckets(&self) -> crate::Result<()> {
        let buckets = self.db.read(store::list_buckets).await?;
        let map = buckets.into_iter().map(|b| (b.name.clone(), b)).collect();
        *self.buckets.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(map);
        Ok(())
    }
}

/// The S3 service as the server holds it.
pub struct S3 {
    pub service: s3s::service::S3Service,
    pub store: Arc<Store>,
    pub credentials: auth::Credentials,
}

impl S3 {
    pub fn new(store: Store, credentials: auth::Credentials) -> Self {
        let store = Arc::new(store);
        let mut builder = s3s::service::S3ServiceBuilder::new(service::S3Api(Arc::clone(&store)));
        // With an auth provider set, s3s refuses anonymous requests (AccessDenied).
        builder.set_auth(credentials.clone());
        Self {
            service: builder.build(),
            store,
            credentials,
        }
    }
}

/// Serves one S3 request (or sends a person asking for `/` to the dashboard).
pub async fn handle(s3: &S3, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/" && req.method() == Method::GET && !is_signed(&req) {
        return web::found("/_emu/");
    }
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase();
    let response = serve(s3, req, &path).await;
    with_request_id(response, &request_id).await
}

async fn serve(s3: &S3, req: Request, path: &str) -> Response {
    let bucket = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    if req.method() == Method::OPTIONS {
        return match bucket_cors(s3, &bucket).await {
            Ok(rules) => cors::preflight(rules.as_deref(), req.headers(), path),
            Err(response) => response,
        };
    }
    if let Some(refusal) = gate::refuse(&req, path, s3.store.clock.now()) {
        return refusal;
    }
    let req = match digest_delete_objects_body(req, path).await {
        Ok(req) => req,
        Err(refusal) => return refusal,
    };
    let method = req.method().as_str().to_owned();
    let mut response = match s3.service.clone().oneshot(sigv2_bucket_path(req)).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(error) => {
            tracing::error!(?error, "s3s failed to answer");
            xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error.",
                path,
            )
        }
    };
    if let Some(origin) = origin
        && !bucket.is_empty()
        && let Ok(rules) = bucket_cors(s3, &bucket).await
        && let Some(allowed) = cors::evaluate(rules.as_deref(), &origin, &method, &[])
    {
        cors::decorate(response.headers_mut(), &allowed, false);
    }
    response
}

/// A DeleteObjects body names at most 1,000 keys of at most 1,024 bytes each.
const MAX_DELETE_OBJECTS_BODY: usize = 2 * 1024 * 1024;

/// DeleteObjects (`POST /bucket?delete`) carries a small XML body that s3s parses itself: read
/// it here and hand its digests to the operation (`checksums::BodyDigest`), which checks the
/// `Content-MD5` once s3s has checked the signature.
async fn digest_delete_objects_body(req: Request, path: &str) -> Result<Request, Response> {
    let is_delete_objects = req.method() == Method::POST
        && req
            .uri()
            .query()
            .is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "delete"));
    if !is_delete_objects {
        return Ok(req);
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_DELETE_OBJECTS_BODY).await else {
        return Err(xml_error(
            StatusCode::BAD_REQUEST,
            "MaxMessageLengthExceeded",
            "Your request was too big.",
            path,
        ));
    };
    parts
        .extensions
        .insert(checksums::BodyDigest::of(&parts.headers, &bytes));
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// SigV2 clients (botocore, s3cmd) sign a bucket-level request as `/bucket/`, while s3s 0.14
/// canonicalises the path as sent (`/bucket`): give s3s the slash they signed. Path-style
/// `/bucket/` addresses the same bucket.
fn sigv2_bucket_path(mut req: Request) -> Request {
    let v2 = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS "))
        || req.uri().query().is_some_and(|q| q.contains("AWSAccessKeyId="));
    let path = req.uri().path();
    if !v2 || path.len() < 2 || path[1..].contains('/') {
        return req;
    }
    let target = match req.uri().query() {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    if let Ok(uri) = target.parse() {
        *req.uri_mut() = uri;
    }
    req
}

/// Puts the request id in `x-amz-request-id` and, for an XML error, in its `<RequestId>` (s3s
/// writes none), so the two match as S3 clients expect; an error s3s sent without a
/// `<Message>` gets S3's own text for its code.
async fn with_request_id(response: Response, id: &str) -> Response {
    let is_xml_error = response.status().is_client_error() || response.status().is_server_error();
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(id) {
        parts.headers.insert("x-amz-request-id", value);
    }
    if parts.status == StatusCode::NOT_MODIFIED {
        // s3s writes a 304 as an XML error; HTTP's 304 has no body and describes the object.
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    let is_xml = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/xml"));
    if !is_xml_error || !is_xml {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut text = if text.contains("<RequestId>") {
        text.into_owned()
    } else {
        text.replacen("</Error>", &format!("<RequestId>{id}</RequestId></Error>"), 1)
    };
    if !text.contains("<Message>")
        && let Some(message) = errors::default_message(&text)
    {
        text = text.replacen("</Code>", &format!("</Code><Message>{message}</Message>"), 1);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(text))
}

/// What S3 answers a signed request whose bucket would be a reserved segment: creating it is
/// `InvalidBucketName`, anything else finds no such bucket. None for requests that are not S3's.
pub fn reserved_name_answer(req: &Request) -> Option<Response> {
    if !is_signed(req) {
        return None;
    }
    let path = req.uri().path();
    let bucket = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let is_bucket_path = path.trim_start_matches('/').trim_end_matches('/') == bucket;
    Some(if req.method() == Method::PUT && is_bucket_path {
        xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid: this name is reserved by lasuite-emu for its own endpoints.",
            path,
        )
    } else {
        xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            path,
        )
    })
}

fn is_signed(req: &Request) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS"))
        || req
            .uri()
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature=") || q.contains("Signature="))
}

/// A bucket's CORS rules (None: no configuration), or the S3 error for a missing bucket.
async fn bucket_cors(s3: &S3, bucket: &str) -> Result<Option<Vec<model::CorsRule>>, Response> {
    match s3.store.find_bucket(bucket) {
        Some(found) => Ok(found.cors),
        None => Err(xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            &format!("/{bucket}"),
        )),
    }
}

/// An S3 XML error body, for the answers given in front of s3s.
pub fn xml_error(status: StatusCode, code: &str, message: &str, resource: &str) -> Response {
    xml_error_with(status, code, message, resource, &[])
}

/// An S3 XML error body with S3's extra elements (`<HeadersNotSigned>`, `<Condition>`...).
pub fn xml_error_with(
    status: StatusCode,
    code: &str,
    message: &str,
    resource: &str,
    extra: &[(&str, &str)],
) -> Response {
    let extra: String = extra
        .iter()
        .map(|(tag, value)| format!("<{tag}>{}</{tag}>", web::escape(value)))
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
         {extra}<Resource>{}</Resource></Error>",
        web::escape(code),
        web::escape(message),
        web::escape(resource)
    );
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}
