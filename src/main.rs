//! The `handspun` command line. Thin: it parses arguments and calls the
//! library (`handspun::workloads` runs things, `handspun::report` shows them).
//!
//! - `handspun compare`: every workload under every model, as a table, with
//!   optional JSON, SVG chart, sweep and trace;
//! - `handspun serve`: the slow-site server alone;
//! - `handspun download`: fetch URLs with one model;
//! - `handspun lab`: score schedulers on standard scenarios, in virtual time.
//!
//! Bad arguments exit with status 2 and a message saying what to type
//! instead (clap's usage errors do that; our own value parsers feed it).

#![forbid(unsafe_code)]

mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use handspun::report::{json::JsonReport, summary, table};
use handspun::workloads::{self, CompareConfig, Model, Workload};

/// Concurrency runtimes built by hand, compared on the same work.
#[derive(Debug, Parser)]
#[command(name = "handspun", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every workload under every model and compare them.
    ///
    /// Prints a table and a few sentences explaining it. Exit status 1 if
    /// any job failed (each failure is in the JSON with its error).
    Compare(CompareArgs),
    /// Run the slow-site server alone until SIGINT or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Most connections held at once (default: what the file-descriptor
        /// limit allows, raised to its hard limit at start).
        #[arg(long, value_name = "N", value_parser = parse_positive, allow_negative_numbers = true)]
        max_connections: Option<usize>,
        /// Which runtime serves: one event loop on one thread; one loop per
        /// core, each with its own listener on the address; or the
        /// work-stealing runtime, its workers sharing one listener.
        #[arg(long, value_enum, default_value = "single")]
        runtime: ServeRuntime,
        /// How many threads `--runtime per-core` or `stealing` runs (default:
        /// one per core).
        #[arg(long, value_name = "N", value_parser = parse_positive, allow_negative_numbers = true)]
        threads: Option<usize>,
        #[command(flatten)]
        tls: ServeTls,
    },
    /// Download URLs with one model, as the tutorial's scripts do.
    ///
    /// Prints `Read N from URL` per page and `Downloaded M in S seconds`.
    /// Exit status 1 if any download failed.
    Download(DownloadArgs),
    /// Score event-loop schedulers on standard scenarios, in virtual time.
    ///
    /// Every figure is exact and the same on every machine: the scenarios
    /// run on the simulated loop, where work moves a virtual clock.
    Lab(LabArgs),
}

#[derive(Debug, clap::Args)]
struct LabArgs {
    /// A scheduler to run (repeatable; default: every built-in):
    /// oldest-ready, newest-ready, priority, fair-share, random, pct.
    #[arg(long = "scheduler", value_name = "NAME", value_parser = parse_lab_scheduler)]
    schedulers: Vec<String>,
    /// A scenario to run (repeatable; default: all): mixed, fan-out,
    /// greedy, priority-inversion, io-burst, timers.
    #[arg(long = "scenario", value_name = "NAME", value_parser = parse_lab_scenario)]
    scenarios: Vec<handspun::lab::Scenario>,
    /// The seed of the seeded schedulers (random, pct).
    #[arg(long, value_name = "S", default_value = "0")]
    seed: u64,
    /// Write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an SVG chart to FILE.svg.
    #[arg(long, value_name = "FILE.svg", value_parser = parse_svg_path)]
    plot: Option<PathBuf>,
}

/// `serve --runtime`: which runtime runs the server. Adding one is a
/// variant here and an arm in `run_serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ServeRuntime {
    /// One event loop on one thread (`--threads` does not apply).
    Single,
    /// One event loop per core, each with its own `SO_REUSEPORT` listener.
    PerCore,
    /// The work-stealing runtime: any worker serves any connection.
    Stealing,
}

