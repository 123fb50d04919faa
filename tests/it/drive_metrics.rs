//! Drive's usage metrics (issue 4, spec §9.6): `metrics/usage/` behind its API key.

use serde_json::{Value, json};

use crate::driveutil::{API, call, error, journal_reason, token, upload_file};
use crate::util::{self, client};

const FIXTURE: &str = r#"
[drive]
metrics_api_key = "metrics-secret"
metrics_user_claims = ["siret", "missing"]

[[realms]]
name = "lasuite"

[[realms.users]]
username = "carol"
password = "carol"
email = "carol@example.com"
claims = { siret = "X" }

[[realms.users]]
username = "dave"
password = "dave"
email = "dave@example.com"
claims = { siret = "X" }
"#;

async fn usage(emu: &lasuite_emu::RunningEmulator, query: &str, key: Option<&str>) -> (u16, Value) {
    let mut request = client().get(format!("{}{API}/metrics/usage/{query}", emu.url()));
    if let Some(key) = key {
        request = request.header("authorization", format!("Api-Key {key}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Makes `user` a Drive user holding one uploaded file of `size` bytes.
async fn store(emu: &lasuite_emu::RunningEmulator, user: &str, size: usize) {
    let token = token(emu, user).await;
    upload_file(emu, &token, "/items/", "f.txt", "a".repeat(size)).await;
}

#[tokio::test]
async fn met_01_met_02_the_route_needs_its_setting_and_its_key() {
    let off = util::start().await;
    assert_eq!(usage(&off, "", Some("anything")).await.0, 404, "MET-01");
    let emu = util::start_with(FIXTURE).await;
    let not_authenticated = error(
        "not_authenticated",
        "Authentication credentials were not provided.",
    );
    assert_eq!(
        usage(&emu, "", None).await,
        (401, not_authenticated.clone()),
        "MET-02"
    );
    assert_eq!(
        usage(&emu, "", Some("wrong")).await,
        (401, not_authenticated.clone())
    );
    let bearer = emu.mint_token("docs", "alice").await.unwrap().access_token;
    // A bearer token goes through mozilla-django-oidc's OIDCAuthentication (userinfo): the
    // user is authenticated, then HasAPIKey refuses: 403.
    let (status, body, _) = call(&emu, "GET", "/metrics/usage/", Some(&bearer), None).await;
    assert_eq!(
        (status, body),
        (
            403,
            error(
                "permission_denied",
                "You do not have permission to perform this action."
            )
        ),
        "FID-08: a bearer token is no API key"
    );
    let reason = journal_reason(&emu, "/metrics/usage/").await;
    assert!(reason.as_str().unwrap().contains("HasAPIKey"), "{reason}");
    // An inactive one is refused by userinfo: Keycloak's description, 401.
    let (status, body, _) = call(&emu, "GET", "/metrics/usage/", Some("garbage"), None).await;
    assert_eq!(
        (status, body),
        (401, error("authentication_failed", "Token verification failed")),
        "FID-08"
    );
    drop(not_authenticated);
}

#[tokio::test]
async fn met_03_to_08_users_and_their_storage() {
    let emu = util::start_with(FIXTURE).await;
    store(&emu, "carol", 100).await;
    store(&emu, "dave", 250).await;
    // Alice becomes a Drive user (no seeded items make her one on Drive 0.21.1's fixture).
    let alice = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert_eq!(call(&emu, "GET", "/users/me/", Some(&alice), None).await.0, 200);
    let key = Some("metrics-secret");
    let (status, all) = usage(&emu, "", key).await;
    assert_eq!(status, 200);
    let entries = all["results"].as_array().unwrap();
    let carol = entries
        .iter()
        .find(|e| e["account"]["email"] == "carol@example.com")
        .unwrap();
    assert_eq!(carol["metrics"], json!({"storage_used": 100}), "MET-04");
    assert_eq!(carol["account"]["type"], "user");
    assert_eq!(carol["siret"], "X", "MET-08: exposed claims");
    assert_eq!(carol["missing"], Value::Null);
    let alice = entries
        .iter()
        .find(|e| e["account"]["email"] == "alice@example.com")
        .unwrap();
    assert_eq!(alice["metrics"]["storage_used"], 0);

    let sub = carol["account"]["id"].as_str().unwrap();
    let (_, one) = usage(&emu, &format!("?account_id_key=sub&account_id_value={sub}"), key).await;
    assert_eq!(one["count"], 1, "MET-05");
    let (_, by_email) = usage(&emu, "?account_email=dave@example.com", key).await;
    assert_eq!(
        (
            &by_email["count"],
            &by_email["results"][0]["metrics"]["storage_used"]
        ),
        (&json!(1), &json!(250)),
        "MET-07"
    );
    let (status, bad) = usage(&emu, "?account_id_key=bogus&account_id_value=42", key).await;
    assert_eq!(
        (status, &bad["errors"][0]["attr"]),
        (400, &json!("account_id_key")),
        "MET-06"
    );
    let (_, nobody) = usage(&emu, "?account_email=nobody@example.com", key).await;
    assert_eq!(
        nobody,
        json!({"count": 0, "next": null, "previous": null, "results": []}),
        "MET-03's empty page"
    );
}

#[tokio::test]
async fn met_09_to_11_organisations_sum_their_users() {
    let emu = util::start_with(FIXTURE).await;
    store(&emu, "carol", 100).await;
    store(&emu, "dave", 250).await;
    let key = Some("metrics-secret");
    let (status, org) = usage(
        &emu,
        "?account_type=organization&account_id_key=siret&account_id_value=X",
        key,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        org,
        json!({"count": 1, "next": null, "previous": null,
               "results": [{"account": {"type": "organization"}, "siret": "X", "metrics": {"storage_used": 350}}]}),
        "MET-09"
    );
    let (status, missing) = usage(&emu, "?account_type=organization", key).await;
    assert_eq!(status, 400, "MET-10");
    assert_eq!(missing["errors"].as_array().unwrap().len(), 2);
    let (_, none) = usage(
        &emu,
        "?account_type=organization&account_id_key=siret&account_id_value=Y",
        key,
    )
    .await;
    assert_eq!(none["results"][0]["metrics"]["storage_used"], 0, "MET-11");
}
