//! Page-number pagination (spec §5) and the `ordering` parameter of item listings (§8.1).

use serde_json::{Value, json};

use super::error::DriveError;

const PAGE_SIZE: i64 = 20;
const MAX_PAGE_SIZE: i64 = 200;

/// The page a listing asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// None = `page=last`.
    pub number: Option<i64>,
    pub size: i64,
    /// Set when `page` is not a number: answered 404 `Invalid page.`.
    invalid: bool,
}

impl Page {
    pub fn parse(query: &[(String, String)]) -> Self {
        let get = |name: &str| {
            query
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let size = get("page_size")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map_or(PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE));
        let (number, invalid) = match get("page") {
            None => (Some(1), false),
            Some("last") => (None, false),
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 1 => (Some(n), false),
                _ => (Some(1), true),
            },
        };
        Self {
            number,
            size,
            invalid,
        }
    }

    /// Rows to skip (`page=last` counts as page 1 until `resolved` knows the count).
    pub fn offset(&self) -> i64 {
        (self.number.unwrap_or(1) - 1) * self.size
    }

    /// The page a `page=last` request resolves to for `count` rows.
    pub fn last(&self, count: i64) -> i64 {
        ((count + self.size - 1) / self.size).max(1)
    }

    /// Whether a query needs the count first (`page=last`).
    pub fn wants_last(&self) -> bool {
        self.number.is_none()
    }

    pub fn resolved(&self, count: i64) -> Self {
        Self {
            number: Some(self.number.unwrap_or_else(|| self.last(count))),
            ..self.clone()
        }
    }

    /// `{"count", "next", "previous", "results"}`, or 404 `Invalid page.` past the end.
    pub fn envelope(
        &self,
        count: i64,
        results: Vec<Value>,
        public_url: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Value, DriveError> {
        let number = self.number.unwrap_or_else(|| self.last(count));
        let pages = self.last(count);
        if self.invalid || number > pages {
            return Err(DriveError::invalid_page());
        }
        let link = |target: i64| {
            let mut pairs = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in query.iter().filter(|(k, _)| k != "page") {
                pairs.append_pair(k, v);
            }
            if target > 1 {
                pairs.append_pair("page", &target.to_string());
            }
            let text = pairs.finish();
            if text.is_empty() {
                format!("{public_url}{path}")
            } else {
                format!("{public_url}{path}?{text}")
            }
        };
        Ok(json!({
            "count": count,
            "next": (number < pages).then(|| link(number + 1)),
            "previous": (number > 1).then(|| link(number - 1)),
            "results": results,
        }))
    }
}

/// An `ordering` parameter resolved to SQL over `i` (the item) and `u` (its creator).
#[derive(Debug, Clone, PartialEq)]
pub struct Ordering {
    terms: Vec<(&'static str, bool)>,
    default: &'static str,
}

const FIELDS: [(&str, &str); 6] = [
    ("created_at", "i.created_at"),
    ("updated_at", "i.updated_at"),
    ("size", "i.size"),
    ("title", "i.title"),
    ("type", "i.type"),
    ("creator__full_name", "u.full_name"),
];

impl Ordering {
    /// Known names are kept in order (a `-` prefix descends); unknown ones are dropped.
    /// `default` applies when none is left; `-updated_at` ends the list unless named.
    pub fn parse(query: &[(String, String)], default: &'static str) -> Self {
        let requested = query
            .iter()
            .rev()
            .find(|(k, _)| k == "ordering")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let terms = requested
            .split(',')
            .filter_map(|term| {
                let term = term.trim();
                let (name, descending) = match term.strip_prefix('-') {
                    Some(name) => (name, true),
                    None => (term, false),
                };
                FIELDS
                    .iter()
                    .find(|(field, _)| *field == name)
                    .map(|(_, column)| (*column, descending))
            })
            .collect();
        Self { terms, default }
    }

    /// `ORDER BY` terms, with PostgreSQL's null placement (last ascending, first descending).
    pub fn sql(&self) -> String {
        let mut parts: Vec<String> = self
            .terms
            .iter()
            .map(|(column, descending)| {
                if *descending {
                    format!("{column} IS NULL DESC, {column} DESC")
                } else {
                    format!("{column} IS NULL, {column} ASC")
                }
            })
            .collect();
        if parts.is_empty() {
            parts.push(self.default.to_owned());
        }
        if !self.terms.iter().any(|(column, _)| *column == "i.updated_at") {
            parts.push("i.updated_at DESC".to_owned());
        }
        parts.push("i.rowid ASC".to_owned());
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn page_sizes_are_capped_and_bad_ones_fall_back() {
        assert_eq!(Page::parse(&q(&[("page_size", "500")])).size, 200);
        assert_eq!(Page::parse(&q(&[("page_size", "0")])).size, 20);
        assert_eq!(Page::parse(&q(&[("page_size", "x")])).size, 20);
    }

    #[test]
    fn links_drop_the_page_parameter_for_page_one() {
        let page = Page::parse(&q(&[("page", "2"), ("type", "file")]));
        let body = page
            .envelope(
                45,
                vec![],
                "http://e",
                "/p/",
                &q(&[("page", "2"), ("type", "file")]),
            )
            .unwrap();
        assert_eq!(body["previous"], "http://e/p/?type=file");
        assert_eq!(body["next"], "http://e/p/?type=file&page=3");
        assert!(
            page.envelope(5, vec![], "http://e", "/p/", &[]).is_err(),
            "page 2 of 1"
        );
        assert!(
            Page::parse(&q(&[("page", "x")]))
                .envelope(5, vec![], "", "", &[])
                .is_err()
        );
        assert!(
            Page::parse(&[]).envelope(0, vec![], "", "", &[]).is_ok(),
            "page 1 always exists"
        );
    }

    #[test]
    fn ordering_keeps_known_fields_and_appends_the_tie_breaker() {
        let order = Ordering::parse(&q(&[("ordering", "-title,bogus")]), "i.created_at ASC");
        assert_eq!(
            order.sql(),
            "i.title IS NULL DESC, i.title DESC, i.updated_at DESC, i.rowid ASC"
        );
        let default = Ordering::parse(&q(&[("ordering", "bogus")]), "i.created_at ASC");
        assert_eq!(default.sql(), "i.created_at ASC, i.updated_at DESC, i.rowid ASC");
    }
}
