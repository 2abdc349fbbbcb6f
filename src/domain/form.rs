//! What forms share: a `Check` that collects every bad field of an input at once, the error it
//! ends in, and the field helpers the inputs' serde attributes name. A form is an input type
//! (`CompanyInput`, …) whose `validate` turns it into a draft; the API, the importer and the demo
//! loader all write through them.

use crate::error::FieldError;

/// An input that validates into a draft of domain values.
pub trait Form {
    type Draft;

    fn validate(self) -> Result<Self::Draft, Invalid>;
}

/// The bad fields of an input, every one of them (the API answers it as a 422).
#[derive(Debug)]
pub struct Invalid(pub Vec<FieldError>);

/// Collects every bad field of a request so the client hears about all of them at once.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.error(field, "is required");
        }
        value
    }

    pub fn result<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.error(field, message)).ok()
    }

    /// Parses an optional value; an absent one is fine, a bad one is recorded.
    pub fn optional<T, V>(
        &mut self,
        field: &str,
        value: Option<V>,
        parse: impl FnOnce(V) -> Result<T, String>,
    ) -> Option<T> {
        value.and_then(|v| self.result(field, parse(v)))
    }

    /// Parses a required value.
    pub fn require<T, V>(
        &mut self,
        field: &str,
        value: Option<V>,
        parse: impl FnOnce(V) -> Result<T, String>,
    ) -> Option<T> {
        self.required(field, value)
            .and_then(|v| self.result(field, parse(v)))
    }

    /// Every bad field at once, or none.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}

/// Values that `Check` has confirmed are present.
pub fn checked<T>(value: Option<T>) -> T {
    value.expect("Check::finish passed, so every required value is present")
}

/// An optional integer field of a JSON body: any JSON number with no fractional part, `7.0` as
/// well as `7`, because that is what JSON Schema's `integer` (and so the spec) promises.
/// Use with `#[serde(default, deserialize_with = "...")]`.
pub fn integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::{Deserialize, de::Error};
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    // i64::MAX as f64 rounds up to 2^63, which is out of range: hence `<`.
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom(format!(
            "invalid value: `{number}`, expected an integer between {} and {}",
            i64::MIN,
            i64::MAX
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_may_be_written_with_a_zero_fraction() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "integer")]
            n: Option<i64>,
        }
        let parse = |text: &str| serde_json::from_str::<Body>(text).map(|b| b.n);
        assert_eq!(parse(r#"{"n": 7}"#).unwrap(), Some(7));
        assert_eq!(parse(r#"{"n": 7.0}"#).unwrap(), Some(7));
        assert_eq!(parse(r#"{"n": -3e2}"#).unwrap(), Some(-300));
        assert_eq!(parse(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert!(parse(r#"{"n": 7.5}"#).is_err());
        assert!(parse(r#"{"n": 1e300}"#).is_err());
        assert!(parse(r#"{"n": "7"}"#).is_err());
    }

    #[test]
    fn check_collects_every_error() {
        let mut check = Check::default();
        assert_eq!(check.required::<u8>("a", None), None);
        assert_eq!(check.result::<u8>("b", Err("bad".into())), None);
        assert_eq!(
            check.optional("c", None::<&str>, |_| Ok::<_, String>(1)),
            None
        );
        match check.finish() {
            Err(Invalid(errors)) => assert_eq!(errors.len(), 2),
            other => panic!("expected every error, got {other:?}"),
        }
    }
}
