//! `validate`: every problem of a project at once, each with file, line, asset and field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::macros::{self, Macro, Scope};
use crate::model::*;
use crate::naming;
use crate::problem::{Location, Problem};
use crate::project::Project;

/// Validation settings.
pub struct ValidateOptions<'a> {
    /// The deployment stage (environment asset) for `${lay:..}`; None = the project's default.
    pub stage: Option<&'a str>,
    /// Environment variable lookup for `${env:..}` (default: the process environment).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Default for ValidateOptions<'_> {
    fn default() -> Self {
        Self {
            stage: None,
            env: &process_env,
        }
    }
}

/// Validates with the process environment and the project's default stage.
pub fn validate(project: &Project) -> Vec<Problem> {
    validate_with(project, &ValidateOptions::default())
}

/// Validates the project; returns every problem found (empty = valid).
pub fn validate_with(project: &Project, options: &ValidateOptions<'_>) -> Vec<Problem> {
    let mut v = Checker {
        project,
        problems: project.load_problems.clone(),
    };
    v.names();
    v.macros(options);
    v.references();
    for c in &project.connections {
        v.connection(c);
    }
    for s in &project.secrets {
        v.secret(s);
    }
    for s in &project.sources {
        v.source(s);
    }
    for s in &project.sinks {
        v.sink(s);
    }
    for s in &project.services {
        v.service(s);
    }
    v.problems.sort_by(|a, b| {
        (&a.location.file, a.location.line, &a.asset, &a.field).cmp(&(
            &b.location.file,
            b.location.line,
            &b.asset,
            &b.field,
        ))
    });
    v.problems.dedup();
    v.problems
}

