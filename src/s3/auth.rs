//! SigV4 credentials: the access keys of the fixtures, held in memory and handed to s3s, which
//! verifies header signatures, presigned URLs and aws-chunked bodies with them.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};

/// Access key -> secret key; shared with the app so credentials can be reloaded at runtime.
#[derive(Debug, Clone, Default)]
pub struct Credentials(Arc<RwLock<HashMap<String, String>>>);

impl Credentials {
    pub fn replace(&self, pairs: impl IntoIterator<Item = (String, String)>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = pairs.into_iter().collect();
    }

    pub fn secret(&self, access_key: &str) -> Option<String> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(access_key)
            .cloned()
    }
}

#[async_trait::async_trait]
impl S3Auth for Credentials {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        self.secret(access_key).map(SecretKey::from).ok_or_else(|| {
            s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )
        })
    }
}
