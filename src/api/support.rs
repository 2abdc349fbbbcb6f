//! Small pieces every resource uses: collecting field errors, merge patches, 201 responses.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    domain::form::{Check, Invalid},
    error::{ApiError, ApiResult, FieldError},
    extract::Preconditions,
};

/// 400 listing every bad query parameter: a `Check` over a query string ends here rather than
/// in `Check::finish`'s 422, because a bad parameter is a bad request, not a bad record.
pub trait FinishQuery {
    fn finish_query(self) -> ApiResult<()>;
}

impl FinishQuery for Check {
    fn finish_query(self) -> ApiResult<()> {
        let Err(Invalid(errors)) = self.finish() else {
            return Ok(());
        };
        let detail = errors
            .iter()
            .map(|e| format!("`{}` {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::BadRequest { detail, errors })
    }
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Applies a merge patch to a record's input form and reads the result back as input, so a
/// PATCH is validated exactly like a create.
pub fn patched<I>(current: &I, patch: &serde_json::Map<String, Value>) -> ApiResult<I>
where
    I: Serialize + serde::de::DeserializeOwned,
{
    let mut document = serde_json::to_value(current)?;
    // `null` for a member that is not there is a no-op in RFC 7396, so an unknown field set to
    // null would slip past the check below: refuse it like any other unknown field.
    if let Value::Object(fields) = &document
        && let Some(unknown) = patch
            .iter()
            .find(|(key, value)| value.is_null() && !fields.contains_key(*key))
            .map(|(key, _)| key)
    {
        return Err(ApiError::BadRequest {
            detail: format!("the JSON body is not acceptable: unknown field `{unknown}`"),
            errors: vec![FieldError::new(unknown.clone(), "unknown field")],
        });
    }
    merge_patch(&mut document, &Value::Object(patch.clone()));
    let bytes = serde_json::to_vec(&document)?;
    crate::extract::parse_json(&bytes)
}

/// 201 with `Location`, `ETag` and the record.
pub fn created<T: Serialize>(location: String, record: &T) -> ApiResult<Response> {
    let mut response = tagged(StatusCode::CREATED, record)?;
    let location = HeaderValue::from_str(&location)?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// A record as JSON with its `ETag`, a digest of exactly these bytes, so that a 304 is only
/// ever given for the representation the client already has (a renamed parent changes it too).
pub fn tagged<T: Serialize>(status: StatusCode, record: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(record)?;
    let etag = etag_of(&body);
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, HeaderValue::from_str(&etag)?);
    Ok(response)
}

/// The current `ETag` of a record, for `If-Match` checks before a write.
pub fn current_etag<T: Serialize>(record: &T) -> ApiResult<String> {
    Ok(etag_of(&serde_json::to_vec(record)?))
}

fn etag_of(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut etag = String::with_capacity(2 + 24);
    etag.push('"');
    for byte in &digest[..12] {
        etag.push(char::from(HEX[usize::from(byte >> 4)]));
        etag.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    etag.push('"');
    etag
}

/// GET one record: 304 when `If-None-Match` already names its representation.
pub fn conditional_get<T: Serialize>(
    record: &T,
    preconditions: &Preconditions,
) -> ApiResult<Response> {
    let response = tagged(StatusCode::OK, record)?;
    let etag = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if preconditions.none_match(etag) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        if let Some(value) = response.headers().get(header::ETAG) {
            not_modified
                .headers_mut()
                .insert(header::ETAG, value.clone());
        }
        return Ok(not_modified);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The example from RFC 7396 section 3.
        let mut target = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"], "content": "This will be unchanged"});
        let patch = json!({"title": "Hello!", "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": null}, "tags": ["example"]});
        merge_patch(&mut target, &patch);
        assert_eq!(
            target,
            json!({"title": "Hello!", "author": {"givenName": "John"},
            "tags": ["example"], "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"})
        );
    }

    #[test]
    fn a_patch_may_not_null_an_unknown_field() {
        #[derive(Debug, Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Input {
            name: Option<String>,
        }
        let current = Input {
            name: Some("a".into()),
        };
        let patch = |value: Value| value.as_object().unwrap().clone();
        assert!(
            patched(&current, &patch(json!({"name": null})))
                .unwrap()
                .name
                .is_none()
        );
        for bad in [
            json!({"nmae": null}),
            json!({"": null}),
            json!({"nmae": "b"}),
        ] {
            match patched(&current, &patch(bad)) {
                Err(ApiError::BadRequest { .. }) => {}
                other => panic!("expected 400, got {other:?}"),
            }
        }
    }
}
