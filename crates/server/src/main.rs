//! `bucketflow`: a self-hosted COS object store with the CI media-workflow service.

mod app;
mod callbacks_cmd;
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
    /// Inspect and re-send workflow callbacks.
    Callbacks {
        #[command(subcommand)]
        command: CallbacksCommand,
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

#[derive(Subcommand)]
enum CallbacksCommand {
    /// List deliveries, newest first, one JSON object per line.
    List {
        #[arg(long, value_name = "DIR", default_value = "bucketflow-data")]
        data_dir: PathBuf,
        /// failed, pending, sending, delivered or all.
        #[arg(long, default_value = "failed")]
        state: String,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Queue failed deliveries again (all of them when no id is given).
    Retry {
        #[arg(long, value_name = "DIR", default_value = "bucketflow-data")]
        data_dir: PathBuf,
        ids: Vec<String>,
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
        Command::Callbacks { command } => match command {
            CallbacksCommand::List {
                data_dir,
                state,
                limit,
            } => callbacks_cmd::list(&data_dir, &state, limit),
            CallbacksCommand::Retry { data_dir, ids } => callbacks_cmd::retry(&data_dir, &ids),
        },
    }
}
