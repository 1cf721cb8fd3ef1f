//! The node: runs every workflow its roles allow, until stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::config::{self, NotifyRt, WorkflowRt};
use super::status::NodeStatus;
use super::workflow::{PollReport, Runner};
use crate::connect::{GraphStorageFactory, ResolvedConnection};
use crate::coordinator::{Coordinator, SqliteCoordinator};
use crate::macros::Macro;
use crate::macros::StaticValues;
use crate::model::{AssetId, Notification, ServiceKind, StorageSetting};
use crate::notify::{LogNotifier, Notifier};
use crate::project::Project;
use crate::secrets::{KeyPair, SecretValue};
use crate::storage::{LocalStorage, Storage};
use crate::{Error, Result};

/// Opens storages that are not local (OneDrive, SharePoint). `setting` has its static macros
/// already resolved.
#[async_trait::async_trait]
pub trait StorageFactory: Send + Sync + std::fmt::Debug {
    /// Opens the storage of `asset`.
    async fn open(
        &self,
        connection: &ResolvedConnection,
        asset: &AssetId,
        setting: &StorageSetting,
    ) -> Result<Arc<dyn Storage>>;
}

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The node's roles.
    pub roles: Vec<String>,
    /// The node's state folder (coordinator database, node id, status file).
    pub state_dir: PathBuf,
    /// The deployment stage (environment asset) for `${lay:..}`.
    pub stage: Option<String>,
    /// The private key file for `${sec:..}` (default: `GRAPHLINK_SECRET_KEY_FILE`).
    pub secret_key_file: Option<PathBuf>,
    /// Notifiers by service name; Teams services without one post through their connection
    /// ([`crate::teams::TeamsNotifier`]), log services log.
    pub notifiers: BTreeMap<String, Arc<dyn Notifier>>,
    /// Opens OneDrive/SharePoint storages (default: [`crate::GraphStorageFactory`] with
    /// `token_cache_dir`).
    pub storage_factory: Option<Arc<dyn StorageFactory>>,
    /// Where device-flow sign-ins are kept (default: the state folder).
    pub token_cache_dir: Option<PathBuf>,
    /// A shared coordinator (default: SQLite in the state folder).
    pub coordinator: Option<Arc<dyn Coordinator>>,
    /// How long a node holds a file without renewing.
    pub lease: Duration,
}

impl NodeOptions {
    /// Options with `roles` and `state_dir`, defaults elsewhere.
    pub fn new(roles: Vec<String>, state_dir: impl Into<PathBuf>) -> Self {
        Self {
            roles,
            state_dir: state_dir.into(),
            stage: None,
            secret_key_file: None,
            notifiers: BTreeMap::new(),
            storage_factory: None,
            token_cache_dir: None,
            coordinator: None,
            lease: Duration::from_secs(120),
        }
    }
}

/// A node: the workflows of a project that its roles allow.
#[derive(Debug)]
pub struct Node {
    node_id: String,
    roles: Vec<String>,
    state_dir: PathBuf,
    coordinator: Arc<dyn Coordinator>,
    lease: Duration,
    runners: Vec<tokio::sync::Mutex<Runner>>,
    statuses: Vec<Arc<parking_lot::Mutex<super::status::WorkflowStatus>>>,
    skipped: Vec<(String, String)>,
    _lock: std::fs::File,
}

