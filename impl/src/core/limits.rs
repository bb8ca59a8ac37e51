//! Bounds on what one client may ask for, and the validity of names (SPEC.md R2, R17, R18).

/// The bounds a request must respect, so no client can make the server do unbounded work or hold
/// unbounded memory on its behalf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest valid name in bytes of UTF-8 (R2).
    pub max_name_bytes: usize,
    /// Most names one request may list, duplicates counted (R17).
    pub max_names_per_request: usize,
    /// Most per-name subscriptions one connection may hold (R18).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The empty string.
    #[error("the name is empty")]
    Empty,
    /// Longer than [`Limits::max_name_bytes`].
    #[error("the name is too long")]
    TooLong,
    /// Holds a control character.
    #[error("the name contains a control character")]
    ControlCharacter,
}

impl Limits {
    /// R2: a valid name has 1 to `max_name_bytes` bytes and no control character.
    pub fn check_name(&self, name: &str) -> Result<(), NameError> {
        if name.is_empty() {
            Err(NameError::Empty)
        } else if name.len() > self.max_name_bytes {
            Err(NameError::TooLong)
        } else if name.chars().any(char::is_control) {
            Err(NameError::ControlCharacter)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_name_validity() {
        let limits = Limits {
            max_name_bytes: 5,
            ..Limits::default()
        };
        assert_eq!(limits.check_name("marge"), Ok(()));
        assert_eq!(limits.check_name(""), Err(NameError::Empty));
        assert_eq!(limits.check_name("marges"), Err(NameError::TooLong));
        assert_eq!(
            limits.check_name("a\u{7f}"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            limits.check_name("a\u{85}"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(limits.check_name("ééé"), Err(NameError::TooLong));
    }
}
