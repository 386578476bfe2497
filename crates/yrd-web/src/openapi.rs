//! The OpenAPI 3.1 document: built from the same handler list as the router (see `routes`),
//! then completed with what every operation shares (the language parameters, conditional
//! requests, problem responses), which the middleware and extractors implement once and so is
//! documented once, here.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Content, Object, OpenApi, Ref, RefOr, Required, Type};
use utoipa::{IntoParams, OpenApi as _};

use crate::error::{ApiError, FieldError, PROBLEM_JSON, ProblemResponse};
use crate::extract::LangQuery;
use crate::routes;

/// The path of the document itself.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// Operations under this prefix answer in the negotiated language.
const LOCALIZED_PREFIX: &str = "/api/v1/";

/// Operations that carry no human text, so take no language.
const UNLOCALIZED: &[&str] = &[
    "/api/v1/healthz",
    "/api/v1/history",
    "/api/v1/me",
    "/api/v1/tokens",
    "/api/v1/users",
    "/api/v1/users/{username}",
    DOCUMENT_PATH,
];

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "yrd API",
        description = "The JSON API of yrd, the platform of the Yangtze River Delta \
            regional cooperation mechanism: jurisdictions and zones, the bodies of the mechanism, \
            their meetings and decisions, the cascade of plans with the progress of each member's \
            tasks, cooperation agreements, and indicators of integration; members' reports and \
            positions; accounts, roles and the journal of every change.\n\n\
            Published records are public. Everything else needs a signed-in caller: a session \
            cookie from the sign-in form (changes then carry the session's CSRF token in \
            `X-CSRF-Token`, see `GET /api/v1/me`) or an API token in \
            `Authorization: Bearer <token>`. One access policy decides every request: 401 means \
            sign in, 403 not allowed (with the reason), and a draft the caller may not see \
            answers 404 as if it did not exist.\n\n\
            Texts are returned in one language: `?lang=zh|en` wins over `Accept-Language`; the \
            default is Chinese, and a text missing in the chosen language falls back to the \
            other. Successful responses carry a strong `ETag`; send it back in `If-None-Match` to \
            get `304 Not Modified`. Errors are `application/problem+json` (RFC 9457); invalid \
            parameters are listed in `errors`, each with the parameter's name.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "health", description = "Service status"),
        (name = "jurisdictions", description = "The administrative tree and zones across it"),
        (name = "bodies", description = "The bodies of the mechanism and their seats"),
        (name = "meetings", description = "Meetings and the decisions taken at them"),
        (name = "plans", description = "The cascade of plans and their progress"),
        (name = "matters", description = "Key cooperation matters and each member's tasks"),
        (name = "agreements", description = "Multi-party cooperation agreements"),
        (name = "indicators", description = "Indicators of integration and their observations"),
        (name = "tasks", description = "Members' progress reports on their tasks"),
        (name = "problems", description = "Problems raised on matters, escalated through the tiers and resolved"),
        (name = "history", description = "The hash-chained journal of every change"),
        (name = "accounts", description = "Accounts, roles and API tokens"),
        (name = "meta", description = "This document"),
    ),
    components(schemas(ProblemResponse, FieldError))
)]
struct ApiDoc;

/// The document's base: info, tags and shared schemas; `routes` adds the paths.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// The complete document.
pub fn document() -> OpenApi {
    let mut doc = routes::api().into_openapi();
    for (path, item) in doc.paths.paths.iter_mut() {
        if let Some(operation) = item.get.as_mut() {
            complete(path, operation);
        }
        for operation in [
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            complete_change(operation);
        }
    }
    doc
}

/// Adds what every change shares: the CSRF header of cookie sessions, the body limits, and
/// the opaque 500.
fn complete_change(operation: &mut Operation) {
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(
            ParameterBuilder::new()
                .name("X-CSRF-Token")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Required when signed in with a session cookie: the session's CSRF token \
                     (`csrf_token` of `GET /api/v1/me`). Not used with an API token.",
                ))
                .schema(Some(Object::with_type(Type::String)))
                .build(),
        ));
    let responses = &mut operation.responses.responses;
    if operation.request_body.is_some() {
        responses
            .entry("413".into())
            .or_insert_with(|| problem("The body exceeds 64 KiB"));
        responses
            .entry("415".into())
            .or_insert_with(|| problem("The body is not `application/json`"));
    }
    responses
        .entry("500".into())
        .or_insert_with(|| problem("The server failed; the body says nothing of the cause"));
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("ProblemResponse"))),
        )
        .build()
        .into()
}

