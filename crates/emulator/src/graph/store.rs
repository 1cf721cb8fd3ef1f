//! The in-memory Graph store: drives with their items, the change sequence per drive (delta),
//! site grants and upload sessions. Every mutation goes through a method here, which keeps the
//! indexes (children by name, changes by sequence, folder sizes) right and journals the change.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::ids::{self, Millis};
use super::journal::{self, Journal, Record, RecordRef, Snapshot, SnapshotRef};
use super::model::{Drive, DriveMeta, Grant, Identity, Item, Tombstone, UploadSession};
use crate::web::GraphError;
use crate::Error;

/// Everything the Graph side keeps.
pub struct Store {
    /// Drives by id.
    pub drives: HashMap<String, Drive>,
    /// Site permissions granted to apps.
    pub grants: Vec<Grant>,
    /// Upload sessions by id.
    pub sessions: HashMap<String, UploadSession>,
    dir: PathBuf,
    journal: Mutex<Journal>,
}

impl std::fmt::Debug for Store {
    // Session ids are the secret part of upload URLs: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("drives", &self.drives.len())
            .field("grants", &self.grants.len())
            .field("sessions", &self.sessions.len())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Lower-cased name, the key of a folder's children (names are case-insensitive).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

impl Drive {
    /// A new drive with an empty root.
    pub fn new(meta: DriveMeta) -> Self {
        let mut items = HashMap::new();
        let root = Item {
            id: meta.root.clone(),
            guid: ids::derived_guid(&format!("root-guid|{}", meta.id)).to_uppercase(),
            name: "root".into(),
            parent: None,
            created: meta.created,
            modified: meta.created,
            fs_created: meta.created,
            fs_modified: meta.created,
            created_by: Identity::system(),
            modified_by: Identity::system(),
            version: 1,
            content_version: 1,
            seq: 1,
            description: None,
            file: None,
            children: BTreeMap::new(),
            folder_size: 0,
        };
        items.insert(root.id.clone(), root);
        let mut changes = BTreeMap::new();
        changes.insert(1, meta.root.clone());
        Drive {
            meta,
            items,
            tombstones: HashMap::new(),
            seq: 1,
            min_token_seq: 0,
            changes,
        }
    }

    /// The item with this id.
    pub fn item(&self, id: &str) -> Result<&Item, GraphError> {
        self.items
            .get(id)
            .ok_or_else(|| GraphError::not_found("The resource could not be found."))
    }

    /// The root item.
    pub fn root(&self) -> &Item {
        // The root is created with the drive and never removed.
        &self.items[&self.meta.root]
    }

    /// The child of `parent` named `name` (case-insensitive).
    pub fn child(&self, parent: &str, name: &str) -> Option<&Item> {
        let id = self.items.get(parent)?.children.get(&name_key(name))?;
        self.items.get(id)
    }

    /// Walks `segments` down from `anchor`; 404 when a segment is missing.
    pub fn walk(&self, anchor: &str, segments: &[String]) -> Result<&Item, GraphError> {
        let mut cur = self.item(anchor)?;
        for seg in segments {
            cur = self
                .child(&cur.id, seg)
                .ok_or_else(|| GraphError::not_found("The resource could not be found."))?;
        }
        Ok(cur)
    }

    /// Names from the root down to `id` (the root itself excluded).
    pub fn path_names(&self, id: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut cur = self.items.get(id);
        while let Some(item) = cur {
            let Some(parent) = &item.parent else { break };
            names.push(item.name.as_str());
            cur = self.items.get(parent);
        }
        names.reverse();
        names
    }

    /// Depth below the root (root = 0).
    pub fn depth(&self, id: &str) -> usize {
        self.path_names(id).len()
    }

