//! `sift serve`: the labeling UI and API over HTTP for one project, with the project's
//! background learner when `learn.every` is set; stops on Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::ProjectArg;
use crate::output::{self, Out};

/// `sift serve`'s options beyond the project.
#[derive(Debug)]
pub(crate) struct ServeOptions {
    pub(crate) host: std::net::IpAddr,
    pub(crate) port: u16,
    pub(crate) ui: Option<PathBuf>,
    pub(crate) tls: Option<sift_server::TlsFiles>,
    pub(crate) insecure_http: bool,
    pub(crate) allow_host: Vec<String>,
}

pub(crate) fn serve(project: ProjectArg, opts: ServeOptions, out: &Out) -> anyhow::Result<()> {
    let host = opts.host;
    if !host.is_loopback() && opts.insecure_http {
        output::stderr(&format!(
            "warning: listening on {host} over plain HTTP: anyone who can reach this machine can reach Sift, \
             and tokens and work cross the network unencrypted; use this on a trusted network only.\n"
        ));
    }
    let ui_dir = opts.ui.or_else(sift_server::default_ui_dir);
    if ui_dir.is_none() {
        output::stderr("warning: the labeling UI is not built (run `make ui`); serving the API only\n");
    }
    // The project's `learn.every` setting: retrain in the background while people label.
    let every = sift_api::learn::every_setting(&crate::open(&project)?)?;
    let _learner = match every {
        Some(every) => Some(crate::learn::background(&project.project, every)?),
        None => None,
    };
    // Backup on: every commit of the server wakes the shipper (docs/backup.md).
    let shipper = crate::backup::start_shipper(&project.project)?;
    let mut config = sift_server::ServerConfig::new(project.project, (host, opts.port).into());
    config.backup_signal = shipper.as_ref().map(sift_api::backup::Shipper::signal);
    config.ui_dir = ui_dir;
    config.tls = opts.tls;
    config.insecure_http = opts.insecure_http;
    config.allowed_hosts = opts.allow_host;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    runtime.block_on(async {
        let bound = sift_server::bind(&config).await?;
        let addr = bound.local_addr().context("cannot read the bound address")?;
        let scheme = if bound.is_tls() { "https" } else { "http" };
        out.serving(&format!("{scheme}://{addr}/"));
        bound.run(shutdown_signal()).await?;
        Ok::<(), anyhow::Error>(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a Ctrl-C listener the server keeps running until SIGTERM, rather than
            // stopping at once as an early return here would.
            output::stderr(&format!(
                "warning: Ctrl-C cannot be caught ({e}); stop the server with SIGTERM\n"
            ));
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
