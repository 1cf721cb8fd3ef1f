//! Which asset references which: `usage` (who uses X, following chains) and the transitive
//! dependencies of a workflow (to decide whether a node's roles allow it).

use std::collections::{BTreeMap, BTreeSet};

use crate::macros::{self, Macro};
use crate::model::{AssetId, AssetKind, ServiceKind};
use crate::problem::Location;
use crate::project::Project;

/// One reference from an asset's field to another asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referencing asset.
    pub from: AssetId,
    /// The field holding the reference.
    pub field: String,
    /// The referenced asset.
    pub to: AssetId,
    /// Where the field is written.
    pub location: Location,
}

/// Every reference in the project (to assets that exist), including macros: `${lay:KEY}`
/// references each environment asset defining KEY, `${sec:KEY}` the secret asset holding KEY.
pub fn references(project: &Project) -> Vec<Reference> {
    let mut out = Vec::new();
    let exists = |id: &AssetId| project.meta(id).is_some();
    let mut push = |from: &AssetId, field: &str, to: AssetId| {
        if exists(&to) {
            let location = project
                .meta(from)
                .map(|m| m.field_location(field))
                .unwrap_or_default();
            out.push(Reference {
                from: from.clone(),
                field: field.to_string(),
                to,
                location,
            });
        }
    };
    for s in &project.sources {
        if let Some(c) = s.storage.connection() {
            push(
                &s.meta.id,
                "connection",
                AssetId::new(AssetKind::Connection, c),
            );
        }
    }
    for s in &project.sinks {
        if let Some(c) = s.storage.connection() {
            push(
                &s.meta.id,
                "connection",
                AssetId::new(AssetKind::Connection, c),
            );
        }
    }
    for s in &project.services {
        if let ServiceKind::Teams { connection, .. } = &s.kind {
            push(
                &s.meta.id,
                "connection",
                AssetId::new(AssetKind::Connection, connection),
            );
        }
    }
    for w in &project.workflows {
        push(
            &w.meta.id,
            "source",
            AssetId::new(AssetKind::Source, &w.source),
        );
        push(&w.meta.id, "sink", AssetId::new(AssetKind::Sink, &w.sink));
        if let Some(n) = &w.on_success {
            push(
                &w.meta.id,
                "on_success.service",
                AssetId::new(AssetKind::Service, &n.service),
            );
        }
        if let Some(n) = &w.on_failure {
            push(
                &w.meta.id,
                "on_failure.service",
                AssetId::new(AssetKind::Service, &n.service),
            );
        }
    }
    for meta in project.metas() {
        for (field, text, _) in &meta.strings {
            let Ok(t) = macros::parse(text) else { continue };
            for m in t.macros() {
                match m {
                    Macro::Lay(key) => {
                        for e in project
                            .environments
                            .iter()
                            .filter(|e| e.values.contains_key(key))
                        {
                            push(&meta.id, field, e.meta.id.clone());
                        }
                    }
                    Macro::Sec(key) => {
                        for s in project
                            .secrets
                            .iter()
                            .filter(|s| s.values.contains_key(key))
                        {
                            push(&meta.id, field, s.meta.id.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Where an asset is used.
#[derive(Debug, Clone)]
pub struct Usage {
    /// The asset.
    pub asset: AssetId,
    /// Direct references to it.
    pub direct: Vec<Reference>,
    /// Every asset that uses it directly or through others, with the chain that leads there
    /// (`[workflow 'w', source 's']` for a connection used by source `s` used by workflow `w`).
    pub chains: Vec<Vec<AssetId>>,
}

impl Usage {
    /// How many times it is referenced directly.
    pub fn count(&self) -> usize {
        self.direct.len()
    }
}

/// The usage of every asset called `name` (any kind), or of `kind:name` / `kind.name`.
/// Empty if there is no such asset.
pub fn usage(project: &Project, name: &str) -> Vec<Usage> {
    let (kind, bare) = match name.split_once([':', '.']) {
        Some((k, n)) if AssetKind::from_key(k).is_some() => (AssetKind::from_key(k), n),
        _ => (None, name),
    };
    let refs = references(project);
    let mut by_target: BTreeMap<&AssetId, Vec<&Reference>> = BTreeMap::new();
    for r in &refs {
        by_target.entry(&r.to).or_default().push(r);
    }
    project
        .metas()
        .into_iter()
        .filter(|m| m.id.name == bare && kind.is_none_or(|k| k == m.id.kind))
        .map(|m| {
            let direct: Vec<Reference> = by_target
                .get(&m.id)
                .map(|v| v.iter().map(|r| (*r).clone()).collect())
                .unwrap_or_default();
            let mut chains = Vec::new();
            let mut stack: Vec<Vec<AssetId>> =
                direct.iter().map(|r| vec![r.from.clone()]).collect();
            let mut seen = BTreeSet::new();
            while let Some(chain) = stack.pop() {
                let Some(last) = chain.last().cloned() else {
                    continue;
                };
                if !seen.insert(chain.clone()) || chain.len() > 16 {
                    continue;
                }
                let mut display = chain.clone();
                display.reverse();
                chains.push(display);
                for r in by_target.get(&last).into_iter().flatten() {
                    if !chain.contains(&r.from) {
                        let mut next = chain.clone();
                        next.push(r.from.clone());
                        stack.push(next);
                    }
                }
            }
            chains.sort();
            chains.dedup();
            Usage {
                asset: m.id.clone(),
                direct,
                chains,
            }
        })
        .collect()
}

/// Every asset `id` uses, directly or indirectly (not including itself).
pub fn dependencies(project: &Project, id: &AssetId) -> BTreeSet<AssetId> {
    let refs = references(project);
    let mut out = BTreeSet::new();
    let mut todo = vec![id.clone()];
    while let Some(cur) = todo.pop() {
        for r in refs.iter().filter(|r| r.from == cur) {
            if out.insert(r.to.clone()) {
                todo.push(r.to.clone());
            }
        }
    }
    out.remove(id);
    out
}

/// Whether a node with `roles` may run workflow `name`: the workflow and every asset it uses
/// allow the roles. On refusal, the assets that do not allow them.
pub fn runnable(project: &Project, name: &str, roles: &[String]) -> Result<(), Vec<AssetId>> {
    let id = AssetId::new(AssetKind::Workflow, name);
    let mut blocked = Vec::new();
    for dep in std::iter::once(id.clone()).chain(dependencies(project, &id)) {
        if let Some(meta) = project.meta(&dep) {
            if !meta.allows(roles) {
                blocked.push(dep);
            }
        }
    }
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(blocked)
    }
}
