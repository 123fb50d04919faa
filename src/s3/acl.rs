//! Access control lists, as far as a single-tenant emulator has them: every bucket and object
//! belongs to the one owner with FULL_CONTROL. Canned ACLs (`x-amz-acl`) are checked for
//! validity, as S3 does, then not enforced (see docs/compat.md).

use s3s::dto::{
    GetBucketAclInput, GetBucketAclOutput, GetObjectAclInput, GetObjectAclOutput, Grant, Grantee, Owner,
    Permission, PutBucketAclInput, PutBucketAclOutput, PutObjectAclInput, PutObjectAclOutput, Type,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;

const CANNED: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// The one owner of everything, as listings and ACLs show it.
pub fn owner() -> Owner {
    Owner {
        display_name: Some("lasuite-emu".into()),
        id: Some("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a".into()),
    }
}

/// Refuses a canned ACL S3 does not know (e.g. `public-read,private`).
pub fn check_canned(acl: Option<&str>) -> S3Result<()> {
    match acl {
        Some(value) if !CANNED.contains(&value) => {
            Err(s3_error!(InvalidArgument, "Invalid canned ACL: {value}"))
        }
        _ => Ok(()),
    }
}

fn owner_full_control() -> Vec<Grant> {
    let owner = owner();
    vec![Grant {
        grantee: Some(Grantee {
            display_name: owner.display_name,
            id: owner.id,
            type_: Type::from_static(Type::CANONICAL_USER),
            email_address: None,
            uri: None,
        }),
        permission: Some(Permission::from_static(Permission::FULL_CONTROL)),
    }]
}

impl Store {
    pub async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketAclOutput {
            owner: Some(owner()),
            grants: Some(owner_full_control()),
        }))
    }

    pub async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        self.readable(&input.bucket, &input.key, input.version_id.as_deref())
            .await?;
        Ok(S3Response::new(GetObjectAclOutput {
            owner: Some(owner()),
            grants: Some(owner_full_control()),
            ..Default::default()
        }))
    }

    pub async fn put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        self.bucket(&req.input.bucket)?;
        check_canned(req.input.acl.as_ref().map(|a| a.as_str()))?;
        Ok(S3Response::new(PutBucketAclOutput::default()))
    }

    pub async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        check_canned(input.acl.as_ref().map(|a| a.as_str()))?;
        self.readable(&input.bucket, &input.key, input.version_id.as_deref())
            .await?;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }
}
