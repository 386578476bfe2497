//! `yrd user …`: accounts and the roles they hold.
//!
//! Passwords come from standard input (`--password-stdin`, its first line) or, at a terminal,
//! from a prompt that does not echo; they are never taken as arguments, where other users of
//! the machine and the shell's history would see them. yrd has no default password.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use yrd_domain::Lang;
use yrd_domain::access::{Assignment, Role, Scope};
use yrd_store::{MIN_PASSWORD_CHARS, NewUser, Store, User, hash_password, is_valid_username};

use super::{Database, author, store_error};

/// Shown under the help of the commands that take roles.
const ROLES_HELP: &str = "\
Roles, and the scopes each is held in:
  member_officer       jurisdiction:<code>              reports progress for one member
  member_coordinator   jurisdiction:<code>              also approves, records positions, signs
  office_staff         region, or body:<key>            drafts, verifies, publishes
  body_secretary       body:<key>                       records the meetings of one body
  administrator        region, or jurisdiction:<code>   manages accounts and roles
  auditor              region                           reads everything, the history included
A scope is written region, jurisdiction:<code> (e.g. jurisdiction:320000) or body:<key>.";

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, with its roles and password.
    ///
    /// Give each role as a pair, `--role ROLE --scope SCOPE`, repeated for more roles: the
    /// first --role is held in the first --scope, the second in the second, and so on.
    ///
    /// At a terminal the password is asked for twice without being shown; otherwise
    /// --password-stdin reads it from the first line of standard input. --no-password creates
    /// an account that acts only through API tokens (`yrd token create`).
    ///
    /// The first administrator of a new deployment:
    ///
    ///   yrd user add admin --name "Administrator" --role administrator --scope region
    ///   --password-stdin
    #[command(after_help = ROLES_HELP)]
    Add(AddArgs),
    /// Grant a role, held in a scope, to an account.
    #[command(after_help = ROLES_HELP)]
    Grant(RoleArgs),
    /// Revoke a role from an account.
    #[command(after_help = ROLES_HELP)]
    Revoke(RoleArgs),
    /// List every account with its language and roles.
    List,
    /// Set an account's password; its signed-in sessions end.
    ///
    /// At a terminal the password is asked for twice without being shown; otherwise
    /// --password-stdin reads it from the first line of standard input.
    Password {
        /// The account's username.
        username: String,
        /// Read the password from the first line of standard input when it is not a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The username: 2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter
    /// or digit.
    pub username: String,
    /// The name shown for the account, e.g. "Wang Fang".
    #[arg(long, value_name = "DISPLAY_NAME")]
    pub name: String,
    /// The language the account reads yrd in.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
    /// A role to grant (see below); pair each with a --scope.
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Where the --role in the same position is held: region, jurisdiction:<code> or
    /// body:<key>.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Read the password from the first line of standard input when it is not a terminal.
    #[arg(long, conflicts_with = "no_password")]
    pub password_stdin: bool,
    /// Create the account without a password: it acts only through API tokens.
    #[arg(long)]
    pub no_password: bool,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The account's username.
    pub username: String,
    /// The role, e.g. member_officer (see below).
    pub role: String,
    /// Where the role is held: region, jurisdiction:<code> or body:<key>.
    pub scope: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Simplified Chinese.
    Zh,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

pub async fn run(database: &Database, command: UserCommand) -> anyhow::Result<ExitCode> {
    // Everything the command line alone can reject is rejected before the database is opened.
    match command {
        UserCommand::Add(args) => {
            let assignments = assignments(&args.roles, &args.scopes)?;
            if !is_valid_username(&args.username) {
                bail!(
                    "username {:?}: use 2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
                    args.username
                );
            }
            if args.name.trim().is_empty() {
                bail!("--name: the account needs a display name");
            }
            let store = open(database).await?;
            if store.user(&args.username).await?.is_some() {
                bail!("the username {:?} is taken", args.username);
            }
            let password_hash = if args.no_password {
                None
            } else {
                let password = read_password(args.password_stdin, &args.username)?;
                Some(hash(password).await?)
            };
            let new = NewUser {
                username: args.username,
                display_name: args.name.trim().to_owned(),
                lang: args.lang.into(),
                password_hash,
            };
            let user = store
                .create_user(&author("user add"), &new, &assignments)
                .await
                .map_err(store_error)?;
            store.close().await;
            println!(
                "created {} ({}){}, with {}",
                user.username,
                user.display_name,
                if user.has_password {
                    ""
                } else {
                    ", token-only"
                },
                describe_roles(&user.assignments)
            );
        }
        UserCommand::Grant(args) => {
            let assignment = assignment(&args.role, &args.scope)?;
            let store = open(database).await?;
            let granted = store
                .grant(&author("user grant"), &args.username, &assignment)
                .await
                .map_err(store_error)?;
            store.close().await;
            if granted {
                println!("granted {assignment} to {}", args.username);
            } else {
                println!(
                    "{} already holds {assignment}: nothing changed",
                    args.username
                );
            }
        }
        UserCommand::Revoke(args) => {
            let assignment = assignment(&args.role, &args.scope)?;
            let store = open(database).await?;
            existing(&store, &args.username).await?;
            let revoked = store
                .revoke(&author("user revoke"), &args.username, &assignment)
                .await
                .map_err(store_error)?;
            store.close().await;
            if revoked {
                println!("revoked {assignment} from {}", args.username);
            } else {
                println!(
                    "{} does not hold {assignment}: nothing changed",
                    args.username
                );
            }
        }
        UserCommand::List => {
            let store = open(database).await?;
            let users = store.users().await?;
            store.close().await;
            list(&users);
        }
        UserCommand::Password {
            username,
            password_stdin,
        } => {
            let store = open(database).await?;
            existing(&store, &username).await?;
            let password = read_password(password_stdin, &username)?;
            let password_hash = hash(password).await?;
            store
                .set_password(&author("user password"), &username, &password_hash)
                .await
                .map_err(store_error)?;
            store.close().await;
            println!("set the password of {username}; its sessions have ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn open(database: &Database) -> anyhow::Result<Store> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

async fn existing(store: &Store, username: &str) -> anyhow::Result<User> {
    match store.user(username).await? {
        Some(user) => Ok(user),
        None => bail!("user {username:?} does not exist"),
    }
}

/// One role held in one scope, from the words of the command line.
fn assignment(role: &str, scope: &str) -> anyhow::Result<Assignment> {
    let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!("{e}"))?;
    let scope: Scope = scope
        .parse()
        .map_err(|e: String| anyhow::anyhow!("scope {scope:?}: {e}"))?;
    Assignment::new(role, scope).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The `--role`/`--scope` pairs, in order.
fn assignments(roles: &[String], scopes: &[String]) -> anyhow::Result<Vec<Assignment>> {
    if roles.len() != scopes.len() {
        bail!(
            "{} --role but {} --scope: give each --role its own --scope, e.g. --role member_officer --scope jurisdiction:320000",
            roles.len(),
            scopes.len()
        );
    }
    roles
        .iter()
        .zip(scopes)
        .map(|(role, scope)| assignment(role, scope))
        .collect()
}

/// The password, from a prompt at a terminal or from standard input, checked for length.
///
/// At a terminal the password is always asked for twice without echo, --password-stdin or
/// not, so that typing it never shows it on the screen.
fn read_password(from_stdin: bool, username: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("New password for {username}: "))
            .context("reading the password")?;
        let again =
            rpassword::prompt_password("The same again: ").context("reading the password")?;
        if password != again {
            bail!("the two passwords differ");
        }
        password
    } else if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        if password.is_empty() {
            bail!("--password-stdin: standard input holds no password");
        }
        password
    } else {
        bail!(
            "no password: standard input is not a terminal, so give the password on it with --password-stdin (or use --no-password for an account that acts only through API tokens)"
        );
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password is too short: it needs at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(password)
}

/// Hashes on a blocking thread: argon2id takes a noticeable moment by design.
async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("hashing the password")
}

fn describe_roles(assignments: &[Assignment]) -> String {
    if assignments.is_empty() {
        "no roles".to_owned()
    } else {
        roles(assignments)
    }
}

fn roles(assignments: &[Assignment]) -> String {
    assignments
        .iter()
        .map(|a| format!("{} {}", a.role(), a.scope()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(users: &[User]) {
    if users.is_empty() {
        println!("no accounts yet");
        return;
    }
    let username_width = users
        .iter()
        .map(|u| u.username.chars().count())
        .max()
        .unwrap_or(0)
        .max("USERNAME".len());
    let name_width = users
        .iter()
        .map(|u| width(&u.display_name))
        .max()
        .unwrap_or(0)
        .max("NAME".len());
    println!(
        "{:<username_width$}  {}  LANG  PASSWORD  ROLES",
        "USERNAME",
        pad("NAME", name_width)
    );
    for user in users {
        let mut roles = roles(&user.assignments);
        if user.disabled {
            roles = format!("(disabled) {roles}");
        }
        println!(
            "{:<username_width$}  {}  {:<4}  {:<8}  {}",
            user.username,
            pad(&user.display_name, name_width),
            match user.lang {
                Lang::Zh => "zh",
                Lang::En => "en",
            },
            if user.has_password { "set" } else { "none" },
            if roles.is_empty() { "-" } else { &roles }
        );
    }
}

/// Columns a terminal gives the text: two for each CJK or full-width character.
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_pair_with_scopes_in_order() {
        let pairs = assignments(
            &["member_officer".into(), "auditor".into()],
            &["jurisdiction:320000".into(), "region".into()],
        )
        .unwrap();
        assert_eq!(
            roles(&pairs),
            "member_officer jurisdiction:320000, auditor region"
        );
        let unpaired = assignments(&["auditor".into()], &[]).unwrap_err();
        assert!(unpaired.to_string().contains("--scope"), "{unpaired}");
        let mismatched = assignment("auditor", "jurisdiction:320000").unwrap_err();
        assert!(mismatched.to_string().contains("auditor"), "{mismatched}");
    }

    #[test]
    fn chinese_names_take_two_columns_a_character() {
        assert_eq!(width("王芳"), 4);
        assert_eq!(pad("王芳", 6), "王芳  ");
        assert_eq!(pad("Ann", 5), "Ann  ");
    }
}
