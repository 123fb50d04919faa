//! Internal failures become S3 XML `InternalError` (detail logged, not sent); body-stream
//! failures become the S3 code a client can act on.

use s3s::{S3Error, s3_error};

use super::blobs::WriteError;

/// AWS's message for an error code s3s sends without one (the codes its signature checks
/// raise bare), read from the error's XML text.
pub fn default_message(xml: &str) -> Option<&'static str> {
    let code = xml.split("<Code>").nth(1)?.split("</Code>").next()?;
    Some(match code {
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method."
        }
        "AccessDenied" => "Access Denied",
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "RequestTimeTooSkewed" => {
            "The difference between the request time and the current time is too large."
        }
        _ => return None,
    })
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn bare_signature_errors_get_aws_messages() {
        let xml = "<Error><Code>SignatureDoesNotMatch</Code></Error>";
        assert!(
            super::default_message(xml)
                .unwrap()
                .starts_with("The request signature")
        );
        assert_eq!(
            super::default_message("<Error><Code>NoSuchKey</Code></Error>"),
            None
        );
    }
}
