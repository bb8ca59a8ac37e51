//! Limits on what one client may ask for (R2, R17, R18), and the validity of names.

/// The bounds a request must respect, so that no client can make the server do unbounded work or
/// hold unbounded memory on its behalf. SPEC.md, "Limits", gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest valid name (user name, or a name inside a request), in bytes of UTF-8 (R2).
    pub max_name_bytes: usize,
    /// Most entries a single subscribe, unsubscribe or query may list, duplicates counted (R17).
    pub max_names_per_request: usize,
    /// Most per-name subscriptions one connection may hold at once (R18).
    pub max_subscriptions_per_connection: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_name_bytes: 128,
            max_names_per_request: 1_000,
            max_subscriptions_per_connection: 10_000,
        }
    }
}

/// Why a name is not valid (R2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name is the empty string.
    Empty,
    /// The name is longer than [`Limits::max_name_bytes`].
    TooLong,
    /// The name contains a control character (U+0000..=U+001F or U+007F..=U+009F).
    ControlCharacter,
}

/// R2: a valid name is 1 to `max_name_bytes` bytes of UTF-8 without control characters.
pub fn validate_name(name: &str, limits: &Limits) -> Result<(), NameError> {
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.len() > limits.max_name_bytes {
        Err(NameError::TooLong)
    } else if name.chars().any(char::is_control) {
        Err(NameError::ControlCharacter)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R2: empty, over-long and control-character names are invalid; others are valid.
    #[test]
    fn r2_name_validity() {
        let limits = Limits {
            max_name_bytes: 5,
            ..Limits::default()
        };
        assert_eq!(validate_name("homer", &limits), Ok(()));
        assert_eq!(validate_name("", &limits), Err(NameError::Empty));
        assert_eq!(validate_name("homers", &limits), Err(NameError::TooLong));
        assert_eq!(
            validate_name("ho\nm", &limits),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(validate_name("é%_ E", &limits), Err(NameError::TooLong));
        assert_eq!(validate_name("é%_E", &limits), Ok(()));
    }
}