fn header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(Type::String)))
        .description(Some(description))
        .build()
}

/// Adds what every operation shares to one GET operation at `path`.
fn complete(path: &str, operation: &mut Operation) {
    let localized = path.starts_with(LOCALIZED_PREFIX) && !UNLOCALIZED.contains(&path);
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if localized {
        parameters.extend(
            LangQuery::into_params(|| Some(ParameterIn::Query))
                .into_iter()
                .map(RefOr::T),
        );
        parameters.push(RefOr::T(
            ParameterBuilder::new()
                .name("Accept-Language")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Used when `lang` is absent: the supported language (zh, en) with the \
                     highest quality wins; anything else means Chinese.",
                ))
                .schema(Some(Object::with_type(Type::String)))
                .build(),
        ));
    }
    parameters.push(RefOr::T(
        ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "An `ETag` from an earlier response: if the body would be the same, the answer \
                 is 304 without a body.",
            ))
            .schema(Some(Object::with_type(Type::String)))
            .build(),
    ));
    let has_client_parameters = localized
        || parameters.iter().any(|p| match p {
            RefOr::T(p) => p.parameter_in != ParameterIn::Header,
            RefOr::Ref(_) => true,
        });

    let responses = &mut operation.responses.responses;
    if let Some(RefOr::T(ok)) = responses.get_mut("200") {
        ok.headers.insert(
            "ETag".into(),
            RefOr::T(header(
                "Strong entity tag of the body: the first 16 bytes of its SHA-256, in hex.",
            )),
        );
        if localized {
            ok.headers.insert(
                "Content-Language".into(),
                RefOr::T(header("The language of the texts: `zh` or `en`.")),
            );
            ok.headers.insert(
                "Vary".into(),
                RefOr::T(header("`Accept-Language`: the body depends on it.")),
            );
        }
    }
    responses.insert(
        "304".into(),
        ResponseBuilder::new()
            .description("Not modified: the `If-None-Match` tag matches the current body.")
            .build()
            .into(),
    );
    if has_client_parameters {
        responses
            .entry("400".into())
            .or_insert_with(|| problem("Invalid parameters, each named in `errors`"));
    }
    responses
        .entry("500".into())
        .or_insert_with(|| problem("The server failed; the body says nothing of the cause"));
}

/// Serves the OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object))
)]
pub async fn openapi_json() -> Response {
    static DOCUMENT: OnceLock<Bytes> = OnceLock::new();
    if let Some(bytes) = DOCUMENT.get() {
        return document_response(bytes.clone());
    }
    match serde_json::to_vec(&document()) {
        Ok(bytes) => document_response(DOCUMENT.get_or_init(|| Bytes::from(bytes)).clone()),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

fn document_response(bytes: Bytes) -> Response {
    let mut response = bytes.into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_the_shared_responses_and_parameters() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key(DOCUMENT_PATH));
        for (path, item) in paths {
            for method in ["put", "post", "delete"] {
                let operation = &item[method];
                if !operation.is_object() {
                    continue;
                }
                assert!(
                    operation["responses"]["500"].is_object(),
                    "{method} {path}: no 500"
                );
                assert!(
                    operation["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == "X-CSRF-Token")),
                    "{method} {path}: no X-CSRF-Token"
                );
            }
            let operation = &item["get"];
            if !operation.is_object() {
                continue;
            }
            for status in ["200", "304", "500"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{path}: no {status}"
                );
            }
            assert!(
                operation["responses"]["200"]["headers"]["ETag"].is_object(),
                "{path}"
            );
            let names: Vec<&str> = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            let localized =
                path.starts_with(LOCALIZED_PREFIX) && !UNLOCALIZED.contains(&path.as_str());
            assert_eq!(names.contains(&"lang"), localized, "{path}: {names:?}");
            assert_eq!(names.contains(&"Accept-Language"), localized, "{path}");
            assert!(names.contains(&"If-None-Match"), "{path}");
            if localized {
                assert!(operation["responses"]["400"].is_object(), "{path}: no 400");
            }
        }
    }
}