impl Node {
    /// Prepares a node: validates what it will run, resolves macros (decrypting secrets if
    /// needed), opens storages and the coordinator, and locks the state folder.
    pub async fn new(project: &Project, options: NodeOptions) -> Result<Node> {
        std::fs::create_dir_all(&options.state_dir)
            .map_err(|e| Error::io("creating the state folder", &options.state_dir, e))?;
        let lock = lock_state_dir(&options.state_dir)?;
        let node_id = node_id(&options.state_dir)?;
        let mut runnable = Vec::new();
        let mut skipped = Vec::new();
        for w in &project.workflows {
            match crate::runnable(project, &w.meta.id.name, &options.roles) {
                Ok(()) => runnable.push(w),
                Err(blocked) => {
                    let names: Vec<String> = blocked.iter().map(ToString::to_string).collect();
                    skipped.push((
                        w.meta.id.name.clone(),
                        format!("roles do not allow {}", names.join(", ")),
                    ));
                }
            }
        }
        let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for w in &runnable {
            used.insert(w.meta.id.to_string());
            for d in crate::dependencies(project, &w.meta.id) {
                used.insert(d.to_string());
            }
        }
        let env_fn = |n: &str| std::env::var(n).ok();
        let problems: Vec<_> = crate::validate_with(
            project,
            &crate::ValidateOptions {
                stage: options.stage.as_deref(),
                env: &env_fn,
            },
        )
        .into_iter()
        .filter(|p| p.asset.as_ref().is_none_or(|a| used.contains(a)))
        .collect();
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let lay = match project.select_environment(options.stage.as_deref()) {
            Ok(e) => e.map(|e| &e.values),
            Err(_) => None,
        };
        let needs_secrets = project
            .metas()
            .iter()
            .filter(|m| used.contains(&m.id.to_string()))
            .any(|m| {
                m.strings.iter().any(|(_, t, _)| {
                    crate::macros::parse(t)
                        .is_ok_and(|t| t.macros().any(|m| matches!(m, Macro::Sec(_))))
                })
            });
        let secrets: Option<BTreeMap<String, SecretValue>> = if needs_secrets {
            let key = match &options.secret_key_file {
                Some(p) => KeyPair::read(p)?,
                None => KeyPair::from_env()?.ok_or_else(|| {
                    Error::Secret(format!(
                        "the workflows use ${{sec:..}} secrets: give the private key file (--secret-key or {})",
                        crate::secrets::SECRET_KEY_ENV
                    ))
                })?,
            };
            Some(crate::secrets::decrypt_all(project, &key)?)
        } else {
            None
        };
        let values = StaticValues {
            env: &env_fn,
            lay,
            secrets: secrets.as_ref(),
        };
        let coordinator: Arc<dyn Coordinator> = match &options.coordinator {
            Some(c) => c.clone(),
            None => Arc::new(SqliteCoordinator::open_in(&options.state_dir)?),
        };
        let factory: Arc<dyn StorageFactory> = match &options.storage_factory {
            Some(f) => f.clone(),
            None => Arc::new(GraphStorageFactory::new(
                options
                    .token_cache_dir
                    .clone()
                    .unwrap_or_else(|| options.state_dir.clone()),
            )),
        };
        let mut teams = crate::teams::TeamsNotifiers::new(
            options
                .token_cache_dir
                .clone()
                .unwrap_or_else(|| options.state_dir.clone()),
        );
        let mut runners = Vec::new();
        let mut statuses = Vec::new();
        let mut slots: BTreeMap<String, Arc<tokio::sync::Semaphore>> = BTreeMap::new();
        for w in runnable {
            let source = project
                .source(&w.source)
                .ok_or_else(|| Error::Config(format!("unknown source '{}'", w.source)))?;
            let sink = project
                .sink(&w.sink)
                .ok_or_else(|| Error::Config(format!("unknown sink '{}'", w.sink)))?;
            let src_storage = open_storage(
                project,
                factory.as_ref(),
                &values,
                &source.meta.id,
                &source.storage,
            )
            .await?;
            let sink_storage = open_storage(
                project,
                factory.as_ref(),
                &values,
                &sink.meta.id,
                &sink.storage,
            )
            .await?;
            let id = &w.meta.id;
            let command = match &w.command {
                Some(c) => {
                    let argv = c
                        .argv
                        .iter()
                        .enumerate()
                        .map(|(i, a)| config::resolve(&values, id, &format!("command[{i}]"), a))
                        .collect::<Result<Vec<_>>>()?;
                    Some((argv, c.timeout))
                }
                None => None,
            };
            let connection_slots = connection_slots(
                project,
                &mut slots,
                [source.storage.connection(), sink.storage.connection()],
            );
            let wf = WorkflowRt {
                name: id.name.clone(),
                files_in_flight: w.files_in_flight.max(1) as usize,
                mib_in_flight: w.mib_in_flight.max(1),
                connection_slots,
                source: config::source_rt(&values, source, src_storage)?,
                sink: config::sink_rt(&values, sink, sink_storage)?,
                command,
                on_success: notify_rt(
                    project,
                    &options,
                    &mut teams,
                    &values,
                    id,
                    "on_success",
                    &w.on_success,
                )?,
                on_failure: notify_rt(
                    project,
                    &options,
                    &mut teams,
                    &values,
                    id,
                    "on_failure",
                    &w.on_failure,
                )?,
            };
            let runner = Runner::new(wf, coordinator.clone(), node_id.clone(), options.lease);
            statuses.push(runner.status.clone());
            runners.push(tokio::sync::Mutex::new(runner));
        }
        Ok(Node {
            node_id,
            roles: options.roles.clone(),
            state_dir: options.state_dir.clone(),
            coordinator,
            lease: options.lease,
            runners,
            statuses,
            skipped,
            _lock: lock,
        })
    }

