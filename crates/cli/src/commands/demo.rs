//! `graphlink demo`: the main job on a fresh machine. Starts the emulator in-process, drops
//! sample invoices into the SharePoint "Finance" site's "Invoices" library, runs the example
//! project (inbox → OneDrive archive) until the inbox is empty, and prints what happened.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;
use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_graph::{ConflictBehavior, DriveClient, DriveRef, ItemRef, UploadOptions};
use graphlink_runtime::{Node, Project};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::args::DemoArgs;
use crate::connection::ConnectionArgs;
use crate::output::Output;

/// The example project, built into the binary so the demo needs nothing but itself.
const PROJECT_FILES: [(&str, &str); 4] = [
    (
        "project.toml",
        include_str!("../../../../examples/finance-inbox/project.toml"),
    ),
    (
        "connections.toml",
        include_str!("../../../../examples/finance-inbox/connections.toml"),
    ),
    (
        "environments.toml",
        include_str!("../../../../examples/finance-inbox/environments.toml"),
    ),
    (
        "assets.toml",
        include_str!("../../../../examples/finance-inbox/assets.toml"),
    ),
];

/// Added by the demo: Adele's device-flow connection and the Teams service the summary goes to
/// (Teams accepts posts only from a signed-in user).
const TEAMS_FILE: &str = r#"
[connection.contoso-user]
description = "Adele, signed in with the device flow (Teams posts as a user)"
cloud = "custom"
authority_host = "${env:GRAPHLINK_DEMO_URL}"
graph_url = "${env:GRAPHLINK_DEMO_URL}"
tenant = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e"
client_id = "33333333-3333-4333-8333-333333333333"
credential = "device-flow"
scopes = ["User.Read", "ChannelMessage.Send", "Team.ReadBasic.All", "Channel.ReadBasic.All"]
ca_certificate = "${env:GRAPHLINK_DEMO_CA}"

[service.teams]
description = "The Finance team's alerts channel"
type = "teams"
connection = "contoso-user"
[service.teams.channels."Finance alerts"]
team = "Finance"
channel = "Ops Alerts"
"#;

/// Sample invoices: (name, size in bytes). One is not an invoice and stays in the inbox.
const SAMPLES: [(&str, usize); 9] = [
    ("INV-2026-0001 Contoso.pdf", 48_213),
    ("INV-2026-0002 Fabrikam.pdf", 131_072),
    ("INV-2026-0003 Northwind #7.xml", 9_310),
    ("INV-2026-0004 Tailspin 100%.csv", 2_048),
    ("INV-2026-0005 Woodgrove.pdf", 6_500_000),
    ("INV-2026-0006 Adventure Works.txt", 1_200),
    ("INV-2026-0007 Litware 'Q4'.pdf", 77_777),
    ("INV-2026-0008 Proseware été.pdf", 12_345),
    ("notes-from-accounting.docx", 4_096),
];

