//! `bucketflow`: a self-hosted COS object store with the CI media-workflow service.

mod app;
mod ci;
mod config;
mod cos;
mod error;
mod header_case;
mod http;
mod inspect_cmd;
mod router;
mod server;
mod triggers;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bucketflow",
    version,
    about = "Self-hosted COS object storage with CI workflows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the COS/CI server.
    Serve {
        /// Address to listen on (default 127.0.0.1:9000).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
        /// Directory for metadata and object data (default ./bucketflow-data).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// TOML configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Check files for data hidden in images, as the ImageInspect node does.
    Inspect {
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
        /// Files to inspect.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            config,
        } => {
            let flags = config::FlagLayer {
                config,
                listen,
                data_dir,
            };
            server::run(flags)
        }
        Command::Inspect { json, files } => inspect_cmd::run(json, &files),
    }
}