    /// The node id (stable for a state folder).
    pub fn id(&self) -> &str {
        &self.node_id
    }

    /// The coordinator in use.
    pub fn coordinator(&self) -> Arc<dyn Coordinator> {
        self.coordinator.clone()
    }

    /// The workflows this node runs.
    pub fn workflows(&self) -> Vec<String> {
        self.statuses
            .iter()
            .map(|s| s.lock().name.clone())
            .collect()
    }

    /// The workflows it does not run, with the reason.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// A snapshot of what each workflow is doing.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            node_id: self.node_id.clone(),
            roles: self.roles.clone(),
            workflows: self.statuses.iter().map(|s| s.lock().clone()).collect(),
            skipped: self.skipped.clone(),
        }
    }

    fn write_status(&self) {
        if let Ok(json) = serde_json::to_vec_pretty(&self.status()) {
            let path = self.state_dir.join("status.json");
            let tmp = self.state_dir.join(".status.json.tmp");
            if std::fs::write(&tmp, json).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
    }

    /// Polls every workflow once, now (ignoring schedules; throttles, backoff and stable time
    /// apply). Returns the combined report.
    pub async fn tick(&self, shutdown: &CancellationToken) -> Result<PollReport> {
        let mut total = PollReport::default();
        for r in &self.runners {
            let mut runner = r.lock().await;
            let report = runner.poll(shutdown).await?;
            total.add(&report);
        }
        self.write_status();
        Ok(total)
    }

    /// Polls until a poll finds nothing to do (files waiting for clearance or held by other
    /// nodes do not count), sleeping briefly while files are unstable or streams blocked.
    pub async fn run_until_idle(&self, shutdown: &CancellationToken) -> Result<PollReport> {
        let stop = shutdown.child_token();
        let work = async {
            let r = self.idle_loop(shutdown).await;
            stop.cancel();
            r
        };
        let (_, r) = tokio::join!(self.renew_loop(&stop), work);
        r
    }

    /// Renews this node's leases every third of the lease until `stop`.
    async fn renew_loop(&self, stop: &CancellationToken) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.lease / 3) => {}
                _ = stop.cancelled() => break,
            }
            if let Err(e) = self.coordinator.renew(&self.node_id, self.lease).await {
                tracing::error!(error = %e, "renewing leases failed");
            }
            self.write_status();
        }
    }

    async fn idle_loop(&self, shutdown: &CancellationToken) -> Result<PollReport> {
        let mut total = PollReport::default();
        loop {
            let report = self.tick(shutdown).await?;
            total.add(&report);
            if report.idle() || shutdown.is_cancelled() {
                total.blocked_until = report.blocked_until;
                return Ok(total);
            }
            if report.done == 0 && report.failed == 0 {
                let wait = report
                    .blocked_until
                    .and_then(|t| t.duration_since(std::time::SystemTime::now()).ok())
                    .unwrap_or(Duration::from_millis(200))
                    .clamp(Duration::from_millis(20), Duration::from_secs(5));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => return Ok(total),
                }
            }
        }
    }

    /// Runs housekeeping of every workflow now.
    pub async fn housekeep_now(&self) {
        for r in &self.runners {
            r.lock().await.housekeeping(true).await;
        }
    }

    /// Runs every workflow on its schedule until `shutdown` is cancelled; in-flight streams
    /// are abandoned cleanly (temporary output removed, file released) and resumed next time.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<()> {
        tracing::info!(node = %self.node_id, workflows = ?self.workflows(), skipped = ?self.skipped, "node started");
        let renew = self.renew_loop(&shutdown);
        let workers = futures::future::join_all(self.runners.iter().map(|r| {
            let shutdown = shutdown.clone();
            async move {
                let mut runner = r.lock().await;
                runner.run(&shutdown).await;
            }
        }));
        tokio::join!(renew, workers);
        self.write_status();
        tracing::info!(node = %self.node_id, "node stopped");
        Ok(())
    }
}

/// Runs a project's workflows allowed by `roles` until `shutdown`.
pub async fn run(
    project: &Project,
    options: NodeOptions,
    shutdown: CancellationToken,
) -> Result<()> {
    Node::new(project, options).await?.run(shutdown).await
}

