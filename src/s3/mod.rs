//! The S3 service. Everything whose first path segment is not reserved reaches it,
//! path-style (`/{bucket}/{key}`). Until the s3s-based store lands, every S3 request gets a
//! proper S3 XML `NotImplemented` error rather than a 404 page.

pub mod store;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::web;

/// Fallback handler for every non-reserved path.
pub async fn handle(req: Request) -> Response {
    let has_sigv4 = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
        || req.uri().query().is_some_and(|q| q.contains("X-Amz-Signature="));
    // `GET /` from a browser is a person looking for the dashboard, not ListBuckets.
    if req.uri().path() == "/" && !has_sigv4 && req.method() == axum::http::Method::GET {
        return web::found("/_emu/");
    }
    let resource = web::escape(req.uri().path());
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>\
         <Message>S3 is not implemented by this version of lasuite-emu</Message>\
         <Resource>{resource}</Resource><RequestId>lasuite-emu</RequestId></Error>"
    );
    let mut response = (StatusCode::NOT_IMPLEMENTED, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}
