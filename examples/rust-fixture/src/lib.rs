//! The code under test: a resource server's token check, written as a La Suite app would
//! write it (RFC 7662 introspection at the issuer, client_secret_post).

/// Whether `token` is active for the issuer at `issuer`, asked as resource server `client_id`.
pub async fn token_is_active(
    issuer: &str,
    client_id: &str,
    secret: &str,
    token: &str,
) -> reqwest::Result<bool> {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{issuer}/protocol/openid-connect/token/introspect"))
        .form(&[
            ("client_id", client_id),
            ("client_secret", secret),
            ("token", token),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(answer["active"] == true)
}