async fn open_storage(
    project: &Project,
    factory: &dyn StorageFactory,
    values: &StaticValues<'_>,
    asset: &AssetId,
    setting: &StorageSetting,
) -> Result<Arc<dyn Storage>> {
    let r = |field: &str, text: &str| config::resolve_text(values, asset, field, text);
    match setting {
        StorageSetting::Local { root } => {
            let root = r("root", root)?;
            let p = Path::new(&root);
            let full = if p.is_absolute() {
                p.to_path_buf()
            } else {
                project.dir.join(p)
            };
            Ok(Arc::new(LocalStorage::new(full)))
        }
        StorageSetting::OneDrive {
            connection,
            drive,
            user,
        } => {
            let resolved = StorageSetting::OneDrive {
                connection: connection.clone(),
                drive: drive.as_deref().map(|d| r("drive", d)).transpose()?,
                user: user.as_deref().map(|u| r("user", u)).transpose()?,
            };
            let conn = connection_of(project, values, asset, connection)?;
            factory.open(&conn, asset, &resolved).await
        }
        StorageSetting::SharePoint {
            connection,
            site,
            library,
        } => {
            let resolved = StorageSetting::SharePoint {
                connection: connection.clone(),
                site: r("site", site)?,
                library: r("library", library)?,
            };
            let conn = connection_of(project, values, asset, connection)?;
            factory.open(&conn, asset, &resolved).await
        }
    }
}

fn connection_of(
    project: &Project,
    values: &StaticValues<'_>,
    asset: &AssetId,
    name: &str,
) -> Result<ResolvedConnection> {
    let c = project
        .connection(name)
        .ok_or_else(|| Error::Config(format!("{asset}: unknown connection '{name}'")))?;
    ResolvedConnection::resolve(&project.dir, c, values)
}

fn notify_rt(
    project: &Project,
    options: &NodeOptions,
    teams: &mut crate::teams::TeamsNotifiers,
    values: &StaticValues<'_>,
    id: &AssetId,
    field: &str,
    n: &Option<Notification>,
) -> Result<Option<NotifyRt>> {
    let Some(n) = n else { return Ok(None) };
    let service = project
        .service(&n.service)
        .ok_or_else(|| Error::Config(format!("{id}: unknown service '{}'", n.service)))?;
    let notifier: Arc<dyn Notifier> = match options.notifiers.get(&n.service) {
        Some(x) => x.clone(),
        None if matches!(service.kind, ServiceKind::Teams { .. }) => {
            teams.notifier(project, service, values)?
        }
        None => Arc::new(LogNotifier::new(&n.service)),
    };
    Ok(Some(NotifyRt {
        service: n.service.clone(),
        notifier,
        conversation: config::resolve_text(
            values,
            id,
            &format!("{field}.conversation"),
            &n.conversation,
        )?,
        message: config::resolve(values, id, &format!("{field}.message"), &n.message)?,
    }))
}

fn node_id(state_dir: &Path) -> Result<String> {
    let path = state_dir.join("node-id");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = text.trim();
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    let id = format!(
        "{host}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    std::fs::write(&path, format!("{id}\n")).map_err(|e| Error::io("writing", &path, e))?;
    Ok(id)
}

#[allow(clippy::incompatible_msrv)]
fn lock_state_dir(state_dir: &Path) -> Result<std::fs::File> {
    let path = state_dir.join("node.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("opening", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
            "another node is running with the state folder '{}'",
            state_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("locking", &path, e)),
    }
}

/// The caps of files in flight of the connections `names` (one semaphore per connection,
/// shared through `slots` by every workflow of the node), sorted by name and without
/// repeats, so two workflows never wait for each other's slots in opposite orders.
fn connection_slots<'a>(
    project: &Project,
    slots: &mut BTreeMap<String, Arc<tokio::sync::Semaphore>>,
    names: impl IntoIterator<Item = Option<&'a str>>,
) -> Vec<Arc<tokio::sync::Semaphore>> {
    let mut names: Vec<&str> = names.into_iter().flatten().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let cap = project
                .connection(name)
                .map_or(crate::model::DEFAULT_CONNECTION_FILES_IN_FLIGHT, |c| {
                    c.files_in_flight.max(1)
                });
            slots
                .entry(name.to_string())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(cap as usize)))
                .clone()
        })
        .collect()
}