struct Checker<'a> {
    project: &'a Project,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, meta: &AssetMeta, field: Option<&str>, message: impl Into<String>) {
        let location = match field {
            Some(f) => meta.field_location(f),
            None => meta.location.clone(),
        };
        self.problems.push(Problem {
            location,
            asset: Some(meta.id.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        });
    }

    fn names(&mut self) {
        let mut seen: BTreeMap<(AssetKind, String), Location> = BTreeMap::new();
        for meta in self.project.metas() {
            let name = &meta.id.name;
            if name.is_empty() {
                self.at(meta, Some("name"), "the name is empty");
            } else if name.chars().any(char::is_whitespace) {
                self.at(
                    meta,
                    Some("name"),
                    format!("the name '{name}' contains whitespace: use '-' or '_' instead"),
                );
            }
            match seen.get(&(meta.id.kind, name.clone())) {
                Some(first) => {
                    let first = first.clone();
                    self.at(
                        meta,
                        Some("name"),
                        format!(
                            "duplicate {} name '{name}' (first defined at {first})",
                            meta.id.kind
                        ),
                    );
                }
                None => {
                    seen.insert((meta.id.kind, name.clone()), meta.location.clone());
                }
            }
        }
    }

    fn macros(&mut self, options: &ValidateOptions<'_>) {
        let env_asset = self.project.select_environment(options.stage);
        let lay = env_asset.as_ref().ok().and_then(|e| e.map(|e| &e.values));
        let mut sec_keys: BTreeMap<String, &AssetId> = BTreeMap::new();
        for s in &self.project.secrets {
            for k in s.values.keys() {
                if let Some(first) = sec_keys.get(k) {
                    let msg = format!("secret key '{k}' is also defined in {first}: keys must be unique across secret assets");
                    self.at(&s.meta, Some(&format!("values.{k}")), msg);
                } else {
                    sec_keys.insert(k.clone(), &s.meta.id);
                }
            }
        }
        let mut stage_reported = false;
        for meta in self.project.metas() {
            for (field, text, scope) in &meta.strings {
                let template = match macros::parse(text) {
                    Ok(t) => t,
                    Err(e) => {
                        self.at(meta, Some(field), e);
                        continue;
                    }
                };
                for m in template.macros() {
                    if m.scope() > *scope {
                        let hint = match scope {
                            Scope::Static => "per-file macros are only allowed in sink, command and notification settings",
                            _ => "${error} is only allowed in notification messages",
                        };
                        self.at(
                            meta,
                            Some(field),
                            format!("{m} cannot be used here: {hint}"),
                        );
                    }
                    match m {
                        Macro::Env(name) if (options.env)(name).is_none() => {
                            self.at(meta, Some(field), format!("unresolved macro {m}: environment variable '{name}' is not set"));
                        }
                        Macro::Lay(key) => match &env_asset {
                            Err(e) => {
                                if !stage_reported {
                                    stage_reported = true;
                                    self.at(
                                        meta,
                                        Some(field),
                                        format!("unresolved macro {m}: {e}"),
                                    );
                                }
                            }
                            Ok(None) => self.at(
                                meta,
                                Some(field),
                                format!(
                                    "unresolved macro {m}: the project has no environment asset"
                                ),
                            ),
                            Ok(Some(e)) => {
                                if lay.is_some_and(|l| !l.contains_key(key)) {
                                    self.at(meta, Some(field), format!("unresolved macro {m}: key '{key}' is not in environment asset '{}'", e.meta.id.name));
                                }
                            }
                        },
                        Macro::Sec(key) if !sec_keys.contains_key(key) => {
                            self.at(meta, Some(field), format!("unresolved macro {m}: no secret asset holds key '{key}' (add it with `graphlink secret add`)"));
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn reference(&mut self, meta: &AssetMeta, field: &str, kind: AssetKind, name: &str) {
        if name.is_empty() {
            return;
        }
        let id = AssetId::new(kind, name);
        if self.project.meta(&id).is_some() || self.project.broken.contains(&id) {
            return;
        }
        let known: Vec<String> = self
            .project
            .metas()
            .into_iter()
            .filter(|m| m.id.kind == kind)
            .map(|m| m.id.name.clone())
            .collect();
        let known = if known.is_empty() {
            format!("the project has no {kind} assets")
        } else {
            format!("known: {}", known.join(", "))
        };
        self.at(
            meta,
            Some(field),
            format!("unknown {kind} '{name}' ({known})"),
        );
    }

    fn references(&mut self) {
        let p = self.project;
        for s in &p.sources {
            if let Some(c) = s.storage.connection() {
                self.reference(&s.meta, "connection", AssetKind::Connection, c);
            }
        }
        for s in &p.sinks {
            if let Some(c) = s.storage.connection() {
                self.reference(&s.meta, "connection", AssetKind::Connection, c);
            }
        }
        for s in &p.services {
            if let ServiceKind::Teams { connection, .. } = &s.kind {
                self.reference(&s.meta, "connection", AssetKind::Connection, connection);
            }
        }
        for w in &p.workflows {
            self.reference(&w.meta, "source", AssetKind::Source, &w.source);
            self.reference(&w.meta, "sink", AssetKind::Sink, &w.sink);
            for (key, n) in [("on_success", &w.on_success), ("on_failure", &w.on_failure)] {
                let Some(n) = n else { continue };
                let field = format!("{key}.service");
                self.reference(&w.meta, &field, AssetKind::Service, &n.service);
                if let Some(service) = p.service(&n.service) {
                    if let Some(names) = service.conversations() {
                        let conv_field = format!("{key}.conversation");
                        if n.conversation.is_empty() {
                            self.at(
                                &w.meta,
                                Some(&conv_field),
                                format!(
                                    "missing conversation: a channel or chat of service '{}'",
                                    n.service
                                ),
                            );
                        } else if !names.contains(&n.conversation.as_str()) {
                            self.at(
                                &w.meta,
                                Some(&conv_field),
                                format!(
                                    "service '{}' has no channel or chat '{}' (known: {})",
                                    n.service,
                                    n.conversation,
                                    names.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(src) = p.source(&w.source) {
                if matches!(src.storage, StorageSetting::Local { .. }) {
                    // fine
                }
            }
        }
    }

    fn connection(&mut self, c: &Connection) {
        let m = &c.meta;
        match (&c.cloud, &c.authority) {
            (_, Some(_)) if c.tenant.is_some() => self.at(
                m,
                Some("tenant"),
                "give either 'authority' (a full URL with the tenant) or 'tenant', not both",
            ),
            (CloudSetting::Custom, None) => {
                if c.authority_host.is_none() {
                    self.at(
                        m,
                        Some("authority_host"),
                        "cloud = \"custom\" needs authority_host (the identity platform base URL)",
                    );
                }
                if c.graph_url.is_none() {
                    self.at(
                        m,
                        Some("graph_url"),
                        "cloud = \"custom\" needs graph_url (the Graph base URL)",
                    );
                }
            }
            (CloudSetting::Custom, Some(_)) if c.graph_url.is_none() => self.at(
                m,
                Some("graph_url"),
                "a custom authority needs graph_url (the Graph base URL)",
            ),
            (_, None) if c.authority_host.is_some() => self.at(
                m,
                Some("authority_host"),
                "authority_host is only used with cloud = \"custom\"",
            ),
            _ => {}
        }
        if c.authority.is_none() && c.tenant.is_none() {
            self.at(
                m,
                Some("tenant"),
                "missing tenant (tenant id or domain), or give a full 'authority' URL",
            );
        }
        for (field, url) in [
            ("authority", &c.authority),
            ("authority_host", &c.authority_host),
            ("graph_url", &c.graph_url),
        ] {
            if let Some(u) = url.as_deref().filter(|u| !u.contains("${")) {
                match url_scheme(u) {
                    Some("https") => {}
                    Some("http") if c.allow_insecure_http => {}
                    Some("http") => self.at(m, Some(field), format!("'{u}' is plain http: set allow_insecure_http = true (local emulator only)")),
                    _ => self.at(m, Some(field), format!("'{u}' is not an http(s) URL")),
                }
            }
        }
        if !c.client_id.is_empty() && !c.client_id.contains("${") && !is_guid(&c.client_id) {
            self.at(
                m,
                Some("client_id"),
                format!("'{}' is not an application id (a GUID)", c.client_id),
            );
        }
        let app_only = !matches!(c.credential, CredentialSetting::DeviceFlow);
        let defaults: Vec<&String> = c
            .scopes
            .iter()
            .filter(|s| s.ends_with("/.default"))
            .collect();
        if app_only {
            let tenant = c.tenant.as_deref().unwrap_or_default().to_ascii_lowercase();
            if matches!(tenant.as_str(), "common" | "organizations" | "consumers") {
                self.at(
                    m,
                    Some("tenant"),
                    format!(
                        "client credentials need a concrete tenant id or domain, not '{tenant}'"
                    ),
                );
            }
            if c.scopes.len() > 1 || (c.scopes.len() == 1 && defaults.is_empty()) {
                self.at(
                    m,
                    Some("scopes"),
                    "app-only credentials use exactly one scope '{graph}/.default' (or none): delegated scopes cannot be mixed in",
                );
            }
        } else {
            if c.scopes.is_empty() {
                self.at(m, Some("scopes"), "device flow needs delegated scopes, e.g. [\"User.Read\", \"Files.ReadWrite.All\"]");
            }
            if !defaults.is_empty() && c.scopes.len() > 1 {
                self.at(
                    m,
                    Some("scopes"),
                    "'/.default' cannot be mixed with individual delegated scopes",
                );
            }
        }
        match &c.credential {
            CredentialSetting::ClientSecret { secret } => {
                if !secret.is_empty() && !secret.contains("${") {
                    self.at(m, Some("client_secret"), "the client secret must not be written in plain text: use ${sec:KEY} or ${env:NAME}");
                }
            }
            CredentialSetting::ClientCertificate { key, certificate } => {
                self.file_exists(m, "certificate_key", key);
                if let Some(cert) = certificate {
                    self.file_exists(m, "certificate", cert);
                }
            }
            CredentialSetting::DeviceFlow => {}
        }
        if let Some(ca) = &c.ca_certificate {
            self.file_exists(m, "ca_certificate", ca);
        }
    }

    fn file_exists(&mut self, meta: &AssetMeta, field: &str, path: &str) {
        if path.is_empty() || path.contains("${") {
            return;
        }
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.project.dir.join(p)
        };
        if !full.is_file() {
            self.at(
                meta,
                Some(field),
                format!("file '{}' does not exist", full.display()),
            );
        }
    }

    fn secret(&mut self, s: &SecretAsset) {
        if !s.recipient.is_empty() {
            if let Err(e) = crate::secrets::check_recipient(&s.recipient) {
                self.at(&s.meta, Some("recipient"), e);
            }
        }
        for (k, v) in &s.values {
            if !v.starts_with(crate::secrets::VALUE_PREFIX) {
                self.at(
                    &s.meta,
                    Some(&format!("values.{k}")),
                    "not an encrypted value: add secrets with `graphlink secret add`",
                );
            }
        }
    }

    fn source(&mut self, s: &Source) {
        let m = &s.meta;
        if s.max_streams == Some(0) {
            self.at(
                m,
                Some("max_streams"),
                "max_streams = 0 would never take a file",
            );
        }
        if s.poll_timeout.is_some_and(|d| d.is_zero()) {
            self.at(
                m,
                Some("poll_timeout"),
                "the polling timeout must be longer than 0",
            );
        }
        let mut names = BTreeSet::new();
        for f in &s.folders {
            let base = format!("folders.{}", f.name);
            if !names.insert(f.name.clone()) {
                self.at(m, Some(&base), "duplicate folder setup name");
            }
            let input = literal_dir(&f.input);
            for (which, target) in [("done", &f.done), ("error", &f.error)] {
                let Some(target) = target else { continue };
                let field = format!("{base}.{which}");
                let Some(dir) = literal_dir(&target.dir) else {
                    continue;
                };
                let Some(input) = &input else { continue };
                if &dir == input && target.prefix.is_empty() && target.suffix.is_empty() {
                    self.at(m, Some(&field), format!("the {which} directory is the input directory: files would be taken again"));
                } else if &dir == input {
                    self.at(m, Some(&field), format!("the {which} directory is the input directory: {which}_prefix/{which}_suffix names would be listed again"));
                } else if f.include_subdirs && is_inside(&dir, input) {
                    self.at(m, Some(&field), format!("the {which} directory is inside the input directory and include_subdirs is on: files would be taken again"));
                }
            }
            if s.reprocessing == Reprocessing::Automatic && f.on_success == InputAfter::Keep {
                self.at(
                    m,
                    Some(&format!("{base}.on_success")),
                    "reprocessing = \"automatic\" with on_success = \"keep\" would take the same file forever: use a done directory or when-changed",
                );
            }
            if let Some(h) = &f.housekeeping {
                if h.input.is_none() && h.done.is_none() && h.error.is_none() {
                    self.at(
                        m,
                        Some(&format!("{base}.housekeeping")),
                        "housekeeping has nothing to do: set input, done and/or error ages",
                    );
                }
                if h.done.is_some() && f.done.is_none() {
                    self.at(
                        m,
                        Some(&format!("{base}.housekeeping.done")),
                        "housekeeping of done files without a done directory",
                    );
                }
                if h.error.is_some() && f.error.is_none() {
                    self.at(
                        m,
                        Some(&format!("{base}.housekeeping.error")),
                        "housekeeping of error files without an error directory",
                    );
                }
            }
        }
    }

    fn sink(&mut self, s: &Sink) {
        let m = &s.meta;
        if s.when_exists == SinkExists::Archive && s.archive_dir.is_none() {
            self.at(
                m,
                Some("when_exists"),
                "when_exists = \"archive\" needs archive_directory",
            );
        }
        if s.archive_dir.is_some() && s.when_exists != SinkExists::Archive {
            self.at(
                m,
                Some("archive_directory"),
                "archive_directory is only used with when_exists = \"archive\"",
            );
        }
        let same_dir = s
            .temp_dir
            .as_deref()
            .is_none_or(|t| literal_dir(t) == literal_dir(&s.directory));
        if s.temp_prefix.is_empty() && s.temp_suffix.is_empty() && same_dir {
            self.at(m, Some("temp_prefix"), "temporary names equal the output names: set temp_prefix, temp_suffix or temp_directory");
        }
        if let (Some(a), Some(o)) = (
            s.archive_dir.as_deref().and_then(literal_dir),
            literal_dir(&s.directory),
        ) {
            if a == o {
                self.at(
                    m,
                    Some("archive_directory"),
                    "the archive directory is the output directory",
                );
            }
        }
        if let Some(h) = &s.housekeeping {
            if h.output.is_none() && h.archive.is_none() {
                self.at(
                    m,
                    Some("housekeeping"),
                    "housekeeping has nothing to do: set output and/or archive ages",
                );
            }
        }
    }

    fn service(&mut self, s: &Service) {
        if let ServiceKind::Teams {
            connection,
            channels,
            chats,
        } = &s.kind
        {
            if let Some(c) = self.project.connection(connection) {
                if !matches!(c.credential, CredentialSetting::DeviceFlow) {
                    self.at(
                        &s.meta,
                        Some("connection"),
                        format!("connection '{connection}' is app-only: Graph allows posting Teams messages only with a signed-in user (credential = \"device-flow\")"),
                    );
                }
            }
            if channels.is_empty() && chats.is_empty() {
                self.at(
                    &s.meta,
                    None,
                    "a Teams service needs at least one channel or chat",
                );
            }
        }
    }
}

/// A directory setting without macros, normalised.
fn literal_dir(text: &str) -> Option<String> {
    let t = macros::parse(text).ok()?;
    if t.is_literal() {
        naming::normalize(text).ok()
    } else {
        None
    }
}

fn is_inside(dir: &str, parent: &str) -> bool {
    parent.is_empty() || dir.starts_with(&format!("{parent}/"))
}

fn url_scheme(u: &str) -> Option<&str> {
    u.split_once("://").map(|(s, _)| s)
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}
