//! Opaque keyset-pagination cursors: the sort they belong to, the last row's sort key and id.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: String,
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Any cursor not made by `encode` is an error, never a panic or a query with garbage in it.
    pub fn decode(text: &str) -> Result<Self, String> {
        let invalid = || "is not a cursor returned by this list".to_owned();
        if text.len() > 1024 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let cursor = Cursor {
            sort: "-effective_on".into(),
            key: "2024-03-01".into(),
            id: Uuid::now_v7(),
        };
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        assert!(Cursor::decode("not a cursor").is_err());
        assert!(Cursor::decode(&text[1..]).is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"s\":1}")).is_err());
        assert!(Cursor::decode(&"A".repeat(5000)).is_err());
    }

    proptest::proptest! {
        /// Any text at all: a cursor or an error, never a panic.
        #[test]
        fn decoding_anything_never_panics(text in ".{0,300}") {
            let _ = Cursor::decode(&text);
        }

        #[test]
        fn every_cursor_round_trips(sort in "[a-z_-]{1,20}", key in ".{0,100}", id: u128) {
            let cursor = Cursor { sort, key, id: Uuid::from_u128(id) };
            proptest::prop_assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }

        /// Cutting a cursor short always breaks it (the JSON inside is cut too).
        #[test]
        fn a_truncated_cursor_is_refused(id: u128, cut in 1usize..20) {
            let text = Cursor { sort: "-effective_on".into(), key: "2024-03-01".into(), id: Uuid::from_u128(id) }.encode();
            proptest::prop_assert!(Cursor::decode(&text[..text.len() - cut]).is_err());
        }
    }
}