/// Runs the demo.
pub(super) async fn run(args: DemoArgs, out: Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let temp = tempfile::tempdir().context("creating the demo's working folder")?;
    let work = args
        .data
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let say = |text: String| {
        if !out.json {
            println!("{text}");
        }
    };

    say("graphlink demo: SharePoint inbox -> OneDrive archive, on the embedded emulator\n".into());
    let mut seed = graphlink_emulator::Seed::default();
    seed.settings.device_code_interval_secs = 1;
    let emu = Emulator::start(EmulatorOptions {
        data_dir: Some(work.join("emulator")),
        seed,
        ..EmulatorOptions::default()
    })
    .await?;
    let ca = emu
        .ca_cert_path()
        .context("the emulator has no CA")?
        .to_path_buf();
    say(format!(
        "1. emulator listening on {} (CA {})",
        emu.base_url(),
        ca.display()
    ));

    // The example project reads where the emulator is from these variables.
    std::env::set_var("GRAPHLINK_DEMO_URL", emu.base_url());
    std::env::set_var("GRAPHLINK_DEMO_CA", &ca);
    std::env::set_var("GRAPHLINK_DEMO_SECRET", "emulator-client-secret");
    let project_dir = work.join("project");
    std::fs::create_dir_all(&project_dir)?;
    for (name, text) in PROJECT_FILES {
        std::fs::write(project_dir.join(name), text)?;
    }
    std::fs::write(project_dir.join("teams.toml"), TEAMS_FILE)?;
    let project = Project::load(&project_dir)?;
    let problems = graphlink_runtime::validate(&project);
    anyhow::ensure!(
        problems.is_empty(),
        "the demo project is invalid:\n{}",
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    say(format!(
        "2. project {} validated: {} workflow(s)",
        project_dir.display(),
        project.workflows.len()
    ));

    let conn_args = ConnectionArgs {
        project: Some(project_dir.clone()),
        connection: Some("contoso".into()),
        stage: None,
        secret_key: None,
        ca_cert: None,
        cache_dir: Some(work.join("cache")),
    };
    let graph = conn_args.connect()?.graph()?;
    let inbox = graph
        .drive(&DriveRef::Site {
            site: "Finance".into(),
            library: Some("Invoices".into()),
        })
        .await
        .context("resolving the Finance site's Invoices library")?;
    let incoming = inbox.create_folder_all("Incoming").await?;
    for (i, (name, size)) in SAMPLES.iter().enumerate() {
        let content = sample(i as u8, *size);
        inbox
            .upload_bytes(
                &ItemRef::id(incoming.id.clone()),
                name,
                content.into(),
                &UploadOptions {
                    conflict: ConflictBehavior::Replace,
                },
            )
            .await
            .with_context(|| format!("uploading the sample {name}"))?;
    }
    say(format!(
        "3. {} sample files dropped into sharepoint://contoso.sharepoint.com/sites/Finance/Invoices/Incoming",
        SAMPLES.len()
    ));

    sign_in_adele(&emu, &conn_args).await?;
    say("   Adele signed in for Teams with the device flow (the emulator approves the code, as its page would)".into());
    let options =
        crate::commands::project::node_options(Vec::new(), &work.join("state"), &conn_args);
    let node = Node::new(&project, options).await?;
    say(format!(
        "4. node {} runs workflow(s): {}",
        node.id(),
        node.workflows().join(", ")
    ));
    let report = node.run_until_idle(&CancellationToken::new()).await?;

    let left = names(&inbox, "Incoming").await?;
    let processed = tree(&inbox, "Processed").await?;
    let archive_drive = graph
        .drive(&DriveRef::User("adele@contoso.onmicrosoft.com".into()))
        .await?;
    let archived = tree(&archive_drive, "Archive").await?;
    let post = post_summary(&project, &conn_args, report.done, report.failed, &archived).await?;
    let requests = counters(&emu).await.unwrap_or_default();
    let summary = json!({
        "done": report.done,
        "failed": report.failed,
        "left_in_inbox": left,
        "processed": processed,
        "archived": archived,
        "graph_requests": requests["total"],
        "seconds": started.elapsed().as_secs_f64(),
        "emulator": emu.base_url(),
        "teams_message": {"id": post.id, "webUrl": post.web_url},
        "teams_page": format!("{}/_emulator/ui/teams", emu.base_url()),
    });
    out.result(&summary, || {
        let mut text = format!(
            "5. inbox processed: {} done, {} failed\n",
            report.done, report.failed
        );
        text.push_str("\n   archived in onedrive://adele@contoso.onmicrosoft.com:\n");
        for p in &archived {
            text.push_str(&format!("     {p}\n"));
        }
        text.push_str("\n   inputs moved to Finance/Invoices:\n");
        for p in &processed {
            text.push_str(&format!("     {p}\n"));
        }
        text.push_str(&format!(
            "\n   left in the inbox (not matching the filter): {}\n",
            left.join(", ")
        ));
        text.push_str(&format!(
            "\n6. summary posted to Teams, Finance > Ops Alerts (message {}): see {}/_emulator/ui/teams\n",
            post.id,
            emu.base_url()
        ));
        text.push_str(&format!(
            "\n   {} Graph requests, {:.1} s in all. Every file was hash-verified after upload.",
            requests["total"],
            started.elapsed().as_secs_f64()
        ));
        text
    });
    let ok =
        report.failed == 0 && report.done == SAMPLES.len() - 1 && archived.len() == report.done;
    if args.keep_running {
        eprintln!(
            "\nThe emulator keeps running on {} (CA {}); pages: {}/_emulator/ui. Ctrl-C to stop.",
            emu.base_url(),
            ca.display(),
            emu.base_url()
        );
        crate::commands::emulator::shutdown_signal().await;
    }
    emu.shutdown().await;
    if !ok {
        anyhow::bail!("the demo did not archive every invoice: {summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Signs Adele in for the Teams connection with the device flow; the embedded emulator approves
/// the code as its device login page would when a person clicks "Approve".
async fn sign_in_adele(emu: &RunningEmulator, args: &ConnectionArgs) -> anyhow::Result<()> {
    let mut args = args.clone();
    args.connection = Some("contoso-user".into());
    let conn = args.connect()?;
    let emulator = emu.state().clone();
    let cancel = CancellationToken::new();
    let mut refused = None;
    let signed_in = graphlink_identity::device_login(
        &conn.config,
        conn.http.clone(),
        conn.sender.clone(),
        &conn.cache_dir,
        |prompt| {
            if let Err(e) = emulator.decide_device_code(
                &prompt.user_code,
                "adele@contoso.onmicrosoft.com",
                true,
            ) {
                refused = Some(e);
                cancel.cancel();
            }
        },
        &cancel,
    )
    .await;
    if let Some(why) = refused {
        anyhow::bail!("the emulator refused the demo's device code: {why}");
    }
    signed_in.context("signing Adele in for Teams")?;
    Ok(())
}

/// Posts the run's summary to the "Finance alerts" conversation of the project's Teams service.
async fn post_summary(
    project: &Project,
    args: &ConnectionArgs,
    done: usize,
    failed: usize,
    archived: &[String],
) -> anyhow::Result<graphlink_graph::teams::ChatMessage> {
    use graphlink_runtime::teams::{content_of, TeamsNotifier, TeamsService};
    let service = TeamsService::resolve(project, "teams", None, None)?;
    let cache_dir = args.sign_in_cache()?;
    let notifier = TeamsNotifier::connect(service, &cache_dir)?;
    let items: String = archived
        .iter()
        .map(|p| format!("<li>{}</li>", graphlink_graph::teams::escape_html(p)))
        .collect();
    let html = format!(
        "<p><b>Invoice archive run</b>: {done} archived, {failed} failed.</p><ul>{items}</ul>"
    );
    Ok(notifier.post("Finance alerts", &content_of(&html)).await?)
}

/// Deterministic sample content.
fn sample(seed: u8, size: usize) -> Vec<u8> {
    let header = format!("graphlink demo invoice #{seed}\n");
    let mut data = header.into_bytes();
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).max(1);
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(b' ' + (x % 94) as u8);
    }
    data.truncate(size);
    data
}

async fn names(drive: &DriveClient, folder: &str) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut children = drive.children(&ItemRef::path(folder));
    while let Some(child) = children.next().await {
        names.push(child?.name.unwrap_or_default());
    }
    names.sort();
    Ok(names)
}

async fn tree(drive: &DriveClient, folder: &str) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    if drive.try_get(&ItemRef::path(folder)).await?.is_none() {
        return Ok(files);
    }
    let mut walk = drive.walk(&ItemRef::path(folder));
    while let Some(entry) = walk.next().await {
        let entry = entry?;
        if entry.item.file.is_some() {
            files.push(format!("{folder}/{}", entry.relative_path));
        }
    }
    files.sort();
    Ok(files)
}

async fn counters(emu: &RunningEmulator) -> anyhow::Result<serde_json::Value> {
    let client = graphlink_http::ClientOptions::default()
        .trust_ca_file(emu.ca_cert_path().unwrap_or(Path::new("")))?
        .build()?;
    Ok(client
        .get(format!("{}/_emulator/requests", emu.base_url()))
        .send()
        .await?
        .json()
        .await?)
}
