//! The `news-enricher` binary: command-line parsing, logging, signals and exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use news_enricher::config::Settings;
use news_enricher_core::dedup::SharedIndex;
use news_enricher_core::enrich::Enricher;
use news_enricher_core::pipeline::{Pipeline, StageSettings};

#[derive(Parser)]
#[command(
    name = "news-enricher",
    version,
    about = "Deduplicates, tags and enriches news articles from Kafka"
)]
struct Cli {
    /// Log format: `json` (default when stderr is not a terminal) or `text`.
    #[arg(long, env = "NEWS_ENRICHER_LOG_FORMAT", global = true)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

#[derive(Subcommand)]
enum Command {
    /// Consume raw articles from Kafka, publish enriched records (the production job).
    Run(Box<Settings>),
    /// Enrich files offline, no Kafka: JSON Lines or plain-text articles; `-` or nothing is stdin.
    Enrich(EnrichArgs),
    /// Re-enrich the input topic from a point in time (to another, or to its current end) and
    /// stop: updated records under the same keys. Takes `run`'s settings; use a group of its own.
    Replay(ReplayArgs),
    /// Run the worker against an in-process broker with bundled articles and print the results.
    /// The demo sets the broker, topics, group and endpoint itself; the other settings apply.
    Demo(Box<Settings>),
    /// Train a model from labelled data (the files it writes are compiled into the binary).
    #[command(subcommand)]
    Train(TrainCommand),
    /// Measure a stage against labelled data with the worker's own code.
    #[command(subcommand)]
    Eval(EvalCommand),
}

#[derive(Subcommand)]
enum TrainCommand {
    /// Train the entity tagger on a CoNLL file (token TAG per line).
    Ner {
        /// Training data, CoNLL format.
        #[arg(long)]
        conll: std::path::PathBuf,
        /// Development data to score the trained model on.
        #[arg(long)]
        dev: Option<std::path::PathBuf>,
        /// Where to write the model.
        #[arg(long, default_value = "crates/news-enricher-core/models/ner.bin")]
        out: std::path::PathBuf,
        /// Passes over the training data.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// Weights smaller than this (in perceptron updates) are dropped from the file.
        #[arg(long, default_value_t = 0.5)]
        prune: f32,
    },
    /// Fit the stance (target polarity) model on NewsMTSC JSON Lines.
    Stance {
        /// Training data, NewsMTSC JSON Lines.
        #[arg(long)]
        newsmtsc: std::path::PathBuf,
        /// Development data to score the fitted model on.
        #[arg(long)]
        dev: Option<std::path::PathBuf>,
        /// Where to write the model.
        #[arg(long, default_value = "crates/news-enricher-core/models/stance.bin")]
        out: std::path::PathBuf,
        /// Passes over the training data.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// AdaGrad learning rate.
        #[arg(long, default_value_t = 0.01)]
        learning_rate: f32,
        /// L2 regularisation strength.
        #[arg(long, default_value_t = 0.001)]
        l2: f32,
        /// Features seen in fewer training examples are ignored.
        #[arg(long, default_value_t = 2)]
        min_count: u32,
    },
    /// Fit the stance verdict model on annotated articles (the dev set's format).
    Verdict {
        /// Annotated articles, JSON Lines.
        #[arg(long, default_value = "data/train/stance-train.jsonl")]
        annotated: std::path::PathBuf,
        /// Where to write the model.
        #[arg(long, default_value = "crates/news-enricher-core/models/verdict.bin")]
        out: std::path::PathBuf,
        /// Print cross-validated scores over this many folds (by article) first; 0 skips.
        #[arg(long, default_value_t = 0)]
        folds: usize,
        /// Passes over the training data.
        #[arg(long, default_value_t = news_enricher_core::stance::verdict::train_settings().epochs)]
        epochs: usize,
        /// AdaGrad learning rate.
        #[arg(long, default_value_t = news_enricher_core::stance::verdict::train_settings().learning_rate)]
        learning_rate: f32,
        /// L2 regularisation strength.
        #[arg(long, default_value_t = news_enricher_core::stance::verdict::train_settings().l2)]
        l2: f32,
        /// Features seen in fewer training examples are ignored.
        #[arg(long, default_value_t = news_enricher_core::stance::verdict::train_settings().min_count)]
        min_count: u32,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Entity-level precision, recall and F1 for PER, ORG, LOC on a CoNLL file.
    Ner {
        /// CoNLL file: token TAG per line, blank line between sentences, -DOCSTART- allowed.
        #[arg(long)]
        conll: std::path::PathBuf,
        /// A model file instead of the bundled one.
        #[arg(long)]
        model: Option<std::path::PathBuf>,
    },
    /// Content-span precision, recall and F1 and speaker accuracy of claims against a
    /// hand-annotated attribution set (data/eval/attribution-dev.jsonl).
    Claims {
        /// Gold JSON Lines: one article per line with id, body and claims.
        #[arg(long)]
        gold: std::path::PathBuf,
        /// Score these predictions (JSON Lines of {id, claims, entities?}) instead of running
        /// the worker's stages.
        #[arg(long)]
        predictions: Option<std::path::PathBuf>,
    },
    /// Accuracy, per-class and macro F1 of the stance toward a target on NewsMTSC JSON Lines.
    Stance {
        /// NewsMTSC JSON Lines: sentence, target offsets, polarity 2/4/6.
        #[arg(long)]
        newsmtsc: std::path::PathBuf,
        /// A model file instead of the bundled one.
        #[arg(long)]
        model: Option<std::path::PathBuf>,
    },
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// Replay messages from this time on (RFC 3339, e.g. 2024-04-01T00:00:00Z).
    #[arg(long)]
    from: chrono::DateTime<chrono::Utc>,
    /// Replay messages before this time; default: up to the topic's end when replay starts.
    #[arg(long)]
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// The worker's settings, as for `run`.
    #[command(flatten)]
    settings: Box<Settings>,
}

#[derive(clap::Args)]
struct EnrichArgs {
    /// Input files; `-` or none reads standard input.
    files: Vec<String>,
    /// The worker's settings: `enrich` reads those of the pipeline (stages, limits, dedup) and
    /// ignores the Kafka worker's.
    #[command(flatten)]
    settings: Box<Settings>,
    /// Never show a progress bar.
    #[arg(long, env = "NEWS_ENRICHER_NO_PROGRESS")]
    no_progress: bool,
}

fn init_logging(format: Option<LogFormat>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format.unwrap_or(if terminal {
        LogFormat::Text
    } else {
        LogFormat::Json
    }) {
        LogFormat::Json => builder.json().with_current_span(false).init(),
        LogFormat::Text => builder.with_ansi(terminal).init(),
    }
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when
/// the future is first polled: a pod told to stop while it is still starting (checking topics,
/// initialising transactions, restoring the dedup window) must stop cleanly, not die of the
/// signal's default action. Must be called within the runtime.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let (term, int) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received"),
                _ = int.recv() => tracing::info!("SIGINT received"),
            },
            (Ok(mut term), Err(e)) => {
                tracing::error!(error = %e, "cannot listen for SIGINT; relying on SIGTERM");
                term.recv().await;
                tracing::info!("SIGTERM received");
            }
            (Err(e), Ok(mut int)) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; relying on SIGINT");
                int.recv().await;
                tracing::info!("SIGINT received");
            }
            (Err(e), Err(_)) => {
                tracing::error!(error = %e, "cannot listen for signals; stop the worker with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match real_main(cli.command) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "exiting with failure");
            eprintln!("news-enricher: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => {
            let cfg = args.resolve().context("invalid configuration")?;
            let rt = runtime()?;
            let summary = rt
                .block_on(async { news_enricher::kafka::run_worker(cfg, shutdown_signal()).await })
                .context("worker failed");
            // A start-up step interrupted by the shutdown may still be blocked in librdkafka
            // (metadata, transactions init); its result is not needed, so do not wait for it.
            rt.shutdown_background();
            let summary = summary?;
            eprintln!(
                "news-enricher: stopped: consumed {}, enriched {}, dead-lettered {}",
                summary.consumed, summary.produced, summary.dead_lettered
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Enrich(args) => enrich(args),
        Command::Replay(args) => {
            if let Some(to) = args.to {
                anyhow::ensure!(args.from < to, "--from must be before --to");
            }
            let cfg = args.settings.resolve().context("invalid configuration")?;
            let rt = runtime()?;
            let summary = rt
                .block_on(async {
                    news_enricher::kafka::replay::replay(cfg, args.from, args.to, shutdown_signal())
                        .await
                })
                .context("replay failed");
            rt.shutdown_background();
            let summary = summary?;
            let messages: i64 = summary.spans.values().map(|s| s.end - s.start).sum();
            eprintln!(
                "news-enricher replay: {messages} messages in range; consumed {}, enriched {}, \
                 dead-lettered {}",
                summary.worker.consumed, summary.worker.produced, summary.worker.dead_lettered
            );
            Ok(if summary.worker.clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Train(TrainCommand::Ner {
            conll,
            dev,
            out,
            epochs,
            prune,
        }) => {
            news_enricher::eval::train_ner(
                &conll,
                dev.as_deref(),
                &out,
                epochs,
                prune,
                &mut std::io::stderr(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Ner { conll, model }) => {
            news_enricher::eval::eval_ner(&conll, model.as_deref(), &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(TrainCommand::Stance {
            newsmtsc,
            dev,
            out,
            epochs,
            learning_rate,
            l2,
            min_count,
        }) => {
            news_enricher::eval::train_stance(
                &newsmtsc,
                dev.as_deref(),
                &out,
                news_enricher_core::stance::polarity::TrainSettings {
                    epochs,
                    learning_rate,
                    l2,
                    min_count,
                    ..Default::default()
                },
                &mut std::io::stderr(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(TrainCommand::Verdict {
            annotated,
            out,
            folds,
            epochs,
            learning_rate,
            l2,
            min_count,
        }) => {
            news_enricher::eval::train_verdict(
                &annotated,
                &out,
                news_enricher_core::stance::polarity::TrainSettings {
                    epochs,
                    learning_rate,
                    l2,
                    min_count,
                    ..news_enricher_core::stance::verdict::train_settings()
                },
                folds,
                &mut std::io::stderr(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Claims { gold, predictions }) => {
            let source = match predictions.as_deref() {
                Some(p) => news_enricher::eval::ClaimSource::File(p),
                None => news_enricher::eval::ClaimSource::Worker,
            };
            news_enricher::eval::eval_claims(&gold, source, &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Stance { newsmtsc, model }) => {
            news_enricher::eval::eval_stance(&newsmtsc, model.as_deref(), &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(settings) => {
            let (enriched, dead) = runtime()?.block_on(news_enricher::demo::run(*settings))?;
            eprintln!("news-enricher demo: {enriched} enriched, {dead} dead-lettered");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn enrich(args: EnrichArgs) -> anyhow::Result<ExitCode> {
    let cfg = args
        .settings
        .resolve_pipeline()
        .context("invalid configuration")?;
    let pipeline = Pipeline::from_kinds(
        &cfg.stages,
        &StageSettings::with_index(SharedIndex::new(cfg.dedup)),
    );
    let enricher =
        Enricher::new(pipeline, cfg.limits, cfg.max_output_bytes).with_policy(cfg.dedup_policy);
    let files = if args.files.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.files
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let s = news_enricher::offline::run(&files, &enricher, &mut out, &mut err, progress)?;
    eprintln!(
        "news-enricher enrich: {} enriched ({} duplicates), {} failed, {} unreadable inputs",
        s.enriched, s.duplicates, s.failed, s.unreadable
    );
    Ok(if s.failed + s.unreadable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
