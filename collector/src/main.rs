//! `orbit-collector`: the command line. Parses flags and environment, loads the config,
//! and hands over to [`orbit_collector::server::serve`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use orbit_collector::config::{parse_sites_env, ConfigError, RawConfig};

#[derive(Parser)]
#[command(name = "orbit-collector", version, about = "Orbit's event collector")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the ingest and export APIs, the SDK bundle and the demo site.
    Serve(ServeArgs),
}

/// Every option can also come from the config file (same name, without dashes, `_` for `-`)
/// or the environment; flags win over the environment, which wins over the file.
#[derive(Args)]
struct ServeArgs {
    /// TOML config file with listen, admin_token, storage, sdk_dir, site_dir and [[sites]]
    /// tables (id, write_key, allowed_origins).
    #[arg(long, env = "ORBIT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, env = "ORBIT_LISTEN", value_name = "IP:PORT")]
    listen: Option<String>,

    /// Bearer token for the read APIs (export); at least 16 characters. Generated and
    /// printed when not set.
    #[arg(
        long,
        env = "ORBIT_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,

    /// Where events are stored [default: sqlite://data/orbit.db].
    #[arg(long, env = "ORBIT_STORAGE", value_name = "URL")]
    storage: Option<String>,

    /// The SDK bundle served under /sdk/ [default: sdk-wasm/dist].
    #[arg(long, env = "ORBIT_SDK_DIR", value_name = "DIR")]
    sdk_dir: Option<PathBuf>,

    /// The static site served at / [default: demo-site].
    #[arg(long, env = "ORBIT_SITE_DIR", value_name = "DIR")]
    site_dir: Option<PathBuf>,

    /// Sites as `id:write_key:origin1,origin2;id2:key2:*`; replaces the file's [[sites]].
    /// Without any site, a demo site (id demo, write key demo-write-key) is used.
    #[arg(long, env = "ORBIT_SITES", value_name = "SITES")]
    sites: Option<String>,
}

fn non_empty<T: AsRef<std::ffi::OsStr>>(value: Option<T>) -> Option<T> {
    value.filter(|v| !v.as_ref().is_empty())
}

fn load_config(args: ServeArgs) -> Result<orbit_collector::config::Config, ConfigError> {
    let file = match non_empty(args.config) {
        Some(path) => RawConfig::from_file(&path)?,
        None => RawConfig::default(),
    };
    let sites = match non_empty(args.sites) {
        Some(text) => parse_sites_env(&text)?,
        None => Vec::new(),
    };
    let overrides = RawConfig {
        listen: non_empty(args.listen),
        admin_token: non_empty(args.admin_token),
        storage: non_empty(args.storage),
        sdk_dir: non_empty(args.sdk_dir),
        site_dir: non_empty(args.site_dir),
        sites,
    };
    file.overlay(overrides).validate()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Serve(args) => {
            let config = match load_config(args) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::from(2);
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("error: cannot start the async runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(orbit_collector::server::serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
