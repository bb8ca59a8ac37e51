//! The answer to `getAll(names)`, read from a QUERY_RESPONSE.
//!
//! The server answers `QUERY {correlationId, names}` with the JSON text of an object, one key
//! per distinct asked name, in the order of the request:
//!
//! ```text
//! QUERY_RESPONSE {correlationId: "7", data: '{"alice":true,"nobody":false}'}
//! ```
//!
//! A name the caller may not see is refused by a `MESSAGE_DENIED {correlationId, name}` before
//! the response and is left out of the object. [`QueryAnswer`] gathers both.
//!
//! The object's key order matters (it is the request's order), and `serde_json::Map` would
//! sort the keys, so the object is read with a small serde visitor straight into a `Vec`.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};

/// What [`Client::get_all_of`](super::Client::get_all_of) found out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryAnswer {
    /// Each asked name the server answered, with whether that user is online, in the
    /// server's order (the order of first occurrence in the request).
    pub results: Vec<(String, bool)>,
    /// The names the server refused to answer about (`MESSAGE_DENIED`), in the order of the
    /// refusals. They are absent from `results`.
    pub denied: Vec<String>,
}

impl QueryAnswer {
    /// Whether `name` is online, or `None` if the answer does not mention it (not asked, or
    /// denied).
    pub fn is_online(&self, name: &str) -> Option<bool> {
        self.results
            .iter()
            .find(|(user, _)| user == name)
            .map(|&(_, online)| online)
    }
}

/// Reads the `data` of a QUERY_RESPONSE, keeping the key order; an empty `data` is an empty
/// answer.
pub(crate) fn parse_query_data(data: &str) -> Result<Vec<(String, bool)>, serde_json::Error> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let mut deserializer = serde_json::Deserializer::from_str(data);
    let results = deserializer.deserialize_map(OrderedAnswers)?;
    deserializer.end()?;
    Ok(results)
}

/// Visits a JSON object of booleans into a `Vec`, in document order.
struct OrderedAnswers;

impl<'de> Visitor<'de> for OrderedAnswers {
    type Value = Vec<(String, bool)>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object mapping user names to booleans")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut results = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry::<String, bool>()? {
            results.push(entry);
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_servers_order() {
        let parsed = parse_query_data(r#"{"zed":false,"alice":true,"bob":true}"#).ok();
        let expected = vec![
            ("zed".to_owned(), false),
            ("alice".to_owned(), true),
            ("bob".to_owned(), true),
        ];
        assert_eq!(parsed, Some(expected));
    }

    #[test]
    fn empty_and_escaped() {
        assert_eq!(parse_query_data("{}").ok(), Some(vec![]));
        assert_eq!(parse_query_data("").ok(), Some(vec![]));
        assert_eq!(
            parse_query_data(r#"{"a\"b\u00e9":true}"#).ok(),
            Some(vec![("a\"bé".to_owned(), true)])
        );
    }

    #[test]
    fn rejects_what_is_not_an_object_of_booleans() {
        for bad in ["[]", r#"{"a":1}"#, "{", r#"{"a":true} x"#, "null"] {
            assert!(parse_query_data(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lookup() {
        let answer = QueryAnswer {
            results: vec![("alice".into(), true), ("nobody".into(), false)],
            denied: vec!["bob".into()],
        };
        assert_eq!(answer.is_online("alice"), Some(true));
        assert_eq!(answer.is_online("nobody"), Some(false));
        assert_eq!(answer.is_online("bob"), None);
    }
}
