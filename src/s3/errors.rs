//! Internal failures become S3 XML `InternalError` (detail logged, not sent); body-stream
//! failures become the S3 code a client can act on.

use s3s::{S3Error, s3_error};

use super::blobs::WriteError;

impl From<crate::Error> for S3Error {
    #[track_caller]
    fn from(error: crate::Error) -> Self {
        tracing::error!(%error, location = %std::panic::Location::caller(), "S3 internal error");
        s3_error!(
            InternalError,
            "We encountered an internal error. Please try again."
        )
    }
}

impl From<WriteError> for S3Error {
    #[track_caller]
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Io(error) => crate::Error::io("writing an object body", error).into(),
            // s3s reports signature failures of aws-chunked bodies through the stream; keep the
            // client's fault a client error.
            WriteError::Body(message) if message.contains("Signature") => {
                s3_error!(SignatureDoesNotMatch, "{message}")
            }
            WriteError::Body(message) => {
                s3_error!(IncompleteBody, "The request body could not be read: {message}")
            }
            WriteError::TooLarge(limit) => {
                s3_error!(
                    EntityTooLarge,
                    "Your proposed upload exceeds the maximum allowed size of {limit} bytes"
                )
            }
        }
    }
}

pub fn io_error(context: &str, error: std::io::Error) -> S3Error {
    crate::Error::io(context, error).into()
}

pub fn no_such_bucket(bucket: &str) -> S3Error {
    s3_error!(NoSuchBucket, "The specified bucket does not exist: {bucket}")
}

pub fn no_such_key() -> S3Error {
    s3_error!(NoSuchKey, "The specified key does not exist.")
}
