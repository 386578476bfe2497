//! Accounts, role assignments and API tokens: who the caller is, and the administration of
//! users within an administrator's scope. No response ever carries a password hash, a session
//! id or a token secret, except the secret of a token in the response that creates it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrd_domain::Lang;
use yrd_domain::access::{Action, Assignment, Role, Scope, Target};
use yrd_store::{MIN_PASSWORD_CHARS, NewUser, TokenInfo, User, hash_password};

use crate::AppState;
use crate::auth::{Credential, Principal};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{JsonBody, Path};
use crate::response::json_response;

/// A role held within a scope.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AssignmentBody {
    /// `member_officer`, `member_coordinator`, `office_staff`, `body_secretary`,
    /// `administrator` or `auditor`.
    #[schema(example = "member_officer")]
    pub role: String,
    /// `region`, `jurisdiction:<code>` or `body:<key>`.
    #[schema(example = "jurisdiction:320000")]
    pub scope: String,
}

/// A user account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub username: String,
    pub display_name: String,
    /// The preferred language: `zh` or `en`.
    pub lang: String,
    pub disabled: bool,
    /// Whether the account can sign in with a password (else only with API tokens).
    pub has_password: bool,
    pub roles: Vec<AssignmentBody>,
}

/// The caller's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub user: UserResponse,
    /// For a session: the token to send in `X-CSRF-Token` with every change. Absent when
    /// signed in with an API token.
    pub csrf_token: Option<String>,
}

/// Accounts, by username.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserResponse>,
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    #[schema(example = "js.officer")]
    pub username: String,
    pub display_name: String,
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
    /// At least 12 characters; omit for an account that signs in only with API tokens.
    pub password: Option<String>,
    /// The account's first roles; each must lie within the caller's administration.
    #[serde(default)]
    pub roles: Vec<AssignmentBody>,
}

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: String,
    pub owner: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A newly created API token: the only response that shows its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    #[serde(flatten)]
    pub token: TokenResponse,
    /// Send as `Authorization: Bearer <secret>`. Shown once; only its hash is stored.
    pub secret: String,
}

/// The caller's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenResponse>,
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// What the token is for, e.g. the script that uses it.
    #[schema(example = "monthly report upload")]
    pub name: String,
}

fn user_response(user: &User) -> UserResponse {
    UserResponse {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        lang: user.lang.code().to_owned(),
        disabled: user.disabled,
        has_password: user.has_password,
        roles: user
            .assignments
            .iter()
            .map(|a| AssignmentBody {
                role: a.role().name().to_owned(),
                scope: a.scope().to_string(),
            })
            .collect(),
    }
}

fn token_response(token: &TokenInfo) -> TokenResponse {
    TokenResponse {
        id: token.id.clone(),
        owner: token.username.clone(),
        name: token.name.clone(),
        created_at: token.created_at,
        revoked_at: token.revoked_at,
    }
}

fn parse_assignment(field: &str, role: &str, scope: &str) -> Result<Assignment, FieldError> {
    let role: Role = role.parse().map_err(|e| FieldError::new(field, e))?;
    let scope: Scope = scope.parse().map_err(|e| FieldError::new(field, e))?;
    Assignment::new(role, scope).map_err(|e| FieldError::new(field, e))
}

async fn account(
    state: &AppState,
    principal: &Principal,
    username: &str,
) -> Result<User, ApiError> {
    let user = state
        .store()
        .user(username)
        .await?
        .ok_or_else(|| ApiError::not_found("user", username))?;
    principal.require(
        Action::Read,
        &Target::Account {
            username: &user.username,
            assignments: &user.assignments,
        },
        &format!("user {username:?}"),
    )?;
    Ok(user)
}

/// The caller's account and roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
    )
)]
pub async fn get_me(principal: Principal) -> Result<Response, ApiError> {
    let signed_in = principal.signed_in()?;
    let body = MeResponse {
        user: user_response(&signed_in.user),
        csrf_token: match &signed_in.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
            Credential::Token => None,
        },
    };
    Ok(json_response(&body, None))
}

