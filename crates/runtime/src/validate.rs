//! `validate`: every problem of a project at once, each with file, line, asset and field.
//!
//! The problems of reading (syntax, unknown fields, wrong types, bad values) come from the
//! load; each asset type's own checks sit with its settings in `crate::model`; what is
//! checked here is between assets: names, macros, references, services' connections, and
//! secret assets (with the `secrets` rules).

use std::collections::BTreeMap;

use crate::macros::{self, Macro, Scope};
use crate::model::*;
use crate::problem::{Location, Problem};
use crate::project::Project;

/// Validation settings.
pub struct ValidateOptions<'a> {
    /// The deployment stage (environment asset) for `${lay:..}`; None = the project's default.
    pub stage: Option<&'a str>,
    /// Environment variable lookup for `${env:..}` (default: the process environment).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl std::fmt::Debug for ValidateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateOptions")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
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
        c: Checks::new(&project.dir, project.load_problems.clone()),
    };
    v.names();
    v.macros(options);
    v.references();
    for c in &project.connections {
        c.check(&mut v.c);
    }
    for s in &project.secrets {
        v.secret(s);
    }
    for s in &project.sources {
        s.check(&mut v.c);
    }
    for s in &project.sinks {
        s.check(&mut v.c);
    }
    for w in &project.workflows {
        w.check(&mut v.c);
    }
    for s in &project.services {
        s.check(&mut v.c);
        v.service(s);
    }
    let mut problems = v.c.into_problems();
    problems.sort_by(|a, b| {
        (&a.location.file, a.location.line, &a.asset, &a.field).cmp(&(
            &b.location.file,
            b.location.line,
            &b.asset,
            &b.field,
        ))
    });
    problems.dedup();
    problems
}

struct Checker<'a> {
    project: &'a Project,
    c: Checks<'a>,
}

impl Checker<'_> {
    fn at(&mut self, meta: &AssetMeta, field: Option<&str>, message: impl Into<String>) {
        self.c.at(meta, field, message);
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

    /// A Teams service posts as a user: its connection must sign one in.
    fn service(&mut self, s: &Service) {
        let ServiceKind::Teams { connection, .. } = &s.kind else {
            return;
        };
        if self
            .project
            .connection(connection)
            .is_some_and(Connection::is_app_only)
        {
            self.at(
                &s.meta,
                Some("connection"),
                format!("connection '{connection}' is app-only: Graph allows posting Teams messages only with a signed-in user (credential = \"device-flow\")"),
            );
        }
    }
}
