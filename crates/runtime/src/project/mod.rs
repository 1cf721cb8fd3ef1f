//! A project: a folder of TOML files defining named assets.

mod parse;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::*;
use crate::problem::Problem;
use crate::{Error, Result};

/// A loaded project. Loading never stops at the first problem: syntax and field problems are
/// kept in [`Project::load_problems`] and reported by [`crate::validate`] with the others.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The project folder.
    pub dir: PathBuf,
    /// The files read (relative to `dir`).
    pub files: Vec<PathBuf>,
    /// `[project] name`.
    pub name: Option<String>,
    /// `[project] description`.
    pub description: String,
    /// `[project] stage`: the environment asset used when none is chosen.
    pub default_stage: Option<String>,
    /// Connections.
    pub connections: Vec<Connection>,
    /// Environment assets.
    pub environments: Vec<Environment>,
    /// Secret assets.
    pub secrets: Vec<SecretAsset>,
    /// Sources.
    pub sources: Vec<Source>,
    /// Sinks.
    pub sinks: Vec<Sink>,
    /// Services.
    pub services: Vec<Service>,
    /// Workflows.
    pub workflows: Vec<Workflow>,
    /// Problems found while reading the files.
    pub load_problems: Vec<Problem>,
    /// Assets too broken to be kept (references to them are not reported again).
    pub broken: BTreeSet<AssetId>,
}

impl Project {
    /// Loads every `*.toml` file of `dir` and its sub-folders (hidden folders and files are
    /// skipped), in name order.
    pub fn load(dir: impl AsRef<Path>) -> Result<Project> {
        let dir = dir.as_ref();
        let meta =
            std::fs::metadata(dir).map_err(|e| Error::io("reading the project folder", dir, e))?;
        if !meta.is_dir() {
            return Err(Error::Config(format!(
                "'{}' is not a folder",
                dir.display()
            )));
        }
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        files.sort();
        let mut project = Project {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        if files.is_empty() {
            return Err(Error::Config(format!(
                "'{}' has no project files (*.toml)",
                dir.display()
            )));
        }
        for rel in &files {
            let path = dir.join(rel);
            let text =
                std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
            parse::parse_file(&mut project, rel, &text);
        }
        project.files = files;
        Ok(project)
    }

    /// Parses one file's text as a whole project (for tests and tools).
    pub fn from_str(file_name: &str, text: &str) -> Project {
        let mut project = Project::default();
        parse::parse_file(&mut project, Path::new(file_name), text);
        project.files.push(PathBuf::from(file_name));
        project
    }

    /// A connection by name.
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|a| a.meta.id.name == name)
    }
    /// An environment asset by name.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|a| a.meta.id.name == name)
    }
    /// A source by name.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|a| a.meta.id.name == name)
    }
    /// A sink by name.
    pub fn sink(&self, name: &str) -> Option<&Sink> {
        self.sinks.iter().find(|a| a.meta.id.name == name)
    }
    /// A service by name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|a| a.meta.id.name == name)
    }
    /// A workflow by name.
    pub fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|a| a.meta.id.name == name)
    }

    /// Every asset's common fields.
    pub fn metas(&self) -> Vec<&AssetMeta> {
        let mut v: Vec<&AssetMeta> = Vec::new();
        v.extend(self.connections.iter().map(|a| &a.meta));
        v.extend(self.environments.iter().map(|a| &a.meta));
        v.extend(self.secrets.iter().map(|a| &a.meta));
        v.extend(self.sources.iter().map(|a| &a.meta));
        v.extend(self.sinks.iter().map(|a| &a.meta));
        v.extend(self.services.iter().map(|a| &a.meta));
        v.extend(self.workflows.iter().map(|a| &a.meta));
        v
    }

    /// The meta of an asset.
    pub fn meta(&self, id: &AssetId) -> Option<&AssetMeta> {
        self.metas().into_iter().find(|m| &m.id == id)
    }

    /// The environment asset for `stage` (or the project's default stage, or the only one).
    pub fn select_environment(
        &self,
        stage: Option<&str>,
    ) -> std::result::Result<Option<&Environment>, String> {
        let stage = stage.or(self.default_stage.as_deref());
        match stage {
            Some(s) => self
                .environment(s)
                .map(Some)
                .ok_or_else(|| format!("stage '{s}' has no environment asset [environment.{s}]")),
            None => match self.environments.len() {
                0 => Ok(None),
                1 => Ok(self.environments.first()),
                _ => Err(format!(
                    "the project has {} environment assets: choose the stage ({})",
                    self.environments.len(),
                    self.environments
                        .iter()
                        .map(|e| e.meta.id.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        }
    }

    /// The absolute path of a project file.
    pub fn file_path(&self, rel: &Path) -> PathBuf {
        self.dir.join(rel)
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| Error::io("reading", &path, e))?;
        if ft.is_dir() {
            collect_files(root, &path, out)?;
        } else if name.ends_with(".toml") {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}
