//! `orbit-collector`: the command line. Parses flags and environment, loads the config,
//! and hands over to [`orbit_collector::server::serve`]; `rules check` lints a rule
//! document the way the collector does before saving one, and `rules compile` writes the
//! compiled form the browser reads.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Parsing and storing events allocates a little per field; glibc's allocator took a fifth
/// of the CPU under load, mimalloc much less (see the README's benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use orbit_collector::config::{
    parse_sites_env, ConfigError, RawConfig, RawHttp, RawLimits, RawRateLimits,
};
use orbit_collector::rules::check::MAX_RULES_DOCUMENT_BYTES;
use orbit_collector::rules::{check_document, Checked};
use orbit_core::rules::{Finding, Severity};

#[derive(Parser)]
#[command(name = "orbit-collector", version, about = "Orbit's event collector")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the ingest and export APIs, the SDK bundle and the demo site.
    Serve(Box<ServeArgs>),
    /// Rule documents (personalisation and experiments).
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Lint a rule document exactly as `PUT /v1/sites/{site}/rules` does, printing every
    /// finding as `PATH: severity: message`. Exit status: 0 when nothing is an error
    /// (warnings allowed), 1 when something is, 2 when FILE cannot be read.
    Check {
        /// The rule document (JSON); `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Compile a rule document for the browser: the tracker reads only compiled documents
    /// (inline in a page, or from `rules.json`). Lints like `check`; with no error, prints
    /// the compiled document (a JSON array, `<` written `\u003c`, ready for
    /// `<script type="application/json" id="orbit-rules">`) on stdout and exits 0. Findings
    /// go to stderr; with an error nothing is printed on stdout and the exit status is 1 (2
    /// when FILE cannot be read).
    Compile {
        /// The rule document (JSON); `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Reads at most one byte more than a document may have, so a huge file costs nothing.
fn read_document(file: &Path) -> std::io::Result<Vec<u8>> {
    let limit = MAX_RULES_DOCUMENT_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?
            .take(limit)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// FILE checked as the collector checks a saved document (a document over the size limit
/// is one error), or exit status 2 when it cannot be read, said on stderr.
fn check_file(file: &Path) -> Result<Checked, ExitCode> {
    let name = file.display();
    let bytes = read_document(file).map_err(|error| {
        eprintln!("error: cannot read {name}: {error}");
        ExitCode::from(2)
    })?;
    if bytes.len() > MAX_RULES_DOCUMENT_BYTES {
        return Ok(Checked {
            findings: vec![Finding {
                severity: Severity::Error,
                path: "$".into(),
                message: format!(
                    "the document is larger than {MAX_RULES_DOCUMENT_BYTES} bytes, the limit; \
                     split or shorten it"
                ),
            }],
            document: None,
        });
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        eprintln!("error: {name} is not UTF-8 text: {error}");
        ExitCode::from(2)
    })?;
    Ok(check_document(&text))
}

/// Every finding as `PATH: severity: message`, then `FILE: N errors, M warnings; VERDICT`.
fn report(out: &mut impl Write, file: &Path, checked: &Checked, verdict: &str) {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    // A closed stdout or stderr leaves nothing to tell; the exit status still says it.
    for finding in &checked.findings {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            finding.path,
            finding.severity.as_str(),
            finding.message
        );
    }
    let _ = writeln!(
        out,
        "{}: {}, {}; {verdict}",
        file.display(),
        count(checked.errors(), "error"),
        count(checked.warnings(), "warning")
    );
}

/// `rules check FILE`: the findings and a verdict on stdout; 1 when something is an error.
fn rules_check(file: &Path) -> ExitCode {
    let checked = match check_file(file) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let saved = checked.document.is_some();
    let verdict = if saved {
        "the collector would save it"
    } else {
        "the collector would refuse it"
    };
    report(&mut std::io::stdout(), file, &checked, verdict);
    if saved {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `rules compile FILE`: the compiled document on stdout, findings on stderr; with an
/// error, nothing on stdout and exit status 1.
fn rules_compile(file: &Path) -> ExitCode {
    let checked = match check_file(file) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let Some(document) = &checked.document else {
        report(&mut std::io::stderr(), file, &checked, "not compiled");
        return ExitCode::from(1);
    };
    if !checked.findings.is_empty() {
        report(&mut std::io::stderr(), file, &checked, "compiled");
    }
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", document.compiled).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the compiled document: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Every option can also come from the config file (same name, without dashes, `_` for `-`)
/// or the environment; flags win over the environment, which wins over the file.
#[derive(Args)]
struct ServeArgs {
    /// TOML config file with the keys below (listen, admin_token, storage, …), [[sites]]
    /// tables (id, write_key, allowed_origins, drop_bots) and [limits], [rate_limits] and
    /// [http] tables. Log level: ORBIT_LOG (error, warn, info, debug) [default: info].
    #[arg(long, env = "ORBIT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, env = "ORBIT_LISTEN", value_name = "IP:PORT")]
    listen: Option<String>,

    /// Bearer token for the admin APIs (export, leads, reports, rules, profiles); at least
    /// 16 characters. Generated and printed when not set.
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

    /// SQLite durability: `full` (an acknowledged event survives power loss) or `normal`
    /// (survives a crash of the collector, not of the machine) [default: full].
    #[arg(long, env = "ORBIT_DURABILITY", value_name = "MODE")]
    durability: Option<String>,

    /// Header from a trusted reverse proxy that holds the client address
    /// (X-Forwarded-For: its last entry is used); unset: the connection's address.
    #[arg(long, env = "ORBIT_CLIENT_IP_HEADER", value_name = "HEADER")]
    client_ip_header: Option<String>,

    /// Store client addresses whole; by default IPv4 is cut to /24 and IPv6 to /48.
    #[arg(long, env = "ORBIT_STORE_FULL_IP", value_name = "BOOL")]
    store_full_ip: Option<bool>,

    #[command(flatten)]
    limits: LimitArgs,

    #[command(flatten)]
    rates: RateArgs,

    #[command(flatten)]
    http: HttpArgs,
}

/// The `[limits]` table.
#[derive(Args)]
#[command(next_help_heading = "Limits ([limits] in the config file)")]
struct LimitArgs {
    /// Largest request body, after decompression [default: 512000].
    #[arg(long, env = "ORBIT_MAX_REQUEST_BYTES", value_name = "BYTES")]
    max_request_bytes: Option<usize>,
    /// Largest event [default: 32768].
    #[arg(long, env = "ORBIT_MAX_EVENT_BYTES", value_name = "BYTES")]
    max_event_bytes: Option<usize>,
    /// Most events in one batch [default: 2500].
    #[arg(long, env = "ORBIT_MAX_BATCH_EVENTS", value_name = "N")]
    max_batch_events: Option<usize>,
    /// Deepest nesting of objects and arrays in an event [default: 32].
    #[arg(long, env = "ORBIT_MAX_DEPTH", value_name = "N")]
    max_depth: Option<usize>,
    /// Longest string value in an event [default: 8192].
    #[arg(long, env = "ORBIT_MAX_STRING_BYTES", value_name = "BYTES")]
    max_string_bytes: Option<usize>,
    /// Most keys in one object of an event [default: 256].
    #[arg(long, env = "ORBIT_MAX_PROPERTIES", value_name = "N")]
    max_properties: Option<usize>,
    /// Oldest event accepted, in days before its arrival [default: 30].
    #[arg(long, env = "ORBIT_MAX_AGE_DAYS", value_name = "DAYS")]
    max_age_days: Option<u32>,
}

/// The `[rate_limits]` table; 0 turns a limit off.
#[derive(Args)]
#[command(next_help_heading = "Rate limits ([rate_limits] in the config file; 0 = off)")]
struct RateArgs {
    /// Ingest requests per second per client address [default: 100].
    #[arg(long, env = "ORBIT_CLIENT_REQUESTS_PER_SECOND", value_name = "RATE")]
    client_requests_per_second: Option<f64>,
    /// Requests a client may send at once [default: 1000].
    #[arg(long, env = "ORBIT_CLIENT_BURST", value_name = "N")]
    client_burst: Option<f64>,
    /// Events per second per site [default: 20000].
    #[arg(long, env = "ORBIT_SITE_EVENTS_PER_SECOND", value_name = "RATE")]
    site_events_per_second: Option<f64>,
    /// Events a site may send at once [default: 200000].
    #[arg(long, env = "ORBIT_SITE_BURST", value_name = "N")]
    site_burst: Option<f64>,
}

/// The `[http]` table.
#[derive(Args)]
#[command(next_help_heading = "HTTP ([http] in the config file)")]
struct HttpArgs {
    /// Seconds a client has to send its headers [default: 10].
    #[arg(long, env = "ORBIT_HEADER_TIMEOUT_SECONDS", value_name = "S")]
    header_timeout_seconds: Option<u64>,
    /// Seconds a client has to send its body [default: 30].
    #[arg(long, env = "ORBIT_BODY_TIMEOUT_SECONDS", value_name = "S")]
    body_timeout_seconds: Option<u64>,
    /// Seconds a whole request may take [default: 60].
    #[arg(long, env = "ORBIT_REQUEST_TIMEOUT_SECONDS", value_name = "S")]
    request_timeout_seconds: Option<u64>,
    /// Requests handled at once; more get 503 [default: 4096].
    #[arg(long, env = "ORBIT_MAX_CONCURRENT_REQUESTS", value_name = "N")]
    max_concurrent_requests: Option<usize>,
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
        durability: non_empty(args.durability),
        client_ip_header: non_empty(args.client_ip_header),
        store_full_ip: args.store_full_ip,
        limits: RawLimits {
            max_request_bytes: args.limits.max_request_bytes,
            max_event_bytes: args.limits.max_event_bytes,
            max_batch_events: args.limits.max_batch_events,
            max_depth: args.limits.max_depth,
            max_string_bytes: args.limits.max_string_bytes,
            max_properties: args.limits.max_properties,
            max_age_days: args.limits.max_age_days,
        },
        rate_limits: RawRateLimits {
            client_requests_per_second: args.rates.client_requests_per_second,
            client_burst: args.rates.client_burst,
            site_events_per_second: args.rates.site_events_per_second,
            site_burst: args.rates.site_burst,
        },
        http: RawHttp {
            header_timeout_seconds: args.http.header_timeout_seconds,
            body_timeout_seconds: args.http.body_timeout_seconds,
            request_timeout_seconds: args.http.request_timeout_seconds,
            max_concurrent_requests: args.http.max_concurrent_requests,
        },
    };
    file.overlay(overrides).validate()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORBIT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Rules(RulesCommand::Check { file }) => rules_check(&file),
        Command::Rules(RulesCommand::Compile { file }) => rules_compile(&file),
        Command::Serve(args) => {
            let config = match load_config(*args) {
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