    /// Whether `ancestor` is `id` or one of its ancestors.
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.items.get(c).and_then(|i| i.parent.as_deref());
        }
        false
    }

    /// A name not used in `parent`: `name`, `name 1.ext`, `name 2.ext`, ...
    pub fn free_name(&self, parent: &str, name: &str) -> String {
        if self.child(parent, name).is_none() {
            return name.to_string();
        }
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i..]),
            _ => (name, ""),
        };
        (1u64..)
            .map(|n| format!("{stem} {n}{ext}"))
            .find(|candidate| self.child(parent, candidate).is_none())
            .unwrap_or_else(|| name.to_string())
    }

    /// Ids of the subtree under `id` (itself included), children before parents.
    pub fn subtree_post_order(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![(id.to_string(), false)];
        while let Some((cur, visited)) = stack.pop() {
            if visited {
                out.push(cur);
                continue;
            }
            stack.push((cur.clone(), true));
            if let Some(item) = self.items.get(&cur) {
                for child in item.children.values().rev() {
                    stack.push((child.clone(), false));
                }
            }
        }
        out
    }

    /// Ids of all items, parents before children, siblings by name (delta's full enumeration).
    pub fn pre_order(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.items.len());
        let mut stack = vec![self.meta.root.clone()];
        while let Some(cur) = stack.pop() {
            if let Some(item) = self.items.get(&cur) {
                for child in item.children.values().rev() {
                    stack.push(child.clone());
                }
            }
            out.push(cur);
        }
        out
    }

    /// Bytes used by files.
    pub fn used(&self) -> u64 {
        self.root().folder_size
    }

    fn adjust_sizes(&mut self, from: Option<&str>, delta: i128) {
        let mut cur = from.map(str::to_string);
        while let Some(id) = cur {
            let Some(item) = self.items.get_mut(&id) else {
                break;
            };
            item.folder_size = (item.folder_size as i128 + delta).max(0) as u64;
            cur = item.parent.clone();
        }
    }

    fn rebuild_indexes(&mut self) {
        self.changes.clear();
        let ids: Vec<String> = self.items.keys().cloned().collect();
        for item in self.items.values_mut() {
            item.children.clear();
            item.folder_size = 0;
        }
        for id in &ids {
            let (parent, key, seq) = {
                let item = &self.items[id];
                (item.parent.clone(), name_key(&item.name), item.seq)
            };
            self.changes.insert(seq, id.clone());
            if let Some(p) = parent {
                match self.items.get_mut(&p) {
                    Some(parent) => {
                        parent.children.insert(key, id.clone());
                    }
                    None => tracing::warn!(item = %id, "Graph item without its parent"),
                }
            }
        }
        for id in &ids {
            let (size, parent) = {
                let item = &self.items[id];
                (item.file.as_ref().map(|f| f.size), item.parent.clone())
            };
            if let Some(size) = size {
                self.adjust_sizes(parent.as_deref(), size as i128);
            }
        }
        for t in self.tombstones.values() {
            self.changes.insert(t.seq, t.id.clone());
        }
    }
}

