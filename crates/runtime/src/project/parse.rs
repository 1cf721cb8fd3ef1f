//! Turns one project file into assets.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::reader::{Anchor, AssetReader, Tbl};
use super::tree::{parse_document, LineIndex, Node, Value};
use super::Project;
use crate::macros::Scope;
use crate::model::*;
use crate::problem::{Location, Problem};

/// Parses `text` (the file `file`, shown as given) into `project`.
pub(crate) fn parse_file(project: &mut Project, file: &Path, text: &str) {
    let lines = LineIndex::new(text);
    let doc = match parse_document(text) {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.span().map(|s| lines.line(s.start)).unwrap_or(0);
            project.load_problems.push(Problem {
                location: Location {
                    file: file.to_path_buf(),
                    line,
                },
                asset: None,
                field: None,
                message: format!("not valid TOML: {}", e.message()),
            });
            return;
        }
    };
    for (top, node) in &doc {
        let loc = Location {
            file: file.to_path_buf(),
            line: lines.line(node.span.start),
        };
        if top == "project" {
            parse_project_table(project, file, &lines, node);
            continue;
        }
        let Some(kind) = AssetKind::from_key(top) else {
            project.load_problems.push(Problem {
                location: loc,
                asset: None,
                field: None,
                message: format!(
                    "unknown table '{top}': expected connection, environment, secret, source, sink, service, workflow or project"
                ),
            });
            continue;
        };
        let Value::Table(assets) = &node.value else {
            project.load_problems.push(Problem {
                location: loc,
                asset: None,
                field: None,
                message: format!("'{top}' must be a table of named assets, e.g. [{top}.my-name]"),
            });
            continue;
        };
        for (name, asset) in assets {
            let label = AssetId::new(kind, name.clone()).to_string();
            let mut r = AssetReader::new(file.to_path_buf(), &lines, label);
            let Value::Table(map) = &asset.value else {
                let span = asset.span.clone();
                r.problem(
                    None,
                    &span,
                    format!("must be a table: write [{top}.{name}]"),
                );
                project.load_problems.append(&mut r.problems);
                continue;
            };
            let mut t = Tbl::new("", asset.span.clone(), map);
            let meta_base = (
                r.string(&mut t, "description", None).unwrap_or_default(),
                r.strings(&mut t, "required_roles", None),
            );
            let location = r.loc(&asset.span);
            let mk_meta = |r: &mut AssetReader<'_>| AssetMeta {
                id: AssetId::new(kind, name.clone()),
                description: meta_base.0.clone(),
                required_roles: meta_base.1.clone(),
                location: location.clone(),
                fields: std::mem::take(&mut r.fields),
                strings: std::mem::take(&mut r.strings),
            };
            match kind {
                AssetKind::Connection => {
                    let c = connection(&mut r, &mut t);
                    r.finish(t);
                    if let Some(mut c) = c {
                        c.meta = mk_meta(&mut r);
                        project.connections.push(c);
                    } else {
                        project.broken.insert(AssetId::new(kind, name.clone()));
                    }
                }
                AssetKind::Environment => {
                    let values = r.string_map(&mut t, "values", None);
                    r.finish(t);
                    let meta = mk_meta(&mut r);
                    project.environments.push(Environment { meta, values });
                }
                AssetKind::Secret => {
                    let recipient =
                        r.required(&mut t, "recipient", None, " (the age public key, age1...)");
                    let values = r.string_map(&mut t, "values", None);
                    r.finish(t);
                    let meta = mk_meta(&mut r);
                    project.secrets.push(SecretAsset {
                        meta,
                        recipient: recipient.unwrap_or_default(),
                        values,
                    });
                }
                AssetKind::Source => {
                    let s = source(&mut r, &mut t);
                    r.finish(t);
                    if let Some(mut s) = s {
                        s.meta = mk_meta(&mut r);
                        project.sources.push(s);
                    } else {
                        project.broken.insert(AssetId::new(kind, name.clone()));
                    }
                }
                AssetKind::Sink => {
                    let s = sink(&mut r, &mut t);
                    r.finish(t);
                    if let Some(mut s) = s {
                        s.meta = mk_meta(&mut r);
                        project.sinks.push(s);
                    } else {
                        project.broken.insert(AssetId::new(kind, name.clone()));
                    }
                }
                AssetKind::Service => {
                    let s = service(&mut r, &mut t);
                    r.finish(t);
                    if let Some(service_kind) = s {
                        let meta = mk_meta(&mut r);
                        project.services.push(Service {
                            meta,
                            kind: service_kind,
                        });
                    } else {
                        project.broken.insert(AssetId::new(kind, name.clone()));
                    }
                }
                AssetKind::Workflow => {
                    let w = workflow(&mut r, &mut t);
                    r.finish(t);
                    if let Some(mut w) = w {
                        w.meta = mk_meta(&mut r);
                        project.workflows.push(w);
                    } else {
                        project.broken.insert(AssetId::new(kind, name.clone()));
                    }
                }
            }
            project.load_problems.append(&mut r.problems);
        }
    }
}

