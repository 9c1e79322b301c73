//! The ceiling for `scripts/bench-collector`: the smallest axum server that does what an
//! ingest request must (read the whole body, answer a little JSON), with no parsing or
//! storage. The collector's figures are reported as a share of this one's.
//!
//! `bench_baseline [PORT]` listens on 127.0.0.1 (port 0, the default, picks a free one)
//! and prints `listening on http://ADDR` as its first line on stdout.

use std::net::{Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;

/// Answers like an ingest endpoint that accepted one event, after reading the body.
/// (Extracting `Bytes` reads the whole body; its content is not needed.)
async fn accept(_body: Bytes) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"accepted":1}"#,
    )
}

/// Serves `POST /` until killed, on the multi-thread runtime the collector also uses.
#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let port = match std::env::args().nth(1) {
        None => 0,
        Some(arg) => arg.parse::<u16>().map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the port must be a number from 0 to 65535, not {arg:?}: {error}"),
            )
        })?,
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    // The bench script reads the address from this first line.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/", post(accept))).await
}
