//! `graphlink project validate | usage`, `graphlink run`, `graphlink coordinator ...` and
//! `graphlink secret ...`: the commands about a project and the node that runs it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use graphlink_runtime::coordinator::{Coordinator, Filter, SqliteCoordinator, Status};
use graphlink_runtime::{Node, NodeOptions, Project, ValidateOptions};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::args::{CoordinatorCommand, CoordinatorFilter, ProjectCommand, RunArgs, SecretCommand};
use crate::connection::ConnectionArgs;
use crate::output::Output;

fn project_dir(conn: &ConnectionArgs) -> PathBuf {
    conn.project.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn load(dir: &Path) -> anyhow::Result<Project> {
    Project::load(dir).with_context(|| format!("loading the project in {}", dir.display()))
}

/// `graphlink project ...`.
pub(super) async fn project(
    command: ProjectCommand,
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let dir = project_dir(conn);
    let project = load(&dir)?;
    match command {
        ProjectCommand::Validate { online } => {
            let env = |k: &str| std::env::var(k).ok();
            let mut problems = graphlink_runtime::validate_with(
                &project,
                &ValidateOptions {
                    stage: conn.stage.as_deref(),
                    env: &env,
                },
            );
            if online {
                let cache_dir = conn
                    .sign_in_cache_or_default()
                    .unwrap_or_else(|| PathBuf::from(".graphlink-cache"));
                for p in graphlink_runtime::teams::check_all_online(
                    &project,
                    conn.stage.as_deref(),
                    conn.secret_key.as_deref(),
                    &cache_dir,
                )
                .await
                {
                    // App-only connections are already reported offline; keep one line each.
                    if !problems.iter().any(|q| q.to_string() == p.to_string()) {
                        problems.push(p);
                    }
                }
            }
            if out.json {
                for p in &problems {
                    println!("{}", json!({"problem": p.to_string()}));
                }
            } else if problems.is_empty() {
                println!("{}: no problems", dir.display());
            } else {
                for p in &problems {
                    println!("{p}");
                }
                eprintln!("{} problem(s)", problems.len());
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::exit::INVALID)
            })
        }
        ProjectCommand::Usage { name } => {
            let usages = graphlink_runtime::usage(&project, &name);
            if usages.is_empty() {
                return Err(crate::error::CliError::NotFound(format!(
                    "no asset named '{name}' in {}",
                    dir.display()
                ))
                .into());
            }
            for u in &usages {
                let chains: Vec<String> = u
                    .chains
                    .iter()
                    .map(|c| {
                        c.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" <- ")
                    })
                    .collect();
                out.result(
                    &json!({"asset": u.asset.to_string(), "references": u.count(), "used_by": chains}),
                    || {
                        let mut text = format!("{}: referenced {} time(s)", u.asset, u.count());
                        for c in &chains {
                            text.push_str(&format!("\n  {} <- {c}", u.asset));
                        }
                        text
                    },
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Node options shared by `run` and the demo.
pub(super) fn node_options(
    roles: Vec<String>,
    state_dir: &Path,
    conn: &ConnectionArgs,
) -> NodeOptions {
    let mut options = NodeOptions::new(roles, state_dir);
    options.stage = conn.stage.clone();
    options.secret_key_file = conn.secret_key.clone();
    options.token_cache_dir = conn.sign_in_cache_or_default();
    options
}

/// `graphlink run`: every workflow the roles allow, until SIGINT/SIGTERM (or once).
pub(super) async fn run(
    args: RunArgs,
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let dir = project_dir(conn);
    let project = load(&dir)?;
    let node = Node::new(
        &project,
        node_options(args.roles.clone(), &args.state_dir, conn),
    )
    .await?;
    for (workflow, why) in node.skipped() {
        tracing::info!(%workflow, reason = %why, "not run by this node");
        if !out.json {
            eprintln!("skipping workflow '{workflow}': {why}");
        }
    }
    if node.workflows().is_empty() {
        anyhow::bail!(
            "no workflow of {} can run on a node with roles [{}]",
            dir.display(),
            args.roles.join(",")
        );
    }
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        crate::commands::emulator::shutdown_signal().await;
        on_signal.cancel();
    });
    if args.once {
        let report = node.run_until_idle(&shutdown).await?;
        out.result(
            &json!({"done": report.done, "failed": report.failed, "waiting": report.waiting, "recovered": report.recovered}),
            || format!("done {}, failed {}, waiting for clearance {}", report.done, report.failed, report.waiting),
        );
        return Ok(if report.failed > 0 {
            ExitCode::from(crate::exit::PARTIAL)
        } else {
            ExitCode::SUCCESS
        });
    }
    if !out.json {
        eprintln!(
            "node {} running workflows: {} (status in {}; Ctrl-C to stop)",
            node.id(),
            node.workflows().join(", "),
            args.state_dir.join("status.json").display()
        );
    }
    node.run(shutdown).await?;
    let status = node.status();
    out.result(&serde_json::to_value(&status).unwrap_or_default(), || {
        "node stopped".to_string()
    });
    Ok(ExitCode::SUCCESS)
}

/// `graphlink status`: the node's status file, as text or JSON.
pub(super) fn status(state_dir: &Path, out: Output) -> anyhow::Result<ExitCode> {
    let path = state_dir.join("status.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (is a node running with --state-dir {}?)",
            path.display(),
            state_dir.display()
        )
    })?;
    let status: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a node status file", path.display()))?;
    out.result(&status, || {
        let mut lines = vec![format!(
            "node {} (roles: {})",
            status["node_id"].as_str().unwrap_or("?"),
            status["roles"]
                .as_array()
                .map(|r| r
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default()
        )];
        for w in status["workflows"].as_array().into_iter().flatten() {
            let state = &w["state"];
            let detail = state["detail"]
                .as_str()
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            lines.push(format!(
                "  {:<24} {:<12}{detail}  done {}  failed {}  waiting {}  next poll {}{}",
                w["name"].as_str().unwrap_or("?"),
                state["state"].as_str().unwrap_or("?"),
                w["files_done"],
                w["files_failed"],
                w["files_waiting"],
                w["next_poll"].as_str().unwrap_or("-"),
                w["last_error"]
                    .as_str()
                    .map(|e| format!("  last error: {e}"))
                    .unwrap_or_default()
            ));
        }
        lines.join("\n")
    });
    Ok(ExitCode::SUCCESS)
}

