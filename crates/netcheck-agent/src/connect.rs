//! One way to reach the broker, for the agent and the hub alike: `nats://` or `tls://` URLs
//! (several, comma-separated, for a cluster), and credentials from a `.creds` file (JWT and
//! nkey), or a user with its password from the environment, or none when the broker asks none.
//! The connection reconnects on its own (async-nats) after a broker restart.

use std::path::Path;

use async_nats::{Client, ConnectOptions};

/// How to authenticate to the broker.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    #[default]
    None,
    /// A NATS `.creds` file (a user JWT and its nkey seed).
    File(std::path::PathBuf),
    /// A user and password (the password from NETCHECK_NATS_PASSWORD, never a flag).
    User { user: String, password: String },
}

/// Connects as `name` (shown in the broker's monitoring) to `urls`.
pub async fn connect(urls: &str, credentials: &Credentials, name: &str) -> Result<Client, String> {
    let options = match credentials {
        Credentials::None => ConnectOptions::new(),
        Credentials::File(path) => ConnectOptions::with_credentials_file(Path::new(path))
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        Credentials::User { user, password } => {
            ConnectOptions::with_user_and_password(user.clone(), password.clone())
        }
    };
    let servers: Vec<&str> = urls.split(',').map(str::trim).collect();
    options
        .name(name)
        .connection_timeout(std::time::Duration::from_secs(5))
        .connect(servers)
        .await
        .map_err(|e| format!("cannot connect to NATS at {urls}: {e}"))
}

/// How many times `client` has connected (the first time included): a change while a job or a
/// region runs means the connection broke and came back, and messages between may be lost.
pub fn connects(client: &Client) -> u64 {
    client
        .statistics()
        .connects
        .load(std::sync::atomic::Ordering::Relaxed)
}