/// `serve`'s HTTPS options (feature `tls`).
#[derive(Debug, clap::Args)]
struct ServeTls {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(
        long,
        value_name = "PEM",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate made at start for localhost,
    /// 127.0.0.1 and the --addr IP; its PEM is written to a file whose path is printed (give
    /// it to `download --ca-file`).
    #[arg(long)]
    tls_self_signed: bool,
}

/// Which workloads `compare` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WorkloadChoice {
    /// Download many pages from the embedded slow site.
    Io,
    /// Sum many squares.
    Cpu,
    /// Both.
    All,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Which workload to run.
    #[arg(long, value_enum, default_value = "all")]
    workload: WorkloadChoice,
    /// Comma-separated models: sync, threads, event-loop, processes,
    /// threads-gil, event-loop-mt (default: all six).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_model)]
    models: Vec<Model>,
    /// Pool size of threads, processes and threads-gil (default: 5 threads,
    /// one process per core). Refused when only sync, event-loop and
    /// event-loop-mt run: one thread, or always one worker per core. Wins
    /// over --concurrency for the pools.
    #[arg(long, value_name = "N", value_parser = parse_positive, allow_negative_numbers = true)]
    workers: Option<usize>,
    /// Downloads in the io job list, sites A and B alternating (default
    /// 160; 20 with --quick). `--requests` is the older name.
    #[arg(
        long,
        visible_alias = "requests",
        value_name = "N",
        value_parser = parse_positive,
        allow_negative_numbers = true
    )]
    io_tasks: Option<usize>,
    /// Downloads in flight at most: the connection-pool limit of
    /// event-loop and event-loop-mt (default 100) and the pool size of threads, processes and
    /// threads-gil (unless --workers is given). With --scale, every
    /// model's ceiling. Refused when it cannot fit in the file-descriptor
    /// limit, which client and embedded server share.
    #[arg(long, value_name = "C", value_parser = parse_positive, allow_negative_numbers = true)]
    concurrency: Option<usize>,
    /// Also run the io workload at growing sizes (see --scale-sizes) under
    /// threads (up to 1000), event-loop and event-loop-mt (up to 5000 in
    /// flight each) and processes (up to 100), or the --models given, counting wall time,
    /// peak memory, threads and context switches; with --plot, also
    /// writes FILE-scale.svg, with --json a `scale` array.
    #[arg(long)]
    scale: bool,
    /// The --scale sweep's sizes, comma-separated (default
    /// 160,1000,10000,100000).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        requires = "scale",
        value_parser = parse_positive,
        allow_negative_numbers = true
    )]
    scale_sizes: Vec<usize>,
    /// Multiply every cpu number by K (default 1; 0.2 with --quick).
    #[arg(long, value_name = "K", value_parser = parse_scale, allow_negative_numbers = true)]
    cpu_scale: Option<f64>,
    /// Write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an SVG chart to FILE.svg (with --sweep, also FILE-sweep.svg;
    /// with --scale, also FILE-scale.svg).
    #[arg(long, value_name = "FILE.svg", value_parser = parse_svg_path)]
    plot: Option<PathBuf>,
    /// Write a Chrome/Perfetto trace to FILE.json.
    #[arg(long, value_name = "FILE.json")]
    trace: Option<PathBuf>,
    /// Shrink every workload to a few seconds in all.
    #[arg(long)]
    quick: bool,
    /// Also run the io workload with 1 to 64 threads and chart it.
    #[arg(long)]
    sweep: bool,
    /// The event-loop model's scheduler: oldest-ready (the default),
    /// newest-ready, priority or fair-share. (event-loop-mt keeps its
    /// work-stealing order.)
    #[arg(long, value_name = "NAME", value_parser = parse_scheduler)]
    scheduler: Option<handspun::event_loop::SchedulerFactory>,
    /// Run the io workload over https (the embedded site serves TLS with a
    /// certificate made at start): what handshakes cost each model.
    #[arg(long)]
    tls: bool,
    /// Run the cpu workload in N rounds, every model once per round, and
    /// report each model's median run (default 5; 3 with --quick).
    #[arg(long, value_name = "N", value_parser = parse_positive, allow_negative_numbers = true)]
    cpu_runs: Option<usize>,
}

