use serde_json::Value;

use crate::helpers::TestApp;

/// The committed spec is what the code generates. After an API change, regenerate it with
/// `cargo run -- openapi > openapi/openapi.json` and review the diff.
#[test]
fn committed_spec_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json exists");
    let generated = talentflow::openapi::spec_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_served_spec_is_openapi_3_1_and_the_committed_one() {
    let app = TestApp::new().await;
    let served = app.get("/openapi.json").await;
    let served = served.ok(200);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let generated: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    assert_eq!(served, &generated);
    for path in [
        "/v1/companies",
        "/v1/companies/{id}",
        "/v1/companies/{id}/moves",
        "/v1/researchers/{id}",
        "/v1/moves",
        "/v1/sources/{id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            served["paths"].get(path).is_some(),
            "{path} missing from the spec"
        );
    }
    assert_eq!(
        served["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
}

#[test]
fn every_operation_documents_its_problem_responses() {
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let errors: Vec<&String> = responses
                .keys()
                .filter(|status| status.starts_with('4') || status.starts_with('5'))
                .collect();
            // The process-level probes cannot fail while the process answers at all.
            if path != "/healthz" && path != "/metrics" {
                assert!(
                    !errors.is_empty(),
                    "{method} {path} documents no error responses"
                );
            }
            for status in errors {
                assert!(
                    responses[status]["content"]
                        .get("application/problem+json")
                        .is_some(),
                    "{method} {path} {status} is not documented as problem+json"
                );
            }
            if method != "get" {
                for status in ["400", "401", "403", "422"] {
                    if method == "delete" && (status == "400" || status == "422") {
                        continue;
                    }
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn docs_are_served_without_the_internet() {
    let app = TestApp::new().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    assert!(
        !page.text.contains("unpkg.com") && !page.text.contains("cdn."),
        "docs load assets from a CDN"
    );
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status.as_u16(), 200);
    assert!(
        bundle.text.len() > 100_000,
        "the Swagger UI bundle is built into the binary"
    );
}

/// A merge patch may carry any subset of the fields, so no PATCH body schema requires one.
#[test]
fn patch_bodies_require_no_fields() {
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    let mut patches = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(patch) = item.get("patch") else {
            continue;
        };
        let reference =
            patch["requestBody"]["content"]["application/merge-patch+json"]["schema"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("PATCH {path} has no merge-patch body"));
        let name = reference.trim_start_matches("#/components/schemas/");
        let schema = &spec["components"]["schemas"][name];
        assert!(schema["properties"].is_object(), "{name} has no properties");
        assert!(
            schema.get("required").is_none(),
            "PATCH {path} body {name} requires fields"
        );
        patches += 1;
    }
    assert_eq!(patches, 9);
}
