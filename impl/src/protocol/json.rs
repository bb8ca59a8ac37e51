//! The one piece of JSON the server writes itself: the `data` of a QUERY_RESPONSE.
//!
//! `getAll(["alice", "nobody"])` is answered with a JSON object mapping each asked name to
//! whether that user is online:
//!
//! ```text
//! {"alice":true,"nobody":false}
//! ```
//!
//! Names come from clients, so they can hold anything: quotes, backslashes, control characters.
//! Every name is written as a JSON string with the same escapes as JavaScript's
//! `JSON.stringify` (which produced the real server's bytes): `\"` and `\\`, the short forms
//! `\b \f \n \r \t`, and `\u00XX` (lowercase hex) for the other control characters below
//! U+0020. Everything else, including non-ASCII text, is copied as is: JSON text is UTF-8 and
//! needs no further escaping.

/// Builds the JSON object text `{"name":true,...}` of a QUERY_RESPONSE from `(name, online)`
/// pairs, keeping their order.
///
/// The caller decides what to do about duplicate names (the real server keeps only the first
/// occurrence); this function writes every pair it is given.
pub fn query_response_json<S: AsRef<str>>(results: &[(S, bool)]) -> String {
    // Quotes, colon, comma and the longer literal: 9 bytes of punctuation per entry.
    let capacity = 2 + results
        .iter()
        .map(|(name, _)| name.as_ref().len() + 9)
        .sum::<usize>();
    let mut out = String::with_capacity(capacity);
    out.push('{');
    for (index, (name, online)) in results.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_string(&mut out, name.as_ref());
        out.push_str(if *online { ":true" } else { ":false" });
    }
    out.push('}');
    out
}

/// Appends `value` to `out` as a quoted, escaped JSON string.
///
/// Exposed so that other small JSON payloads (auth client data, error details) can be written
/// with the same escaping rules.
pub fn push_json_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    // Copy runs of bytes that need no escape in one go. Every byte that needs an escape is
    // ASCII, so the run boundaries always fall between characters.
    let mut run_start = 0;
    for (index, byte) in value.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&value[run_start..index]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        } else {
            out.push_str(short);
        }
        run_start = index + 1;
    }
    out.push_str(&value[run_start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(value: &str) -> String {
        let mut out = String::new();
        push_json_string(&mut out, value);
        out
    }

    #[test]
    fn object_keeps_order() {
        assert_eq!(
            query_response_json(&[("alice", true), ("nobody", false)]),
            r#"{"alice":true,"nobody":false}"#
        );
        assert_eq!(
            query_response_json(&[("b".to_owned(), false), ("a".to_owned(), true)]),
            r#"{"b":false,"a":true}"#
        );
    }

    #[test]
    fn empty_object() {
        let nothing: &[(&str, bool)] = &[];
        assert_eq!(query_response_json(nothing), "{}");
    }

    #[test]
    fn plain_and_non_ascii_text_is_copied() {
        assert_eq!(string(""), r#""""#);
        assert_eq!(string("alice"), r#""alice""#);
        assert_eq!(string("zoë 🦀 日本"), "\"zoë 🦀 日本\"");
        // JSON.stringify leaves DEL and the line/paragraph separators alone.
        assert_eq!(
            string("\u{7f}\u{2028}\u{2029}"),
            "\"\u{7f}\u{2028}\u{2029}\""
        );
        assert_eq!(string("/"), r#""/""#);
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(string(r#"a"b"#), r#""a\"b""#);
        assert_eq!(string(r"a\b"), r#""a\\b""#);
        assert_eq!(string(r#"\""#), r#""\\\"""#);
    }

    #[test]
    fn control_characters_are_escaped_like_json_stringify() {
        assert_eq!(string("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(string("\u{0}"), r#""\u0000""#);
        assert_eq!(string("a\u{1}b"), r#""a\u0001b""#);
        assert_eq!(string("\u{b}"), r#""\u000b""#);
        assert_eq!(string("\u{1f}é"), r#""\u001fé""#);
    }

    #[test]
    fn every_control_character_is_escaped() {
        for code in 0u8..0x20 {
            let escaped = string(&char::from(code).to_string());
            assert!(escaped.len() > 3, "{code:#x} left raw");
            assert!(escaped.starts_with("\"\\"), "{code:#x}: {escaped}");
        }
    }

    #[test]
    fn tricky_names_in_an_object() {
        assert_eq!(
            query_response_json(&[("a\"}", true), ("\\", false)]),
            r#"{"a\"}":true,"\\":false}"#
        );
    }
}
