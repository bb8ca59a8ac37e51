//! Hex helpers for the unit tests: the transcripts give every frame as a hex string.

/// Lowercase hex of `bytes`, as written in the transcripts.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Bytes of a hex string from the transcripts; panics on malformed test data.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    assert_eq!(text.len() % 2, 0, "odd hex length: {text}");
    (0..text.len())
        .step_by(2)
        .map(|at| match u8::from_str_radix(&text[at..at + 2], 16) {
            Ok(byte) => byte,
            Err(error) => panic!("bad hex {text}: {error}"),
        })
        .collect()
}
