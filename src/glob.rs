//! `*` wildcards, as Keycloak redirect URIs and S3 CORS origins use them.

/// `*` matches any run of characters (including none); everything else literally.
pub fn matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_any_run() {
        assert!(matches(
            "http://localhost:8071/*",
            "http://localhost:8071/api/v1.0/callback/"
        ));
        assert!(matches("*", "https://anything.example/"));
        assert!(matches("http://*/cb", "http://a.b/cb"));
        assert!(!matches("http://localhost:8071/*", "http://localhost:8072/x"));
        assert!(!matches("http://a/cb", "http://a/cb2"));
        assert!(matches("http://a/cb", "http://a/cb"));
    }
}
