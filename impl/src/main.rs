//! The `rollcall` command: run the presence server, or prepare its configuration.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use rollcall::config::Config;
use tracing_subscriber::EnvFilter;

/// rollcall: who is online right now. A presence server that speaks the deepstream protocol,
/// so the official deepstream JavaScript client (`@deepstream/client`) works unchanged.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server. With no options it listens on 127.0.0.1:6020 with open authentication
    /// (any username, anonymous allowed) and everyone seeing everyone.
    ///
    /// Clients connect with WebSockets to ws://HOST:PORT/deepstream; GET /health-check on the
    /// same port answers 200. SIGINT or SIGTERM closes every connection and exits 0.
    /// Once listening, the address is printed to standard output as "listening on HOST:PORT";
    /// logs go to standard error.
    Serve(ServeArgs),
    /// Read a password from standard input and print its argon2id hash, for the users file of
    /// `auth.type = "file"` (`[users.NAME] password_hash = "..."`).
    HashPassword,
    /// Check a configuration file and print the configuration it results in.
    CheckConfig {
        /// The TOML configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file; every key is optional (see the README for all of them).
    #[arg(short, long, value_name = "FILE", env = "ROLLCALL_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, overriding `server.host`. Loopback by default; use 0.0.0.0 to
    /// accept connections from other machines.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// Port to listen on, overriding `server.port` (default 6020; 0 picks a free port).
    #[arg(short, long, value_name = "PORT")]
    port: Option<u16>,
    /// Client ping interval in milliseconds, overriding `connection.heartbeat_interval_ms`.
    /// A connection silent for twice this long is closed and counts as a logout.
    #[arg(long, value_name = "MS")]
    heartbeat_interval_ms: Option<u64>,
    /// Time allowed between connecting and logging in, in milliseconds, overriding
    /// `connection.unauthenticated_timeout_ms`.
    #[arg(long, value_name = "MS")]
    unauthenticated_timeout_ms: Option<u64>,
    /// Refuse logins without a username (only with the default `auth.type = "none"`).
    #[arg(long)]
    no_anonymous: bool,
    /// Log level: error, warn, info, debug or trace; or a tracing filter such as
    /// "rollcall=debug". RUST_LOG, when set, takes precedence.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: String,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::HashPassword => hash_password(),
        Command::CheckConfig { config } => {
            let config = Config::load(&config)?;
            println!("{config:#?}");
            Ok(())
        }
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.is_empty() => EnvFilter::try_new(filter),
        _ => EnvFilter::try_new(&args.log_level),
    }
    .context("invalid log level")?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();

    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(host) = args.host {
        config.server.host = host;
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    if let Some(ms) = args.heartbeat_interval_ms {
        config.connection.heartbeat_interval_ms = ms;
    }
    if let Some(ms) = args.unauthenticated_timeout_ms {
        config.connection.unauthenticated_timeout_ms = ms;
    }
    if args.no_anonymous {
        match &mut config.auth {
            rollcall::config::AuthConfig::None { allow_anonymous } => *allow_anonymous = false,
            _ => bail!("--no-anonymous applies to auth.type = \"none\" only"),
        }
    }
    config.check()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = rollcall::server::start(config).await?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on {}", server.local_addr())?;
        stdout.flush()?;
        shutdown_signal().await?;
        tracing::info!("signal received: shutting down");
        server.shutdown().await?;
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}

fn hash_password() -> Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("empty password: type one on standard input");
    }
    println!("{}", rollcall::auth::hash_password(password)?);
    Ok(())
}