fn parse_project_table(project: &mut Project, file: &Path, lines: &LineIndex, node: &Node) {
    let mut r = AssetReader::new(file.to_path_buf(), lines, "project".into());
    match &node.value {
        Value::Table(map) => {
            let mut t = Tbl::new("", node.span.clone(), map);
            if let Some(n) = r.string(&mut t, "name", None) {
                project.name = Some(n);
            }
            if let Some(d) = r.string(&mut t, "description", None) {
                project.description = d;
            }
            if let Some(s) = r.string(&mut t, "stage", None) {
                project.default_stage = Some(s);
            }
            r.finish(t);
        }
        _ => r.problem(None, &node.span, "[project] must be a table"),
    }
    project.load_problems.append(&mut r.problems);
}

fn empty_meta() -> AssetMeta {
    AssetMeta {
        id: AssetId::new(AssetKind::Connection, ""),
        description: String::new(),
        required_roles: Vec::new(),
        location: Location::default(),
        fields: BTreeMap::new(),
        strings: Vec::new(),
    }
}

fn connection(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Connection> {
    let cloud = r
        .choice(
            t,
            "cloud",
            &[
                ("global", CloudSetting::Global),
                ("public", CloudSetting::Global),
                ("usgov", CloudSetting::UsGov),
                ("us-gov", CloudSetting::UsGov),
                ("usgovdod", CloudSetting::UsGovDod),
                ("us-gov-dod", CloudSetting::UsGovDod),
                ("china", CloudSetting::China),
                ("custom", CloudSetting::Custom),
            ],
        )
        .unwrap_or(CloudSetting::Global);
    let authority = r.string(t, "authority", Some(Scope::Static));
    let authority_host = r.string(t, "authority_host", Some(Scope::Static));
    let graph_url = r.string(t, "graph_url", Some(Scope::Static));
    let tenant = r.string(t, "tenant", Some(Scope::Static));
    let client_id = r.required(t, "client_id", Some(Scope::Static), " (the application id)");
    let kind = r.choice(
        t,
        "credential",
        &[
            ("client-secret", 0),
            ("secret", 0),
            ("client-certificate", 1),
            ("certificate", 1),
            ("device-flow", 2),
            ("device-code", 2),
        ],
    );
    if !t.map.contains_key("credential") {
        r.missing(
            t,
            "credential",
            " (client-secret, client-certificate or device-flow)",
        );
    }
    let secret = r.string(t, "client_secret", Some(Scope::Static));
    let key = r.string(t, "certificate_key", Some(Scope::Static));
    let cert = r.string(t, "certificate", Some(Scope::Static));
    let credential = match kind {
        Some(0) => {
            if secret.is_none() {
                r.missing(
                    t,
                    "client_secret",
                    " for credential = \"client-secret\" (use ${sec:KEY} or ${env:NAME})",
                );
            }
            CredentialSetting::ClientSecret {
                secret: secret.unwrap_or_default(),
            }
        }
        Some(1) => {
            if key.is_none() {
                r.missing(
                    t,
                    "certificate_key",
                    " for credential = \"client-certificate\" (PEM private key file)",
                );
            }
            CredentialSetting::ClientCertificate {
                key: key.unwrap_or_default(),
                certificate: cert,
            }
        }
        Some(_) => CredentialSetting::DeviceFlow,
        None => return None,
    };
    let scopes = r.strings(t, "scopes", Some(Scope::Static));
    let ca_certificate = r.string(t, "ca_certificate", Some(Scope::Static));
    let allow_insecure_http = r.bool(t, "allow_insecure_http", false);
    let timeout = r.duration(t, "timeout");
    Some(Connection {
        meta: empty_meta(),
        cloud,
        authority,
        authority_host,
        graph_url,
        tenant,
        client_id: client_id.unwrap_or_default(),
        credential,
        scopes,
        ca_certificate,
        allow_insecure_http,
        timeout,
    })
}

fn storage(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<StorageSetting> {
    if !t.map.contains_key("type") {
        r.missing(t, "type", " (onedrive, sharepoint or local)");
        return None;
    }
    let kind = r.choice(
        t,
        "type",
        &[("onedrive", 0), ("sharepoint", 1), ("local", 2)],
    )?;
    Some(match kind {
        0 => {
            let connection = r.required(t, "connection", None, " (an MS Graph connection asset)");
            let drive = r.string(t, "drive", Some(Scope::Static));
            let user = r.string(t, "user", Some(Scope::Static));
            StorageSetting::OneDrive {
                connection: connection.unwrap_or_default(),
                drive,
                user,
            }
        }
        1 => {
            let connection = r.required(t, "connection", None, " (an MS Graph connection asset)");
            let site = r.required(t, "site", Some(Scope::Static), " (site name, URL or id)");
            let library = r.string(t, "library", Some(Scope::Static));
            StorageSetting::SharePoint {
                connection: connection.unwrap_or_default(),
                site: site.unwrap_or_default(),
                library: library.unwrap_or_else(|| "Documents".into()),
            }
        }
        _ => {
            let root = r.required(
                t,
                "root",
                Some(Scope::Static),
                " (the folder on this machine)",
            );
            StorageSetting::Local {
                root: root.unwrap_or_default(),
            }
        }
    })
}

const EXISTS: &[(&str, ExistsPolicy)] = &[
    ("fail", ExistsPolicy::FailLeave),
    ("fail-leave", ExistsPolicy::FailLeave),
    ("fail-delete", ExistsPolicy::FailDelete),
    ("replace", ExistsPolicy::Replace),
    ("rename-counter", ExistsPolicy::RenameExistingCounter),
    ("rename-timestamp", ExistsPolicy::RenameExistingTimestamp),
    ("counter", ExistsPolicy::MoveWithCounter),
    ("timestamp", ExistsPolicy::MoveWithTimestamp),
];

fn move_target(r: &mut AssetReader<'_>, t: &mut Tbl<'_>, which: &str) -> Option<MoveTarget> {
    let dir = r.string(t, which, Some(Scope::Static));
    let prefix = r.string(t, &format!("{which}_prefix"), Some(Scope::PerFile));
    let suffix = r.string(t, &format!("{which}_suffix"), Some(Scope::PerFile));
    let when = r.choice(t, &format!("{which}_exists"), EXISTS);
    let Some(dir) = dir else {
        for k in ["prefix", "suffix", "exists"] {
            let key = format!("{which}_{k}");
            if let Some(node) = t.map.get(&key) {
                let span = node.span.clone();
                r.problem(
                    Some(format!("{}{key}", t.prefix)),
                    &span,
                    format!("'{key}' has no effect without '{which}' (the {which} directory)"),
                );
            }
        }
        return None;
    };
    Some(MoveTarget {
        dir,
        prefix: prefix.unwrap_or_default(),
        suffix: suffix.unwrap_or_default(),
        when_exists: when.unwrap_or(if which == "done" {
            ExistsPolicy::RenameExistingCounter
        } else {
            ExistsPolicy::MoveWithCounter
        }),
    })
}

fn folder(r: &mut AssetReader<'_>, t: &mut Tbl<'_>, name: &str) -> FolderSetup {
    let input = r.string(t, "input", Some(Scope::Static));
    if input.is_none() {
        r.missing(t, "input", " (the input directory)");
    }
    let filter = r.regex(t, "filter", Anchor::Whole);
    let prefix = r.regex(t, "prefix", Anchor::Start);
    let suffix = r.regex(t, "suffix", Anchor::End);
    let include_subdirs = r.bool(t, "include_subdirs", false);
    let done = move_target(r, t, "done");
    let error = move_target(r, t, "error");
    let after = [("delete", InputAfter::Delete), ("keep", InputAfter::Keep)];
    let on_success = r.choice(t, "on_success", &after);
    let on_failure = r.choice(t, "on_failure", &after);
    let housekeeping = r.table(t, "housekeeping").and_then(|mut h| {
        let schedule = r.cron(&mut h, "schedule");
        if !h.map.contains_key("schedule") {
            r.missing(&h, "schedule", " (a cron expression)");
        }
        let input = r.duration(&mut h, "input");
        let done = r.duration(&mut h, "done");
        let error = r.duration(&mut h, "error");
        r.finish(h);
        schedule.map(|schedule| FolderHousekeeping {
            schedule,
            input,
            done,
            error,
        })
    });
    FolderSetup {
        name: name.to_string(),
        input: input.unwrap_or_default(),
        filter,
        prefix,
        suffix,
        include_subdirs,
        on_success: if done.is_some() {
            InputAfter::Move
        } else {
            on_success.unwrap_or(InputAfter::Delete)
        },
        on_failure: if error.is_some() {
            InputAfter::Move
        } else {
            on_failure.unwrap_or(InputAfter::Keep)
        },
        done,
        error,
        housekeeping,
    }
}

fn source(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Source> {
    let storage = storage(r, t);
    let interval = r.duration(t, "poll_interval");
    let cron = r.cron(t, "poll_cron");
    let polling = match (interval, cron) {
        (Some(_), Some(_)) => {
            let span = t.span.clone();
            r.problem(
                Some("poll_cron".into()),
                &span,
                "give either poll_interval or poll_cron, not both",
            );
            None
        }
        (Some(i), None) if i.is_zero() => {
            let span = t
                .map
                .get("poll_interval")
                .map(|n| n.span.clone())
                .unwrap_or(t.span.clone());
            r.problem(
                Some("poll_interval".into()),
                &span,
                "the polling interval must be longer than 0",
            );
            None
        }
        (Some(i), None) => Some(Polling::Interval(i)),
        (None, Some(c)) => Some(Polling::Cron(c)),
        (None, None) => Some(Polling::Interval(Duration::from_secs(60))),
    };
    let poll_timeout = r.duration(t, "poll_timeout");
    let stable_time = r.duration(t, "stable_time").unwrap_or_default();
    let order = r
        .choice(
            t,
            "order",
            &[
                ("name-asc", Ordering::NameAsc),
                ("name-desc", Ordering::NameDesc),
                ("modified-asc", Ordering::ModifiedAsc),
                ("modified-desc", Ordering::ModifiedDesc),
            ],
        )
        .unwrap_or(Ordering::NameAsc);
    let mut folders = Vec::new();
    if let Some(mut ft) = r.table(t, "folders") {
        let names: Vec<String> = ft.map.keys().cloned().collect();
        for name in names {
            if let Some(mut sub) = r.table(&mut ft, &name) {
                folders.push(folder(r, &mut sub, &name));
                r.finish(sub);
            }
        }
        r.finish(ft);
    }
    if folders.is_empty() {
        r.missing(
            t,
            "folders",
            " (at least one folder setup: [source.NAME.folders.SETUP] with input = \"...\")",
        );
    }
    let max_streams = r.u32(t, "max_streams");
    let max_streams_period = r
        .duration(t, "max_streams_period")
        .unwrap_or(Duration::from_secs(60));
    let mut backoff = BackoffSetting::default();
    if let Some(mut b) = r.table(t, "backoff") {
        if let Some(v) = r.duration(&mut b, "min") {
            backoff.min = v;
        }
        if let Some(v) = r.duration(&mut b, "max") {
            backoff.max = v;
        }
        backoff.step = r.duration(&mut b, "step");
        if let Some(f) = r.f64(&mut b, "factor") {
            backoff.factor = f;
        }
        if b.map.contains_key("reset_after_successes") || b.map.contains_key("reset_after_quiet") {
            backoff.reset_after_successes = None;
        }
        if let Some(n) = r.u32(&mut b, "reset_after_successes") {
            backoff.reset_after_successes = Some(n);
        }
        backoff.reset_after_quiet = r.duration(&mut b, "reset_after_quiet");
        let span = b.span.clone();
        if backoff.min > backoff.max {
            r.problem(
                Some("backoff.min".into()),
                &span,
                "backoff min is longer than backoff max",
            );
        }
        if backoff.step.is_some() && b.map.contains_key("factor") {
            r.problem(
                Some("backoff.step".into()),
                &span,
                "give either backoff step or factor, not both",
            );
        }
        if backoff.factor < 1.0 {
            r.problem(
                Some("backoff.factor".into()),
                &span,
                "the backoff factor must be at least 1",
            );
        }
        r.finish(b);
    }
    let reprocessing = r
        .choice(
            t,
            "reprocessing",
            &[
                ("manual", Reprocessing::Manual),
                ("automatic", Reprocessing::Automatic),
                ("when-changed", Reprocessing::WhenChanged),
            ],
        )
        .unwrap_or(Reprocessing::Manual);
    let wait_for_clearance = r.bool(t, "wait_for_clearance", false);
    let post_delay = r.duration(t, "post_delay").unwrap_or_default();
    let post_retries = r.u32(t, "post_retries").unwrap_or(3);
    Some(Source {
        meta: empty_meta(),
        storage: storage?,
        polling: polling?,
        poll_timeout,
        stable_time,
        order,
        folders,
        max_streams,
        max_streams_period,
        backoff,
        reprocessing,
        wait_for_clearance,
        post_delay,
        post_retries,
    })
}

fn sink(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Sink> {
    let storage = storage(r, t);
    let directory = r
        .string(t, "directory", Some(Scope::PerFile))
        .unwrap_or_default();
    let file_name = r
        .string(t, "file_name", Some(Scope::PerFile))
        .unwrap_or_else(|| "${file.name}".into());
    let prefix = r
        .string(t, "prefix", Some(Scope::PerFile))
        .unwrap_or_default();
    let suffix = r
        .string(t, "suffix", Some(Scope::PerFile))
        .unwrap_or_default();
    let create_dirs = r.bool(t, "create_dirs", true);
    let when_exists = r
        .choice(
            t,
            "when_exists",
            &[
                ("rollback", SinkExists::Rollback),
                ("fail", SinkExists::Rollback),
                ("replace", SinkExists::Replace),
                ("counter", SinkExists::Counter),
                ("rename-counter", SinkExists::Counter),
                ("timestamp", SinkExists::Timestamp),
                ("rename-timestamp", SinkExists::Timestamp),
                ("archive", SinkExists::Archive),
            ],
        )
        .unwrap_or(SinkExists::Rollback);
    let temp_dir = r.string(t, "temp_directory", Some(Scope::PerFile));
    let temp_prefix = r
        .string(t, "temp_prefix", Some(Scope::Static))
        .unwrap_or_else(|| ".graphlink-".into());
    let temp_suffix = r
        .string(t, "temp_suffix", Some(Scope::Static))
        .unwrap_or_else(|| ".part".into());
    let archive_dir = r.string(t, "archive_directory", Some(Scope::PerFile));
    let archive_exists = r
        .choice(
            t,
            "archive_exists",
            &[
                ("replace", ArchiveExists::Replace),
                ("counter", ArchiveExists::Counter),
                ("timestamp", ArchiveExists::Timestamp),
            ],
        )
        .unwrap_or(ArchiveExists::Counter);
    let housekeeping = r.table(t, "housekeeping").and_then(|mut h| {
        if !h.map.contains_key("schedule") {
            r.missing(&h, "schedule", " (a cron expression)");
        }
        let schedule = r.cron(&mut h, "schedule");
        let output = r.duration(&mut h, "output");
        let archive = r.duration(&mut h, "archive");
        r.finish(h);
        schedule.map(|schedule| SinkHousekeeping {
            schedule,
            output,
            archive,
        })
    });
    let post_delay = r.duration(t, "post_delay").unwrap_or_default();
    let post_retries = r.u32(t, "post_retries").unwrap_or(3);
    Some(Sink {
        meta: empty_meta(),
        storage: storage?,
        directory,
        file_name,
        prefix,
        suffix,
        create_dirs,
        when_exists,
        temp_dir,
        temp_prefix,
        temp_suffix,
        archive_dir,
        archive_exists,
        housekeeping,
        post_delay,
        post_retries,
    })
}

fn service(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<ServiceKind> {
    if !t.map.contains_key("type") {
        r.missing(t, "type", " (teams or log)");
        return None;
    }
    match r.choice(t, "type", &[("teams", 0), ("log", 1)])? {
        0 => {
            let connection = r.required(
                t,
                "connection",
                None,
                " (an MS Graph connection asset, device flow)",
            );
            let mut channels = Vec::new();
            if let Some(mut ct) = r.table(t, "channels") {
                let names: Vec<String> = ct.map.keys().cloned().collect();
                for name in names {
                    if let Some(mut e) = r.table(&mut ct, &name) {
                        let team =
                            r.required(&mut e, "team", Some(Scope::Static), " (team name or id)");
                        let channel = r.string(&mut e, "channel", Some(Scope::Static));
                        let description = r.string(&mut e, "description", None).unwrap_or_default();
                        r.finish(e);
                        channels.push(ChannelEntry {
                            name,
                            team: team.unwrap_or_default(),
                            channel: channel.unwrap_or_else(|| "General".into()),
                            description,
                        });
                    }
                }
                r.finish(ct);
            }
            let mut chats = Vec::new();
            if let Some(mut ct) = r.table(t, "chats") {
                let names: Vec<String> = ct.map.keys().cloned().collect();
                for name in names {
                    if let Some(mut e) = r.table(&mut ct, &name) {
                        let members = r.strings(&mut e, "members", Some(Scope::Static));
                        if members.is_empty() {
                            r.missing(&e, "members", " (one or more UPNs or names)");
                        }
                        let description = r.string(&mut e, "description", None).unwrap_or_default();
                        r.finish(e);
                        chats.push(ChatEntry {
                            name,
                            members,
                            description,
                        });
                    }
                }
                r.finish(ct);
            }
            Some(ServiceKind::Teams {
                connection: connection.unwrap_or_default(),
                channels,
                chats,
            })
        }
        _ => Some(ServiceKind::Log),
    }
}

fn notification(r: &mut AssetReader<'_>, t: &mut Tbl<'_>, key: &str) -> Option<Notification> {
    let mut n = r.table(t, key)?;
    let service = r.required(&mut n, "service", None, " (a service asset)");
    let conversation = r.string(&mut n, "conversation", Some(Scope::Static));
    let message = r.required(
        &mut n,
        "message",
        Some(Scope::Message),
        " (the text, macros allowed)",
    );
    r.finish(n);
    Some(Notification {
        service: service?,
        conversation: conversation.unwrap_or_default(),
        message: message?,
    })
}

fn workflow(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Workflow> {
    let source = r.required(t, "source", None, " (a source asset)");
    let sink = r.required(t, "sink", None, " (a sink asset)");
    let argv = r.strings(t, "command", Some(Scope::PerFile));
    let timeout = r.duration(t, "command_timeout");
    let command = if argv.is_empty() {
        if t.map.contains_key("command") {
            let span = t.map["command"].span.clone();
            r.problem(
                Some("command".into()),
                &span,
                "the command is empty: give the program and its arguments",
            );
        }
        None
    } else {
        Some(CommandSetting { argv, timeout })
    };
    let on_success = notification(r, t, "on_success");
    let on_failure = notification(r, t, "on_failure");
    Some(Workflow {
        meta: empty_meta(),
        source: source.unwrap_or_default(),
        sink: sink.unwrap_or_default(),
        command,
        on_success,
        on_failure,
    })
}