#[derive(Debug, clap::Args)]
struct DownloadArgs {
    /// The model that runs the downloads: sync, threads, event-loop,
    /// event-loop-mt, processes or threads-gil.
    #[arg(long, value_parser = parse_model)]
    model: Model,
    /// Pool size of threads, processes and threads-gil (default: 5 threads,
    /// one process per core). Refused with sync and event-loop: they use
    /// one thread.
    #[arg(long, value_name = "N", value_parser = parse_positive, allow_negative_numbers = true)]
    workers: Option<usize>,
    /// Download the list K times over.
    #[arg(
        long,
        value_name = "K",
        default_value = "1",
        value_parser = parse_positive,
        allow_negative_numbers = true
    )]
    repeat: usize,
    /// Print one JSON summary instead of a line per page.
    #[arg(long)]
    json: bool,
    /// Trust only the CA certificates in this PEM file for https://
    /// (a private CA, or `serve --tls-self-signed`'s certificate) instead
    /// of the bundled Mozilla roots.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// The pages to download (http://, and https:// with the `tls` feature).
    #[arg(required = true, value_name = "URL", value_parser = parse_url)]
    urls: Vec<String>,
}

/// A model name (the error lists the names to choose from).
fn parse_model(text: &str) -> Result<Model, String> {
    text.parse()
        .map_err(|e: workloads::model::UnknownModel| e.to_string())
}

/// A URL the HTTP clients can fetch, kept as typed (the output quotes it).
fn parse_url(text: &str) -> Result<String, String> {
    handspun::http::Url::parse(text)
        .map(|_| text.to_string())
        .map_err(|e| e.to_string())
}

/// A path for the SVG chart: it must end in `.svg`, so a viewer opens it
/// as what it is.
fn parse_svg_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()) {
        Some(extension) if extension.eq_ignore_ascii_case("svg") => Ok(path),
        _ => Err(format!(
            "`{text}` does not end in .svg: the chart is written as SVG only; try e.g. chart.svg"
        )),
    }
}

/// A built-in lab scheduler's name (the error lists them).
fn parse_lab_scheduler(text: &str) -> Result<String, String> {
    handspun::lab::Lab::new()
        .select(&[text])
        .map(|_| text.to_string())
        .map_err(|e| e.to_string())
}

/// A built-in event-loop scheduler's name (the error lists them).
fn parse_scheduler(text: &str) -> Result<handspun::event_loop::SchedulerFactory, String> {
    handspun::event_loop::SchedulerFactory::builtin(text).map_err(|e| e.to_string())
}

/// A lab scenario's name (the error lists them).
fn parse_lab_scenario(text: &str) -> Result<handspun::lab::Scenario, String> {
    handspun::lab::scenario(text).map_err(|e| e.to_string())
}

fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "`{text}` is not a whole number of at least 1; try e.g. 5"
        )),
    }
}

fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(k) if k.is_finite() && k > 0.0 && k <= 1000.0 => Ok(k),
        _ => Err(format!(
            "`{text}` is not a scale between 0 and 1000; try e.g. 0.5 or 2"
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Compare(args) => run_compare(args),
        Command::Serve {
            addr,
            max_connections,
            runtime,
            threads,
            tls,
        } => run_serve(addr, max_connections, runtime, threads, tls),
        Command::Download(args) => run_download(args),
        Command::Lab(args) => run_lab(args),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("handspun: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Stops with clap's usage error (exit status 2) saying `message`, under
/// the usage of `subcommand`: for what clap cannot check alone, arguments
/// that make no sense together.
fn usage_error(subcommand: &str, message: String) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let kind = clap::error::ErrorKind::ArgumentConflict;
    match cli.find_subcommand_mut(subcommand) {
        Some(command) => command.error(kind, message).exit(),
        None => cli.error(kind, message).exit(),
    }
}

/// Stops with a usage error if an output file's folder does not exist,
/// before minutes of measuring are spent.
fn check_output_folders(subcommand: &str, paths: &[&Option<PathBuf>]) {
    for path in paths.iter().filter_map(|p| p.as_ref()) {
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => std::path::Path::new("."),
        };
        if !folder.is_dir() {
            let message = format!(
                "cannot write {}: the folder {} does not exist; create it or choose another path",
                path.display(),
                folder.display()
            );
            usage_error(subcommand, message);
        }
    }
}

/// Stops with a usage error of `subcommand` if `--workers` was given but
/// none of `models` has a pool for it to size: it would be silently ignored.
fn check_workers_apply(subcommand: &str, workers: Option<usize>, models: &[Model]) {
    if workers.is_none() || models.iter().any(|model| model.has_workers()) {
        return;
    }
    let names: Vec<String> = models
        .iter()
        .filter(|&&model| model != Model::EventLoopMt)
        .map(Model::to_string)
        .collect();
    let verb = if names.len() == 1 { "runs" } else { "run" };
    let mut why = Vec::new();
    if !names.is_empty() {
        why.push(format!("{} {verb} on one thread", names.join(" and ")));
    }
    if models.contains(&Model::EventLoopMt) {
        why.push("event-loop-mt always has one worker per core".to_string());
    }
    usage_error(
        subcommand,
        format!(
            "--workers sets the pool size of threads, processes and threads-gil, but {}; drop --workers or choose a pool model",
            why.join(", and ")
        ),
    );
}

fn run_compare(args: CompareArgs) -> Result<ExitCode, String> {
    check_output_folders("compare", &[&args.json, &args.plot, &args.trace]);
    let mut config = CompareConfig::default();
    if args.quick {
        config = config.quick();
    }
    config.workloads = match args.workload {
        WorkloadChoice::Io => vec![Workload::Io],
        WorkloadChoice::Cpu => vec![Workload::Cpu],
        WorkloadChoice::All => Workload::ALL.to_vec(),
    };
    if !args.models.is_empty() {
        config.scale_models = args.models.clone();
        config.models = args.models;
    }
    check_workers_apply("compare", args.workers, &config.models);
    config.workers = args.workers;
    #[cfg(feature = "tls")]
    {
        config.tls = args.tls;
        if args.tls {
            eprintln!("the io workload runs over https:// (a certificate made at start)");
        }
    }
    #[cfg(not(feature = "tls"))]
    if args.tls {
        return Err("--tls: this handspun was built without the `tls` feature".into());
    }
    if let Some(requests) = args.io_tasks {
        config.requests = requests;
    }
    if let Some(concurrency) = args.concurrency {
        check_concurrency_applies(&config.models, args.scale);
        config = config.with_concurrency(concurrency);
    }
    if args.scale {
        config.scale = Some(if args.scale_sizes.is_empty() {
            workloads::scale::DEFAULT_SIZES.to_vec()
        } else {
            args.scale_sizes
        });
    }
    if let Some(scale) = args.cpu_scale {
        config.cpu_scale = scale;
    }
    if let Some(runs) = args.cpu_runs {
        config.cpu_runs = runs;
    }
    config.trace = args.trace.is_some();
    config.sweep = args.sweep;
    if args.scheduler.is_some() && !config.models.contains(&Model::EventLoop) {
        let mt = if config.models.contains(&Model::EventLoopMt) {
            " (event-loop-mt has no pluggable scheduler: its order is work stealing's)"
        } else {
            ""
        };
        usage_error(
            "compare",
            format!("--scheduler chooses the event loop's scheduler, but event-loop is not among the models{mt}; add it to --models or drop --scheduler"),
        );
    }
    if let Some(scheduler) = &args.scheduler {
        let mt = if config.models.contains(&Model::EventLoopMt) {
            " (event-loop-mt keeps its work-stealing order)"
        } else {
            ""
        };
        eprintln!(
            "the event-loop model runs under the {} scheduler{mt}",
            scheduler.name()
        );
    }
    config.scheduler = args.scheduler;
    if let Err(error) = config.descriptor_budget() {
        usage_error("compare", error.to_string());
    }
    let progress = Arc::new(progress::Bars::new());
    let comparison = workloads::compare(&config, progress).map_err(|e| e.to_string())?;
    let sweep = &comparison.sweep;
    print!("{}", table::render(&comparison.results));
    if !sweep.is_empty() {
        println!("\nsweep: the io workload with the thread pool at each size (\"vs sync\": against 1 thread)");
        print!("{}", table::render(sweep));
    }
    println!();
    let yardstick = comparison.yardstick.as_ref();
    for sentence in summary::summarize(&comparison.results, comparison.cores, sweep, yardstick) {
        println!("{sentence}");
    }
    if let Some(sentence) = summary::yardstick_sentence(yardstick, &comparison.results) {
        println!("{sentence}");
    }
    if !comparison.scale.is_empty() {
        println!("\nscale: the io workload as it grows (threads: the most at once; switches: context switches, every thread and worker)");
        print!(
            "{}",
            handspun::report::scale_table::render(&comparison.scale)
        );
    }
    if let Some(path) = &args.json {
        JsonReport::new(comparison.cores, &comparison.results)
            .with_yardstick(yardstick)
            .with_scale(&comparison.scale)
            .with_tls(args.tls)
            .write(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        write_charts(path, &comparison.results, sweep)?;
        if !comparison.scale.is_empty() {
            let scale_path = sibling_path(path, "scale");
            let svg = handspun::report::scale_chart::scale_svg(&comparison.scale)
                .map_err(|e| e.to_string())?;
            std::fs::write(&scale_path, svg)
                .map_err(|e| format!("cannot write {}: {e}", scale_path.display()))?;
            eprintln!("wrote {}", scale_path.display());
        }
    }
    if let Some(path) = &args.trace {
        handspun::report::trace::write_trace(path, &comparison.timelines)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "wrote {} (open it in https://ui.perfetto.dev)",
            path.display()
        );
    }
    let any_failed = comparison.results.iter().any(|r| r.failed > 0)
        || comparison.scale.iter().any(|r| r.failed > 0);
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `FILE.svg` -> `FILE-suffix.svg`, beside it.
fn sibling_path(path: &std::path::Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("chart");
    path.with_file_name(format!("{stem}-{suffix}.svg"))
}

/// Stops with a usage error if `--concurrency` was given but nothing it
/// sets runs: `sync` alone has one download in flight, always.
fn check_concurrency_applies(models: &[Model], scale: bool) {
    if scale || models.iter().any(|&model| model != Model::Sync) {
        return;
    }
    usage_error(
        "compare",
        "--concurrency sets the event loop's pool limit and the pools' sizes, but sync runs one download at a time; drop --concurrency or add a model".to_string(),
    );
}

fn write_charts(
    path: &std::path::Path,
    results: &[workloads::RunResult],
    sweep: &[workloads::RunResult],
) -> Result<(), String> {
    use handspun::report::chart;
    let svg = chart::comparison_svg(results).map_err(|e| e.to_string())?;
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    if !sweep.is_empty() {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("chart");
        let sweep_path = path.with_file_name(format!("{stem}-sweep.svg"));
        let svg = chart::sweep_svg(sweep).map_err(|e| e.to_string())?;
        std::fs::write(&sweep_path, svg)
            .map_err(|e| format!("cannot write {}: {e}", sweep_path.display()))?;
        eprintln!("wrote {}", sweep_path.display());
    }
    Ok(())
}

fn run_lab(args: LabArgs) -> Result<ExitCode, String> {
    use handspun::lab::Lab;

    check_output_folders("lab", &[&args.json, &args.plot]);
    let mut lab = Lab::new().seed(args.seed);
    if !args.schedulers.is_empty() {
        lab = lab.select(&args.schedulers).map_err(|e| e.to_string())?;
    }
    if !args.scenarios.is_empty() {
        lab = lab.scenarios(&args.scenarios);
    }
    let report = lab.run().map_err(|e| e.to_string())?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        std::fs::write(path, report.svg())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_serve(
    addr: std::net::SocketAddr,
    max_connections: Option<usize>,
    runtime: ServeRuntime,
    threads: Option<usize>,
    tls: ServeTls,
) -> Result<ExitCode, String> {
    use handspun::http::server::{raise_fd_limit, serve_until_signal_with, ServerConfig};

    if threads.is_some() && runtime == ServeRuntime::Single {
        usage_error(
            "serve",
            "--threads sets how many loops a multi-threaded runtime runs, but the single runtime is one loop on one thread; add --runtime per-core or --runtime stealing, or drop --threads".into(),
        );
    }

    // Raised before the default cap is read from it.
    raise_fd_limit().map_err(|e| format!("cannot raise the file-descriptor limit: {e}"))?;
    let mut config = ServerConfig::default();
    if let Some(cap) = max_connections {
        config.max_connections = cap;
    }
    serve_tls(&mut config, tls, addr)?;
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let served = match runtime {
        ServeRuntime::Single => serve_until_signal_with(addr, config),
        ServeRuntime::PerCore => {
            handspun::per_core::serve::serve_until_signal(addr, config, threads)
        }
        ServeRuntime::Stealing => {
            handspun::http::server::serve_until_signal_stealing(addr, config, threads)
        }
    };
    served.map_err(|e| format!("cannot serve on {addr}: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Sets up `serve`'s TLS from its flags (nothing without them).
#[cfg(feature = "tls")]
fn serve_tls(
    config: &mut handspun::http::server::ServerConfig,
    tls: ServeTls,
    addr: std::net::SocketAddr,
) -> Result<(), String> {
    use handspun::http::tls::TlsServerConfig;

    if let (Some(cert), Some(key)) = (&tls.tls_cert, &tls.tls_key) {
        config.tls = Some(TlsServerConfig::from_pem_files(cert, key).map_err(|e| e.to_string())?);
    } else if tls.tls_self_signed {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
            names.push(addr.ip().to_string());
        }
        let made = TlsServerConfig::self_signed(&names).map_err(|e| e.to_string())?;
        let path = std::env::temp_dir().join(format!("handspun-serve-{}.pem", std::process::id()));
        std::fs::write(&path, &made.cert_pem)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "wrote the self-signed certificate to {0} (trust it with: handspun download --ca-file {0} ...)",
            path.display()
        );
        config.tls = Some(made.config);
    }
    Ok(())
}

/// Without the `tls` feature, `serve`'s TLS flags are refused.
#[cfg(not(feature = "tls"))]
fn serve_tls(
    _: &mut handspun::http::server::ServerConfig,
    tls: ServeTls,
    _: std::net::SocketAddr,
) -> Result<(), String> {
    if tls.tls_cert.is_some() || tls.tls_self_signed {
        return Err("this handspun was built without the `tls` feature".into());
    }
    Ok(())
}

fn run_download(args: DownloadArgs) -> Result<ExitCode, String> {
    check_workers_apply("download", args.workers, &[args.model]);
    if let Some(path) = &args.ca_file {
        // Before any session exists: every model's sessions (threads,
        // forked processes) build their TLS settings from this default.
        #[cfg(feature = "tls")]
        handspun::http::tls::set_default_ca_file(path).map_err(|e| e.to_string())?;
        #[cfg(not(feature = "tls"))]
        return Err(format!(
            "--ca-file {}: this handspun was built without the `tls` feature",
            path.display()
        ));
    }
    let progress = Arc::new(progress::Bars::new());
    let downloaded =
        workloads::download::download(args.model, &args.urls, args.repeat, args.workers, progress)
            .map_err(|e| e.to_string())?;
    let summary = &downloaded.summary;
    if args.json {
        let text = serde_json::to_string(summary).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        for (url, outcome) in &downloaded.pages {
            match outcome {
                Ok(page) => println!("Read {} from {url}", page.bytes),
                Err(error) => eprintln!("Failed {url}: {error}"),
            }
        }
        println!("Downloaded {} in {:.2} seconds", summary.ok, summary.wall_s);
    }
    Ok(if summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
