//! The integration suite: one test binary (fast to link), each module a service or concern.
//!
//! Every test starts its own emulator in-process on `127.0.0.1:0` through the library API
//! (`util::start`) and talks HTTP to it like a real client. Tests name the spec items they
//! cover in comments where a spec numbers them.

mod admin;
mod cli;
mod crash;
mod dashboard;
mod drive_changes;
mod drive_conformance;
mod drive_docs_poc;
mod drive_gating;
mod drive_items;
mod drive_media;
mod drive_metrics;
mod drive_sharing;
mod drive_users;
mod driveutil;
mod media_proxy;
mod oidc_audiences_exchange;
mod oidc_browser_flow;
mod oidc_errors;
mod oidc_hostile;
mod oidc_introspection;
mod oidc_logout;
mod oidc_tokens;
mod s3_hostile;
mod s3_objects;
mod s3_presign;
mod s3_versions_and_lists;
mod s3util;
mod server;
mod shutdown;
mod sigv4;
mod tls;
mod util;