/// The accounts the caller may see: all for auditors and region-wide administrators, those
/// within their jurisdiction for a jurisdiction's administrator, else only their own.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "accounts",
    responses(
        (status = 200, body = UserList),
        (status = 401, description = "Not signed in", body = ProblemResponse),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    principal.signed_in()?;
    let actor = principal.actor();
    let items = state
        .store()
        .users()
        .await?
        .iter()
        .filter(|u| {
            yrd_domain::access::decide(
                actor.as_ref(),
                Action::Read,
                &Target::Account {
                    username: &u.username,
                    assignments: &u.assignments,
                },
            )
            .is_allowed()
        })
        .map(user_response)
        .collect();
    Ok(json_response(&UserList { items }, None))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/users/{username}",
    tag = "accounts",
    params(("username" = String, Path)),
    responses(
        (status = 200, body = UserResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 404, description = "No such account, or not one the caller may see", body = ProblemResponse),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let user = account(&state, &principal, &username).await?;
    Ok(json_response(&user_response(&user), None))
}

/// Creates an account with its first roles. The caller must administer every role's scope.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "accounts",
    request_body = NewUserBody,
    responses(
        (status = 201, body = UserResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not an administrator of these roles' scopes", body = ProblemResponse),
        (status = 409, description = "The username is taken", body = ProblemResponse),
        (status = 422, description = "A field is invalid", body = ProblemResponse),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let lang = match body.lang.as_deref() {
        None | Some("zh") => Lang::Zh,
        Some("en") => Lang::En,
        Some(other) => {
            errors.push(FieldError::new(
                "lang",
                format!("{other:?} is not zh or en"),
            ));
            Lang::Zh
        }
    };
    if let Some(password) = &body.password
        && password.chars().count() < MIN_PASSWORD_CHARS
    {
        errors.push(FieldError::new(
            "password",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let mut roles = Vec::new();
    for (i, role) in body.roles.iter().enumerate() {
        match parse_assignment(&format!("roles[{i}]"), &role.role, &role.scope) {
            Ok(a) => roles.push(a),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    principal.require(
        Action::ManageAccount,
        &Target::Account {
            username: &body.username,
            assignments: &roles,
        },
        "user",
    )?;
    for role in &roles {
        principal.require(Action::Grant, &Target::Assignment(role), "role")?;
    }
    // Allowed above, so signed in.
    let author = principal.author()?;
    let password_hash = match body.password {
        Some(password) => Some(
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let user = state
        .store()
        .create_user(
            &author,
            &NewUser {
                username: body.username,
                display_name: body.display_name,
                lang,
                password_hash,
            },
            &roles,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        json_response(&user_response(&user), None),
    )
        .into_response())
}

/// Grants a role. The caller must administer the role's scope and every role the account
/// already holds.
#[utoipa::path(
    post,
    path = "/api/v1/users/{username}/roles",
    tag = "accounts",
    params(("username" = String, Path)),
    request_body = AssignmentBody,
    responses(
        (status = 200, description = "The account after the grant", body = UserResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the account's administrator", body = ProblemResponse),
        (status = 404, description = "No such account", body = ProblemResponse),
        (status = 422, description = "Unknown role or scope", body = ProblemResponse),
    )
)]
pub async fn grant_role(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
    JsonBody(body): JsonBody<AssignmentBody>,
) -> Result<Response, ApiError> {
    let assignment = parse_assignment("role", &body.role, &body.scope)
        .map_err(|e| ApiError::Unprocessable(vec![e]))?;
    let user = account(&state, &principal, &username).await?;
    let mut after = user.assignments.clone();
    after.push(assignment.clone());
    principal.require(
        Action::ManageAccount,
        &Target::Account {
            username: &user.username,
            assignments: &after,
        },
        &format!("user {username:?}"),
    )?;
    principal.require(Action::Grant, &Target::Assignment(&assignment), "role")?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    state.store().grant(&author, &username, &assignment).await?;
    let user = account(&state, &principal, &username).await?;
    Ok(json_response(&user_response(&user), None))
}

/// Revokes a role, written as in the grant: `/roles/member_officer/jurisdiction:320000`.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/roles/{role}/{scope}",
    tag = "accounts",
    params(("username" = String, Path), ("role" = String, Path), ("scope" = String, Path)),
    responses(
        (status = 204, description = "Revoked (or was not held)"),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the account's administrator", body = ProblemResponse),
        (status = 404, description = "No such account", body = ProblemResponse),
    )
)]
pub async fn revoke_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((username, role, scope)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let assignment =
        parse_assignment("role", &role, &scope).map_err(|e| ApiError::Unprocessable(vec![e]))?;
    let user = account(&state, &principal, &username).await?;
    principal.require(
        Action::ManageAccount,
        &Target::Account {
            username: &user.username,
            assignments: &user.assignments,
        },
        &format!("user {username:?}"),
    )?;
    principal.require(Action::Revoke, &Target::Assignment(&assignment), "role")?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    state
        .store()
        .revoke(&author, &username, &assignment)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    responses(
        (status = 200, body = TokenList),
        (status = 401, description = "Not signed in", body = ProblemResponse),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let me = &principal.signed_in()?.user;
    let items = state
        .store()
        .tokens(&me.username)
        .await?
        .iter()
        .map(token_response)
        .collect();
    Ok(json_response(&TokenList { items }, None))
}

/// Creates an API token for the caller. The response is the only place its secret appears.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "accounts",
    request_body = NewTokenBody,
    responses(
        (status = 201, body = NewTokenResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 422, description = "A field is invalid", body = ProblemResponse),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<Response, ApiError> {
    let me = &principal.signed_in()?.user;
    principal.require(
        Action::CreateToken,
        &Target::Token {
            owner: &me.username,
            owner_assignments: &me.assignments,
        },
        "token",
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    let (info, secret) = state
        .store()
        .create_token(&author, &me.username, &body.name)
        .await?;
    let body = NewTokenResponse {
        token: token_response(&info),
        secret,
    };
    Ok((StatusCode::CREATED, json_response(&body, None)).into_response())
}

/// Revokes an API token: the caller's own, or one of an account the caller administers.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "accounts",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Revoked (or was already)"),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Neither the owner nor their administrator", body = ProblemResponse),
        (status = 404, description = "No such token, or not one the caller may see", body = ProblemResponse),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = state.store();
    let token = store
        .token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("token", &id))?;
    let owner = store
        .user(&token.username)
        .await?
        .ok_or_else(|| ApiError::not_found("token", &id))?;
    let target = Target::Token {
        owner: &owner.username,
        owner_assignments: &owner.assignments,
    };
    principal.require(Action::Read, &target, &format!("token {id:?}"))?;
    principal.require(Action::RevokeToken, &target, &format!("token {id:?}"))?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    store.revoke_token(&author, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
