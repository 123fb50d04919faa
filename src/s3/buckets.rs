//! Bucket operations: create, delete, head, list, location, versioning and CORS configuration.

use s3s::dto::{
    Bucket as BucketEntry, BucketVersioningStatus, CORSRule, CreateBucketInput, CreateBucketOutput,
    DeleteBucketCorsInput, DeleteBucketCorsOutput, DeleteBucketInput, DeleteBucketOutput, GetBucketCorsInput,
    GetBucketCorsOutput, GetBucketLocationInput, GetBucketLocationOutput, GetBucketVersioningInput,
    GetBucketVersioningOutput, HeadBucketInput, HeadBucketOutput, ListBucketsInput, ListBucketsOutput, Owner,
    PutBucketCorsInput, PutBucketCorsOutput, PutBucketVersioningInput, PutBucketVersioningOutput,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::model::{CorsRule, Versioning};
use super::objects::timestamp;
use super::store;

/// S3's bucket naming rules, plus the emulator's reserved first path segments (a bucket named
/// `realms` would shadow the issuer).
pub fn check_bucket_name(name: &str) -> S3Result<()> {
    let invalid = |why: &str| {
        Err(s3_error!(
            InvalidBucketName,
            "The specified bucket is not valid: {why}."
        ))
    };
    if !(3..=63).contains(&name.len()) {
        return invalid("a name is 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return invalid("use lowercase letters, digits, '.' and '-'");
    }
    let edges_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !edges_ok(name.as_bytes().first()) || !edges_ok(name.as_bytes().last()) {
        return invalid("a name begins and ends with a letter or a digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return invalid("no adjacent periods or period next to a hyphen");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return invalid("a name is not an IP address");
    }
    if crate::server::RESERVED_SEGMENTS.contains(&name) {
        return invalid("this name is reserved by lasuite-emu for its own endpoints");
    }
    Ok(())
}

impl Store {
    pub async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let name = req.input.bucket.clone();
        check_bucket_name(&name)?;
        super::acl::check_canned(req.input.acl.as_ref().map(|a| a.as_str()))?;
        let now = self.clock.now();
        let created = {
            let name = name.clone();
            self.db
                .write(move |tx| store::create_bucket(tx, &name, now))
                .await?
        };
        self.refresh_buckets().await?;
        // AWS: re-creating a bucket you own succeeds in us-east-1 (legacy) and is a 409 elsewhere.
        let us_east_1 = req.region.as_ref().is_none_or(|r| r.as_str() == "us-east-1");
        if !created && !us_east_1 {
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{name}")),
        }))
    }

    pub async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let name = req.input.bucket.clone();
        self.bucket(&name)?;
        let check = name.clone();
        if !self
            .db
            .read(move |conn| store::bucket_is_empty(conn, &check))
            .await?
        {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty"
            ));
        }
        let parts = self.db.write(move |tx| store::delete_bucket(tx, &name)).await?;
        self.blobs.remove(parts).await;
        self.refresh_buckets().await?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    pub async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    pub async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self.db.read(store::list_buckets).await?;
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(
                buckets
                    .into_iter()
                    .map(|b| BucketEntry {
                        name: Some(b.name),
                        creation_date: Some(timestamp(b.created_at)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            owner: Some(Owner {
                display_name: Some("lasuite-emu".into()),
                id: None,
            }),
            ..Default::default()
        }))
    }

    pub async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.bucket(&req.input.bucket)?;
        // No constraint: us-east-1, which every SDK accepts whatever region it signs with.
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    pub async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let bucket = self.bucket(&req.input.bucket)?;
        let status = match bucket.versioning {
            Versioning::Unversioned => None,
            other => Some(BucketVersioningStatus::from(other.as_str().to_owned())),
        };
        Ok(S3Response::new(GetBucketVersioningOutput {
            status,
            ..Default::default()
        }))
    }

    pub async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let bucket = self.bucket(&req.input.bucket)?;
        let versioning = match req
            .input
            .versioning_configuration
            .status
            .as_ref()
            .map(BucketVersioningStatus::as_str)
        {
            Some("Enabled") => Versioning::Enabled,
            Some("Suspended") => Versioning::Suspended,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "The versioning Status must be Enabled or Suspended."
                ));
            }
        };
        self.db
            .write(move |tx| store::set_versioning(tx, &bucket.name, versioning))
            .await?;
        self.refresh_buckets().await?;
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    pub async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        let bucket = self.bucket(&req.input.bucket)?;
        let rules = bucket
            .cors
            .ok_or_else(|| s3_error!(NoSuchCORSConfiguration, "The CORS configuration does not exist"))?;
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(
                rules
                    .into_iter()
                    .map(|r| CORSRule {
                        id: r.id,
                        allowed_origins: r.allowed_origins,
                        allowed_methods: r.allowed_methods,
                        allowed_headers: (!r.allowed_headers.is_empty()).then_some(r.allowed_headers),
                        expose_headers: (!r.expose_headers.is_empty()).then_some(r.expose_headers),
                        max_age_seconds: r.max_age_seconds,
                    })
                    .collect(),
            ),
        }))
    }

    pub async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        let bucket = self.bucket(&req.input.bucket)?;
        let mut rules = Vec::new();
        for rule in &req.input.cors_configuration.cors_rules {
            if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
                return Err(s3_error!(
                    MalformedXML,
                    "A CORS rule needs AllowedOrigin and AllowedMethod."
                ));
            }
            if let Some(method) = rule
                .allowed_methods
                .iter()
                .find(|m| !matches!(m.as_str(), "GET" | "PUT" | "POST" | "DELETE" | "HEAD"))
            {
                return Err(s3_error!(
                    InvalidRequest,
                    "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                ));
            }
            rules.push(CorsRule {
                id: rule.id.clone(),
                allowed_origins: rule.allowed_origins.clone(),
                allowed_methods: rule.allowed_methods.clone(),
                allowed_headers: rule.allowed_headers.clone().unwrap_or_default(),
                expose_headers: rule.expose_headers.clone().unwrap_or_default(),
                max_age_seconds: rule.max_age_seconds,
            });
        }
        if rules.is_empty() || rules.len() > 100 {
            return Err(s3_error!(
                MalformedXML,
                "A CORS configuration holds 1 to 100 rules."
            ));
        }
        self.db
            .write(move |tx| store::set_cors(tx, &bucket.name, Some(&rules)))
            .await?;
        self.refresh_buckets().await?;
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    pub async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        let bucket = self.bucket(&req.input.bucket)?;
        self.db
            .write(move |tx| store::set_cors(tx, &bucket.name, None))
            .await?;
        self.refresh_buckets().await?;
        Ok(S3Response::new(DeleteBucketCorsOutput::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules_and_skip_reserved_segments() {
        for ok in ["drive-media-storage", "a.b-c", "abc", "123"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Upper",
            "a_b",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "realms",
            "media",
            "_emu",
            &"a".repeat(64),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