impl Store {
    /// Loads the store from `dir` (snapshot + journals), adds the drives in `wanted` that do
    /// not exist yet, and writes a fresh snapshot.
    pub fn open(dir: &Path, wanted: Vec<DriveMeta>) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
        let snapshot: Snapshot =
            crate::persist::load(&journal::snapshot_path(dir))?.unwrap_or_default();
        let mut store = Store {
            drives: snapshot
                .drives
                .into_iter()
                .map(|d| (d.meta.id.clone(), d))
                .collect(),
            grants: snapshot.grants,
            sessions: snapshot
                .sessions
                .into_iter()
                .map(|s| (s.id.clone(), s))
                .collect(),
            dir: dir.to_path_buf(),
            journal: Mutex::new(Journal::closed(dir)),
        };
        let mut last_gen = snapshot.gen;
        for gen in journal::journal_gens(dir) {
            if gen < snapshot.gen {
                continue;
            }
            last_gen = last_gen.max(gen);
            for record in journal::read_journal(&journal::journal_path(dir, gen))? {
                store.replay(record);
            }
        }
        for meta in wanted {
            if !store.drives.contains_key(&meta.id) {
                store.drives.insert(meta.id.clone(), Drive::new(meta));
            }
        }
        for drive in store.drives.values_mut() {
            drive.rebuild_indexes();
            drive.seq = drive
                .seq
                .max(drive.changes.keys().next_back().copied().unwrap_or(0));
        }
        store.journal.lock().set_gen(last_gen);
        store.compact()?;
        Ok(store)
    }

    fn replay(&mut self, record: Record) {
        match record {
            Record::Drive { meta } => {
                self.drives
                    .entry(meta.id.clone())
                    .or_insert_with(|| Drive::new(meta));
            }
            Record::Item { drive, item } => {
                if let Some(d) = self.drives.get_mut(&drive) {
                    d.seq = d.seq.max(item.seq);
                    d.tombstones.remove(&item.id);
                    d.items.insert(item.id.clone(), item);
                }
            }
            Record::Removed { drive, tombstone } => {
                if let Some(d) = self.drives.get_mut(&drive) {
                    d.seq = d.seq.max(tombstone.seq);
                    d.items.remove(&tombstone.id);
                    d.tombstones.insert(tombstone.id.clone(), tombstone);
                }
            }
            Record::MinToken { drive, seq } => {
                if let Some(d) = self.drives.get_mut(&drive) {
                    d.min_token_seq = seq;
                    d.seq = d.seq.max(seq);
                }
            }
            Record::Grant { grant } => {
                self.grants.retain(|g| g.id != grant.id);
                self.grants.push(grant);
            }
            Record::Revoke { id } => self.grants.retain(|g| g.id != id),
            Record::Session { session } => {
                self.sessions.insert(session.id.clone(), session);
            }
            Record::SessionGone { id } => {
                self.sessions.remove(&id);
            }
        }
    }

    /// Records appended since the last snapshot.
    pub fn journal_records(&self) -> u64 {
        self.journal.lock().records()
    }

    /// Writes a snapshot of everything and starts a new journal generation. Needs only shared
    /// access: writers (which journal under the exclusive lock) cannot run meanwhile.
    pub fn compact(&self) -> Result<(), Error> {
        let mut journal = self.journal.lock();
        let gen = journal.gen() + 1;
        let snapshot = SnapshotRef {
            gen,
            drives: self.drives.values().collect(),
            grants: &self.grants,
            sessions: self.sessions.values().collect(),
        };
        let path = journal::snapshot_path(&self.dir);
        let bytes = serde_json::to_vec(&snapshot).map_err(|e| Error::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        journal.switch(gen)?;
        drop(journal);
        crate::persist::write_atomic(&path, &bytes)?;
        journal::remove_journals_before(&self.dir, gen);
        Ok(())
    }

    fn log(&self, record: RecordRef<'_>) {
        self.journal.lock().append(&record);
    }

    /// The drive with this id (404 `itemNotFound` otherwise).
    pub fn drive(&self, id: &str) -> Result<&Drive, GraphError> {
        self.drives
            .get(id)
            .ok_or_else(|| GraphError::not_found("The drive could not be found."))
    }

    /// Creates or updates an item: assigns it the drive's next change sequence, keeps the
    /// indexes right and journals it. Returns the sequence.
    pub fn put_item(&mut self, drive_id: &str, mut item: Item) -> u64 {
        let Some(drive) = self.drives.get_mut(drive_id) else {
            return 0;
        };
        drive.seq += 1;
        item.seq = drive.seq;
        let old = drive.items.remove(&item.id);
        let new_total = match &item.file {
            Some(f) => f.size as i128,
            None => old.as_ref().map(|o| o.folder_size).unwrap_or(0) as i128,
        };
        if let Some(mut old) = old {
            drive.changes.remove(&old.seq);
            if let Some(p) = &old.parent {
                if let Some(parent) = drive.items.get_mut(p) {
                    parent.children.remove(&name_key(&old.name));
                }
            }
            let old_total = old.size() as i128;
            drive.adjust_sizes(old.parent.as_deref(), -old_total);
            item.children = std::mem::take(&mut old.children);
        }
        item.folder_size = if item.file.is_none() {
            new_total as u64
        } else {
            0
        };
        if let Some(p) = &item.parent {
            if let Some(parent) = drive.items.get_mut(p) {
                parent
                    .children
                    .insert(name_key(&item.name), item.id.clone());
            }
        }
        drive.adjust_sizes(item.parent.as_deref(), new_total);
        drive.changes.insert(item.seq, item.id.clone());
        drive.tombstones.remove(&item.id);
        let seq = item.seq;
        let id = item.id.clone();
        drive.items.insert(id.clone(), item);
        let drive = &self.drives[drive_id];
        self.log(RecordRef::Item {
            drive: drive_id,
            item: &drive.items[&id],
        });
        seq
    }

    /// Deletes an item and everything under it (each gets a tombstone for delta). Returns the
    /// content files to remove.
    pub fn remove_item(&mut self, drive_id: &str, id: &str) -> Vec<String> {
        let Some(drive) = self.drives.get_mut(drive_id) else {
            return Vec::new();
        };
        let Some(top) = drive.items.get(id) else {
            return Vec::new();
        };
        let top_parent = top.parent.clone();
        let top_size = top.size() as i128;
        drive.adjust_sizes(top_parent.as_deref(), -top_size);
        let mut blobs = Vec::new();
        let mut tombstones = Vec::new();
        for victim in drive.subtree_post_order(id) {
            let Some(item) = drive.items.remove(&victim) else {
                continue;
            };
            if let Some(p) = &item.parent {
                if let Some(parent) = drive.items.get_mut(p) {
                    parent.children.remove(&name_key(&item.name));
                }
            }
            if let Some(f) = &item.file {
                blobs.push(f.blob.clone());
            }
            drive.changes.remove(&item.seq);
            drive.seq += 1;
            let t = Tombstone {
                id: item.id.clone(),
                parent: item.parent.clone().unwrap_or_default(),
                folder: item.is_folder(),
                seq: drive.seq,
            };
            drive.changes.insert(t.seq, t.id.clone());
            drive.tombstones.insert(t.id.clone(), t.clone());
            tombstones.push(t);
        }
        for t in &tombstones {
            self.log(RecordRef::Removed {
                drive: drive_id,
                tombstone: t,
            });
        }
        blobs
    }

    /// Expires every delta token of a drive issued so far.
    pub fn expire_delta_tokens(&mut self, drive_id: &str) {
        if let Some(d) = self.drives.get_mut(drive_id) {
            // Tokens carry the sequence they were issued at: move past every issued one.
            d.seq += 1;
            d.min_token_seq = d.seq;
            let seq = d.min_token_seq;
            self.log(RecordRef::MinToken {
                drive: drive_id,
                seq,
            });
        }
    }

    /// Adds (or replaces) a site grant.
    pub fn put_grant(&mut self, grant: Grant) {
        self.grants.retain(|g| g.id != grant.id);
        self.log(RecordRef::Grant { grant: &grant });
        self.grants.push(grant);
    }

    /// Removes a site grant; whether it existed.
    pub fn remove_grant(&mut self, id: &str) -> bool {
        let before = self.grants.len();
        self.grants.retain(|g| g.id != id);
        let removed = self.grants.len() != before;
        if removed {
            self.log(RecordRef::Revoke { id });
        }
        removed
    }

    /// Creates or updates an upload session.
    pub fn put_session(&mut self, session: UploadSession) {
        self.log(RecordRef::Session { session: &session });
        self.sessions.insert(session.id.clone(), session);
    }

    /// Ends an upload session.
    pub fn remove_session(&mut self, id: &str) -> Option<UploadSession> {
        let s = self.sessions.remove(id);
        if s.is_some() {
            self.log(RecordRef::SessionGone { id });
        }
        s
    }

    /// Sessions whose expiry has passed.
    pub fn expired_sessions(&self, now: Millis) -> Vec<String> {
        self.sessions
            .values()
            .filter(|s| s.expires <= now)
            .map(|s| s.id.clone())
            .collect()
    }
}
