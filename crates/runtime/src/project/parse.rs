//! Turns one project file into assets: each asset's table is read by its type's declared
//! settings (`crate::model`), after the fields every asset has.

use std::path::Path;

use super::Project;
use crate::model::reader::{AssetReader, Tbl};
use crate::model::settings::Asset;
use crate::model::tree::{parse_document, LineIndex, Node, Value};
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
            let r = &mut r;
            match kind {
                AssetKind::Connection => add(project, r, t, name, mk_meta, |p| &mut p.connections),
                AssetKind::Environment => {
                    add(project, r, t, name, mk_meta, |p| &mut p.environments);
                }
                AssetKind::Secret => add(project, r, t, name, mk_meta, |p| &mut p.secrets),
                AssetKind::Source => add(project, r, t, name, mk_meta, |p| &mut p.sources),
                AssetKind::Sink => add(project, r, t, name, mk_meta, |p| &mut p.sinks),
                AssetKind::Service => add(project, r, t, name, mk_meta, |p| &mut p.services),
                AssetKind::Workflow => add(project, r, t, name, mk_meta, |p| &mut p.workflows),
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

/// Reads an asset's own settings, reports the keys of its table nobody read, and keeps it
/// with its common fields (`meta`). An asset too broken to keep is remembered, so that
/// references to it are not reported again.
fn add<A: Asset>(
    project: &mut Project,
    r: &mut AssetReader<'_>,
    mut t: Tbl<'_>,
    name: &str,
    meta: impl FnOnce(&mut AssetReader<'_>) -> AssetMeta,
    list: impl FnOnce(&mut Project) -> &mut Vec<A>,
) {
    let asset = A::read(r, &mut t, name);
    r.finish(t);
    match asset {
        Some(mut a) => {
            *a.meta_mut() = meta(r);
            list(project).push(a);
        }
        None => {
            project.broken.insert(AssetId::new(A::KIND, name));
        }
    }
}