fn filter(f: &CoordinatorFilter) -> anyhow::Result<Filter> {
    let status = match &f.status {
        Some(s) => Some(Status::parse(s).with_context(|| {
            format!("--status {s}: use acquired, pending, done, failure or wait-for-clearance")
        })?),
        None => None,
    };
    Ok(Filter {
        workflow: f.workflow.clone(),
        source: None,
        status,
        path: f.path.clone(),
    })
}

/// `graphlink coordinator ...`.
pub(super) async fn coordinator(
    command: CoordinatorCommand,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let (f, action) = match &command {
        CoordinatorCommand::List(f) => (f, "list"),
        CoordinatorCommand::Reset(f) => (f, "reset"),
        CoordinatorCommand::Clearance(f) => (f, "clearance"),
    };
    if !f.state_dir.is_dir() {
        anyhow::bail!(
            "{} is not a node state folder (pass --state-dir)",
            f.state_dir.display()
        );
    }
    let coordinator = SqliteCoordinator::open_in(&f.state_dir)?;
    let selected = filter(f)?;
    match action {
        "list" => {
            let records = coordinator.list(&selected).await?;
            for r in &records {
                out.result(
                    &json!({"workflow": r.key.workflow, "source": r.key.source, "folder": r.key.folder, "path": r.key.path,
                            "status": r.status.as_str(), "size": r.size, "generation": r.generation,
                            "attempts": r.attempts, "error": r.error}),
                    || {
                        format!(
                            "{:<20} {:<20} {:<30} {}{}",
                            r.status.as_str(),
                            r.key.workflow,
                            r.key.path,
                            r.size,
                            r.error.as_deref().map(|e| format!("  ({e})")).unwrap_or_default()
                        )
                    },
                );
            }
        }
        "reset" => {
            let n = coordinator.reset(&selected).await?;
            out.result(&json!({"reset": n}), || {
                format!("{n} file(s) reset: they will be taken again")
            });
        }
        _ => {
            let n = coordinator.clearance(&selected).await?;
            out.result(&json!({"cleared": n}), || {
                format!("{n} file(s) given clearance")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `graphlink secret ...`.
pub(super) async fn secret(
    command: SecretCommand,
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    use graphlink_runtime::secrets;
    match command {
        SecretCommand::Keygen { out: path } => {
            let key = secrets::KeyPair::generate();
            key.write(&path)?;
            out.result(
                &json!({"private_key_file": path, "recipient": key.recipient()}),
                || {
                    format!(
                        "private key written to {} (keep it on the nodes only)\npublic key: {}",
                        path.display(),
                        key.recipient()
                    )
                },
            );
        }
        SecretCommand::Create { asset, recipient } => {
            let file = secrets::create_secret_asset(&project_dir(conn), &asset, &recipient, None)?;
            out.result(&json!({"asset": asset, "file": file}), || {
                format!("secret asset '{asset}' created in {}", file.display())
            });
        }
        SecretCommand::Add { asset, key, value } => {
            let value = match value {
                Some(v) => v,
                None => {
                    let mut v = String::new();
                    std::io::stdin()
                        .read_to_string(&mut v)
                        .context("reading the value from stdin")?;
                    v.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            let file = secrets::add_secret(&project_dir(conn), &asset, &key, &value)?;
            out.result(&json!({"asset": asset, "key": key, "file": file}), || {
                format!(
                    "secret '{key}' encrypted into asset '{asset}' ({})",
                    file.display()
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
