//! `sift serve`: the labeling UI and API over HTTP for one project, with the project's
//! background learner when `learn.every` is set; stops on Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::ProjectArg;
use crate::output::Out;

pub(crate) fn serve(
    project: ProjectArg,
    host: std::net::IpAddr,
    port: u16,
    ui: Option<PathBuf>,
    out: &Out,
) -> anyhow::Result<()> {
    if !host.is_loopback() {
        eprintln!(
            "warning: listening on {host}: anyone who can reach this machine can reach Sift. \
             Tokens protect every request, but traffic is not encrypted; use this on a trusted network only."
        );
    }
    let ui_dir = ui.or_else(sift_server::default_ui_dir);
    if ui_dir.is_none() {
        eprintln!("warning: the labeling UI is not built (run `make ui`); serving the API only");
    }
    // The project's `learn.every` setting: retrain in the background while people label.
    let every = sift_api::learn::every_setting(&crate::open(&project)?)?;
    let _learner = match every {
        Some(every) => Some(crate::learn::background(&project.project, every)?),
        None => None,
    };
    let config = sift_server::ServerConfig {
        project: project.project,
        addr: (host, port).into(),
        ui_dir,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    runtime.block_on(async {
        let bound = sift_server::bind(&config).await?;
        let addr = bound.local_addr().context("cannot read the bound address")?;
        out.serving(&format!("http://{addr}/"));
        bound.run(shutdown_signal()).await?;
        Ok::<(), anyhow::Error>(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a Ctrl-C listener the server keeps running until SIGTERM, rather than
            // stopping at once as an early return here would.
            eprintln!("warning: Ctrl-C cannot be caught ({e}); stop the server with SIGTERM");
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
